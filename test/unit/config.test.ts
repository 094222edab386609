import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Tap from 'tap';
import t from 'tap';
import { defaultResultsDir, resolveRunConfig } from '../../harness/cli/options.js';
import { CONFIG_FILE, configInputs, findConfig, type ProjectConfig, parseConfig, withFlags } from '../../harness/core/config.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { parseRunResults } from '../../harness/core/merge.js';
import { parsePlatformRows } from '../../harness/core/platforms.js';
import { parseCaseFile } from '../../harness/edge/case-files.js';
import { CONFIG_SCHEMA_PATH, configSchemaCheck, readProjectConfig } from '../../harness/edge/config-file.js';
import { validateRow } from '../../harness/edge/platform-rows.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { REPORTERS } from '../../harness/reporters/index.js';
import { IE_TLS_RULE, tempDir, writeTree } from '../support/helpers.js';

const FILE = '/proj/cshared-matrix.config.json';
const parse = (data: unknown, file = FILE) => parseConfig(file, JSON.stringify(data), configSchemaCheck());
const problems = (data: unknown): string[] => {
  try {
    parse(data);
    return [];
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.message.split('\n');
  }
};

/** Every field at once, as the README's example gives them. */
const FULL: ProjectConfig = {
  libraries: ['mylib', '/abs/other'],
  cases: ['cshared-cases'],
  platforms: ['*-glibc', 'amd64-musl'],
  platformFiles: ['rows.json'],
  go: ['1.26', '1.27'],
  reporters: ['json', 'junit', 'terminal'],
  results: 'out',
  cache: 'out/.cache',
  imageCache: '.images',
  timeout: 45,
  jobs: 3,
  repeat: 2,
  maxFailures: 5,
  expect: [{ ...IE_TLS_RULE, label: 'ours' }],
};

t.test('discovery: the current directory, then each parent; none is fine', async (t) => {
  const have = new Set(['/a/cshared-matrix.config.json', '/a/b/c/cshared-matrix.config.json']);
  const exists = (f: string) => have.has(f);
  t.equal(findConfig('/a/b/c/d', exists), '/a/b/c/cshared-matrix.config.json', 'the nearest wins');
  t.equal(findConfig('/a/b/c', exists), '/a/b/c/cshared-matrix.config.json');
  t.equal(findConfig('/a/b', exists), '/a/cshared-matrix.config.json', 'walks up past a directory without one');
  t.equal(findConfig('/x/y', exists), undefined, 'up to the root, then none');
  t.equal(
    findConfig('/', () => false),
    undefined,
  );
});

t.test('discovery on disk, and --config', async (t) => {
  const root = tempDir(t);
  writeTree(root, { [CONFIG_FILE]: { platforms: ['amd64-glibc'] }, 'sub/deeper/.keep': '', 'other.json': { go: ['1.27'] } });
  const found = readProjectConfig(undefined, join(root, 'sub', 'deeper'));
  t.equal(found?.file, join(root, CONFIG_FILE));
  t.same(found?.inputs.platform, ['amd64-glibc']);
  t.equal(found?.inputs.results, join(root, 'cshared-matrix-results'), 'results default to beside the file, not the cwd');
  const explicit = readProjectConfig('other.json', root);
  t.equal(explicit?.file, join(root, 'other.json'), '--config picks a file, whatever its name');
  t.same(explicit?.inputs.go, ['1.27']);
  t.throws(() => readProjectConfig('missing.json', root), /--config missing\.json: no such file/);
  t.equal(readProjectConfig(undefined, tempDir(t)), undefined, 'no file anywhere up: no config (unless /tmp has one)');
});

