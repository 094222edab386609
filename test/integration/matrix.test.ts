// Through the real engine: the same code path as `npm run matrix`, run as a
// subprocess so exit codes and printed output are what a user would get.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import { defaultPlatforms, isEmulated, PLATFORMS } from '../../harness/core/platforms.js';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-it-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));

const latest = () => (existsSync(join(resultsDir, 'latest')) ? readlinkSync(join(resultsDir, 'latest')) : undefined);

async function matrix(...args: string[]) {
  const before = latest();
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: !process.env.CSM_TEST_VERBOSE,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts --results ${resultsDir} ${args}`;
  if (latest() === before) return { code: p.exitCode, out: p.stdout + p.stderr, results: undefined, cell: () => undefined };
  const results = JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  const cell = (id: string) => {
    const c = results.cells.find((x) => x.id === id);
    if (!c) throw new Error(`no cell ${id} in ${results.cells.map((x) => x.id).join(', ')}`);
    return c;
  };
  return { code: p.exitCode, out: p.stdout + p.stderr, results, cell };
}

/** For runs that must have produced results. */
async function ran(...args: string[]) {
  const r = await matrix(...args);
  if (!r.results) throw new Error(`the run wrote no results (exit ${r.code}):\n${r.out.slice(-3000)}`);
  return r as typeof r & { results: RunResults; cell: (id: string) => RunResults['cells'][number] };
}

const docker = await ensureEngine((l) => t.comment(l));
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;

const DEFAULT_ROWS = defaultPlatforms(PLATFORMS);
const GLIBC_OK = DEFAULT_ROWS.filter((p) => p.libc === 'glibc' && p.goarch !== 'ppc64').map((p) => p.name);
const MUSL = DEFAULT_ROWS.filter((p) => p.libc === 'musl').map((p) => p.name);

t.test('link and dlopen on every default platform match the measured ground truth', async (t) => {
  const r = await ran('--case', 'link,dlopen');
  t.equal(r.code, 0, `exit 0 when every verdict is as expected\n${r.out.slice(-3000)}`);
  t.equal(
    DEFAULT_ROWS.length,
    20,
    'amd64, ARMv5/6/7, arm64, 386, riscv64, ppc64le, s390x with glibc and musl; loong64 and ppc64 with glibc',
  );
  t.equal(r.results.cells.length, 2 * DEFAULT_ROWS.length);
  t.same(r.results.counts, { pass: 20, fail: 0, xfail: 20, xpass: 0, timeout: 0, error: 0, flaky: 0, na: 0, total: 40 });
  t.match(r.results.images[0]?.tools.go, new RegExp(`^${go.replace('.', '\\.')}\\.\\d+$`), 'the exact Go version is read from the image');

  for (const p of GLIBC_OK)
    for (const c of ['link', 'dlopen']) {
      const cell = r.cell(`${c}/${p}/go${go}`);
      t.equal(cell.verdict, 'pass', `${cell.id} passes`);
      t.equal(cell.stage, 'checks');
      t.same(cell.exit, { code: 0 });
      t.ok(cell.checks.length >= 4 && cell.checks.every((k) => k.ok), `${cell.id} ran its checks`);
    }
  for (const p of MUSL) {
    const linked = r.cell(`link/${p}/go${go}`);
    t.equal(linked.verdict, 'xfail', `${linked.id}: linked host crashes in Go's runtime init`);
    t.equal(linked.exit?.signal, 11);
    t.equal(linked.expectation?.link, 'https://github.com/golang/go/issues/13492');
    t.match(linked.failureText, /^killed by signal 11 \(SIGSEGV\)/);
    t.match(linked.explanation, /musl calls ELF init functions without argc\/argv/);
    // qemu reports a guest's fatal signal; on riscv64 the process dies with no such line (see cases/link/README.md).
    if (p !== 'amd64-musl' && p !== 'riscv64-musl')
      t.match(linked.failureText, /qemu: uncaught target signal 11 \(Segmentation fault\)/, `${p}: the crash comes from qemu`);

    const opened = r.cell(`dlopen/${p}/go${go}`);
    t.equal(opened.verdict, 'xfail', `${opened.id}: dlopen refuses initial-exec TLS`);
    t.equal(opened.stage, 'load');
    t.equal(opened.expectation?.link, 'https://github.com/golang/go/issues/54805');
    t.match(opened.failureText, /Error relocating \/work\/out\/.*libhello\.so: .*initial-exec TLS resolves to dynamic definition/);
  }
  // Big-endian ppc64: Go emits ELFv2, Debian's toolchain is ELFv1; nothing links.
  for (const c of ['link', 'dlopen']) {
    const cell = r.cell(`${c}/ppc64-glibc/go${go}`);
    t.equal(cell.verdict, 'xfail', `${cell.id}: an expected failure`);
    t.equal(cell.stage, 'build', 'at the build');
    t.equal(cell.expectation?.link, 'https://github.com/golang/go/issues/79898');
    t.match(cell.failureText, /ABI version 2 is not compatible with ABI version 1 output/);
  }

  // ELF facts of the real libraries and hosts, and the explanations built on them.
  for (const p of [...GLIBC_OK, ...MUSL]) {
    const elf = r.cell(`link/${p}/go${go}`).elf;
    const lib = elf?.libraries.hello;
    // arm64's linker sets no DF_STATIC_TLS; every other target's does.
    if (p.startsWith('arm64-')) t.notOk(lib?.flags.includes('STATIC_TLS'), `${p}: no DF_STATIC_TLS on arm64`);
    else t.ok(lib?.flags.includes('STATIC_TLS'), `${p}: a Go c-shared library has DF_STATIC_TLS`);
    t.ok(lib?.flags1.includes('NODELETE'), `${p}: and DF_1_NODELETE`);
    t.ok((lib?.tls.initialExec ?? 0) >= 1 && lib?.tls.models.includes('initial-exec'), `${p}: initial-exec TLS relocations`);
    t.same(lib?.exports, ['Add', 'CountRunes', 'Greet'], `${p}: the //export functions`);
    t.same(lib?.needed, [p.endsWith('musl') ? 'libc.so' : 'libc.so.6']);
    t.match(elf?.host?.interpreter, p.endsWith('musl') ? /^\/lib\/ld-musl-/ : /^\/lib(64)?\/ld/, `${p}: host interpreter`);
    // The glibc floor (issue 26): trixie's glibc binds pthread_create at GLIBC_2.34; loong64's glibc begins at 2.36.
    if (p.endsWith('musl')) {
      t.equal(lib?.glibcFloor, undefined, `${p}: musl has no glibc floor`);
      t.same([lib?.muslMissing, elf?.host?.muslMissing], [[], []], `${p}: trixie's musl 1.2.5 defines all the library and host need`);
    } else {
      const floor = p.startsWith('loong64-') ? '2.36' : '2.34';
      t.equal(lib?.glibcFloor?.glibc, floor, `${p}: the library needs glibc ${floor}`);
      t.ok(lib?.glibcFloor?.needs[0]?.symbols.includes('pthread_create'), `${p}: pthread_create among the symbols that force it`);
      t.equal(elf?.host?.glibcFloor?.glibc, floor, `${p}: so does the host`);
    }
  }
  // A note longer than the width (120 in a log) goes on over lines indented by four: joined, it is one line again.
  t.match(
    r.out.replace(/\n {4}(?=\S)/g, ' '),
    /\nwhere it loads:\n {2}dlopen\/hello, link\/hello on amd64-glibc, [^\n]*: needs glibc ≥ 2\.34 \(pthread_attr_getstack, /,
  );
  t.same(r.cell(`link/arm7-glibc/go${go}`).elf?.libraries.hello?.arm, { cpuArch: 'v7', floatAbi: 'hard', fpArch: 'VFPv3-D16' });
  t.match(r.cell(`link/arm5-glibc/go${go}`).elf?.libraries.hello?.arm, { cpuArch: 'v5TE', floatAbi: 'soft' });
  t.match(
    r.cell(`dlopen/amd64-musl/go${go}`).explanation,
    /initial-exec TLS \(DF_STATIC_TLS, 1 IE relocation\); musl's dlopen cannot place it/,
  );
  t.match(
    r.cell(`dlopen/arm64-musl/go${go}`).explanation,
    /^library uses initial-exec TLS \(\d+ IE relocations?; no DF_STATIC_TLS flag\)/,
    'arm64: what is really there',
  );
  t.equal(r.cell(`link/amd64-glibc/go${go}`).explanation, undefined, 'a pass needs no explanation');

  // Every emulated row's CPU model refused its canary.
  const canaries = r.results.run.canaries ?? {};
  for (const p of DEFAULT_ROWS.filter(isEmulated))
    t.equal(canaries[p.name]?.outcome, 'trapped', `${p.name}: ${p.cpu} refuses ${p.canary?.level}`);
  t.equal(Object.keys(canaries).length, DEFAULT_ROWS.filter(isEmulated).length, 'one canary per emulated row');
  t.same(
    r.results.platforms.map((p) => p.name),
    DEFAULT_ROWS.map((p) => p.name),
  );

  const md = readFileSync(join(resultsDir, 'latest', 'matrix.md'), 'utf8');
  t.match(md, `| case | ${DEFAULT_ROWS.map((p) => p.name).join(' | ')} |`);
  t.match(md, /\| dlopen \| ✅ \| ☑️ go#54805 \|/, 'a compact cell per platform');
  t.match(
    md,
    /- IE TLS \(go#54805\): <https:\/\/github\.com\/golang\/go\/issues\/54805>/,
    'the upstream issue, an autolink (core/sanitize.ts markdownLink)',
  );
  t.match(md, /CPU model strictness/);
  t.match(r.out, /40 cells: 20 pass, 0 fail, 20 xfail/, 'the matrix is printed at the end');
  t.same(await leftovers(docker, r.results.run.id), [], 'no container or volume outlives the run');
});

t.test('amd64-glibc-qemu: not in the default set, runs when named, its Nehalem refuses AVX2', async (t) => {
  // The glob picks fork too, nightly on glibc rows: the push tier (the default) leaves it out, and says so.
  const r = await ran('--case', '{link,fork}', '--platform', 'amd64-glibc-qemu');
  t.equal(r.code, 0, r.out.slice(-2000));
  t.equal(r.cell(`link/amd64-glibc-qemu/go${go}`).verdict, 'pass');
  t.equal(r.results.run.canaries?.['amd64-glibc-qemu']?.outcome, 'trapped');
  t.same(
    r.results.cells.map((c) => c.id),
    [`link/amd64-glibc-qemu/go${go}`],
    'no fork cell',
  );
  t.equal(r.results.run.tier, 'push');
  t.equal(r.results.run.tierLeftOut, 1);
  t.match(r.out, /^push tier: 1 of 2 cells; --tier nightly runs all$/m, 'the summary says what the tier left out');
});

t.test('a row whose CPU model runs its canary makes the run exit 3, said loudly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-lax-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // ARMv5 code on a v7 model, with a v7 canary: the model accepts it.
  const lax = {
    ...PLATFORMS.find((p) => p.name === 'arm5-glibc')!,
    name: 'arm5-on-cortex-a7',
    run: ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabi'],
    cpu: 'cortex-a7',
  };
  const { packages: _p, ...row } = lax;
  writeFileSync(join(dir, 'rows.json'), JSON.stringify([row]));
  const r = await ran('--platforms', join(dir, 'rows.json'), '--case', 'link', '--platform', 'arm5-on-cortex-a7');
  t.equal(r.code, 3, `exit 3: the row may hide bugs\n${r.out.slice(-2000)}`);
  t.equal(r.cell(`link/arm5-on-cortex-a7/go${go}`).verdict, 'pass', 'its cells still ran');
  t.match(r.results.run.canaries?.['arm5-on-cortex-a7'], { outcome: 'ran', cached: false });
  t.match(
    r.out,
    /CANARY: arm5-on-cortex-a7: its CPU model did not refuse ARMv7 \(what GOARM=7 code uses: movw\) \(exit 0: the instruction ran\)/,
  );
  t.match(readFileSync(join(resultsDir, 'latest', 'matrix.md'), 'utf8'), /\*\*arm5-on-cortex-a7: its CPU model did not refuse/);
});

