// Tiers (issue 27): which cells a run runs is case data; the cells themselves never depend on it.
import t from 'tap';
import { resolveRunConfig } from '../../harness/cli/options.js';
import { configInputs, parseConfig, withFlags } from '../../harness/core/config.js';
import { diffRuns, renderDiffMarkdown } from '../../harness/core/diff.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { findExpectation, rulesFor } from '../../harness/core/expect.js';
import { judge } from '../../harness/core/judge.js';
import { cellId, expandMatrix } from '../../harness/core/matrix.js';
import { mergeResults } from '../../harness/core/merge.js';
import { defaultPlatforms, PLATFORMS } from '../../harness/core/platforms.js';
import { probeCases } from '../../harness/core/probes.js';
import { renderMarkdown, renderText } from '../../harness/core/render.js';
import { cellTier, namedNightlyLines, parseTier, selectTier, tierLine } from '../../harness/core/tiers.js';
import type { CaseTier, CellObservation, CellSpec, GoToolchain } from '../../harness/core/types.js';
import { parseCaseFile } from '../../harness/edge/case-files.js';
import { configSchemaCheck } from '../../harness/edge/config-file.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { type LoadedMatrix, loadMatrix } from '../../harness/run/load.js';
import { cell, fakeCase, minimalCaseFile, platform, runResults } from '../support/helpers.js';

const GC: GoToolchain = { version: '1.27', suite: 'trixie-backports' };
const GCCGO: GoToolchain = {
  version: 'gccgo-14',
  suite: 'trixie',
  gccgo: { gcc: '14', driver: { version: '1.27', suite: 'trixie-backports' } },
};
const at = (row: string, go = GC, userland?: string): CellSpec => ({
  id: cellId('x', row, go.version, userland),
  caseName: 'x',
  platform: platform(row),
  go,
  ...(userland ? { userland } : {}),
});

t.test('a case without tier is per-push; a string is every cell’s tier', async (t) => {
  for (const row of ['amd64-glibc', 'arm5-musl', 's390x-glibc']) {
    t.equal(cellTier(undefined, at(row)), 'push', `${row}: a user's own case runs on every push`);
    t.equal(cellTier('nightly', at(row)), 'nightly');
    t.equal(cellTier('push', at(row)), 'push');
  }
});

t.test('tier rules: the first whose when selects the cell wins; none selects: push', async (t) => {
  const rules: CaseTier = [
    { when: { platform: 'amd64-musl' }, tier: 'push' },
    { when: { libc: 'musl' }, tier: 'nightly' },
    { when: { emulated: true }, tier: 'nightly' },
  ];
  t.equal(cellTier(rules, at('amd64-musl')), 'push', 'the first rule, though the second selects it too');
  t.equal(cellTier(rules, at('arm7-musl')), 'nightly', 'the second');
  t.equal(cellTier(rules, at('arm64-glibc')), 'nightly', 'the third');
  t.equal(cellTier(rules, at('amd64-glibc')), 'push', 'no rule selects it: push');
  t.equal(cellTier([{ tier: 'nightly' }], at('amd64-glibc')), 'nightly', 'a rule without when selects every cell');
});

t.test("tier rules: an expectation's when, every axis (toolchain, Go series, userland)", async (t) => {
  const gccgoNightly: CaseTier = [{ when: { toolchain: 'gccgo' }, tier: 'nightly' }];
  t.equal(cellTier(gccgoNightly, at('amd64-glibc', GCCGO)), 'nightly');
  t.equal(cellTier(gccgoNightly, at('amd64-glibc', GC)), 'push');
  const goRange: CaseTier = [{ when: { go: '<1.27' }, tier: 'nightly' }];
  t.equal(cellTier(goRange, at('amd64-glibc', { ...GC, version: '1.26' })), 'nightly', 'the Go series is what the range sees at load');
  t.equal(cellTier(goRange, at('amd64-glibc', GC)), 'push');
  t.equal(cellTier(goRange, at('amd64-glibc', GCCGO)), 'push', 'a go range never selects gccgo, as for expectations');
  const old: CaseTier = [{ when: { userland: ['debian11', 'debian12'] }, tier: 'nightly' }];
  t.equal(cellTier(old, at('amd64-glibc', GC, 'debian11')), 'nightly');
  t.equal(cellTier(old, at('amd64-glibc', GC, 'debian13')), 'push');
  t.equal(cellTier(old, at('amd64-glibc', GC)), 'push', 'no userland axis: the default userland, debian13');
  t.equal(cellTier([{ when: { goarch: 'arm', goarm: '5' }, tier: 'nightly' }], at('arm5-glibc')), 'nightly');
  t.equal(cellTier([{ when: { goarch: 'arm', goarm: '5' }, tier: 'nightly' }], at('arm6-glibc')), 'push');
});

