import t from 'tap';
import { PLATFORMS as TABLE } from '../../harness/core/platforms.js';
import {
  cellText,
  countsLine,
  MEANING,
  renderMarkdown,
  renderText,
  SYMBOL,
  TEXT_SYMBOL,
  toGrid,
  transposeGrid,
} from '../../harness/core/render.js';
import type { RunResults } from '../../harness/core/results.js';
import { countVerdicts } from '../../harness/core/results.js';

// The first six rows (amd64, ARMv7, ARMv5 × glibc, musl): the grid's rules, not the table's size.
const PLATFORMS = TABLE.slice(0, 6);

import { type CellResult, VERDICTS } from '../../harness/core/types.js';
import { cell, IE_TLS_RULE, INIT_ARGV_RULE, runResults } from '../support/helpers.js';

const SIGILL = 'run: qemu: uncaught target signal 4 (Illegal instruction) - core dumped';

/** dlopen × 6 and link × 6 on one Go: glibc passes (but link on arm5-glibc fails), musl xfails. */
function cellsFor(go: string, goVersion?: string): CellResult[] {
  const out: CellResult[] = [];
  for (const [caseName, rule] of [
    ['dlopen', IE_TLS_RULE],
    ['link', INIT_ARGV_RULE],
  ] as const) {
    for (const p of PLATFORMS) {
      let c: CellResult;
      if (p.libc === 'musl')
        c = cell(caseName, p.name, go, {
          verdict: 'xfail',
          stage: 'load',
          stageOk: false,
          summary: rule.label,
          expectation: { ...rule, matched: true },
        });
      else if (caseName === 'link' && p.name === 'arm5-glibc')
        c = cell(caseName, p.name, go, {
          verdict: 'fail',
          stage: 'run',
          stageOk: false,
          summary: SIGILL,
          logs: { run: `logs/link/arm5-glibc/go${go}/run.log` },
        });
      else c = cell(caseName, p.name, go);
      if (goVersion) c.axes.goVersion = goVersion;
      out.push(c);
    }
  }
  return out;
}

function results(cells: CellResult[], over: Partial<RunResults['run']> = {}): RunResults {
  return runResults(cells, {
    run: { jobs: 4, ...over },
    images: [
      {
        go: '1.27',
        tag: 'cshared-matrix-go:1.27-0123456789abcdef',
        id: 'sha256:0123456789abcdef0123',
        tools: { go: '1.27.4', gcc: '14.2.0', musl: '1.2.5' },
      },
    ],
    exitCode: 1,
  });
}

t.test('cellText', async (t) => {
  t.equal(cellText({ verdict: 'pass', summary: '3 checks' }), '✅ pass');
  t.equal(cellText({ verdict: 'xfail', summary: 'IE TLS (go#54805)' }), '☑️ xfail: IE TLS (go#54805)');
  t.equal(
    cellText({ verdict: 'fail', summary: 'load: hello:\n  Error   relocating' }),
    '❌ fail: load: hello: Error relocating',
    'whitespace runs collapse',
  );
  t.equal(
    cellText({ verdict: 'timeout', summary: 'run: timed out after 120.0 s and was killed' }),
    '⏱️ timeout: run: timed out after 120.0 s and was killed',
  );
  t.equal(cellText({ verdict: 'error', summary: 'x' }), '⚠️ error: x');
  t.equal(cellText({ verdict: 'xpass', summary: 'x' }), '❗ xpass: x');

  const long = 'a'.repeat(60);
  t.equal(cellText({ verdict: 'fail', summary: long }), `❌ fail: ${'a'.repeat(47)}…`, 'clipped to 48 characters, ellipsis included');
  t.equal(cellText({ verdict: 'fail', summary: 'a'.repeat(48) }), `❌ fail: ${'a'.repeat(48)}`, 'exactly 48 is not clipped');
  t.equal(cellText({ verdict: 'fail', summary: long }, 10), `❌ fail: ${'a'.repeat(9)}…`);
});

