import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { defaultJobs, engineFrom, resolveRunConfig } from '../../harness/cli/options.js';
import { DEFAULT_ENGINE, engineEndpoint } from '../../harness/core/engine-address.js';
import { MAX_HOST_TIMEOUT_S } from '../../harness/core/host-timeout.js';

const ROOT = '/repo';

t.test("defaults: the repository's cases, results and cache; one job per core; the local engine", async (t) => {
  const c = resolveRunConfig({}, {}, ROOT);
  t.same(c.caseDirs, [join(ROOT, 'cases')]);
  t.equal(c.resultsDir, join(ROOT, 'results'));
  t.equal(c.cacheDir, join(ROOT, 'results', '.cache'));
  t.equal(c.jobs, Math.max(1, cpus().length));
  t.equal(c.jobs, defaultJobs());
  t.equal(c.repeat, 1);
  t.equal(c.engine, DEFAULT_ENGINE);
  t.notOk('timeout' in c, 'no timeout override');
  t.notOk('maxFailures' in c);
  t.notOk('shard' in c);
  t.same([c.rebuild, c.rebuildImages, c.pruneImages, c.probes, c.bundles], [false, false, false, false, false]);
});

t.test('every flag, resolved once', async (t) => {
  const c = resolveRunConfig(
    {
      platform: ['amd64-glibc,arm5-musl', 'arm7-glibc'],
      case: ['link'],
      go: ['all'],
      jobs: '3',
      timeout: '2.5',
      cases: ['extra'],
      'no-default-cases': true,
      platforms: ['rows.json'],
      results: 'out',
      cache: 'c',
      rebuild: true,
      probes: true,
      repeat: '4',
      'max-failures': '2',
      'build-quota': '64',
      shard: '2/3',
      'shard-costs': 'prev.json',
      'docker-host': 'tcp://ci:2375',
    },
    { DOCKER_HOST: 'unix:///ignored.sock' },
    ROOT,
  );
  t.same(c.caseDirs, ['extra'], '--no-default-cases leaves out cases/');
  t.same(c.platforms, ['amd64-glibc', 'arm5-musl', 'arm7-glibc'], 'lists split and joined');
  t.same([c.jobs, c.timeout, c.repeat, c.maxFailures, c.buildQuotaMiB], [3, 2.5, 4, 2, 64]);
  t.equal(c.resultsDir, resolve('out'), 'absolute');
  t.equal(c.resultsArg, 'out', 'and as given, for messages');
  t.equal(c.cacheDir, resolve('c'));
  t.same(c.shard, { k: 2, n: 3 });
  t.equal(c.shardCosts, 'prev.json');
  t.equal(c.engine, 'tcp://ci:2375', '--docker-host wins over DOCKER_HOST');
});

t.test('bad numbers are one usage line naming the flag', async (t) => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ jobs: 'abc' }, /^--jobs takes a positive number, not "abc"$/],
    [{ jobs: '1.5' }, /^--jobs takes a whole number, not "1.5"$/],
    [{ jobs: '0' }, /^--jobs takes a positive number/],
    [{ repeat: '-1' }, /^--repeat takes a positive number/],
    [{ 'max-failures': '' }, /^--max-failures takes a positive number/],
    [{ 'build-quota': '0' }, /^--build-quota takes a positive number, not "0"$/],
    [{ 'build-quota': '1.5' }, /^--build-quota takes a whole number, not "1.5"$/],
    [{ timeout: String(MAX_HOST_TIMEOUT_S + 1) }, new RegExp(`^--timeout takes at most ${MAX_HOST_TIMEOUT_S}`)],
    [{ shard: '4/3' }, /shard/],
  ];
  for (const [values, message] of bad)
    t.throws(() => resolveRunConfig(values, {}, ROOT), { name: 'UsageError', message }, JSON.stringify(values));
});

t.test('the engine: --docker-host, DOCKER_HOST, or the local socket; a malformed one is a usage error', async (t) => {
  t.equal(engineFrom({}, { DOCKER_HOST: 'tcp://h:1' }), 'tcp://h:1');
  t.equal(engineFrom({}, { DOCKER_HOST: '' }), DEFAULT_ENGINE, 'an empty DOCKER_HOST is unset');
  t.throws(() => engineFrom({ 'docker-host': 'ftp://x' }, {}), {
    name: 'UsageError',
    message: /^--docker-host ftp:\/\/x: not an engine address/,
  });
  t.throws(() => engineFrom({}, { DOCKER_HOST: 'unix://relative.sock' }), {
    name: 'UsageError',
    message: /^DOCKER_HOST unix:\/\/relative.sock: not an engine address/,
  });
});

