import { join } from 'node:path';
import type { RunResults } from '../core/results.js';
import { renderMarkdown } from '../core/render.js';
import { writeAtomic } from '../edge/files.js';
import type { Reporter } from './reporter.js';

/** matrix.md: cases × platforms, with a legend and counts. */
export class MarkdownReporter implements Reporter {
  onEnd(results: RunResults, runDir: string): void {
    writeAtomic(join(runDir, 'matrix.md'), renderMarkdown(results));
  }
}