t.test('a warm re-run restores every artifact from the cache, and still runs every host', async (t) => {
  const r = await ran('--case', 'link', '--platform', 'amd64-glibc,arm5-musl');
  t.equal(r.code, 0, r.out.slice(-3000));
  const b = r.results.run.builds!;
  t.ok(b.steps >= 4 && b.cacheHits === b.steps, `every build step came from the cache (${b.cacheHits}/${b.steps})`);
  t.equal(r.cell(`link/amd64-glibc/go${go}`).verdict, 'pass');
  t.equal(r.cell(`link/arm5-musl/go${go}`).verdict, 'xfail', 'results are never cached: the host ran and crashed again');
  t.ok(r.cell(`link/amd64-glibc/go${go}`).checks.length > 0, 'its checks ran in this run');
  t.ok(r.results.run.phases && r.results.run.phases.cells! >= 0, 'phases are recorded');

  const fresh = await ran('--case', 'link', '--platform', 'amd64-glibc', '--rebuild');
  t.equal(fresh.results.run.builds!.cacheHits, 0, '--rebuild ignores the cache');
  t.equal(fresh.cell(`link/amd64-glibc/go${go}`).verdict, 'pass');
});

t.test('--repeat: repetitions that disagree make a cell flaky, never pass', async (t) => {
  const r = await ran(
    '--cases',
    join(fixtures, 'cases'),
    '--case',
    'flaky-probe',
    '--platform',
    'amd64-glibc',
    '--repeat',
    '3',
    '--jobs',
    '1',
  );
  t.equal(r.code, 1, 'flaky is unexpected: exit 1');
  const c = r.cell(`flaky-probe/amd64-glibc/go${go}`);
  t.equal(c.verdict, 'flaky');
  // Alternating repetitions: pass, fail, pass or fail, pass, fail, by the second it started in.
  const passes = c.repeats?.pass ?? 0;
  t.ok(passes === 1 || passes === 2, `1 or 2 of the 3 passed (${JSON.stringify(c.repeats)})`);
  t.same(c.repeats, { pass: passes, fail: 3 - passes });
  t.match(c.summary, new RegExp(`^flaky over 3 runs \\((${passes} pass, ${3 - passes} fail|${3 - passes} fail, ${passes} pass)\\)`));
  t.ok(c.logs.run && c.logs['run-2'] && c.logs['run-3'], 'a log per repetition');
});

