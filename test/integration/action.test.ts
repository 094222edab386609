// The GitHub Action (action.yml) as a library's workflow runs it, since GitHub
// itself cannot run here: its steps in order through test/action/run-action-steps.ts,
// with this repository packed (npm pack) as the action's path and a scratch
// project outside the repository as the workspace. Two runs, as two nights of
// a runner: the first starts with an empty image cache, so the harness saves
// the toolchain images it used (here the engine has them already; a bare
// GitHub runner would build them first) and actions/cache keeps the tarball;
// before the second the Go image is removed from the engine, as on a fresh
// runner, so it gets the tarball back from actions/cache, the harness loads the
// image from it instead of building it, and saves nothing. This is the image
// cache's round trip (save, remove the image, load, run a cell) through the
// path a user's CI takes; test/integration/image-cache.test.ts has the rest.
// Where this machine lets the test make a user (root, useradd, a docker
// group), the emulated runner is that user, in the docker group, as on
// GitHub: the harness runs as it, and nothing the runs write is root's.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { ImageCache } from '../../harness/edge/image-cache.js';
import { currentBaseTag, goImageTag, imageId, readGoVersions } from '../../harness/edge/images.js';
import { packAction } from '../action/pack-action.js';
import { type ActionResult, parseCommandFile, readAction, runAction } from '../action/run-action-steps.js';
import { type MadeUser, makeUser } from '../support/docker-user.js';

