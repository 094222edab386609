// The terminal's closing text at the size of the default matrix: a glyph a
// cell, fitted to the width (turned or split when it must be), what needs
// attention first, colour only where a person reads it.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { DEFAULT_TEXT_WIDTH, needsAttention, renderText } from '../../harness/core/render.js';
import { type GlyphGrid, GRID_GLYPH, layoutGrid, splitColumns, verticalHeader, wrap } from '../../harness/core/render-grid.js';
import { VERDICTS } from '../../harness/core/types.js';
import { colorWanted, TerminalReporter, textWidth } from '../../harness/reporters/terminal.js';
import { BIG_ATTENTION, BIG_CASES, BIG_ROWS, bigRun } from '../support/big-run.js';
import { setEnv } from '../support/run-command.js';

const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
const ESC = '\x1b';

t.test('480 cells across 20 rows fit 120 and 80 columns, a case per row', async (t) => {
  const r = bigRun();
  t.equal(r.cells.length, 480);
  t.equal(BIG_ROWS.length, 20);
  for (const width of [120, 80]) {
    const text = renderText(r, { width });
    const lines = text.split('\n');
    t.ok(widest(text) <= width, `every line fits ${width} columns (widest ${widest(text)})`);
    const argsRow = lines.find((l) => l.startsWith('args '));
    t.equal(argsRow, `args${' '.repeat(13)}  ${BIG_ROWS.map((p) => (p.libc === 'musl' ? 'x' : '.')).join(' ')}`, 'a glyph a platform');
    t.equal(lines.filter((l) => BIG_CASES.some((c) => l.startsWith(`${c} `))).length, 24, 'a line per case, one block');
    t.equal(lines.filter((l) => l.startsWith('columns ')).length, 0, 'not split');
  }
  const lines = renderText(r, { width: 80 }).split('\n');
  const at = lines.findIndex((l) => l.startsWith('args '));
  t.same(
    lines.slice(at - 13, at).map((l) => l.length),
    verticalHeader(
      BIG_ROWS.map((p) => p.name),
      19,
    ).map((l) => l.length),
    'the platform names written downwards above their columns',
  );
  t.equal(lines[at - 1]!.slice(19).replace(/ /g, ''), BIG_ROWS.map((p) => p.name.at(-1)).join(''), 'each name ends above its glyph');
});