t.test('two shards merged equal the unsharded run, cell for cell', async (t) => {
  const whole = await ran('--case', 'link,dlopen,multi');
  const parts = [];
  for (const k of [1, 2]) parts.push(await ran('--case', 'link,dlopen,multi', '--shard', `${k}/2`));
  const [a, b] = parts.map((p) => p.results.cells.map((c) => c.id));
  t.ok(a!.length > 0 && b!.length > 0, `both shards have cells (${a!.length} + ${b!.length})`);
  t.same([...a!, ...b!].sort(), whole.results.cells.map((c) => c.id).sort(), 'the shards partition the matrix');
  t.equal(parts[0]!.results.run.shard?.of, 3 * DEFAULT_ROWS.length);
  const m = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts merge --results ${resultsDir} ${join(resultsDir, parts[0]!.results.run.id)} ${join(resultsDir, parts[1]!.results.run.id)}`;
  t.equal(m.exitCode, 0, m.stderr);
  const merged = JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  // Two executions, so a stage an expectation leaves unpinned (the musl init crash races main) may differ; verdicts may not.
  const shape = (cs: RunResults['cells']) =>
    cs.map((c) => ({
      id: c.id,
      verdict: c.verdict,
      stage: c.expectation && !c.expectation.stage ? 'unpinned' : c.stage,
      exit: c.exit,
      expectation: c.expectation?.link,
    }));
  t.same(shape(merged.cells), shape(whole.results.cells), 'same cells, same order, same verdicts');
  t.same(merged.counts, whole.results.counts);
  t.ok(
    existsSync(join(resultsDir, 'latest', 'report.html')) && existsSync(join(resultsDir, 'latest', 'matrix.md')),
    'every report format for the merged run',
  );

  const d = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts diff ${join(resultsDir, whole.results.run.id)} ${join(resultsDir, 'latest')}`;
  t.equal(d.exitCode, 0, 'no regression between the unsharded and the merged run');
  t.match(d.stdout, /Regressions/);

  // One shard alone is an incomplete run: written, but never a green exit.
  const one = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts merge --results ${resultsDir} ${join(resultsDir, parts[0]!.results.run.id)}`;
  t.equal(one.exitCode, 3, `a missing shard exits 3\n${one.stderr}`);
  t.match(one.stderr, /^cshared-matrix: incomplete: shard 2\/2 missing; the merged run is written but covers only the shards given/m);
  const partial = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts merge --partial --results ${resultsDir} ${join(resultsDir, parts[0]!.results.run.id)}`;
  t.equal(partial.exitCode, 0, `--partial accepts it\n${partial.stderr}`);
});

