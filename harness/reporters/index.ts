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

export const DEFAULT_REPORTERS = ['json', 'markdown', 'html', 'terminal'];

/**
 * One reporter per name, each once, the terminal last whatever order the user
 * gave: its closing line lists the files the others wrote, so they must have
 * written them.
 */
export function makeReporters(names: string[]): Reporter[] {
  const unknown = names.filter((n) => !(n in REPORTERS));
  if (unknown.length) throw new UsageError(`unknown reporter ${unknown.join(', ')}; known: ${Object.keys(REPORTERS).join(', ')}`);
  const unique = [...new Set(names)];
  const ordered = [...unique.filter((n) => n !== 'terminal'), ...unique.filter((n) => n === 'terminal')];
  return ordered.map((n) => REPORTERS[n]!());
}