t.test('case.json tier: bad values are one line naming the file and the field', async (t) => {
  const file = 'cases/x/case.json';
  const problems = (tier: unknown): string[] => {
    const r = parseCaseFile(file, JSON.stringify({ ...minimalCaseFile(), tier }));
    return r.ok ? [] : r.problems;
  };
  t.same(problems('push'), []);
  t.same(problems('nightly'), []);
  t.same(problems([{ when: { platform: ['amd64-glibc', 'amd64-musl'] }, tier: 'push' }, { tier: 'nightly' }]), []);
  t.same(problems('weekly'), [`${file}: /tier: must be one of ["push","nightly"]`]);
  t.same(problems(3), [
    `${file}: /tier: must be "push" or "nightly", or a list of rules such as [{ "when": { "platform": "amd64-musl" }, "tier": "push" }, { "tier": "nightly" }] (cases/README.md, Tiers)`,
  ]);
  t.same(problems([]), [`${file}: /tier: must NOT have fewer than 1 items`]);
  t.same(problems([{ tier: 'later' }]), [`${file}: /tier/0/tier: must be one of ["push","nightly"]`]);
  t.same(problems([{ when: { platform: 'amd64-musl' } }]), [`${file}: /tier/0: missing required field "tier"`]);
  t.same(problems([{ when: { platfrom: 'amd64-musl' }, tier: 'push' }]), [
    `${file}: /tier/0/when: unknown field "platfrom" (see cases/case.schema.json)`,
  ]);
  t.same(problems([{ when: { userland: 'debian10' }, tier: 'push' }]), [
    `${file}: /tier/0/when/userland: must be "debian11", "debian12" or "debian13", or a list of them`,
  ]);
  t.same(problems([{ when: {}, tier: 'push', why: 'fast' }]), [`${file}: /tier/0: unknown field "why" (see cases/case.schema.json)`]);
});

const cases = [
  fakeCase('quick'),
  fakeCase('slow', { tier: 'nightly' }),
  fakeCase('mixed', { tier: [{ when: { libc: 'musl' }, tier: 'nightly' }] }),
];
const rows = ['amd64-glibc', 'amd64-musl', 'arm7-glibc'].map(platform);
const matrix = expandMatrix(cases, rows, [GC]);

t.test('push leaves out the nightly cells; nightly is a superset that runs every cell', async (t) => {
  const push = selectTier(matrix, cases, 'push', []);
  t.same(
    push.cells.map((c) => c.id),
    [
      'quick/amd64-glibc/go1.27',
      'quick/amd64-musl/go1.27',
      'quick/arm7-glibc/go1.27',
      'mixed/amd64-glibc/go1.27',
      'mixed/arm7-glibc/go1.27',
    ],
    'in matrix order',
  );
  t.equal(push.leftOut, 4, "slow's three cells and mixed's musl one");
  t.same(push.namedNightly, []);
  const nightly = selectTier(matrix, cases, 'nightly', []);
  t.same(nightly.cells, matrix, 'every cell, in the same order');
  t.equal(nightly.leftOut, 0);
  t.ok(
    push.cells.every((c) => nightly.cells.some((n) => n.id === c.id)),
    'nightly holds every push cell',
  );
});

t.test('a case named exactly with --case runs whatever its tier, and the run says so', async (t) => {
  const named = selectTier(matrix, cases, 'push', ['slow', 'mixed']);
  t.same(
    named.cells.map((c) => c.id),
    matrix.map((c) => c.id),
  );
  t.equal(named.leftOut, 0);
  t.same(named.namedNightly, ['slow', 'mixed']);
  t.same(namedNightlyLines(['slow']), [
    'case slow has nightly cells: they run because --case names it (a push run that does not name it leaves them out)',
  ]);
  const glob = selectTier(matrix, cases, 'push', ['s*']);
  t.equal(glob.leftOut, 4, 'a glob is not a name: it picks among the tier’s cells');
});

