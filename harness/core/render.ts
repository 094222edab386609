import { type CanaryResult, laxLine, laxRows } from './canary.js';
import { shortLink } from './expect.js';
import { axesGo, goLabel, userlandOfAxes } from './matrix.js';
import { clipTo, type GlyphGrid, GRID_GLYPH, layoutGrid, NO_PAINT, type Paint, wrap } from './render-grid.js';
import type { RunResults } from './results.js';
import { markdownCode, markdownLink, markdownText, terminalField } from './sanitize.js';
import { tierLine } from './tiers.js';
import type { CellResult, Verdict } from './types.js';
import { VERDICTS } from './types.js';
import { floorGroupLine, whereItLoads } from './where-it-loads.js';
import { platformLabel, wineByPlatform, wineLine } from './windows.js';

export const SYMBOL: Record<Verdict, string> = {
  pass: '✅',
  fail: '❌',
  xfail: '☑️',
  xpass: '❗',
  timeout: '⏱️',
  error: '⚠️',
  flaky: '🔀',
  na: '➖',
};

export const MEANING: Record<Verdict, string> = {
  pass: 'the host ran and every check passed',
  fail: 'a build, the load, the run or a check failed, and no expectation covers it',
  xfail: 'failed exactly as a known upstream bug says it does (the link says which)',
  xpass: 'a known upstream bug did not show up: it may be fixed, update the expectation',
  timeout: 'the host ran past its time limit and was killed',
  error: 'the harness or the engine failed; nothing was learned about Go here',
  flaky: 'with --repeat, the repetitions disagreed (the counts say how); never promoted to pass',
  na: 'not applicable: the cell cannot exist on this platform (e.g. no Python for it in the image)',
};

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** A cell's text: a symbol and a few words. */
export function cellText(c: Pick<CellResult, 'verdict' | 'summary'>, width = 48): string {
  if (c.verdict === 'pass') return `${SYMBOL.pass} pass`;
  return `${SYMBOL[c.verdict]} ${c.verdict}: ${clip(c.summary.replace(/\s+/g, ' '), width)}`;
}

function compactMarkdown(c: Pick<CellResult, 'verdict' | 'expectation'>): string {
  if (c.verdict === 'pass') return SYMBOL.pass;
  return `${SYMBOL[c.verdict]}${c.verdict === 'xfail' && c.expectation ? ` ${shortLink(c.expectation.link)}` : ` ${c.verdict}`}`;
}

export interface Grid {
  columns: string[];
  rows: { name: string; cells: (CellResult | undefined)[] }[];
}

/** Cases as rows; platforms as columns, one column per platform × Go (× userland) when several Go versions (userlands) ran. */
export function toGrid(r: Pick<RunResults, 'cells'>, o: { wine?: boolean } = {}): Grid {
  const gos = [...new Set(r.cells.map((c) => c.axes.go))];
  const uls = [...new Set(r.cells.map((c) => userlandOfAxes(c.axes)))];
  const plats = [...new Set(r.cells.map((c) => c.axes.platform))];
  const cases = [...new Set(r.cells.map((c) => c.axes.case))];
  // Markdown and HTML head a Windows column with its Wine; the terminal's names are written downwards, and its note says it.
  const wine = o.wine === false ? new Map<string, string>() : wineByPlatform(r.cells);
  const label = (p: string, g: string, u: string) =>
    [platformLabel(p, wine), ...(gos.length > 1 ? [goLabel(g)] : []), ...(uls.length > 1 ? [u] : [])].join(' ');
  const cols = plats.flatMap((p) => gos.flatMap((g) => uls.map((u) => ({ key: `${p}\0${g}\0${u}`, label: label(p, g, u) }))));
  const byKey = new Map(r.cells.map((c) => [`${c.axes.case}\0${c.axes.platform}\0${c.axes.go}\0${userlandOfAxes(c.axes)}`, c]));
  return {
    columns: cols.map((c) => c.label),
    rows: cases.map((name) => ({ name, cells: cols.map((col) => byKey.get(`${name}\0${col.key}`)) })),
  };
}

export function countsLine(counts: RunResults['counts']): string {
  const parts = VERDICTS.map((v) => `${counts[v]} ${v}`);
  return `${counts.total} cells: ${parts.join(', ')}`;
}