t.test('every field validates, and converts to the flags it stands for', async (t) => {
  t.same(problems(FULL), []);
  const i = configInputs(parse(FULL), FILE);
  t.same(
    i,
    {
      platform: ['*-glibc', 'amd64-musl'],
      go: ['1.26', '1.27'],
      jobs: '3',
      timeout: '45',
      platforms: ['/proj/rows.json'],
      results: '/proj/out',
      cache: '/proj/out/.cache',
      'image-cache': '/proj/.images',
      repeat: '2',
      'max-failures': '5',
      reporter: ['json', 'junit', 'terminal'],
      libraries: ['/proj/mylib', '/abs/other'],
      ownCases: ['/proj/cshared-cases'],
      expect: [{ ...IE_TLS_RULE, label: 'ours' }],
    },
    'paths are relative to the file; absolute ones stay',
  );
  t.same(configInputs({}, FILE), { results: '/proj/cshared-matrix-results' }, 'an empty config only places the results');
});

t.test('bad fields: one line each, naming the file and the field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      'unknown field',
      { librarys: ['x'] },
      /cshared-matrix\.config\.json: \/: unknown field "librarys" \(see harness\/config\.schema\.json\)/,
    ],
    ['libraries not a list', { libraries: 'x' }, /: \/libraries: must be array/],
    ['empty path', { cases: [''] }, /: \/cases\/0: /],
    ['platforms not strings', { platforms: [3] }, /: \/platforms\/0: must be string/],
    ['platformFiles', { platformFiles: {} }, /: \/platformFiles: must be array/],
    ['go series', { go: ['1.27.1'] }, /: \/go\/0: must be a Go release series such as "1\.27", or "all"/],
    ['go empty', { go: [] }, /: \/go: must NOT have fewer than 1 items/],
    ['reporter', { reporters: ['xml'] }, /: \/reporters\/0: must be one of \["terminal","json","markdown","junit","html"\]/],
    ['results', { results: 3 }, /: \/results: must be string/],
    ['cache', { cache: '' }, /: \/cache: /],
    ['imageCache', { imageCache: false }, /: \/imageCache: must be string/],
    ['timeout', { timeout: 0 }, /: \/timeout: must be > 0/],
    ['timeout max', { timeout: 4000 }, /: \/timeout: must be <= 3600/],
    ['jobs', { jobs: 1.5 }, /: \/jobs: must be integer/],
    ['repeat', { repeat: 0 }, /: \/repeat: must be >= 1/],
    ['maxFailures', { maxFailures: 'x' }, /: \/maxFailures: must be integer/],
    [
      'expect without link',
      { expect: [{ when: {}, verdict: 'fail', match: 'x', label: 'l' }] },
      /: \/expect\/0: missing required field "link"/,
    ],
    [
      'expect bad regex',
      { expect: [{ ...IE_TLS_RULE, match: '(' }] },
      /: \/expect\/0\/match: not a regular expression RE2 accepts \(missing closing \): `\(`\); see https:\/\/github\.com\/google\/re2\/wiki\/Syntax$/,
    ],
    ['expect bad selector', { expect: [{ ...IE_TLS_RULE, when: { kernel: 'linux' } }] }, /: \/expect\/0\/when: unknown field "kernel"/],
    ['expect bad link', { expect: [{ ...IE_TLS_RULE, link: 'go#54805' }] }, /: \/expect\/0\/link: must be an http\(s\) link/],
  ];
  for (const [what, data, want] of cases) {
    const p = problems(data);
    t.equal(p.length, 1, `${what}: one line (${p.join(' | ')})`);
    t.match(p[0], want, what);
  }
  t.same(problems({ jobs: 0, go: ['x'] }).length, 2, 'every problem at once');
  t.throws(() => parseConfig(FILE, '{ "go": ', configSchemaCheck()), /cshared-matrix\.config\.json: not valid JSON/);
});

t.test('the schema knows every reporter, and the shipped example is valid', async (t) => {
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as { properties: { reporters: { items: { enum: string[] } } } };
  t.same([...schema.properties.reporters.items.enum].sort(), Object.keys(REPORTERS).sort());
  const example = join(REPO_ROOT, 'examples', 'project', CONFIG_FILE);
  const cfg = parseConfig(example, readFileSync(example, 'utf8'), configSchemaCheck());
  const keys = Object.keys(cfg)
    .filter((k) => k !== '$schema')
    .sort();
  t.same(keys, Object.keys(FULL).sort(), 'the example shows every field');
});

