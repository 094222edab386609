import { join } from 'node:path';
import { writeAtomic } from '../edge/files.js';

/** The run directory's log files: every path a result names is relative to the run directory, so a run can be moved or merged. */
export class RunLogs {
  constructor(readonly runDir: string) {}

  write(rel: string, text: string): void {
    writeAtomic(join(this.runDir, rel), text);
  }
}