t.test('toGrid with one Go version', async (t) => {
  const cells = cellsFor('1.27');
  const g = toGrid({ cells });
  t.same(
    g.columns,
    PLATFORMS.map((p) => p.name),
  );
  t.same(
    g.rows.map((r) => r.name),
    ['dlopen', 'link'],
  );
  t.equal(g.rows[1]!.cells[3], cells[6 + 3], 'link × arm5-glibc');
  t.equal(g.rows[1]!.cells[3]!.verdict, 'fail');
  t.ok(g.rows.every((r) => r.cells.length === 6 && r.cells.every(Boolean)));
});

t.test('toGrid with two Go versions: one column per platform × Go', async (t) => {
  const cells = [...cellsFor('1.26'), ...cellsFor('1.27')];
  const g = toGrid({ cells });
  t.same(
    g.columns,
    PLATFORMS.flatMap((p) => [`${p.name} go1.26`, `${p.name} go1.27`]),
  );
  t.same(
    g.rows.map((r) => r.name),
    ['dlopen', 'link'],
  );
  t.equal(g.rows[1]!.cells[7]!.id, 'link/arm5-glibc/go1.27');
  t.equal(g.rows[0]!.cells[0]!.id, 'dlopen/amd64-glibc/go1.26');
});

t.test('toGrid: a missing cell is undefined', async (t) => {
  const cells = cellsFor('1.27').filter((c) => c.id !== 'link/arm7-musl/go1.27');
  const g = toGrid({ cells });
  t.equal(g.rows[1]!.cells[4], undefined);
  t.equal(g.rows[0]!.cells[4]!.id, 'dlopen/arm7-musl/go1.27');
});

t.test('countsLine', async (t) => {
  t.equal(countsLine(countVerdicts(cellsFor('1.27'))), '12 cells: 5 pass, 1 fail, 6 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na');
});

t.test('renderMarkdown', async (t) => {
  const r = results(cellsFor('1.27', '1.27.4'));
  const md = renderMarkdown(r);
  const lines = md.split('\n');
  t.equal(lines[0], '# cshared-matrix run 2026-11-26T11-50-59Z-ab12');
  t.equal(lines[2], 'Go 1.27.4 · 12 cells · 83.4 s');
  t.same(
    lines.slice(4, 8),
    [
      'Needs attention (1 of 12 cells):',
      '',
      `- ❌ \`link/arm5-glibc/go1.27\` fail at run: ${SIGILL} (log: logs/link/arm5-glibc/go1.27/run.log)`,
      '',
    ],
    'what needs attention comes before the table, each cell in full',
  );
  t.equal(lines[8], '| case | amd64-glibc | amd64-musl | arm7-glibc | arm5-glibc | arm7-musl | arm5-musl |');
  t.equal(lines[9], '|---|---|---|---|---|---|---|');
  t.equal(
    lines[10],
    '| dlopen | ✅ pass | ☑️ xfail: IE TLS (go#54805) | ✅ pass | ✅ pass | ☑️ xfail: IE TLS (go#54805) | ☑️ xfail: IE TLS (go#54805) |',
  );
  t.equal(
    lines[11],
    `| link | ✅ pass | ☑️ xfail: musl init argv (go#13492) | ✅ pass | ❌ fail: ${SIGILL.slice(0, 47)}… | ☑️ xfail: musl init argv (go#13492) | ☑️ xfail: musl init argv (go#13492) |`,
  );
  t.ok(md.includes('\n**12 cells: 5 pass, 1 fail, 6 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na**\n'), 'the counts line');
  t.ok(
    md.includes("\n- IE TLS (go#54805): <https://github.com/golang/go/issues/54805> — musl's dlopen refuses initial-exec TLS\n"),
    'upstream link, an autolink, with its reason',
  );
  t.ok(md.includes('\n- musl init argv (go#13492): <https://github.com/golang/go/issues/13492>\n'), 'upstream link without a reason');
  t.equal(md.split('https://github.com/golang/go/issues/54805').length - 1, 1, 'each upstream bug listed once');
  t.ok(md.includes('\nLegend:\n'));
  for (const v of VERDICTS) t.ok(md.includes(`\n- ${SYMBOL[v]} **${v}**: ${MEANING[v]}`), `legend for ${v}`);
  t.notOk(md.includes('Unexpected cells'), 'listed once, before the table');
  t.ok(md.includes('\n- image `cshared-matrix-go:1.27-0123456789abcdef` (0123456789ab): go 1.27.4, gcc 14.2.0, musl 1.2.5'), 'toolchain');
  t.ok(md.endsWith('\n'));
});

