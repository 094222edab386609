import { join } from 'node:path';
import t from 'tap';
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { RunResults } from '../../harness/core/results.js';
import type { CellResult } from '../../harness/core/types.js';
import { analyse, type ReproOutcome, renderRepro } from '../../harness/run/repro.js';
import { cell, runResults } from '../support/helpers.js';

const CASE = 'repro-alpine-python';
const ALPINE_ERROR = 'OSError: Error relocating ./cc.so: : initial-exec TLS resolves to dynamic definition in ./cc.so';
const MUSL_OUT = '/work/out/go1.27/amd64-musl/golib/cc-557e453b68b6/cc.so';
const MUSL_LOAD_FAILED = `csm-load-failed ${MUSL_OUT}: Error relocating ${MUSL_OUT}: free: initial-exec TLS resolves to dynamic definition in ${MUSL_OUT}`;
const SHORT_IE = 'Error relocating cc.so: free: initial-exec TLS resolves to dynamic definition in cc.so';

function results(cells: CellResult[]): RunResults {
  return runResults(cells, {
    run: {
      id: 'r1',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:01:00.000Z',
      durationMs: 60_000,
      command: 'repro',
      node: 'v20',
    },
    platforms: PLATFORMS.filter((p) => p.name.startsWith('amd64-')),
    cases: [CASE, `${CASE}+dlopen-probe`, `${CASE}+link-probe`].map((name) => ({ name, dir: `/cases/${name}`, description: name })),
    exitCode: 0,
  });
}

/** host / +dlopen-probe / +link-probe × amd64-glibc / amd64-musl, as the Alpine report gives them. */
const CELLS: CellResult[] = [
  cell(CASE, 'amd64-glibc', '1.27', { axes: { ...cell(CASE, 'amd64-glibc', '1.27').axes, goVersion: '1.27.3' }, summary: 'exit 0' }),
  cell(CASE, 'amd64-musl', '1.27', { verdict: 'na', stage: 'run', stageOk: false, summary: 'no Python for amd64-musl in the image' }),
  cell(`${CASE}+dlopen-probe`, 'amd64-glibc', '1.27', { summary: '1 export' }),
  cell(`${CASE}+dlopen-probe`, 'amd64-musl', '1.27', {
    verdict: 'xfail',
    stage: 'load',
    stageOk: false,
    summary: 'IE TLS (go#54805)',
    failureText: `exited with code 3\n${MUSL_LOAD_FAILED}\n\n`,
    logs: { run: 'logs/x/run.log', bundle: `bundles/${CASE}+dlopen-probe/amd64-musl/go1.27` },
  }),
  cell(`${CASE}+link-probe`, 'amd64-glibc', '1.27', { summary: '1 export' }),
  cell(`${CASE}+link-probe`, 'amd64-musl', '1.27', {
    verdict: 'xfail',
    stage: 'load',
    stageOk: false,
    summary: 'musl init argv (go#13492)',
    failureText: 'killed by signal 11 (SIGSEGV)\n\n',
    logs: { bundle: `bundles/${CASE}+link-probe/amd64-musl/go1.27` },
  }),
];