t.test('too narrow for a case per row: turned when that fits, else split into blocks that fit', async (t) => {
  const wide: GlyphGrid = {
    columns: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'],
    rows: [
      { name: 'alpha', verdicts: ['pass', 'fail', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass'] },
      { name: 'beta', verdicts: ['xfail', 'pass', 'pass', undefined, 'pass', 'pass', 'pass', 'error'] },
    ],
  };
  t.same(
    layoutGrid(wide, 14),
    [
      '    a',
      '    l b',
      '    p e',
      '    h t',
      '    a a',
      'p1  . x',
      'p2  F .',
      'p3  . .',
      'p4  .',
      'p5  . .',
      'p6  . .',
      'p7  . .',
      'p8  . E',
    ],
    '8 platforms do not fit 14 columns across, 2 cases do: platforms as rows',
  );
  const both = { ...wide, rows: [...wide.rows, ...'cdefghij'.split('').map((n) => ({ name: n, verdicts: wide.rows[0]!.verdicts }))] };
  const blocks = splitColumns(both, 14);
  t.same(
    blocks.map((b) => [b.title, b.columns]),
    [
      ['columns 1-4 of 8', ['p1', 'p2', 'p3', 'p4']],
      ['columns 5-8 of 8', ['p5', 'p6', 'p7', 'p8']],
    ],
    'neither way fits: blocks of whole columns',
  );
  const text = layoutGrid(both, 14).join('\n');
  t.ok(widest(text) <= 14, 'each block fits');
  t.match(text, /^columns 1-4 o…\n {7}p p p p\n {7}1 2 3 4\nalpha  \. F \. \.\n/);
  const r = bigRun();
  const narrow = renderText(r, { width: 40 });
  const gridLines = narrow.split('\n').filter((l) => /^(args|tls) /.test(l));
  t.equal(gridLines.length, 4, 'at 40 columns the 480 cells come in two blocks');
  t.ok(Math.max(...gridLines.map((l) => l.length)) <= 40);
});

t.test('the glyphs: one ASCII character each, all different, explained in the legend', async (t) => {
  t.same(Object.keys(GRID_GLYPH), [...VERDICTS]);
  t.equal(new Set(Object.values(GRID_GLYPH)).size, VERDICTS.length);
  for (const v of VERDICTS) t.match(GRID_GLYPH[v], /^[!-~]$/, `${v}: printable ASCII, one column wide in any font`);
  const text = renderText(bigRun(), { width: 120 });
  t.match(
    text,
    '\n  . pass   F fail   x xfail (known bug)   X xpass (known bug did not show)   T timeout   E error (harness or engine)\n  ~ flaky   - n/a\n',
  );
  t.match(
    text,
    '\nknown bugs (x):\n  x musl init argv (go#13492): https://github.com/golang/go/issues/13492\n  x IE TLS (go#54805): https://github.com/golang/go/issues/54805\n',
    'xfail labels stay in the notes',
  );
  t.match(text, /\n480 cells: 252 pass, 1 fail, 214 xfail, 1 xpass, 1 timeout, 8 error, 1 flaky, 2 na$/, 'the counts last');
  t.match(
    renderText(bigRun(), { width: 80 }),
    /\n480 cells: 252 pass, 1 fail, 214 xfail, 1 xpass, 1 timeout, 8 error, 1 flaky,\n  2 na$/,
    'wrapped to the width between counts',
  );
});

t.test('what needs attention: first, a line each, in verdict order then the run order', async (t) => {
  const r = bigRun();
  const bad = needsAttention(r.cells);
  t.same(
    bad.map((c) => `${c.verdict} ${c.id}`),
    [
      'fail threads/riscv64-glibc/go1.27',
      'xpass dlopen/loong64-glibc/go1.27',
      'timeout setenv-race/arm64-glibc/go1.27',
      'flaky signals/s390x-glibc/go1.27',
      ...['jni', 'python'].flatMap((k) =>
        ['arm5-glibc', 'arm6-glibc', 'ppc64le-glibc', 's390x-glibc'].map((p) => `error ${k}/${p}/go1.27`),
      ),
    ],
    'fail, xpass, timeout, flaky, error; xfail and na are not there',
  );
  const lines = renderText(r, { width: 120 }).split('\n');
  t.equal(lines[0], 'needs attention (12 of 480 cells):');
  t.equal(lines[1], '  F fail    threads/riscv64-glibc/go1.27  checks: not ok - 8 threads call Greet concurrently');
  t.equal(lines[2], '  X xpass   dlopen/loong64-glibc/go1.27  checks: expected IE TLS (go#54805) did not happen');
  t.equal(lines[3], '  T timeout setenv-race/arm64-glibc/go1.27  run: timed out after 44.0 s and was killed');
  t.equal(lines[4], '  ~ flaky   signals/s390x-glibc/go1.27  checks: flaky: 2 of 3 repetitions passed');
  t.equal(
    lines[5],
    '  E error   jni/arm5-glibc/go1.27  build: could not build the jni layer: the mirror has no libc6_2.41-12+deb13u5 for th…',
    'clipped to the width: matrix.md and report.html hold it whole',
  );
  t.equal(lines[13], '', 'then a blank line, then the grid');
  t.equal(Object.keys(BIG_ATTENTION).length + 8, bad.length);
});

t.test('the width: COLUMNS, else the terminal, else 120; colour only for a person at a terminal', async (t) => {
  t.equal(DEFAULT_TEXT_WIDTH, 120);
  t.equal(textWidth({}, { isTTY: true, columns: 97 }), 97, "a terminal's own width");
  t.equal(textWidth({}, { isTTY: false, columns: 97 }), 120, 'a pipe or a CI log: 120');
  t.equal(textWidth({}, {}), 120);
  t.equal(textWidth({ COLUMNS: '80' }, { isTTY: true, columns: 200 }), 80, 'COLUMNS overrides');
  t.equal(textWidth({ COLUMNS: '200' }, {}), 200, 'also in CI');
  t.equal(textWidth({ COLUMNS: 'wide' }, {}), 120, 'not a number: ignored');
  t.equal(textWidth({ COLUMNS: '10' }, {}), 40, 'never narrower than 40');
  t.equal(colorWanted({}, true), true);
  t.equal(colorWanted({}, false), false, 'a pipe');
  t.equal(colorWanted({ NO_COLOR: '1' }, true), false, 'NO_COLOR');
  t.equal(colorWanted({ CI: 'true' }, true), false, 'CI');
  t.equal(colorWanted({ TERM: 'dumb' }, true), false, 'TERM=dumb');
  const plain = renderText(bigRun(), { width: 120 });
  t.notOk(plain.includes(ESC), 'no paint given: no escape sequence anywhere');
  const red = (v: string, s: string) => `${ESC}[${v}]${s}${ESC}[0]`;
  const painted = renderText(bigRun(), { width: 120, paint: red });
  t.equal(painted.replace(/\x1b\[[a-z]*\]|\x1b\[0\]/g, ''), plain, 'colour changes nothing but the colour');
  t.match(painted, `tls${' '.repeat(16)}${red('pass', '.')} ${red('xfail', 'x')}`, 'each glyph painted by its verdict');
});

t.test('wrap', async (t) => {
  t.same(wrap('aaa bbb ccc ddd', 8), ['aaa bbb', 'ccc ddd']);
  t.same(wrap('aaa bbb ccc ddd', 11, 8), ['aaa bbb ccc', 'ddd']);
  t.same(wrap('x'.repeat(20), 8), ['x'.repeat(8), 'x'.repeat(8), 'xxxx'], 'a longer word is cut');
  t.same(wrap('', 8), ['']);
});

t.test('TerminalReporter ends with the text fitted to COLUMNS, else 120 in CI, with no escape sequence', async (t) => {
  t.teardown(setEnv({ CI: 'true', COLUMNS: undefined, NO_COLOR: undefined }));
  const r = bigRun();
  const closing = (columns?: string) => {
    const restore = setEnv({ COLUMNS: columns });
    try {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d.toString()));
      Object.assign(out, { isTTY: false });
      new TerminalReporter(out as unknown as NodeJS.WriteStream).onEnd(r, '/tmp/nonexistent-run');
      return text;
    } finally {
      restore();
    }
  };
  const ci = closing();
  t.ok(ci.startsWith(`\n${renderText(r, { width: 120 })}\n\nresults: `), 'the text at 120 columns, then where the files are');
  t.notOk(ci.includes(ESC), 'no colour in a CI log');
  t.ok(closing('80').startsWith(`\n${renderText(r, { width: 80 })}\n\n`), 'COLUMNS=80: the text at 80');
});
