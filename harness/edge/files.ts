import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/**
 * A small JSON cache of measurements keyed by a hash (emulation slowdowns,
 * canaries): a missing or unreadable file is an empty one, and a write that
 * fails is measured again next run, never an error.
 */
export class JsonCache<T> {
  readonly entries: Record<string, T>;

  constructor(
    private readonly file: string,
    fresh = false,
  ) {
    this.entries = fresh ? {} : JsonCache.read<T>(file);
  }

  private static read<T>(file: string): Record<string, T> {
    try {
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, T>) : {};
    } catch {
      return {};
    }
  }

  save(): void {
    try {
      writeAtomic(this.file, `${JSON.stringify(this.entries, null, 2)}\n`);
    } catch {
      // Measured again next run.
    }
  }
}