t.test('analyse', async (t) => {
  const o = analyse(results(CELLS), [ALPINE_ERROR], CASE);
  t.same(o.reported, [ALPINE_ERROR]);
  t.equal(o.cells.length, 6, 'one per cell');
  t.equal(o.reproducedIn, 1, 'reproduced in the musl dlopen probe only');
  t.same(
    o.cells.map((c) => c.id),
    CELLS.map((c) => c.id),
    'in the order of the results',
  );
  t.same(
    o.cells.map((c) => c.kind),
    ['host', 'host', 'dlopen-probe', 'dlopen-probe', 'link-probe', 'link-probe'],
  );
  t.same(
    o.cells.map((c) => c.platform),
    ['amd64-glibc', 'amd64-musl', 'amd64-glibc', 'amd64-musl', 'amd64-glibc', 'amd64-musl'],
  );
  t.same(
    o.cells.map((c) => c.verdict),
    ['pass', 'na', 'pass', 'xfail', 'pass', 'xfail'],
  );
  t.same(
    o.cells.map((c) => c.reproduces),
    [false, false, false, true, false, false],
  );
  const [pyGlibc, pyMusl, dlGlibc, dlMusl, lnGlibc, lnMusl] = o.cells;

  t.equal(pyGlibc!.go, '1.27.3', 'the full Go version when the image told it');
  t.equal(pyMusl!.go, '1.27', 'else the Go axis');
  t.equal(pyGlibc!.actual, 'loads and runs (exit 0)', 'a pass: loads and runs, with its summary');
  t.equal(dlGlibc!.actual, 'loads and runs (1 export)');
  t.equal(lnGlibc!.actual, 'loads and runs (1 export)');
  t.equal(pyMusl!.actual, 'no Python for amd64-musl in the image', 'n/a: its summary');
  t.equal(dlMusl!.actual, SHORT_IE, 'the reproducing line, shortened');
  t.equal(lnMusl!.actual, 'killed by signal 11 (SIGSEGV)', 'else the line that says what went wrong');

  t.equal(dlMusl!.bundle, `bundles/${CASE}+dlopen-probe/amd64-musl/go1.27`, 'the bundle is carried over');
  t.equal(lnMusl!.bundle, `bundles/${CASE}+link-probe/amd64-musl/go1.27`);
  for (const c of [pyGlibc, pyMusl, dlGlibc, lnGlibc]) t.notOk('bundle' in c!, `${c!.id}: no bundle key without a bundle`);

  t.test('a failure that is not the reported one', async (t) => {
    const fail = cell(CASE, 'amd64-glibc', '1.27', {
      verdict: 'fail',
      stage: 'run',
      stageOk: false,
      summary: 'run: exited with code 1',
      failureText: `exited with code 1\nTraceback (most recent call last):\n  File "/work/cases/${CASE}/host.py", line 2\nOSError: /work/out/go1.27/amd64-glibc/golib/cc-1/cc.so: undefined symbol: add\n`,
    });
    const [c] = analyse(results([fail]), [ALPINE_ERROR], CASE).cells;
    t.equal(c!.reproduces, false);
    t.equal(c!.actual, 'OSError: cc.so: undefined symbol: add', 'the OSError line, shortened');
  });

  t.test('a failed cell without failure text', async (t) => {
    const [c] = analyse(
      results([cell(CASE, 'amd64-glibc', '1.27', { verdict: 'error', stage: 'build', stageOk: false, summary: 'engine gone' })]),
      [ALPINE_ERROR],
      CASE,
    ).cells;
    t.equal(c!.actual, '');
    t.equal(c!.reproduces, false);
  });

  t.test('a host failing with the reported line reproduces it; a pass never does', async (t) => {
    const hostFail = cell(CASE, 'amd64-musl', '1.27', {
      verdict: 'fail',
      stage: 'load',
      stageOk: false,
      summary: 'load: exited with code 1',
      failureText: `exited with code 1\n${ALPINE_ERROR}\n`,
    });
    const o = analyse(results([hostFail, cell(CASE, 'amd64-glibc', '1.27')]), [ALPINE_ERROR], CASE);
    t.same(
      o.cells.map((c) => [c.reproduces, c.actual]),
      [
        [true, ALPINE_ERROR],
        [false, 'loads and runs (3 checks)'],
      ],
    );
    t.equal(o.reproducedIn, 1);
  });

  t.test('nothing reported: nothing reproduces', async (t) => {
    const o = analyse(results(CELLS), [], CASE);
    t.equal(o.reproducedIn, 0);
    t.same(o.reported, []);
    t.equal(
      o.cells[3]!.actual,
      'csm-load-failed cc.so: Error relocating cc.so: free: initial-exec TLS resolves to dynamic definition in cc.so',
    );
  });
});