t.test('zero-config probes are per-push, even of a nightly case', async (t) => {
  const probes = probeCases(fakeCase('slow', { tier: 'nightly' }), { dlopen: [], link: [] });
  t.same(
    probes.map((p) => p.tier),
    ['push', 'push'],
  );
});

t.test('--tier and config tier: push by default, nightly, else one usage line (exit 2)', async (t) => {
  t.equal(parseTier(undefined), 'push');
  t.equal(parseTier('nightly'), 'nightly');
  t.equal(resolveRunConfig({}, {}, REPO_ROOT).tier, 'push');
  t.equal(resolveRunConfig({ tier: 'nightly' }, {}, REPO_ROOT).tier, 'nightly');
  const bad = t.throws(() => resolveRunConfig({ tier: 'weekly' }, {}, REPO_ROOT)) as unknown as UsageError;
  t.ok(bad instanceof UsageError);
  t.equal(bad.exitCode, EXIT.usage);
  t.equal(bad.message, '--tier (config tier) takes push or nightly, not "weekly": push runs the quick cells, nightly every cell');

  const file = '/proj/cshared-matrix.config.json';
  const parse = (data: unknown) => parseConfig(file, JSON.stringify(data), configSchemaCheck());
  const fromFile = configInputs(parse({ tier: 'nightly' }), file);
  t.equal(fromFile.tier, 'nightly', 'the field stands for the flag');
  t.equal(withFlags(fromFile, { tier: 'push' }).tier, 'push', 'the flag over the field');
  t.equal(withFlags(fromFile, {}).tier, 'nightly');
  t.throws(() => parse({ tier: 'weekly' }), { message: `${file}: /tier: must be one of ["push","nightly"]` });
});

const loaded = (tier: string, over: { case?: string[] } = {}): LoadedMatrix =>
  loadMatrix(resolveRunConfig({ tier, ...over }, {}, REPO_ROOT));

t.test("the built-in cases' tiers, as measured (cases/README.md, Tiers)", async (t) => {
  const push = loaded('push');
  const nightly = loaded('nightly');
  const rows = defaultPlatforms(PLATFORMS).length;
  t.equal(nightly.cells.length, nightly.cases.length * rows, 'nightly: every case on every default row');
  t.equal(push.tierLeftOut + push.cells.length, nightly.cells.length);
  const perCase = (m: LoadedMatrix) => {
    const by: Record<string, string[]> = {};
    for (const c of m.cells) (by[c.caseName] ??= []).push(c.platform.name);
    return by;
  };
  const p = perCase(push);
  const musl = defaultPlatforms(PLATFORMS)
    .filter((r) => r.libc === 'musl')
    .map((r) => r.name);
  t.notOk(p['setenv-race'], 'setenv-race is nightly on every row (its musl cells too: 11 to 29 s each)');
  for (const name of ['preload-free', 'fork', 'gc-two-runtimes'])
    t.same(p[name], musl, `${name}: per-push only on the musl rows, where it fails at load at once`);
  t.same(p.python, ['amd64-glibc', 'amd64-musl'], 'python: the toolchain’s own Python, and the Alpine report’s own cell');
  t.same(p.jni, ['amd64-glibc'], 'jni: the toolchain’s JVM, native');
  const everyRow = Object.entries(p).filter(([, r]) => r.length === rows);
  t.equal(everyRow.length, 20, 'the other 20 cases on every row');
  t.equal(push.cells.length, 20 * rows + 3 * musl.length + 3);
  t.equal(push.cells.length, 430);
  t.equal(push.tierLeftOut, 90);
  t.same(push.namedNightly, []);
});

t.test("a cell's id, expectation and verdict do not depend on the tier it ran in", async (t) => {
  const push = loaded('push', { case: ['python,setenv-race'] });
  const nightly = loaded('nightly', { case: ['python,setenv-race'] });
  t.same(push.namedNightly, ['python', 'setenv-race']);
  t.same(
    push.cells.map((c) => c.id),
    nightly.cells.map((c) => c.id),
    'the same cells, ids and order',
  );
  const segv: CellObservation = {
    run: { end: { kind: 'signal', signal: 11, name: 'SIGSEGV' }, stdout: 'csm-loaded envgo\n', stderr: '', durationMs: 5 },
  };
  const judged = (m: LoadedMatrix, id: string) => {
    const c = m.cells.find((x) => x.id === id)!;
    const spec = m.cases.find((x) => x.name === c.caseName)!;
    const rule = findExpectation(rulesFor(spec.expect, c.platform), { platform: c.platform, go: '1.27.4' });
    return { rule, verdict: judge(segv, [segv], spec.pass, rule).verdict };
  };
  for (const id of [
    'setenv-race/arm64-glibc/go1.27',
    'setenv-race/amd64-musl/go1.27',
    'python/amd64-musl/go1.27',
    'python/arm7-musl/go1.27',
  ]) {
    t.same(judged(push, id), judged(nightly, id), id);
  }
  t.equal(judged(push, 'setenv-race/amd64-musl/go1.27').verdict.verdict, judged(nightly, 'setenv-race/amd64-musl/go1.27').verdict.verdict);
});