t.test('the CPU model is real: GOARM=7 code dies with SIGILL on arm926', async (t) => {
  const r = await ran(
    '--platforms',
    join(fixtures, 'platforms-v7-on-v5.json'),
    '--cases',
    join(fixtures, 'cases'),
    '--case',
    'sigill-probe',
    '--platform',
    'arm7-glibc,arm7-on-arm926',
  );
  t.equal(r.code, 0, r.out.slice(-3000));
  t.equal(r.cell(`sigill-probe/arm7-glibc/go${go}`).verdict, 'pass');
  const v5 = r.cell(`sigill-probe/arm7-on-arm926/go${go}`);
  t.equal(v5.verdict, 'xfail');
  t.equal(v5.exit?.signal, 4);
  t.match(v5.explanation, /ARM v7 .* v5 CPU model \(arm926\)|v7.*arm926/, 'explained from the ELF attributes and the CPU model');
  t.match(v5.failureText, /qemu: uncaught target signal 4 \(Illegal instruction\)/);
  t.notMatch(r.out, /building cshared-matrix-(base|go)/, 'a second run reuses the images');
});

t.test('hosts run without root, capabilities, network or writable files', async (t) => {
  const r = await ran('--cases', join(fixtures, 'cases'), '--case', 'sandbox-probe', '--platform', 'amd64-glibc,arm7-glibc');
  t.equal(r.code, 0, r.out.slice(-3000));
  for (const id of [`sandbox-probe/amd64-glibc/go${go}`, `sandbox-probe/arm7-glibc/go${go}`]) {
    const c = r.cell(id);
    t.equal(
      c.verdict,
      'pass',
      `${id}: ${c.checks
        .filter((k) => !k.ok)
        .map((k) => k.text)
        .join('; ')}`,
    );
    t.equal(c.checks.length, 7);
  }
  t.same(await leftovers(docker, r.results.run.id), []);
});

