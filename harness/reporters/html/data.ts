// What report.html's script reads from the page's JSON island: html.ts writes
// it, page.js reads it, and both are type-checked against these types, so the
// two cannot drift apart. Types only: page.js is checked against the DOM, not Node.
import type { CellResult, Verdict } from '../../core/types.js';

/** A log file as inlined into the report. */
export interface InlinedLog {
  /** Absent when the file could not be read; `missing` says why. */
  text?: string;
  bytes?: number;
  /** Bytes left out of the middle of a long log. */
  omitted?: number;
  missing?: string;
}

export interface HtmlData {
  cells: CellResult[];
  logs: Record<string, InlinedLog>;
  cases: Record<string, string>;
  symbols: Record<Verdict, string>;
}
