import { join } from 'node:path';
import { renderMarkdown } from '../core/render.js';
import type { RunResults } from '../core/results.js';
import { appendText, writeAtomic } from '../edge/files.js';
import type { Reporter } from './reporter.js';

/** matrix.md: cases × platforms, with a legend and counts; also the GitHub Actions job summary when there is one. */
export class MarkdownReporter implements Reporter {
  onEnd(results: RunResults, runDir: string): void {
    const md = renderMarkdown(results);
    writeAtomic(join(runDir, 'matrix.md'), md);
    if (process.env.GITHUB_STEP_SUMMARY) appendText(process.env.GITHUB_STEP_SUMMARY, `${md}\n`);
  }
}
