import { UsageError } from '../core/errors.js';
import { HtmlReporter } from './html.js';
import { JsonReporter } from './json.js';
import { JunitReporter } from './junit.js';
import { MarkdownReporter } from './markdown.js';
import type { Reporter } from './reporter.js';
import { TerminalReporter } from './terminal.js';

export const REPORTERS: Record<string, () => Reporter> = {
  terminal: () => new TerminalReporter(),
  json: () => new JsonReporter(),
  markdown: () => new MarkdownReporter(),
  junit: () => new JunitReporter(),
  html: () => new HtmlReporter(),
};

// The terminal goes last: its closing line lists the files the others wrote.
export const DEFAULT_REPORTERS = ['json', 'markdown', 'html', 'terminal'];

export function makeReporters(names: string[]): Reporter[] {
  const unknown = names.filter((n) => !(n in REPORTERS));
  if (unknown.length) throw new UsageError(`unknown reporter ${unknown.join(', ')}; known: ${Object.keys(REPORTERS).join(', ')}`);
  return names.map((n) => REPORTERS[n]!());
}
