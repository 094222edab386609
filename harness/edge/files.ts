import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InfraError } from '../core/errors.js';

/**
 * Write a file so that readers see the old content or the new, never a torn one:
 * a full disk leaves the previous file in place and says so in one line.
 */
export function writeAtomic(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC') throw new InfraError(`disk full while writing ${path}; free space and rerun (files already written are intact)`);
    throw new InfraError(`cannot write ${path}: ${err.message}`);
  }
}

/** Point `<dir>/latest` at a run directory, atomically (rename over the old link). */
export function pointLatest(resultsDir: string, runId: string): void {
  const tmp = join(resultsDir, `.latest.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(runId, tmp);
  renameSync(tmp, join(resultsDir, 'latest'));
}