t.test('precedence: a flag replaces its field; PATHS replace the libraries and cases', async (t) => {
  const file = configInputs(FULL, FILE);
  const merged = withFlags(file, { platform: ['arm5-glibc'], timeout: '9', reporter: [], paths: [] });
  t.same(merged.platform, ['arm5-glibc'], 'a list flag replaces the whole list');
  t.equal(merged.timeout, '9');
  t.same(merged.reporter, ['json', 'junit', 'terminal'], 'an empty list is not a flag given');
  t.same(merged.libraries, ['/proj/mylib', '/abs/other'], "no PATHS: the file's libraries");
  t.same(merged.go, ['1.26', '1.27'], 'what the command line leaves alone comes from the file');
  const paths = withFlags(file, { paths: ['./other'] });
  t.same(paths.paths, ['./other']);
  t.notOk('libraries' in paths, 'PATHS replace the libraries');
  t.notOk('ownCases' in paths, 'and the cases');
  t.same(paths.expect, FULL.expect, "the project's rules still apply");
  t.same(withFlags({}, { results: 'r' }), { results: 'r' });
});

t.test('into a RunConfig: the seed cases only when the user names nothing of their own', async (t) => {
  const root = '/repo';
  const seed = resolveRunConfig({}, {}, root);
  t.same(seed.caseDirs, ['/repo/cases']);
  const lib = resolveRunConfig({ libraries: ['/p/lib'] }, {}, root);
  t.same([lib.caseDirs, lib.libraries], [[], ['/p/lib']]);
  const own = resolveRunConfig({ ownCases: ['/p/cases'], cases: ['/x'] }, {}, root);
  t.same(own.caseDirs, ['/p/cases', '/x'], 'own cases, then --cases');
  const withPaths = resolveRunConfig({ paths: ['lib'] }, {}, root);
  t.same([withPaths.caseDirs, withPaths.paths], [[], ['lib']]);
  t.same(resolveRunConfig({ cases: ['/x'] }, {}, root).caseDirs, ['/repo/cases', '/x'], '--cases alone still adds to the seed cases');
  const ruled = resolveRunConfig({ expect: [IE_TLS_RULE], 'image-cache': 'imgs' }, {}, root);
  t.same(ruled.libraryRules, [IE_TLS_RULE]);
  t.equal(ruled.imageCache, join(process.cwd(), 'imgs'), '--image-cache is made absolute');
});

t.test('default results: results/ inside this repository, ./cshared-matrix-results anywhere else', async (t) => {
  t.equal(defaultResultsDir('/repo', '/repo'), '/repo/results');
  t.equal(defaultResultsDir('/repo', '/repo/harness'), '/repo/results');
  t.equal(defaultResultsDir('/repo/node_modules/cshared-matrix', '/repo'), '/repo/cshared-matrix-results', 'installed in a project');
  t.equal(defaultResultsDir('/repo', '/repository'), '/repository/cshared-matrix-results', 'a sibling with a longer name is not inside');
  const user = resolveRunConfig({}, {}, '/pkg', '/home/me/proj');
  t.equal(user.resultsDir, '/home/me/proj/cshared-matrix-results');
  t.equal(user.cacheDir, '/home/me/proj/cshared-matrix-results/.cache');
  t.equal(dirname(user.cacheDir), user.resultsDir);
  t.equal(
    resolveRunConfig({ results: '/ci/out' }, {}, '/pkg', '/home/me/proj').cacheDir,
    '/ci/out/.cache',
    'outside the repository the cache follows --results',
  );
  t.equal(
    resolveRunConfig({ results: '/tmp/r' }, {}, '/repo', '/repo').cacheDir,
    '/repo/results/.cache',
    'inside it, every run shares results/.cache',
  );
});