t.test('a reproduction across userlands: each cell names its userland, in the table and in where it reproduced', async (t) => {
  const TOO_OLD = "host: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by ./libhello.so)";
  const on = (userland: string, over: Partial<CellResult> = {}) => {
    const c = cell(CASE, 'amd64-glibc', '1.27', over);
    return { ...c, id: `${c.id}/${userland}`, axes: { ...c.axes, userland } };
  };
  const o = analyse(
    results([
      on('debian11', { verdict: 'fail', stage: 'load', stageOk: false, summary: 'load', failureText: `exited with code 1\n${TOO_OLD}\n` }),
      on('debian13'),
    ]),
    [TOO_OLD],
    CASE,
  );
  t.same(
    o.cells.map((c) => [c.userland, c.reproduces]),
    [
      ['debian11', true],
      ['debian13', false],
    ],
  );
  const text = renderRepro(o, '/r/run');
  t.match(text, /amd64-glibc go1\.27 debian11 +host +fail +YES +host: .*GLIBC_2\.34' not found/);
  t.match(text, /amd64-glibc go1\.27 debian13 +host +pass +no +loads and runs/);
  t.match(text, /reproduced in 1 of 2 cells: amd64-glibc debian11 \(host\)/);
});

t.test('renderRepro', async (t) => {
  const runDir = join(process.cwd(), 'results', 'r1');
  const o = analyse(results(CELLS), [ALPINE_ERROR], CASE);
  const text = renderRepro(o, runDir);
  const lines = text.split('\n');

  t.equal(lines[0], `reported: ${ALPINE_ERROR}`, 'the reported line first');
  t.equal(lines[1], '');
  t.match(lines[2], /^cell +host +verdict +reproduces +actual$/, 'a header');
  const rows = lines.slice(3, 3 + o.cells.length);
  t.equal(rows.length, 6, 'one row per cell');
  const col = lines[2]!.indexOf('actual');
  o.cells.forEach((c, i) => {
    const row = rows[i]!;
    t.ok(row.startsWith(`${c.platform} go${c.go} `), `row ${i}: the cell`);
    t.match(row, new RegExp(`  ${c.kind} +${c.verdict} +${c.reproduces ? 'YES' : 'no'} +`), `row ${i}: host, verdict, reproduces`);
    t.equal(row.slice(col), c.actual, `row ${i}: the actual text, in the actual column`);
  });
  t.ok(rows[0]!.startsWith('amd64-glibc go1.27.3 '));
  t.match(rows[3], /  YES  /, 'the reproducing cell says YES');
  t.equal(lines[3 + o.cells.length], '');
  t.equal(lines[4 + o.cells.length], 'reproduced in 1 of 6 cells: amd64-musl (dlopen-probe)');
  t.equal(lines[5 + o.cells.length], '');
  t.equal(lines[6 + o.cells.length], 'rerun a failing cell alone:');
  t.same(lines.slice(7 + o.cells.length), [
    `  sh results/r1/bundles/${CASE}+dlopen-probe/amd64-musl/go1.27/rerun.sh   # ${CASE}+dlopen-probe/amd64-musl/go1.27`,
    `  sh results/r1/bundles/${CASE}+link-probe/amd64-musl/go1.27/rerun.sh   # ${CASE}+link-probe/amd64-musl/go1.27`,
  ]);

  t.test('reproduced in several cells: each named', async (t) => {
    const several: ReproOutcome = {
      ...o,
      cells: o.cells.map((c) => (c.platform === 'amd64-musl' ? { ...c, reproduces: true } : c)),
      reproducedIn: 3,
    };
    t.match(
      renderRepro(several, runDir),
      /\nreproduced in 3 of 6 cells: amd64-musl \(host\), amd64-musl \(dlopen-probe\), amd64-musl \(link-probe\)\n/,
    );
  });

  t.test('not reproduced, no bundles, no reported text', async (t) => {
    const none = analyse(results(CELLS.map((c) => ({ ...c, logs: {} }))), [], CASE);
    const text = renderRepro(none, runDir);
    const lines = text.split('\n');
    t.equal(lines[0], 'reported: (the report gives no error text)');
    t.equal(lines.at(-1), 'not reproduced in any of 6 cells', 'the last line: no rerun section');
    t.notMatch(text, /rerun/);
  });

  t.test('a run directory that is the working directory', async (t) => {
    const text = renderRepro(o, process.cwd());
    t.match(text, new RegExp(`\\n  sh bundles/${CASE.replace(/[+]/g, '\\+')}\\+dlopen-probe/amd64-musl/go1\\.27/rerun\\.sh   # `));
  });

  t.test('no cells', async (t) => {
    const text = renderRepro({ reported: [ALPINE_ERROR], cells: [], reproducedIn: 0 }, runDir);
    t.equal(text.split('\n').at(-1), 'not reproduced in any of 0 cells');
  });
});
