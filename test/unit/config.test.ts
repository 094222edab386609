import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONFIG_FILE, configInputs, findConfig, parseConfig, withFlags, type ProjectConfig } from '../../harness/core/config.js';
import { UsageError } from '../../harness/core/errors.js';
import { configSchemaCheck, CONFIG_SCHEMA_PATH, readProjectConfig } from '../../harness/edge/config-file.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { REPORTERS } from '../../harness/reporters/index.js';
import { defaultResultsDir, resolveRunConfig } from '../../harness/options.js';
import { IE_TLS_RULE, tempDir, writeTree } from './helpers.js';

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
  t.equal(findConfig('/', () => false), undefined);
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
  t.same(i, {
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
  }, 'paths are relative to the file; absolute ones stay');
  t.same(configInputs({}, FILE), { results: '/proj/cshared-matrix-results' }, 'an empty config only places the results');
});

t.test('bad fields: one line each, naming the file and the field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown field', { librarys: ['x'] }, /cshared-matrix\.config\.json: \/: unknown field "librarys" \(see harness\/config\.schema\.json\)/],
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
    ['expect without link', { expect: [{ when: {}, verdict: 'fail', match: 'x', label: 'l' }] }, /: \/expect\/0: missing required field "link"/],
    ['expect bad regex', { expect: [{ ...IE_TLS_RULE, match: '(' }] }, /: \/expect\/0\/match: not a regular expression RE2 accepts \(missing closing \): `\(`\); see https:\/\/github\.com\/google\/re2\/wiki\/Syntax$/],
    ['expect bad selector', { expect: [{ ...IE_TLS_RULE, when: { os: 'linux' } }] }, /: \/expect\/0\/when: unknown field "os"/],
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
  const keys = Object.keys(cfg).filter((k) => k !== '$schema').sort();
  t.same(keys, Object.keys(FULL).sort(), 'the example shows every field');
});

t.test('precedence: a flag replaces its field; PATHS replace the libraries and cases', async (t) => {
  const file = configInputs(FULL, FILE);
  const merged = withFlags(file, { platform: ['arm5-glibc'], timeout: '9', reporter: [], paths: [] });
  t.same(merged.platform, ['arm5-glibc'], 'a list flag replaces the whole list');
  t.equal(merged.timeout, '9');
  t.same(merged.reporter, ['json', 'junit', 'terminal'], 'an empty list is not a flag given');
  t.same(merged.libraries, ['/proj/mylib', '/abs/other'], 'no PATHS: the file\'s libraries');
  t.same(merged.go, ['1.26', '1.27'], 'what the command line leaves alone comes from the file');
  const paths = withFlags(file, { paths: ['./other'] });
  t.same(paths.paths, ['./other']);
  t.notOk('libraries' in paths, 'PATHS replace the libraries');
  t.notOk('ownCases' in paths, 'and the cases');
  t.same(paths.expect, FULL.expect, 'the project\'s rules still apply');
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
  t.equal(resolveRunConfig({ results: '/ci/out' }, {}, '/pkg', '/home/me/proj').cacheDir, '/ci/out/.cache', 'outside the repository the cache follows --results');
  t.equal(resolveRunConfig({ results: '/tmp/r' }, {}, '/repo', '/repo').cacheDir, '/repo/results/.cache', 'inside it, every run shares results/.cache');
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