t.test('a config file on disk drives the paths it names', async (t) => {
  const root = tempDir(t);
  writeTree(root, { [CONFIG_FILE]: { libraries: ['lib'], expect: [IE_TLS_RULE] } });
  const found = readProjectConfig(undefined, root)!;
  const cfg = resolveRunConfig(withFlags(found.inputs, {}), {}, REPO_ROOT, join(root, 'elsewhere'));
  t.same(cfg.libraries, [join(root, 'lib')]);
  t.equal(cfg.resultsDir, join(root, 'cshared-matrix-results'));
  t.same(cfg.caseDirs, []);
  writeFileSync(join(root, CONFIG_FILE), '{"libraries": "lib"}');
  t.throws(() => readProjectConfig(undefined, root), /^cshared-matrix\.config\.json: \/libraries: must be array$/);
});

/** The config's problems as lines (exit 2), read from disk in `root`. */
function refusedOnDisk(t: Tap.Test, root: string, config: object): string[] {
  writeFileSync(join(root, CONFIG_FILE), JSON.stringify(config));
  try {
    readProjectConfig(undefined, root);
  } catch (e) {
    t.type(e, UsageError);
    t.equal((e as UsageError).exitCode, EXIT.usage, 'exit 2');
    return (e as UsageError).message.split('\n');
  }
  t.fail('expected the config to be refused');
  return [];
}

const HOW = 'the project (the directory that holds this file); a path outside it must come from the command line: pass it as';

t.test(
  'a config file\'s paths stay inside its project: "..", absolute paths and symlinks out are refused, one line each (issue 23)',
  async (t) => {
    const root = tempDir(t);
    const project = join(root, 'project');
    const outside = join(root, 'outside');
    writeTree(root, {
      'outside/rows.json': '[]',
      'outside/.ssh/authorized_keys': 'ssh-ed25519 AAAA victim\n',
      'project/lib/.keep': '',
      'project/real-cases/.keep': '',
    });
    symlinkSync(outside, join(project, 'out-link'));
    symlinkSync(join(project, 'real-cases'), join(project, 'inner-link'));
    symlinkSync(join(root, 'nowhere'), join(project, 'dangling'));

    t.same(refusedOnDisk(t, project, { cache: '../outside/.ssh' }), [`${CONFIG_FILE}: /cache: "../outside/.ssh" leaves ${HOW} --cache`]);
    t.same(refusedOnDisk(t, project, { cache: join(outside, '.ssh') }), [
      `${CONFIG_FILE}: /cache: "${join(outside, '.ssh')}" is an absolute path, outside ${HOW} --cache`,
    ]);
    t.same(
      refusedOnDisk(t, project, { results: 'lib/../../outside' }),
      [`${CONFIG_FILE}: /results: "lib/../../outside" leaves ${HOW} --results`],
      'a ".." in the middle',
    );
    t.same(refusedOnDisk(t, project, { platformFiles: ['out-link/rows.json'] }), [
      `${CONFIG_FILE}: /platformFiles/0: "out-link/rows.json" leaves through a symlink ${HOW} --platforms`,
    ]);
    t.same(
      refusedOnDisk(t, project, { imageCache: 'out-link/new/deeper' }),
      [`${CONFIG_FILE}: /imageCache: "out-link/new/deeper" leaves through a symlink ${HOW} --image-cache`],
      'a directory still to be made, under a symlink out',
    );
    t.same(
      refusedOnDisk(t, project, { cache: 'dangling/x' }),
      [`${CONFIG_FILE}: /cache: "dangling/x" leaves through a symlink ${HOW} --cache`],
      'a dangling symlink: making the directory would follow it',
    );
    t.same(
      refusedOnDisk(t, project, { libraries: ['lib', '/etc'], cases: ['..'] }),
      [
        `${CONFIG_FILE}: /libraries/1: "/etc" is an absolute path, outside ${HOW} a PATH`,
        `${CONFIG_FILE}: /cases/0: ".." leaves ${HOW} --cases`,
      ],
      'every bad path, one line each',
    );

    writeFileSync(
      join(project, CONFIG_FILE),
      JSON.stringify({
        libraries: ['lib'],
        cases: ['inner-link'],
        cache: '.cache/new',
        results: 'out',
        imageCache: '.',
        platformFiles: ['real-cases/rows.json'],
      }),
    );
    const ok = readProjectConfig(undefined, project)!;
    t.same(ok.inputs.ownCases, [join(project, 'inner-link')], 'a symlink that stays inside is fine');
    t.equal(ok.inputs.cache, join(project, '.cache', 'new'));
    t.equal(ok.inputs['image-cache'], project, 'the project directory itself is inside');
    const flagged = withFlags(ok.inputs, { cache: join(outside, 'cache') });
    t.equal(flagged.cache, join(outside, 'cache'), 'the same path from the command line is taken');
  },
);

