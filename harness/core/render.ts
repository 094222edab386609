import { type CanaryResult, laxLine, laxRows } from './canary.js';
import { shortLink } from './expect.js';
import { axesGo, goLabel, userlandOfAxes } from './matrix.js';
import { isUnexpected, type RunResults } from './results.js';
import { markdownCode, markdownLink, markdownText, terminalField } from './sanitize.js';
import { tierLine } from './tiers.js';
import type { CellResult, Verdict } from './types.js';
import { VERDICTS } from './types.js';
import { floorGroupLine, whereItLoads } from './where-it-loads.js';

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
export function toGrid(r: Pick<RunResults, 'cells'>): Grid {
  const gos = [...new Set(r.cells.map((c) => c.axes.go))];
  const uls = [...new Set(r.cells.map((c) => userlandOfAxes(c.axes)))];
  const plats = [...new Set(r.cells.map((c) => c.axes.platform))];
  const cases = [...new Set(r.cells.map((c) => c.axes.case))];
  const label = (p: string, g: string, u: string) => [p, ...(gos.length > 1 ? [goLabel(g)] : []), ...(uls.length > 1 ? [u] : [])].join(' ');
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
  const bad = r.cells.filter((c) => isUnexpected(c.verdict));
  if (bad.length) {
    out.push('', 'Unexpected cells:', '');
    for (const c of bad)
      out.push(
        `- ${markdownCode(c.id)} ${c.verdict} at ${esc(c.stage)}: ${esc(c.summary)}${c.logs.run ? ` (log: ${esc(c.logs.run)})` : ''}`,
      );
  }
  out.push(...markdownMachine(r));
  return `${out.join('\n')}\n`;
}

/** The known upstream bugs a run met, and why cells failed: Markdown lines (none when there is nothing to say). */
function markdownNotes(r: RunResults): string[] {
  const out: string[] = [];
  const esc = markdownText;
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
    out.push('Why cells failed (from the ELF facts of the built files):', '');
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

/** A terminal cell: symbol, verdict, and the upstream issue or the stage that failed. */
export function compactCellText(c: Pick<CellResult, 'verdict' | 'stage' | 'expectation'>): string {
  const s = `${TEXT_SYMBOL[c.verdict]} ${c.verdict}`;
  if (c.verdict === 'pass') return s;
  if (c.verdict === 'xfail' && c.expectation) return `${s} ${shortLink(c.expectation.link)}`;
  return `${s} @${c.stage}`;
}

/** The same cells with the axes swapped: a row per platform (and Go), a column per case. */
export function transposeGrid(g: Grid): Grid {
  return { columns: g.rows.map((r) => r.name), rows: g.columns.map((name, i) => ({ name, cells: g.rows.map((r) => r.cells[i]) })) };
}

/** A narrower cell for the transposed grid: the symbol, and the issue number or the stage. */
export function tinyCellText(c: Pick<CellResult, 'verdict' | 'stage' | 'expectation'>): string {
  if (c.verdict === 'pass' || c.verdict === 'na') return TEXT_SYMBOL[c.verdict];
  if (c.verdict === 'xfail' && c.expectation) return `${TEXT_SYMBOL.xfail} ${shortLink(c.expectation.link).replace(/^go#/, '#')}`;
  return `${TEXT_SYMBOL[c.verdict]} ${c.verdict}@${c.stage}`;
}

/**
 * A plain-text grid for terminals: columns padded to their widest cell, details
 * below. A case per row while the platforms fit across; with more platform
 * columns than cases (20 rows × 13 cases), a platform per row, so the grid
 * grows down a log instead of off the side of a terminal.
 */
export function renderText(r: RunResults): string {
  const byCase = toGrid(r);
  const tall = byCase.columns.length > Math.max(12, byCase.rows.length);
  const g = tall ? transposeGrid(byCase) : byCase;
  const text = tall ? tinyCellText : compactCellText;
  // Every string the run supplied is a terminalField: no control character, no workflow command.
  const field = terminalField;
  const table = [
    [tall ? 'platform' : 'case', ...g.columns],
    ...g.rows.map((row) => [row.name, ...row.cells.map((c) => (c ? text(c) : '·'))]),
  ].map((line) => line.map(field));
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => [...(line[i] ?? '')].length)));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].length));
  const lines = table.map((line) =>
    line
      .map((s, i) => pad(s, widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const notes = new Map<string, string>();
  for (const c of r.cells)
    if (c.verdict === 'xfail' && c.expectation)
      notes.set(shortLink(c.expectation.link), field(`${c.expectation.label}: ${c.expectation.link}`));
  if (notes.size) lines.push('', ...[...notes.values()].map((n) => `  ○ ${n}`));
  if (tall)
    lines.push(
      '',
      `  ${TEXT_SYMBOL.pass} pass  ${TEXT_SYMBOL.xfail} #N expected failure, golang/go issue N  ${TEXT_SYMBOL.na} not applicable`,
    );
  const why = [...new Set(r.cells.map((c) => c.explanation).filter((e): e is string => !!e))];
  if (why.length) lines.push('', 'why:', ...why.map((w) => `  ${field(w)}`));
  const floors = whereItLoads(r.cells);
  if (floors.length) lines.push('', 'where it loads:', ...floors.map((g) => `  ${field(floorGroupLine(g))}`));
  const bad = r.cells.filter((c) => isUnexpected(c.verdict));
  if (bad.length) lines.push('', ...bad.map((c) => `  ${TEXT_SYMBOL[c.verdict]} ${field(`${c.id}: ${c.summary}`)}`));
  lines.push('', field(countsLine(r.counts)));
  const tier = tierLine(r);
  if (tier) lines.push(field(tier));
  return lines.join('\n');
}
