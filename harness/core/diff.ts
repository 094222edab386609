// What changed between two runs: regressions, fixes and everything else, cell by cell.

import { countsLine, SYMBOL } from './render.js';
import { isUnexpected, type RunResults } from './results.js';
import { markdownCode, markdownFileLink, markdownLink, markdownText } from './sanitize.js';
import type { CellResult, Stage, Verdict } from './types.js';

export interface DiffEntry {
  id: string;
  /** Verdict in the old run; absent for a cell only in the new run. */
  old?: Verdict;
  /** Verdict in the new run; absent for a cell only in the old run. */
  new?: Verdict;
  /** Stage and summary of the new cell (of the old one for a removed cell). */
  stage: Stage;
  summary: string;
  /** Upstream issue of the expectation that covers the cell: the new cell's, else the old one's. */
  link?: string;
  label?: string;
  /** The new cell's run log (else its first log), relative to the new run's directory, where diff.md is written. */
  log?: string;
}

export interface RunDiff {
  old: { id: string; startedAt: string; counts: RunResults['counts'] };
  new: { id: string; startedAt: string; counts: RunResults['counts'] };
  /** Was as expected (pass, xfail), now unexpected: fail, timeout, error (or flaky); xpass is a fix or another change. */
  regressions: DiffEntry[];
  /** xfail → xpass (an upstream fix probably landed: update the expectation), and fail or timeout → pass. */
  fixes: DiffEntry[];
  /** Any other change of verdict, e.g. fail → error, pass → xfail, anything ↔ na. */
  otherChanges: DiffEntry[];
  /** Cells only in the new run. */
  added: DiffEntry[];
  /** Cells only in the old run. */
  removed: DiffEntry[];
  /** Cells in both runs with the same verdict. */
  unchanged: number;
}

export type Change = 'unchanged' | 'regression' | 'fix' | 'other';

const EXPECTED: readonly Verdict[] = ['pass', 'xfail'];

/**
 * How a cell's verdict moved from one run to the next: a regression is expected → unexpected
 * (pass or xfail → fail, timeout, error, flaky); a fix is xfail → xpass or fail/timeout → pass.
 */
export function classifyChange(was: Verdict, now: Verdict): Change {
  if (was === now) return 'unchanged';
  if (EXPECTED.includes(was) && isUnexpected(now) && now !== 'xpass') return 'regression';
  if ((was === 'xfail' && now === 'xpass') || ((was === 'fail' || was === 'timeout') && now === 'pass')) return 'fix';
  return 'other';
}

function entry(oldCell: CellResult | undefined, newCell: CellResult | undefined): DiffEntry {
  const shown = (newCell ?? oldCell)!;
  const expectation = newCell?.expectation ?? oldCell?.expectation;
  const log = newCell ? (newCell.logs.run ?? Object.values(newCell.logs)[0]) : undefined;
  return {
    id: shown.id,
    ...(oldCell ? { old: oldCell.verdict } : {}),
    ...(newCell ? { new: newCell.verdict } : {}),
    stage: shown.stage,
    summary: shown.summary,
    ...(expectation ? { link: expectation.link, label: expectation.label } : {}),
    ...(log ? { log } : {}),
  };
}

/** Compare two runs cell by cell (by cell id); entries follow the new run's cell order (removed: the old run's). */
export function diffRuns(oldRun: RunResults, newRun: RunResults): RunDiff {
  const before = new Map(oldRun.cells.map((c) => [c.id, c]));
  const now = new Set(newRun.cells.map((c) => c.id));
  const d: RunDiff = {
    old: { id: oldRun.run.id, startedAt: oldRun.run.startedAt, counts: oldRun.counts },
    new: { id: newRun.run.id, startedAt: newRun.run.startedAt, counts: newRun.counts },
    regressions: [],
    fixes: [],
    otherChanges: [],
    added: [],
    removed: [],
    unchanged: 0,
  };
  for (const c of newRun.cells) {
    const o = before.get(c.id);
    if (!o) {
      d.added.push(entry(undefined, c));
      continue;
    }
    const change = classifyChange(o.verdict, c.verdict);
    if (change === 'unchanged') d.unchanged++;
    else (change === 'regression' ? d.regressions : change === 'fix' ? d.fixes : d.otherChanges).push(entry(o, c));
  }
  for (const o of oldRun.cells) if (!now.has(o.id)) d.removed.push(entry(o, undefined));
  return d;
}

// A GFM table cell: a pipe is escaped even inside a code span.
const cell = (md: string): string => md.replace(/(?<!\\)\|/g, '\\|');
const esc = (s: unknown): string => markdownText(String(s ?? '').replace(/\s+/g, ' '));
const verdictText = (v: Verdict | undefined): string => (v ? `${SYMBOL[v]} ${v}` : '·');

function table(entries: readonly DiffEntry[]): string[] {
  const out = ['| cell | was | now | summary | expectation | log |', '|---|---|---|---|---|---|'];
  for (const e of entries) {
    const link = e.link ? cell(markdownLink(e.link, e.label ?? e.link)) : '';
    const log = e.log ? cell(markdownFileLink('log', e.log)) : '';
    out.push(`| ${cell(markdownCode(e.id))} | ${verdictText(e.old)} | ${verdictText(e.new)} | ${esc(e.summary)} | ${link} | ${log} |`);
  }
  return out;
}

/** diff.md: a headline of counts, then one section with a table per kind of change. */
export function renderDiffMarkdown(d: RunDiff): string {
  const out: string[] = [];
  out.push(`# cshared-matrix diff ${esc(d.old.id)} → ${esc(d.new.id)}`, '');
  // The counts come from the two results.json files as they are: text too.
  out.push(`- old: ${esc(countsLine(d.old.counts))}`, `- new: ${esc(countsLine(d.new.counts))}`, '');
  // [heading, one, many, what it means, entries]
  const sections: [string, string, string, string, DiffEntry[]][] = [
    ['Regressions', 'regression', 'regressions', 'was pass or xfail, now fail, timeout, error or flaky', d.regressions],
    ['Fixes', 'fix', 'fixes', 'xfail → xpass: an upstream fix probably landed, update the expectation; fail or timeout → pass', d.fixes],
    ['Other changes', 'other change', 'other changes', 'any other change of verdict', d.otherChanges],
    ['Added', 'added', 'added', 'cells only in the new run', d.added],
    ['Removed', 'removed', 'removed', 'cells only in the old run', d.removed],
  ];
  out.push(
    `**${sections.map(([, one, many, , es]) => `${es.length} ${es.length === 1 ? one : many}`).join(' · ')} · ${d.unchanged} unchanged**`,
  );
  for (const [name, , , what, es] of sections) {
    out.push('', `## ${name} (${es.length})`, '', `_${what}_`, '');
    if (es.length) out.push(...table(es));
    else out.push('None.');
  }
  return `${out.join('\n')}\n`;
}