t.test('a failing check is a fail at the checks stage, and the run exits 1', async (t) => {
  const r = await ran('--cases', join(fixtures, 'cases'), '--case', 'fail-probe', '--platform', 'amd64-glibc');
  t.equal(r.code, 1);
  const c = r.cell(`fail-probe/amd64-glibc/go${go}`);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.same(c.exit, { code: 1 });
  t.same(c.checks, [
    { ok: true, text: 'Mul(6, 7) == 42' },
    { ok: false, text: 'Mul(2, 2) == 5 (deliberately false)' },
  ]);
  t.match(c.summary, /not ok - Mul\(2, 2\) == 5/);
});

t.test('bad input stops before anything is built, with one line naming the thing', async (t) => {
  const unknown = await matrix('--case', 'no-such-case');
  t.equal(unknown.code, 2);
  t.equal(unknown.results, undefined, 'no run directory for a usage error');
  t.match(unknown.out, /cshared-matrix: unknown case "no-such-case"; known: .*link/);

  const dir = mkdtempSync(join(tmpdir(), 'csm-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'typo'));
  writeFileSync(
    join(dir, 'typo', 'case.json'),
    JSON.stringify({ description: 'x', libraries: [{ name: 'a', dir: '.' }], host: { sources: ['h.c'] }, run: { timeout: 'ten' } }),
  );
  mkdirSync(join(dir, 'missing'));
  writeFileSync(
    join(dir, 'missing', 'case.json'),
    JSON.stringify({ description: 'x', libraries: [{ name: 'a', dir: '.' }], host: { sources: ['h.c'] } }),
  );
  const bad = await matrix('--cases', dir);
  t.equal(bad.code, 2);
  t.match(bad.out, /cshared-matrix: .*typo\/case\.json: \/run\/timeout: must be number/);
  t.match(bad.out, /cshared-matrix: .*missing\/case\.json: \/host\/sources\/0: file "h\.c" does not exist/);

  // Each bad option or path: exit 2, one line naming it, no run directory, nothing built.
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  for (const [args, line] of [
    [
      ['--results', file, '--case', 'link'],
      new RegExp(
        `^cshared-matrix: --results ${file}: cannot create a run directory there \\(it is not a directory\\); pass a writable directory$`,
        'm',
      ),
    ],
    [
      ['--cases', empty],
      new RegExp(`^cshared-matrix: ${empty}: no case here \\(neither ${empty}/case\\.json nor a subdirectory with one\\)`, 'm'),
    ],
    [['--jobs', '1.5'], /^cshared-matrix: --jobs takes a whole number, not "1\.5"/m],
    [['--repeat', '2.5'], /^cshared-matrix: --repeat takes a whole number, not "2\.5"/m],
    [['--timeout', '99999'], /^cshared-matrix: --timeout takes at most 3600, not "99999"/m],
    [['--platform', 'mips*'], /^cshared-matrix: no platform matches "mips\*"; known: amd64-glibc, /m],
    [
      ['--docker-host', 'ftp://x'],
      /^cshared-matrix: --docker-host ftp:\/\/x: not an engine address; give unix:\/\/\/path\/to\/docker\.sock, tcp:\/\/host:port or ssh:\/\/user@host$/m,
    ],
  ] as const) {
    const p = await $({
      cwd: root,
      nothrow: true,
      quiet: true,
      env: { ...process.env, CI: '1' },
    })`npx tsx harness/cli/main.ts --results ${args[0] === '--results' ? args[1] : join(dir, 'out')} ${args[0] === '--results' ? args.slice(2) : args}`;
    t.equal(p.exitCode, 2, `${args.join(' ')}: exit 2\n${p.stderr}`);
    t.match(p.stderr, line, `${args.join(' ')}: ${p.stderr.trim()}`);
    t.notMatch(p.stderr, /internal error|\n\s+at /, `${args.join(' ')}: no stack trace`);
    t.equal(p.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  // A read-only mount as --results (root can mount one; CI runs as root).
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const m = await $({ nothrow: true, quiet: true })`mount -t tmpfs -o ro,size=1m tmpfs ${ro}`;
  t.equal(m.exitCode, 0, `a read-only tmpfs to write into (mount: ${m.stderr.trim()})`);
  if (m.exitCode === 0) {
    const p = await $({
      cwd: root,
      nothrow: true,
      quiet: true,
      env: { ...process.env, CI: '1' },
    })`npx tsx harness/cli/main.ts --results ${ro} --case link`;
    await $({ nothrow: true, quiet: true })`umount ${ro}`;
    t.equal(p.exitCode, 2, `a read-only --results: exit 2\n${p.stderr}`);
    t.equal(
      p.stderr.trim(),
      `cshared-matrix: --results ${ro}: cannot create a run directory there (it is on a read-only file system); pass a writable directory`,
    );
  }

  const engineOnly = await $({ cwd: root, nothrow: true, quiet: true })`npx tsx harness/cli/main.ts --engine-only`;
  t.equal(engineOnly.exitCode, 0, 'the engine check used by .ci/run answers');

  // The engine address is resolved once and passed down: --docker-host wins over DOCKER_HOST, and a silent engine is one line.
  const none = `unix://${join(dir, 'none.sock')}`;
  const env = { ...process.env, CI: '1', DOCKER_HOST: none };
  const chosen = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
    env,
  })`npx tsx harness/cli/main.ts --engine-only --docker-host unix:///var/run/docker.sock`;
  t.equal(chosen.exitCode, 0, `--docker-host is the engine used, whatever DOCKER_HOST says\n${chosen.stderr}`);
  const silent = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
    env,
  })`npx tsx harness/cli/main.ts --case link --results ${join(dir, 'out')}`;
  t.equal(silent.exitCode, 3, 'no engine at DOCKER_HOST: exit 3');
  t.equal(
    silent.stderr.trim(),
    `cshared-matrix: no Docker engine answers at ${none}; start that engine, or leave out --docker-host and DOCKER_HOST to use the local one`,
  );
});