export function renderMarkdown(r: RunResults): string {
  const g = toGrid(r);
  const gos = [...new Set(r.cells.map((c) => axesGo(c.axes)))];
  const out: string[] = [];
  // Every string from the run (cases, hosts, rows, a merged results.json) is markdownText: only our own text makes Markdown.
  const esc = markdownText;
  out.push(`# cshared-matrix run ${esc(r.run.id)}`, '');
  out.push(
    `Go ${esc(gos.join(', '))} · ${r.cells.length} cells · ${esc((r.run.durationMs / 1000).toFixed(1))} s${r.run.interrupted ? ' · **interrupted**' : ''}`,
    '',
  );
  out.push(...markdownAttention(r.cells));
  out.push(`| case | ${g.columns.map(esc).join(' | ')} |`);
  out.push(`|---|${g.columns.map(() => '---').join('|')}|`);
  // Many columns (several Go versions): a symbol and the issue, so the table still fits a page.
  const text = (c: CellResult) => (g.columns.length > 8 ? compactMarkdown(c) : cellText(c));
  for (const row of g.rows) out.push(`| ${esc(row.name)} | ${row.cells.map((c) => (c ? esc(text(c)) : '·')).join(' | ')} |`);
  out.push('', `**${esc(countsLine(r.counts))}**`, '');
  const tier = tierLine(r);
  if (tier) out.push(esc(tier), '');
  out.push(...markdownNotes(r));
  const floors = whereItLoads(r.cells);
  if (floors.length)
    out.push(
      'Where it loads (glibc floor, or what musl lacks, of each Go library):',
      '',
      ...floors.map((g) => `- ${esc(floorGroupLine(g))}`),
      '',
    );
  out.push('Legend:', '');
  for (const v of VERDICTS) out.push(`- ${SYMBOL[v]} **${v}**: ${MEANING[v]}`);
  out.push(...markdownMachine(r));
  return `${out.join('\n')}\n`;
}

/** What needs attention, before the table: a line a cell, in full. */
function markdownAttention(cells: readonly CellResult[]): string[] {
  const bad = needsAttention(cells);
  if (!bad.length) return [];
  const esc = markdownText;
  return [
    `Needs attention (${bad.length} of ${cells.length} cells):`,
    '',
    ...bad.map(
      (c) =>
        `- ${SYMBOL[c.verdict]} ${markdownCode(c.id)} ${c.verdict} at ${esc(c.stage)}: ${esc(c.summary)}${c.logs.run ? ` (log: ${esc(c.logs.run)})` : ''}`,
    ),
    '',
  ];
}

/** The known upstream bugs a run met, and why cells failed: Markdown lines (none when there is nothing to say). */
function markdownNotes(r: RunResults): string[] {
  const out: string[] = [];
  const esc = markdownText;
  const wine = wineLine(wineByPlatform(r.cells));
  if (wine) out.push(esc(wine), '');
  const expected = new Map<string, { label: string; reason?: string }>();
  for (const c of r.cells)
    if (c.expectation)
      expected.set(c.expectation.link, { label: c.expectation.label, ...(c.expectation.reason ? { reason: c.expectation.reason } : {}) });
  if (expected.size) {
    out.push('Known upstream bugs in this run:', '');
    for (const [link, e] of expected) out.push(`- ${esc(e.label)}: ${markdownLink(link)}${e.reason ? ` — ${esc(e.reason)}` : ''}`);
    out.push('');
  }
  const why = new Map<string, string[]>();
  for (const c of r.cells) if (c.explanation) why.set(c.explanation, [...(why.get(c.explanation) ?? []), c.id]);
  if (why.size) {
    out.push('Why cells failed (from the ELF or PE facts of the built files):', '');
    for (const [text, ids] of why)
      out.push(
        `- ${esc(text)} — ${ids.length} cell${ids.length > 1 ? 's' : ''}: ${ids.slice(0, 6).map(markdownCode).join(', ')}${ids.length > 6 ? ', …' : ''}`,
      );
    out.push('');
  }
  return out;
}

/** The toolchain images, the emulation slowdown and the CPU models' strictness: Markdown lines. */
function markdownMachine(r: RunResults): string[] {
  const out: string[] = [];
  const esc = markdownText;
  const tools = r.images[0]?.tools;
  if (tools) {
    out.push('', 'Toolchain:', '');
    for (const img of r.images)
      out.push(
        `- image ${markdownCode(img.tag)} (${esc(String(img.id).slice(7, 19))}): ${esc(
          Object.entries(img.tools)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        )}`,
      );
  }
  const emu = emulationLine(r);
  if (emu) out.push('', `Emulation, measured on this machine (host timeouts scale by it): ${esc(emu)}`);
  const can = canaryLines(r, esc);
  if (can.length) out.push('', "CPU model strictness (each row's canary must die with SIGILL):", '', ...can.map((l) => `- ${l}`));
  return out;
}