t.test('a push run of nothing but nightly cells says how to run them', async (t) => {
  t.throws(() => loaded('push', { case: ['setenv-r*'] }), {
    message: 'nothing to run: every selected cell is in the nightly tier (add --tier nightly, or name each case exactly with --case)',
  });
});

t.test('the run says its tier and what it left out: terminal summary and matrix.md', async (t) => {
  const cells = [cell('link', 'amd64-glibc', '1.27'), cell('link', 'amd64-musl', '1.27', { verdict: 'xfail' })];
  const push = runResults(cells, { run: { tier: 'push', tierLeftOut: 3 } });
  t.equal(tierLine(push), 'push tier: 2 of 5 cells; --tier nightly runs all');
  t.match(renderText(push), /\n2 cells: 1 pass.*\npush tier: 2 of 5 cells; --tier nightly runs all$/);
  t.ok(renderMarkdown(push).includes('\npush tier: 2 of 5 cells; --tier nightly runs all\n'), 'matrix.md');
  t.equal(
    tierLine(runResults(cells, { run: { tier: 'push', tierLeftOut: 3, shard: { k: 1, n: 2, of: 4 } } })),
    'push tier: 4 of 7 cells; --tier nightly runs all',
    "a shard: its tier's whole matrix",
  );
  t.equal(
    tierLine(runResults(cells, { run: { tier: 'push', tierLeftOut: 3, interrupted: true } })),
    'push tier: 3 nightly cells left out; --tier nightly runs all',
  );
  t.equal(
    tierLine(runResults(cells, { run: { tier: 'push', tierLeftOut: 0 } })),
    'push tier: all 2 cells (no nightly cell in this matrix)',
  );
  t.equal(tierLine(runResults(cells, { run: { tier: 'nightly', tierLeftOut: 0 } })), 'nightly tier: every cell');
  t.equal(tierLine(runResults(cells)), undefined, 'an older results.json says no tier, and neither does its report');
  t.notMatch(renderText(runResults(cells)), /tier/);
});

t.test('merge keeps the tier its parts share; diff of a push and a nightly run names the cells only one has', async (t) => {
  const a = cell('link', 'amd64-glibc', '1.27');
  const b = cell('fork', 'amd64-glibc', '1.27');
  const shard = (id: string, c: typeof a, k: number) =>
    runResults([c], { run: { id, tier: 'push', tierLeftOut: 9, shard: { k, n: 2, of: 2 } }, cases: [] });
  const merged = mergeResults([shard('r1', a, 1), shard('r2', { ...a, id: 'link/amd64-musl/go1.27' }, 2)]);
  t.equal(merged.run.tier, 'push');
  t.equal(merged.run.tierLeftOut, 9);
  const mixed = mergeResults([
    runResults([a], { run: { id: 'r1', tier: 'push', tierLeftOut: 1 } }),
    runResults([b], { run: { id: 'r2', tier: 'nightly', tierLeftOut: 0 } }),
  ]);
  t.notOk('tier' in mixed.run, 'runs of different tiers have no one tier');
  t.notOk('tierLeftOut' in mixed.run);
  // Last night's run against this push's: the nightly cells are absent from one side, said as such.
  const d = diffRuns(runResults([a, b], { run: { tier: 'nightly' } }), runResults([a], { run: { tier: 'push', tierLeftOut: 1 } }));
  t.same(
    d.removed.map((c) => c.id),
    ['fork/amd64-glibc/go1.27'],
  );
  t.same(d.added, []);
  t.equal(d.unchanged, 1);
  t.same(d.regressions, [], 'a cell the tier left out is no regression');
  t.match(renderDiffMarkdown(d), /fork\/amd64-glibc\/go1\.27/);
});
