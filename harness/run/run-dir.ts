import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError, UsageError } from '../core/errors.js';

/** The run's directory, or one line saying why --results cannot hold it (exit 2; a full disk is exit 3). */
export function makeRunDir(runDir: string, given: string): void {
  try {
    mkdirSync(join(runDir, 'logs'), { recursive: true });
    accessSync(runDir, constants.W_OK);
  } catch (e) {
    let code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOSPC') throw new InfraError(`disk full while creating ${runDir}; free space and rerun`);
    // A recursive mkdir names the leaf (ENOENT); the reason is with the nearest directory that exists.
    if (code === 'ENOENT') code = whyNotWritable(dirname(runDir)) ?? code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'it is not a directory' : code === 'EROFS' ? 'it is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'it is not writable' : code || (e as Error).message;
    throw new UsageError(`--results ${given}: cannot create a run directory there (${why}); pass a writable directory`);
  }
}

function whyNotWritable(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) {
      try {
        accessSync(d, constants.W_OK);
        return undefined;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

export const newRunId = (now = new Date()): string => `${now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