/** Content that must never reach a terminal or a CI log because its file was named by mistake. */
const SECRETS = [
  'root:*:20200:0:99999:7:::\ndaemon:*:20200:0:99999:7:::\n',
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 alice@host\n',
  '{"token": "ghp_s3cr3t", oops}',
];
const wordsOf = (text: string) => text.split(/[^A-Za-z0-9_]+/).filter((w) => w.length >= 3);

t.test(
  'a file that is not JSON is said by name, line and column, never by its bytes (issue 23: "root:*:202"... is not valid JSON)',
  async (t) => {
    const root = tempDir(t);
    const noBytes = (message: string, secret: string, what: string) => {
      const leaked = wordsOf(secret).filter((w) => message.includes(w));
      t.same(leaked, [], `${what}: no word of the file in "${message}"`);
    };
    for (const [i, secret] of SECRETS.entries()) {
      writeFileSync(join(root, CONFIG_FILE), secret);
      const config = t.throws(() => readProjectConfig(undefined, root)) as unknown as UsageError;
      t.match(config.message, /^cshared-matrix\.config\.json: not valid JSON: line \d+, column \d+: [a-z]/);
      noBytes(config.message, secret, `config ${i}`);
      const rows = t.throws(() => parsePlatformRows('rows.json', secret, validateRow)) as unknown as UsageError;
      t.equal(rows.exitCode, EXIT.usage);
      noBytes(rows.message, secret, `platform rows ${i}`);
      const kase = parseCaseFile('cases/x/case.json', secret);
      t.notOk(kase.ok);
      if (!kase.ok) noBytes(kase.problems.join('\n'), secret, `case.json ${i}`);
      const results = t.throws(() => parseRunResults(secret, 'results.json')) as unknown as UsageError;
      noBytes(results.message, secret, `results.json ${i}`);
    }
    t.equal(
      (t.throws(() => parsePlatformRows('rows.json', SECRETS[0]!, validateRow)) as unknown as UsageError).message,
      'rows.json: not valid JSON: line 1, column 1: unexpected text: expected a JSON value (an object, array, string, number, true, false or null)',
    );
    t.equal(
      (t.throws(() => parseConfig(FILE, '{\n  "go": ["1.27"],\n}', configSchemaCheck())) as unknown as UsageError).message,
      `${FILE}: not valid JSON: line 3, column 1: expected a property name in double quotes`,
    );
  },
);

t.test('glibcFloor: a glibc version, the flag --glibc-floor stands for', async (t) => {
  t.same(configInputs(parse({ glibcFloor: '2.31' }), FILE), { 'glibc-floor': '2.31', results: '/proj/cshared-matrix-results' });
  t.match(problems({ glibcFloor: '2.31.1' }), [/: \/glibcFloor: must match pattern/]);
  t.match(problems({ glibcFloor: 2.31 }), [/: \/glibcFloor: must be string/]);
});
