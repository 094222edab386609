import t from 'tap';
import { PLATFORMS as TABLE } from '../../harness/core/platforms.js';
import {
  cellText,
  compactCellText,
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

t.test('compactCellText', async (t) => {
  t.equal(compactCellText({ verdict: 'pass', stage: 'checks' }), '✓ pass');
  t.equal(compactCellText({ verdict: 'xfail', stage: 'load', expectation: { ...IE_TLS_RULE, matched: true } }), '○ xfail go#54805');
  t.equal(compactCellText({ verdict: 'fail', stage: 'run' }), '✗ fail @run');
  t.equal(compactCellText({ verdict: 'timeout', stage: 'load' }), '⧖ timeout @load');
  t.equal(compactCellText({ verdict: 'error', stage: 'build' }), '⚠ error @build');
  t.equal(compactCellText({ verdict: 'xpass', stage: 'checks', expectation: { ...IE_TLS_RULE, matched: false } }), '! xpass @checks');
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
  t.equal(lines[4], '| case | amd64-glibc | amd64-musl | arm7-glibc | arm5-glibc | arm7-musl | arm5-musl |');
  t.equal(lines[5], '|---|---|---|---|---|---|---|');
  t.equal(
    lines[6],
    '| dlopen | ✅ pass | ☑️ xfail: IE TLS (go#54805) | ✅ pass | ✅ pass | ☑️ xfail: IE TLS (go#54805) | ☑️ xfail: IE TLS (go#54805) |',
  );
  t.equal(
    lines[7],
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
  t.ok(
    md.includes(`\n- \`link/arm5-glibc/go1.27\` fail at run: ${SIGILL} (log: logs/link/arm5-glibc/go1.27/run.log)`),
    'unexpected cells listed in full',
  );
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

t.test('renderText', async (t) => {
  const r = results([...cellsFor('1.26'), ...cellsFor('1.27')]);
  const text = renderText(r);
  const lines = text.split('\n');
  const grid = lines.slice(0, 3);
  const g = toGrid(r);
  const table = [['case', ...g.columns], ...g.rows.map((row) => [row.name, ...row.cells.map((c) => compactCellText(c!))])];
  t.equal(grid[0]!.split(/\s{2,}/)[0], 'case');

  // Column starts, in code points, from the header; every row's cells begin exactly there.
  const widths = table[0]!.map((_, i) => Math.max(...table.map((l) => [...l[i]!].length)));
  const starts = widths.map((_, i) => widths.slice(0, i).reduce((a, w) => a + w + 2, 0));
  grid.forEach((line, li) => {
    const cps = [...line];
    table[li]!.forEach((cellStr, ci) => {
      const at = starts[ci]!;
      t.equal(cps.slice(at, at + [...cellStr].length).join(''), cellStr, `line ${li} column ${ci} starts at ${at}`);
      if (ci > 0) t.equal(cps.slice(at - 2, at).join(''), '  ', 'at least two spaces before each column');
    });
  });
  t.equal(
    grid[0],
    'case    amd64-glibc go1.26  amd64-glibc go1.27  amd64-musl go1.26  amd64-musl go1.27  arm7-glibc go1.26  arm7-glibc go1.27  arm5-glibc go1.26  arm5-glibc go1.27  arm7-musl go1.26  arm7-musl go1.27  arm5-musl go1.26  arm5-musl go1.27',
  );
  t.equal(
    grid[2],
    'link    ✓ pass              ✓ pass              ○ xfail go#13492   ○ xfail go#13492   ✓ pass             ✓ pass             ✗ fail @run        ✗ fail @run        ○ xfail go#13492  ○ xfail go#13492  ○ xfail go#13492  ○ xfail go#13492',
  );
  t.notMatch(text, /[ ]+\n/, 'no trailing spaces');

  t.equal(lines[3], '');
  t.equal(lines[4], '  ○ IE TLS (go#54805): https://github.com/golang/go/issues/54805');
  t.equal(lines[5], '  ○ musl init argv (go#13492): https://github.com/golang/go/issues/13492');
  t.equal(lines[6], '');
  t.equal(lines[7], `  ✗ link/arm5-glibc/go1.26: ${SIGILL}`);
  t.equal(lines[8], `  ✗ link/arm5-glibc/go1.27: ${SIGILL}`);
  t.equal(lines[9], '');
  t.equal(lines[10], '24 cells: 10 pass, 2 fail, 12 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na');
  t.equal(lines.length, 11);
});

t.test('renderText: all passing, with a missing cell', async (t) => {
  const cells = [cell('a', 'amd64-glibc', '1.27'), cell('a', 'amd64-musl', '1.27'), cell('longer-name', 'amd64-glibc', '1.27')];
  t.equal(
    renderText(results(cells)),
    [
      'case         amd64-glibc  amd64-musl',
      'a            ✓ pass       ✓ pass',
      'longer-name  ✓ pass       ·',
      '',
      '3 cells: 3 pass, 0 fail, 0 xfail, 0 xpass, 0 timeout, 0 error, 0 flaky, 0 na',
    ].join('\n'),
  );
  t.same(Object.keys(TEXT_SYMBOL), [...VERDICTS]);
  for (const v of VERDICTS) t.equal([...TEXT_SYMBOL[v]].length, 1, `${v}: a one-code-point symbol`);
});

t.test('renderText: more platform columns than cases → a platform per row, tiny cells', async (t) => {
  const many = TABLE.filter((p) => p.default !== false);
  const cells = many.flatMap((p) => [
    cell(
      'link',
      p.name,
      '1.27',
      p.libc === 'musl'
        ? {
            verdict: 'xfail',
            stage: 'run',
            stageOk: false,
            summary: INIT_ARGV_RULE.label,
            expectation: { ...INIT_ARGV_RULE, matched: true },
          }
        : {},
    ),
    cell(
      'dlopen',
      p.name,
      '1.27',
      p.name === 'ppc64-glibc' ? { verdict: 'fail', stage: 'build', stageOk: false, summary: 'go build failed' } : {},
    ),
  ]);
  const lines = renderText(runResults(cells)).split('\n');
  t.match(lines[0], /^platform\s+link\s+dlopen$/, 'cases across');
  t.match(lines[1], /^amd64-glibc\s+✓\s+✓$/);
  t.match(
    lines.find((l) => l.startsWith('arm64-musl')),
    /^arm64-musl\s+○ #13492\s+✓$/,
    'the issue number, without go',
  );
  t.match(
    lines.find((l) => l.startsWith('ppc64-glibc')),
    /✗ fail@build$/,
    'an unexpected verdict keeps its stage',
  );
  t.equal(lines.filter((l) => /^\S+-(glibc|musl)/.test(l)).length, many.length, 'a line per platform');
  t.ok(
    lines.some((l) => l.includes('#N expected failure, golang/go issue N')),
    'the tiny symbols are explained',
  );
  t.same(transposeGrid(transposeGrid(toGrid({ cells }))), toGrid({ cells }), 'transposing twice is the identity');
  const few = renderText(runResults(cellsFor('1.27'))).split('\n');
  t.match(few[0], /^case\s+amd64-glibc\s+amd64-musl/, 'six platforms still fit across');
});