const root = join(import.meta.dirname, '..', '..');
const t0 = Date.now();
const work = mkdtempSync(join(tmpdir(), 'csm-action-'));
t.teardown(() => {
  rmSync(work, { recursive: true, force: true });
  t.comment(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
const state = join(work, 'runner');
const docker = await ensureEngine((l) => t.comment(l));
const goTag = goImageTag(readGoVersions().find((g) => g.version === '1.27')!);
// Whatever happened, the Go image is in the engine at the end (the tests after this one need it), or it is said loudly.
t.teardown(async () => {
  const cache = new ImageCache(join(state, 'runner-temp', 'cshared-matrix-images'));
  if (!(await imageId(docker, goTag)) && !(cache.has(goTag) && (await cache.load(docker, goTag, (l) => t.comment(l), [currentBaseTag()]))))
    console.error(`\n!!! ${goTag} is missing from the engine and could not be loaded back: the next run builds it (a few minutes)\n`);
});
const inputs = { paths: 'mylib', platforms: 'amd64-glibc,amd64-musl', go: '1.27' };
const CELLS = {
  'mylib+dlopen-probe/amd64-glibc/go1.27': 'pass',
  'mylib+link-probe/amd64-glibc/go1.27': 'pass',
  'mylib+dlopen-probe/amd64-musl/go1.27': 'xfail',
  'mylib+link-probe/amd64-musl/go1.27': 'xfail',
};

const { actionPath, packed } = await packAction(root, work);

/**
 * The runner's user: a fresh one in the docker group when this machine allows
 * making one (root, useradd, a docker group), else this process's own. Its
 * uid, for the ownership checks.
 */
function runnerUser(): MadeUser | undefined {
  const made = makeUser(t, 'csmact');
  if (!made) return undefined;
  chmodSync(work, 0o755);
  spawnSync('chown', ['-R', `${made.name}:`, actionPath]);
  return made;
}
const user = runnerUser();
t.comment(
  user
    ? `the runner's user: ${user.name} (uid ${user.uid}), in the docker group`
    : `the runner's user: this process's (uid ${process.getuid?.()}); this machine does not let the test make one`,
);

/** A scratch library repository outside this one: only the Go package, no config. */
function workspace(name: string): string {
  const ws = join(work, name);
  cpSync(join(root, 'examples', 'project', 'mylib'), join(ws, 'mylib'), { recursive: true });
  if (user) spawnSync('chown', ['-R', `${user.name}:`, ws]);
  return ws;
}

async function run(runId: number): Promise<{ r: ActionResult; log: string[]; ws: string; seconds: number }> {
  const ws = workspace(`workspace-${runId}`);
  const log: string[] = [];
  const s0 = Date.now();
  const r = await runAction({
    actionPath,
    workspace: ws,
    state,
    inputs,
    runId,
    log: (l) => log.push(l),
    ...(user ? { user: user.name } : {}),
  });
  const seconds = (Date.now() - s0) / 1000;
  t.comment(
    `run ${runId}: ${seconds.toFixed(0)} s; ${r.steps.map((s) => `${s.id ?? s.index + 1} ${s.outcome} ${s.seconds.toFixed(1)} s`).join(', ')}`,
  );
  return { r, log, ws, seconds };
}

const tail = (log: string[]) => log.slice(-60).join('\n');
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
const imageCacheDir = join(state, 'runner-temp', 'cshared-matrix-images');

/** Every file, directory and link under `dirs` (links not followed) that is not the runner user's, with its owner. */
function notTheUsers(dirs: string[], uid: number): string[] {
  const all = dirs.flatMap((d) => [d, ...readdirSync(d, { recursive: true, encoding: 'utf8' }).map((p) => join(d, p))]);
  return all.flatMap((p) => {
    const owner = lstatSync(p).uid;
    return owner === uid ? [] : [`${relative(work, p)} (uid ${owner})`];
  });
}
const tarballs = () => (existsSync(imageCacheDir) ? readdirSync(imageCacheDir).filter((f) => f.endsWith('.tar.zst')) : []);

t.test('action.yml: a composite action whose scripts interpolate nothing', async (t) => {
  const meta = readAction(actionPath);
  const scripts = meta.runs.steps.filter((s) => s.run !== undefined);
  t.ok(scripts.length >= 4);
  for (const s of scripts)
    t.notMatch(s.run!, /\$\{\{/, `no \${{ }} in the run: script of step ${s.id ?? scripts.indexOf(s)}: inputs go through env:`);
  const uses = meta.runs.steps.flatMap((s) => (s.uses ? [s.uses] : []));
  t.same(uses, ['actions/cache/restore@v4', 'actions/upload-artifact@v4', 'actions/cache/save@v4']);
  t.same(
    packed[0].files.filter((f) => /^(test|examples)\//.test(f.path)),
    [],
    'npm pack ships no tests or examples',
  );
});

/**
 * One of action.yml's run: scripts, run alone as GitHub runs it, with a
 * recording sudo and node first on PATH (each records its arguments and exits
 * 1, as a run with unexpected verdicts does), and a docker whose `docker info`
 * exits `dockerInfo` (0: the runner's user reaches the engine).
 */
function runStep(id: 'run' | 'last', env: Record<string, string>, dockerInfo = 0) {
  const steps = readAction(actionPath).runs.steps;
  const step = id === 'last' ? steps[steps.length - 1]! : steps.find((s) => s.id === id)!;
  const dir = mkdtempSync(join(work, 'step-'));
  mkdirSync(join(dir, 'bin'));
  // One line per call: its name, its arguments, \x1f between them; node adds whether GITHUB_STEP_SUMMARY reached it.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it, in the stub script
  const summaryArg = '"summary=${GITHUB_STEP_SUMMARY-unset}"';
  for (const [name, extra] of [
    ['sudo', ''],
    ['node', summaryArg],
  ] as const) {
    writeFileSync(
      join(dir, 'bin', name),
      `#!/bin/bash\n(IFS=$'\\x1f'; echo "${name}"$'\\x1f'"$*"$'\\x1f'${extra || '""'}) >> "${dir}/calls"\nexit 1\n`,
    );
    chmodSync(join(dir, 'bin', name), 0o755);
  }
  writeFileSync(join(dir, 'bin', 'docker'), `#!/bin/sh\n[ "$1" = info ] && exit ${dockerInfo}\nexit 2\n`);
  chmodSync(join(dir, 'bin', 'docker'), 0o755);
  writeFileSync(join(dir, 'script.sh'), step.run!);
  writeFileSync(join(dir, 'output'), '');
  const p = spawnSync('/bin/bash', ['--noprofile', '--norc', '-eo', 'pipefail', join(dir, 'script.sh')], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_ACTION_PATH: actionPath,
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      ...env,
    },
  });
  const calls = existsSync(join(dir, 'calls'))
    ? readFileSync(join(dir, 'calls'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\x1f').filter((a, i, all) => i < all.length - 1 || a))
    : [];
  return { code: p.status, out: p.stdout + p.stderr, outputs: parseCommandFile(readFileSync(join(dir, 'output'), 'utf8')), calls, dir };
}

t.test('the run step turns only the given inputs into flags, and keeps the exit code as an output', async (t) => {
  const base = {
    CSM_PATHS: '',
    CSM_PLATFORMS: '',
    CSM_GO: '',
    CSM_SHARD: '',
    CSM_GLIBC_FLOOR: '',
    CSM_USERLANDS: '',
    CSM_TIER: '',
    CSM_CONFIG: '',
    CSM_RESULTS_DIR: '/r',
    CSM_IMAGE_CACHE_DIR: '/i',
  };
  // The node flag keeps a long run's peak RSS down (README, Speed): the Action runs the harness as npm run matrix does.
  const harness = [
    '--max-semi-space-size=4',
    `${actionPath}/bin/cshared-matrix.js`,
    '--results',
    '/r',
    '--image-cache',
    '/i',
    '--reporter',
    'json,markdown,junit,html,terminal',
    '--',
  ];
  const bare = runStep('run', base);
  t.equal(bare.code, 0, bare.out);
  t.same(
    bare.calls,
    [['node', ...harness, 'summary=unset']],
    "the runner's user reaches the engine: the harness runs as it, no sudo at all, and does not write the job summary itself",
  );
  t.equal(bare.outputs['exit-code'], '1', 'the harness failed, the step did not');
  t.equal(bare.outputs['run-dir'], '');
  t.equal(bare.outputs.junit, '');
  t.equal(bare.outputs['image-cache-changed'], 'false');

  const all = runStep('run', {
    ...base,
    CSM_PATHS: 'lib  ./other lib\nthird',
    CSM_PLATFORMS: 'arm*,*-musl',
    CSM_GO: '1.26,1.27',
    CSM_SHARD: '2/3',
    CSM_GLIBC_FLOOR: '2.31',
    CSM_USERLANDS: 'debian11,debian13',
    CSM_TIER: 'nightly',
    CSM_CONFIG: 'ci config.json',
  });
  t.same(
    all.calls[0]!.slice(9, -1),
    [
      '--platform',
      'arm*,*-musl',
      '--go',
      '1.26,1.27',
      '--shard',
      '2/3',
      '--glibc-floor',
      '2.31',
      '--userland',
      'debian11,debian13',
      '--tier',
      'nightly',
      '--config',
      'ci config.json',
      '--',
      'lib',
      './other',
      'lib',
      'third',
    ],
    'paths split on spaces and newlines, no glob expanded',
  );

  const noEngine = runStep('run', base, 1);
  t.equal(noEngine.code, 0, noEngine.out);
  t.match(noEngine.out, /cannot reach the Docker engine; running the harness as root through sudo/);
  t.same(
    noEngine.calls[0]!.slice(0, 5),
    ['sudo', '-E', 'env', '-u', 'GITHUB_STEP_SUMMARY'],
    'a user who cannot reach the engine: as root through sudo, as before',
  );
  t.same(noEngine.calls[0]!.slice(6), ['node', ...harness]);
  t.same(noEngine.calls[1]!.slice(0, 3), ['sudo', 'chown', '-R'], 'and its files are chowned back');
  t.equal(noEngine.calls.length, 2);
  t.equal(noEngine.outputs['exit-code'], '1');
});

t.test('the last step fails by the exit code; fail-on-unexpected: false lets exit 1 through', async (t) => {
  const cases: [string, string, number][] = [
    ['0', 'true', 0],
    ['1', 'true', 1],
    ['1', 'false', 0],
    ['2', 'false', 2],
    ['3', 'false', 3],
    ['130', 'true', 130],
    ['', 'true', 3],
  ];
  for (const [code, failOn, want] of cases) {
    const r = runStep('last', { CSM_EXIT_CODE: code, CSM_FAIL_ON_UNEXPECTED: failOn });
    t.equal(r.code, want, `exit code ${code || '(none)'}, fail-on-unexpected ${failOn}`);
    if (want) t.match(r.out, /^::error::cshared-matrix exited /m);
    if (code === '1' && !want) t.match(r.out, /^::warning::/m);
  }
});

t.test('examples/github-actions.yml gives the action only inputs it declares, and reads only outputs it has', async (t) => {
  const meta = readAction(actionPath);
  const wf = parseYaml(readFileSync(join(root, 'examples', 'github-actions.yml'), 'utf8')) as {
    jobs: Record<string, { steps: { id?: string; uses?: string; with?: Record<string, unknown> }[] }>;
  };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const ours = steps.filter((s) => s.uses && /(^|\/)cshared-matrix@|^\.\/?$/.test(s.uses));
  t.ok(ours.length, 'the example uses the action');
  t.same(
    ours.map((s) => s.with?.tier),
    ours.map(() => 'nightly'),
    'the nightly example runs the nightly tier',
  );
  for (const s of ours)
    t.same(
      Object.keys(s.with ?? {}).filter((k) => !(k in (meta.inputs ?? {}))),
      [],
      `inputs of ${s.uses}`,
    );
  const text = readFileSync(join(root, 'examples', 'github-actions.yml'), 'utf8');
  for (const s of ours.filter((x) => x.id)) {
    for (const [, out] of text.matchAll(new RegExp(`steps\\.${s.id}\\.outputs\\.([\\w-]+)`, 'g')))
      t.ok(out! in (meta.outputs ?? {}), `output ${out}`);
  }
});

t.test('first run, empty image cache: matrix in the job summary, junit, artifact, image tarball saved and cached', async (t) => {
  const { r, log, ws } = await run(1);
  const out = log.join('\n');
  t.equal(r.outcome, 'success', 'every step succeeded', { log: tail(log) });
  t.equal(r.outputs['exit-code'], '0', 'glibc passes, musl is xfail');
  if (r.sudoShim) t.comment(`this machine has no sudo: the steps ran through the shim ${r.sudoShim}`);
  t.same(
    r.annotations.filter((a) => a.level === 'error'),
    [],
  );

  // The job summary: the Markdown matrix, once (the harness's own summary write is off).
  t.match(r.summary, /^\| mylib\+dlopen-probe \| ✅ pass \| ☑️ xfail[^|]*\|$/m);
  t.match(r.summary, /^\| mylib\+link-probe \| ✅ pass \| ☑️ xfail[^|]*\|$/m);
  t.equal(r.summary.match(/^# cshared-matrix run /gm)?.length, 1, 'the matrix is in the summary once');

  // Outputs and the files they name.
  const resultsDir = join(ws, 'cshared-matrix-results');
  t.equal(r.outputs['results-dir'], resultsDir);
  t.equal(r.outputs.junit, join(resultsDir, 'latest', 'junit.xml'));
  const junit = readFileSync(r.outputs.junit!, 'utf8');
  t.match(junit, /<testsuites [^>]*tests="4" failures="0"/);
  t.match(r.outputs['run-dir'], new RegExp(`^${resultsDir}/\\d{4}-`));
  t.equal(r.outputs['artifact-name'], 'cshared-matrix-results');

  // The artifact: the results with every report, without the artifact and Go build cache.
  const artifact = join(r.artifactsDir, 'cshared-matrix-results');
  const files = filesUnder(artifact);
  t.same(
    files.filter((f) => f.split('/').includes('.cache')),
    [],
    'no .cache in the artifact',
  );
  t.ok(existsSync(join(resultsDir, '.cache')), 'though the workspace has one');
  for (const f of ['results.json', 'matrix.md', 'junit.xml', 'report.html'])
    t.ok(files.includes(`latest/${f}`), `latest/${f} in the artifact`);
  const results = JSON.parse(readFileSync(join(artifact, 'latest', 'results.json'), 'utf8')) as RunResults;
  t.same(Object.fromEntries(results.cells.map((c) => [c.id, c.verdict])), CELLS);

  // The image cache: the harness saved the Go image (with its base) there, and actions/cache/save kept it.
  const saved = tarballs();
  t.equal(saved.length, 1, `one tarball in ${relative(work, imageCacheDir)}: ${saved.join(', ')}`);
  t.match(saved[0], /^cshared-matrix-go_1\.27-[0-9a-f]+\.tar\.zst$/);
  t.match(out, /^image cache: saved cshared-matrix-go:1\.27-/m);
  t.match(out, /^\[emulator\] actions\/cache: Cache not found for input keys: cshared-matrix-images-Linux-/m);
  t.match(out, /^\[emulator\] actions\/cache: Cache saved with key: cshared-matrix-images-Linux-[\w.-]+-1-1$/m);

  // As the runner's user: the harness wrote everything as it, the artifact and Go build cache its builders filled too.
  if (user) {
    t.notMatch(out, /running the harness as root through sudo/, `the harness ran as ${user.name}`);
    t.same(
      notTheUsers([ws, r.runnerTemp], user.uid),
      [],
      `every file of the workspace (results and their .cache) and of RUNNER_TEMP (the image cache) is ${user.name}'s: none is root's`,
    );
    t.ok(readdirSync(join(resultsDir, '.cache'), { recursive: true }).length > 3, 'the artifact and Go build cache were written');
  }
});

t.test(
  'next run on a runner without the image: the tarball comes back through actions/cache, the image is loaded from it, nothing is built or saved',
  async (t) => {
    await docker.getImage(goTag).remove();
    t.notOk(await imageId(docker, goTag), `${goTag} is gone from the engine`);
    const { r, log, ws } = await run(2);
    const out = log.join('\n');
    t.equal(r.outcome, 'success', 'every step succeeded', { log: tail(log) });
    t.equal(r.outputs['exit-code'], '0');
    t.match(
      out,
      /^\[emulator\] actions\/cache: restored \S+ from key cshared-matrix-images-Linux-[\w.-]+-1-1 \(prefix match of the key\)$/m,
    );
    t.match(tarballs().join(','), /^cshared-matrix-go_1\.27-[0-9a-f]+\.tar\.zst$/, 'the tarball is back in the image cache');
    t.match(
      out,
      new RegExp(`^image cache: loaded ${goTag.replace(/[.]/g, '\\.')} from \\S+ in \\d+ s$`, 'm'),
      'the harness loaded the Go image from it',
    );
    t.notMatch(out, /building cshared-matrix-(go|base):/, 'nothing was built');
    t.ok(await imageId(docker, goTag), 'the Go image is back in the engine');
    t.notMatch(out, /^image cache: saved/m, 'the harness saved no image');
    const save = r.steps.find((s) => s.name.includes('actions/cache/save'));
    t.equal(save?.outcome, 'skipped', 'an unchanged image cache is not uploaded again');
    const results = JSON.parse(
      readFileSync(join(r.artifactsDir, 'cshared-matrix-results', 'latest', 'results.json'), 'utf8'),
    ) as RunResults;
    t.same(Object.fromEntries(results.cells.map((c) => [c.id, c.verdict])), CELLS);
    if (user)
      t.same(
        notTheUsers([ws, r.runnerTemp], user.uid),
        [],
        `loading from the image cache, the harness wrote nothing that is not ${user.name}'s either`,
      );
  },
);