t.test('renderMarkdown: interrupted, pipes escaped, no bugs section when no expectation', async (t) => {
  const cells = [
    cell('pi|pe', 'amd64-glibc', '1.27', {
      verdict: 'fail',
      stage: 'checks',
      stageOk: false,
      summary: 'checks: stdout does not match /a|b/',
    }),
  ];
  const md = renderMarkdown({ ...results(cells, { interrupted: true }), images: [] });
  t.ok(md.includes(' · **interrupted**'));
  t.ok(md.includes('| pi\\|pe | ❌ fail: checks: stdout does not match /a\\|b/ |'));
  t.notOk(md.includes('Known upstream bugs'));
  t.notOk(md.includes('Toolchain:'));
});

t.test('renderText: attention first, a glyph grid per Go, the legend, notes, then the counts', async (t) => {
  const grid = [
    '        a',
    '        m a a a',
    '        d m r r a a',
    '        6 d m m r r',
    '        4 6 7 5 m m',
    '        - 4 - - 7 5',
    '        g - g g - -',
    '        l m l l m m',
    '        i u i i u u',
    '        b s b b s s',
    '        c l c c l l',
    'dlopen  . x . . x x',
    'link    . x . F x x',
  ];
  t.equal(
    renderText(results([...cellsFor('1.26'), ...cellsFor('1.27')])),
    [
      'needs attention (2 of 24 cells):',
      `  F fail    link/arm5-glibc/go1.26  ${SIGILL}`,
      `  F fail    link/arm5-glibc/go1.27  ${SIGILL}`,
      '',
      'go1.26',
      ...grid,
      '',
      'go1.27',
      ...grid,
      '',
      '  . pass   F fail   x xfail (known bug)   X xpass (known bug did not show)   T timeout   E error (harness or engine)',
      '  ~ flaky   - n/a',
      '',
      'known bugs (x):',
      '  x IE TLS (go#54805): https://github.com/golang/go/issues/54805',
      '  x musl init argv (go#13492): https://github.com/golang/go/issues/13492',
      '',
      '24 cells: 10 pass, 2 fail, 12 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na',
    ].join('\n'),
  );
});

t.test('renderText: all passing, with a missing cell', async (t) => {
  const cells = [cell('a', 'amd64-glibc', '1.27'), cell('a', 'amd64-musl', '1.27'), cell('longer-name', 'amd64-glibc', '1.27')];
  t.equal(
    renderText(results(cells)),
    [
      '             a',
      '             m a',
      '             d m',
      '             6 d',
      '             4 6',
      '             - 4',
      '             g -',
      '             l m',
      '             i u',
      '             b s',
      '             c l',
      'a            . .',
      'longer-name  .',
      '',
      '  . pass   F fail   x xfail (known bug)   X xpass (known bug did not show)   T timeout   E error (harness or engine)',
      '  ~ flaky   - n/a   (blank: no such cell)',
      '',
      '3 cells: 3 pass, 0 fail, 0 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na',
    ].join('\n'),
    'nothing needs attention: no list; the missing cell is blank and the legend says so',
  );
  t.same(Object.keys(TEXT_SYMBOL), [...VERDICTS]);
  for (const v of VERDICTS) t.equal([...TEXT_SYMBOL[v]].length, 1, `${v}: a one-code-point symbol`);
});

t.test('transposeGrid: the axes swapped', async (t) => {
  const cells = cellsFor('1.27');
  const g = toGrid({ cells });
  const turned = transposeGrid(g);
  t.same(turned.columns, ['dlopen', 'link']);
  t.same(
    turned.rows.map((r) => r.name),
    PLATFORMS.map((p) => p.name),
  );
  t.equal(turned.rows[3]!.cells[1]!.id, 'link/arm5-glibc/go1.27');
  t.same(transposeGrid(turned), g, 'transposing twice is the identity');
});
