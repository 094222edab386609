import type { Verdict } from './types.js';

/**
 * One character a verdict, ASCII as in pytest's progress line: a CI log that
 * strips colour, a font without symbols or a terminal that draws a symbol two
 * columns wide still shows a grid whose columns line up and read without colour.
 */
export const GRID_GLYPH: Record<Verdict, string> = {
  pass: '.',
  fail: 'F',
  xfail: 'x',
  xpass: 'X',
  timeout: 'T',
  error: 'E',
  flaky: '~',
  na: '-',
};

/** A cell the run does not have (a case that runs on some rows only). */
export const NO_CELL = ' ';

/** Colours a glyph (or any text about a verdict) for a terminal; the identity where colour is off. */
export type Paint = (v: Verdict, text: string) => string;
export const NO_PAINT: Paint = (_v, text) => text;

/** Rows of verdicts under column labels; every name and label already made safe for a terminal. */
export interface GlyphGrid {
  title?: string;
  columns: string[];
  rows: { name: string; verdicts: (Verdict | undefined)[] }[];
}

/** Longer row names are clipped: the attention list and matrix.md carry every full id. */
export const MAX_ROW_NAME = 32;

const codePoints = (s: string): number => [...s].length;
const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - codePoints(s)));
/** At most `n` code points, the last an ellipsis when something was cut. */
export const clipTo = (s: string, n: number): string => (codePoints(s) <= n ? s : `${[...s].slice(0, Math.max(0, n - 1)).join('')}…`);

/** The same verdicts with the axes swapped. */
export function turnGlyphGrid(g: GlyphGrid): GlyphGrid {
  return {
    ...(g.title ? { title: g.title } : {}),
    columns: g.rows.map((r) => r.name),
    rows: g.columns.map((name, i) => ({ name, verdicts: g.rows.map((r) => r.verdicts[i]) })),
  };
}

/** Labels written downwards, a character a line, each ending just above its column. */
export function verticalHeader(labels: string[], indent: number): string[] {
  const chars = labels.map((l) => [...l]);
  const height = Math.max(0, ...chars.map((c) => c.length));
  return Array.from({ length: height }, (_, line) =>
    (' '.repeat(indent) + chars.map((c) => c[line - (height - c.length)] ?? ' ').join(' ')).trimEnd(),
  );
}

const nameWidthOf = (g: GlyphGrid): number => Math.min(MAX_ROW_NAME, Math.max(0, ...g.rows.map((r) => codePoints(r.name))));
/** A glyph and a space a column, after the names and two spaces. */
const lineWidth = (g: GlyphGrid): number => nameWidthOf(g) + 2 + Math.max(0, 2 * g.columns.length - 1);

/** The grid cut into blocks of whole columns, each no wider than `width` (one column a block at the least). */
export function splitColumns(g: GlyphGrid, width: number): GlyphGrid[] {
  const per = Math.max(1, Math.floor((width - nameWidthOf(g) - 1) / 2));
  if (g.columns.length <= per) return [g];
  const blocks: GlyphGrid[] = [];
  for (let at = 0; at < g.columns.length; at += per) {
    const end = Math.min(g.columns.length, at + per);
    blocks.push({
      title: `${g.title ? `${g.title} · ` : ''}columns ${at + 1}-${end} of ${g.columns.length}`,
      columns: g.columns.slice(at, end),
      rows: g.rows.map((r) => ({ name: r.name, verdicts: r.verdicts.slice(at, end) })),
    });
  }
  return blocks;
}

function blockLines(g: GlyphGrid, width: number, paint: Paint): string[] {
  const nameWidth = nameWidthOf(g);
  const rows = g.rows.map((r) =>
    `${pad(clipTo(r.name, nameWidth), nameWidth)}  ${r.verdicts.map((v) => (v ? paint(v, GRID_GLYPH[v]) : NO_CELL)).join(' ')}`.trimEnd(),
  );
  return [...(g.title ? [clipTo(g.title, width)] : []), ...verticalHeader(g.columns, nameWidth + 2), ...rows];
}

/**
 * The grid as lines no wider than `width`: as given when it fits; turned
 * (columns as rows) when only that fits; else cut into blocks of columns.
 */
export function layoutGrid(g: GlyphGrid, width: number, paint: Paint = NO_PAINT): string[] {
  const turned = turnGlyphGrid(g);
  const chosen = lineWidth(g) <= width || lineWidth(turned) > width ? g : turned;
  return splitColumns(chosen, width).flatMap((b, i) => [...(i ? [''] : []), ...blockLines(b, width, paint)]);
}

/** Words on lines of at most `room` code points (`restRoom` after the first line); a word longer than a line is cut. */
export function wrap(text: string, room: number, restRoom = room): string[] {
  const lines: string[] = [];
  let line = '';
  const fits = () => Math.max(8, lines.length ? restRoom : room);
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (codePoints(next) <= fits() || !line) line = next;
    else {
      lines.push(line);
      line = word;
    }
    while (codePoints(line) > fits()) {
      const cps = [...line];
      const cut = fits();
      lines.push(cps.slice(0, cut).join(''));
      line = cps.slice(cut).join('');
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}
