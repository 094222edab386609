import { join } from 'node:path';
import type { RunResults } from '../core/results.js';
import { writeAtomic } from '../edge/files.js';
import type { Reporter } from './reporter.js';

/** results.json: the schema-versioned record of the run, for CI systems and `diff`. */
export class JsonReporter implements Reporter {
  onEnd(results: RunResults, runDir: string): void {
    writeAtomic(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
}
