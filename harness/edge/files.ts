import {
  accessSync,
  appendFileSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InfraError, UsageError } from '../core/errors.js';

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
    if (err.code === 'ENOSPC')
      throw new InfraError(`disk full while writing ${path}; free space and rerun (files already written are intact)`);
    throw new InfraError(`cannot write ${path}: ${err.message}`);
  }
}

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
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'it is not a directory'
        : code === 'EROFS'
          ? 'it is on a read-only file system'
          : code === 'EACCES' || code === 'EPERM'
            ? 'it is not writable'
            : code || (e as Error).message;
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

/** Which of `names` are files present in `dir`, in the order given. */
export const presentIn = (dir: string, names: readonly string[]): string[] => names.filter((n) => existsSync(join(dir, n)));

/** Add text to the end of a file someone else owns (GitHub's job summary). */
export const appendText = (path: string, text: string): void => appendFileSync(path, text);

/** Resolves once `path` exists (polled: a test seam's file, not worth a watcher); rejects when `signal` fires first. */
export function untilFileExists(path: string, signal: AbortSignal, everyMs = 200): Promise<void> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => existsSync(path) && done(resolve), everyMs);
    const stop = () => done(() => reject(new Error('the run ended before it was built')));
    const done = (end: () => void) => (clearInterval(poll), signal.removeEventListener('abort', stop), end());
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** Make a directory and its parents; its real path. */
export function makeDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return realpathSync(dir);
}

/** Point `<dir>/latest` at a run directory, atomically (rename over the old link). */
export function pointLatest(resultsDir: string, runId: string): void {
  const tmp = join(resultsDir, `.latest.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(runId, tmp);
  renameSync(tmp, join(resultsDir, 'latest'));
}

/** After a reporter failed: `latest` moves only to a run whose results.json was written. */
export function pointLatestIfResults(resultsDir: string, runId: string): void {
  if (existsSync(join(resultsDir, runId, 'results.json'))) pointLatest(resultsDir, runId);
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