/** Start a run of five cases on one job and send SIGINT `times` times once its first cell finished. */
async function interrupted(times: number) {
  const before = latest();
  // node itself, not npx: the exit status checked is the harness's own.
  const p = $({
    cwd: root,
    nothrow: true,
    quiet: true,
    env: { ...process.env, CI: '1' },
  })`node --import tsx harness/cli/main.ts --results ${resultsDir} --case link,dlopen,tls,environ,multi --jobs 1`;
  // Interrupt once the first cell has finished, so there is something to keep.
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => /(pass|xfail) +\w+\//.test(String(d)) && (p.stdout.off('data', onData), resolve());
    p.stdout.on('data', onData);
  });
  const sent = Date.now();
  for (let i = 0; i < times; i++) {
    if (i) await new Promise((r) => setTimeout(r, 150));
    await $({ nothrow: true })`pkill -INT -f ${`harness/cli/main.ts --results ${resultsDir}`}`;
  }
  const r = await p;
  const ms = Date.now() - sent;
  const wrote = latest() !== before;
  const res = wrote ? (JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults) : undefined;
  return { r, ms, res };
}

t.test('Ctrl-C mid-run: containers and volume removed, partial results kept and marked, exit 130', async (t) => {
  const { r, ms, res } = await interrupted(1);
  t.ok(ms < 10_000, `stopped within 10 s (${ms} ms)`);
  t.equal(r.exitCode, 130);
  t.ok(res, 'a run directory was still written');
  if (!res) return;
  t.equal(res.run.interrupted, true);
  t.ok(res.cells.length > 0 && res.cells.length < 30, `kept the ${res.cells.length} finished cells`);
  t.ok(
    res.cells.every((c) => c.verdict !== 'error'),
    'cells cut short are left out, not reported as errors',
  );
  t.same(await leftovers(docker, res.run.id), [], 'nothing of the run is left in the engine');
});

t.test('Ctrl-C twice in a row: still nothing left in the engine, and the finished cells are written', async (t) => {
  const { r, ms, res } = await interrupted(2);
  t.ok(ms < 15_000, `stopped within 15 s (${ms} ms)`);
  t.equal(r.exitCode, 130);
  t.match(r.stderr, /still removing this run's containers/, 'the second Ctrl-C says what is still going on');
  t.ok(res, 'the run directory got its results');
  if (!res) return;
  t.equal(res.run.interrupted, true);
  t.ok(res.cells.length > 0, `kept the ${res.cells.length} finished cells`);
  t.same(await leftovers(docker, res.run.id), [], 'no container and no volume of the run is left');
});