/** One line per emulated row: its canary's level and outcome; lax rows first, said so. `text` escapes what the run supplied for the format. */
export function canaryLines(r: RunResults, text: (s: string) => string = (s) => s): string[] {
  const e = Object.entries(r.run.canaries ?? {});
  const lax = new Set(laxRows(r.run.canaries ?? {}));
  const line = ([name, c]: [string, CanaryResult & { cached?: boolean }]) =>
    c.outcome === 'none'
      ? text(`${name}: no canary (${c.level})`)
      : lax.has(name)
        ? `**${text(laxLine(name, c))}**`
        : text(`${name}: ${c.level}: ${c.detail}${c.cached ? ' (measured earlier in this image)' : ''}${c.note ? `; ${c.note}` : ''}`);
  return [...e.filter(([n]) => lax.has(n)), ...e.filter(([n]) => !lax.has(n))].map(line);
}

/** "arm7-glibc 6.2× slower, …": each emulated platform's measured slowdown, or undefined when none was measured. */
export function emulationLine(r: RunResults): string | undefined {
  const e = Object.entries(r.run.emulation ?? {});
  return e.length ? e.map(([name, s]) => `${name} ${s.factor}× slower`).join(', ') : undefined;
}

/** Narrow symbols: terminals draw emoji two columns wide and would break the grid. */
export const TEXT_SYMBOL: Record<Verdict, string> = {
  pass: '✓',
  fail: '✗',
  xfail: '○',
  xpass: '!',
  timeout: '⧖',
  error: '⚠',
  flaky: '~',
  na: '-',
};

/** The same cells with the axes swapped: a row per platform (and Go), a column per case. */
export function transposeGrid(g: Grid): Grid {
  return { columns: g.rows.map((r) => r.name), rows: g.columns.map((name, i) => ({ name, cells: g.rows.map((r) => r.cells[i]) })) };
}

/** What needs a reader first, as Playwright and nextest list failures before anything else. */
export const ATTENTION: readonly Verdict[] = ['fail', 'xpass', 'timeout', 'flaky', 'error'];

/** The cells that need attention: by verdict in ATTENTION's order, then in the run's order. */
export function needsAttention<C extends Pick<CellResult, 'verdict'>>(cells: readonly C[]): C[] {
  return ATTENTION.flatMap((v) => cells.filter((c) => c.verdict === v));
}

/** "run: timed out after …": the summary, led by its stage unless it already is. */
export function stageSummary(c: Pick<CellResult, 'stage' | 'summary'>): string {
  return c.summary.startsWith(`${c.stage}:`) ? c.summary : `${c.stage}: ${c.summary}`;
}

/** Where the terminal's width is unknown (a CI log, a pipe): GitHub's log view shows this much unwrapped. */
export const DEFAULT_TEXT_WIDTH = 120;

export interface TextOptions {
  /** Columns the output may use; every grid line fits (a long note wraps). */
  width?: number;
  paint?: Paint;
}

/**
 * The closing text for terminals and CI logs: what needs attention, then the
 * grid (a glyph a cell, fitted to the width), the legend and notes, then the
 * counts. Every string the run supplied is a terminalField: no control
 * character, no workflow command.
 */
export function renderText(r: RunResults, o: TextOptions = {}): string {
  const width = o.width ?? DEFAULT_TEXT_WIDTH;
  const paint = o.paint ?? NO_PAINT;
  const grids = glyphGrids(r.cells);
  const gaps = grids.some((g) => g.rows.some((row) => row.verdicts.includes(undefined)));
  const lines = [
    ...attentionText(r.cells, width, paint),
    ...grids.flatMap((g, i) => [...(i ? [''] : []), ...layoutGrid(g, width, paint)]),
    '',
    ...legendText(width, paint, gaps),
    ...notesText(r, width),
  ];
  lines.push('', ...summaryLines(r).flatMap((l) => summaryWrap(l, width)));
  return lines.join('\n');
}

/** A summary line that fits the width, broken between counts, never inside "2 na". */
function summaryWrap(line: string, width: number): string[] {
  return wrap(line.replace(/(\d) (?=\w)/g, '$1\u00a0'), width, width - 2).map((w, i) => `${i ? '  ' : ''}${w.replace(/\u00a0/g, ' ')}`);
}

