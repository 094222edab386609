import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseRunResults, runFileProblem } from '../core/merge.js';
import type { RunResults } from '../core/results.js';

/** A file a run's results name that is not one of the run's regular files: left out, with this reason. */
export class RefusedRunFile extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'RefusedRunFile';
  }
}

/**
 * Open `rel` under the run directory `runDir` (a real path) for reading, only if it is a
 * regular file there: no symbolic link at its end or on the way (its real path is its own
 * path), no device or FIFO. A run directory can come from another machine (a shard's
 * artifact), and a link in it would make merge copy, and the report inline, its target.
 * Throws RefusedRunFile, or the errno error (ENOENT for a missing file).
 */
export function openRunFile(runDir: string, rel: string): number {
  const abs = join(runDir, rel);
  const lexical = runFileProblem(rel);
  if (lexical) throw new RefusedRunFile(abs, lexical);
  const st = lstatSync(abs);
  if (st.isSymbolicLink())
    throw new RefusedRunFile(abs, 'a symbolic link; merge reads only regular files inside the run directory (put the file itself there)');
  // A cell's bundle is a directory of the run, not a log: the caller decides (merge leaves bundles behind).
  if (st.isDirectory()) throw Object.assign(new Error(`${abs}: a directory`), { code: 'EISDIR' });
  if (!st.isFile()) throw new RefusedRunFile(abs, 'not a regular file; merge reads only regular files inside the run directory');
  if (realpathSync(abs) !== abs)
    throw new RefusedRunFile(
      abs,
      'reached through a symbolic link to a directory; merge reads only regular files inside the run directory',
    );
  // O_NOFOLLOW and the inode check close the window between the checks above and the open.
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const opened = fstatSync(fd);
  if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev) {
    closeSync(fd);
    throw new RefusedRunFile(abs, 'changed while it was being opened; merge reads only regular files inside the run directory');
  }
  return fd;
}

/**
 * Copy `rel` of the run directory `runDir` to `to` (parents made), if it is one
 * of the run's regular files (openRunFile: else RefusedRunFile). A file that is
 * not there, or a directory (a cell's bundle), is said, not thrown; an error
 * while copying is thrown as it is.
 */
export function copyRunFile(runDir: string, rel: string, to: string): 'copied' | 'missing' | 'directory' {
  let fd: number;
  try {
    fd = openRunFile(runDir, rel);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EISDIR') return 'directory';
    throw e;
  }
  try {
    mkdirSync(dirname(to), { recursive: true });
    copyFromFd(fd, to);
    return 'copied';
  } finally {
    closeSync(fd);
  }
}

/** Copy one open file to `to`, a chunk at a time (a log can be large). */
function copyFromFd(fd: number, to: string): void {
  const out = openSync(to, 'w');
  try {
    const buf = Buffer.alloc(1 << 16);
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) writeSync(out, buf, 0, n);
  } finally {
    closeSync(out);
  }
}

/** The run directory and results.json file an argument names, through the user's own links but no link inside the run. */
function locateRun(arg: string, root: boolean): { dir: string; file: string } {
  const given = realpathSync(resolve(arg));
  if (!statSync(given).isDirectory()) return { dir: dirname(given), file: basename(given) };
  if (!root || existsSync(join(given, 'results.json')) || !existsSync(join(given, 'latest', 'results.json')))
    return { dir: given, file: 'results.json' };
  const latest = realpathSync(join(given, 'latest'));
  // `latest` is the harness's own link to a sibling run; one that leads elsewhere is not a results root's.
  if (dirname(latest) !== given)
    throw new RefusedRunFile(join(given, 'latest'), 'leads outside the results directory; give the run directory itself');
  return { dir: latest, file: 'results.json' };
}

/**
 * A run directory (e.g. results/latest) or its results.json → the run and its
 * directory (a real path). With `root`, a results root (what --results DIR names: run
 * directories and `latest`) stands for its latest run, as a user who gave each
 * shard its own --results expects.
 */
export function readRun(arg: string, opts: { root?: boolean } = {}): { results: RunResults; dir: string } {
  let where: { dir: string; file: string };
  let text: string;
  try {
    where = locateRun(arg, !!opts.root);
    const fd = openRunFile(where.dir, where.file);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof RefusedRunFile) throw new UsageError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${arg}: ${code === 'ENOENT' ? 'no such run directory or results.json' : `cannot read: ${code ?? (e as Error).message}`}`,
    );
  }
  return { results: parseRunResults(text, join(where.dir, where.file)), dir: where.dir };
}