t.test('engine addresses as dockerode options', async (t) => {
  t.same(engineEndpoint('unix:///var/run/docker.sock'), { socketPath: '/var/run/docker.sock' });
  t.same(engineEndpoint('tcp://ci-runner-2:2375'), { protocol: 'http', host: 'ci-runner-2', port: 2375 });
  t.same(
    engineEndpoint('ci-runner-2:2380'),
    { protocol: 'http', host: 'ci-runner-2', port: 2380 },
    'a bare host:port is tcp, as for the docker CLI',
  );
  t.same(engineEndpoint('tcp://ci'), { protocol: 'http', host: 'ci', port: 2375 }, "tcp's default port");
  t.same(engineEndpoint('https://ci'), { protocol: 'https', host: 'ci', port: 2376 });
  t.same(engineEndpoint('ssh://me@builder'), { protocol: 'ssh', host: 'builder', username: 'me' });
  for (const bad of ['ftp://x', 'unix://', 'tcp://', '::::']) t.throws(() => engineEndpoint(bad), { name: 'UsageError' }, bad);
});

t.test('a path outside the project comes from the command line, never from the config file (issue 23)', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { readProjectConfig } = await import('../../harness/edge/config-file.js');
  const { withFlags, CONFIG_FILE } = await import('../../harness/core/config.js');
  const project = mkdtempSync(join(tmpdir(), 'csm-options-'));
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  writeFileSync(join(project, CONFIG_FILE), JSON.stringify({ cache: '/root/.ssh' }));
  t.throws(() => readProjectConfig(undefined, project), {
    name: 'UsageError',
    message: /^cshared-matrix\.config\.json: \/cache: "\/root\/\.ssh" is an absolute path, outside the project .*: pass it as --cache$/,
  });
  writeFileSync(join(project, CONFIG_FILE), JSON.stringify({ cache: 'cache', results: 'out' }));
  const file = readProjectConfig(undefined, project)!.inputs;
  const c = resolveRunConfig(withFlags(file, { cache: '/var/cache/csm', results: '/ci/results' }), {}, ROOT, project);
  t.equal(c.cacheDir, '/var/cache/csm', '--cache names any directory');
  t.equal(c.resultsDir, '/ci/results', 'and --results');
  const fromFile = resolveRunConfig(withFlags(file, {}), {}, ROOT, '/elsewhere');
  t.equal(fromFile.cacheDir, join(project, 'cache'), "the file's own paths resolve beside it, wherever the command runs");
  t.equal(fromFile.resultsDir, join(project, 'out'));
});

t.test('--glibc-floor: a glibc version with a Debian toolchain of its age, else one usage line', async (t) => {
  t.equal(resolveRunConfig({ 'glibc-floor': '2.31' }, {}, ROOT).glibcFloor, '2.31');
  t.equal(resolveRunConfig({ 'glibc-floor': '2.45' }, {}, ROOT).glibcFloor, '2.45', "above today's: builds as today");
  t.notOk('glibcFloor' in resolveRunConfig({}, {}, ROOT), 'no floor unless asked');
  t.throws(() => resolveRunConfig({ 'glibc-floor': 'bullseye' }, {}, ROOT), {
    name: 'UsageError',
    message: '--glibc-floor (config glibcFloor) "bullseye" is not a glibc version: give one like 2.31 (2.<minor>)',
  });
  t.throws(() => resolveRunConfig({ 'glibc-floor': '2.28' }, {}, ROOT), {
    name: 'UsageError',
    message:
      "--glibc-floor (config glibcFloor) 2.28: the oldest toolchain here is Debian 11 bullseye's, glibc 2.31 (the Debian mirror serves nothing older): give 2.31 or above",
  });
});

t.test(
  "CSM_TEST_LAYER_GATE, the early-cells test's seam: an absolute file path, else one usage line naming it; absent, nothing",
  async (t) => {
    t.equal(resolveRunConfig({}, { CSM_TEST_LAYER_GATE: '/tmp/gate/open' }, ROOT).testLayerGate, '/tmp/gate/open');
    t.notOk('testLayerGate' in resolveRunConfig({}, {}, ROOT), 'unset: no layer is held back');
    t.notOk('testLayerGate' in resolveRunConfig({}, { CSM_TEST_LAYER_GATE: '' }, ROOT), 'empty: the same');
    t.throws(() => resolveRunConfig({}, { CSM_TEST_LAYER_GATE: 'gate' }, ROOT), {
      name: 'UsageError',
      message: 'CSM_TEST_LAYER_GATE takes an absolute file path, not "gate" (unset it outside the tests)',
    });
  },
);