/** The last lines: the counts (and whatever else sums the run up). */
export function summaryLines(r: RunResults): string[] {
  const tier = tierLine(r);
  return [terminalField(countsLine(r.counts)), ...(tier ? [terminalField(tier)] : [])];
}

/** A line each, clipped to the width: matrix.md, report.html and the line printed as the cell ended hold the whole summary. */
function attentionText(cells: readonly CellResult[], width: number, paint: Paint): string[] {
  const bad = needsAttention(cells);
  if (!bad.length) return [];
  const lines = bad.map((c) => {
    const lead = `${GRID_GLYPH[c.verdict]} ${c.verdict.padEnd(7)}`;
    const text = clipTo(terminalField(`${c.id}  ${stageSummary(c)}`), width - lead.length - 3);
    return `  ${paint(c.verdict, lead)} ${text}`;
  });
  return [`needs attention (${bad.length} of ${cells.length} cells):`, ...lines, ''];
}

/** A grid per Go (and userland), cases as rows, platforms as columns. */
function glyphGrids(cells: readonly CellResult[]): GlyphGrid[] {
  const key = (c: CellResult) => `${goLabel(c.axes.go)}\0${userlandOfAxes(c.axes)}`;
  const keys = [...new Set(cells.map(key))];
  const uls = new Set(cells.map((c) => userlandOfAxes(c.axes)));
  const cases = [...new Set(cells.map((c) => c.axes.case))];
  return keys.map((k) => {
    const g = toGrid({ cells: cells.filter((c) => key(c) === k) }, { wine: false });
    const byCase = new Map(g.rows.map((row) => [row.name, row.cells]));
    const [go, ul] = k.split('\0');
    return {
      ...(keys.length > 1 ? { title: terminalField(uls.size > 1 ? `${go} · ${ul}` : go) } : {}),
      columns: g.columns.map(terminalField),
      rows: cases.map((name) => ({ name: terminalField(name), verdicts: g.columns.map((_, i) => byCase.get(name)?.[i]?.verdict) })),
    };
  });
}

const LEGEND_WORDS: Record<Verdict, string> = {
  pass: 'pass',
  fail: 'fail',
  xfail: 'xfail (known bug)',
  xpass: 'xpass (known bug did not show)',
  timeout: 'timeout',
  error: 'error (harness or engine)',
  flaky: 'flaky',
  na: 'n/a',
};

function legendText(width: number, paint: Paint, gaps: boolean): string[] {
  const items = VERDICTS.map((v) => ({
    plain: `${GRID_GLYPH[v]} ${LEGEND_WORDS[v]}`,
    shown: `${paint(v, GRID_GLYPH[v])} ${LEGEND_WORDS[v]}`,
  }));
  if (gaps) items.push({ plain: '(blank: no such cell)', shown: '(blank: no such cell)' });
  const lines: string[] = [];
  let plain = '';
  let shown = '';
  for (const it of items) {
    if (plain && 2 + [...plain].length + 3 + it.plain.length > width) {
      lines.push(`  ${shown}`);
      plain = shown = '';
    }
    plain = plain ? `${plain}   ${it.plain}` : it.plain;
    shown = shown ? `${shown}   ${it.shown}` : it.shown;
  }
  return [...lines, `  ${shown}`];
}

/** A note on lines that fit the width: two spaces in, four on the lines it wraps onto. */
function noteLines(text: string, width: number): string[] {
  return wrap(terminalField(text), width - 2, width - 4).map((l, i) => terminalField(`${i ? '    ' : '  '}${l}`));
}

function notesText(r: RunResults, width: number): string[] {
  const lines: string[] = [];
  const bugs = new Map<string, string>();
  for (const c of r.cells)
    if (c.verdict === 'xfail' && c.expectation)
      bugs.set(c.expectation.link, `${GRID_GLYPH.xfail} ${c.expectation.label}: ${c.expectation.link}`);
  if (bugs.size) lines.push('', 'known bugs (x):', ...[...bugs.values()].flatMap((n) => noteLines(n, width)));
  const why = [...new Set(r.cells.map((c) => c.explanation).filter((e): e is string => !!e))];
  if (why.length) lines.push('', 'why:', ...why.flatMap((w) => noteLines(w, width)));
  const floors = whereItLoads(r.cells);
  if (floors.length) lines.push('', 'where it loads:', ...floors.flatMap((g) => noteLines(floorGroupLine(g), width)));
  const wine = wineLine(wineByPlatform(r.cells));
  if (wine) lines.push('', 'windows:', ...noteLines(wine, width));
  return lines;
}
