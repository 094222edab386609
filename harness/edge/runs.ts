import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseRunResults } from '../core/merge.js';
import type { RunResults } from '../core/results.js';

/**
 * A run directory (e.g. results/latest) or its results.json → the run and its
 * directory. With `root`, a results root (what --results DIR names: run
 * directories and `latest`) stands for its latest run, as a user who gave each
 * shard its own --results expects.
 */
export function readRun(arg: string, opts: { root?: boolean } = {}): { results: RunResults; dir: string } {
  let file = resolve(arg);
  let text: string;
  try {
    if (statSync(file).isDirectory()) {
      const latest = join(file, 'latest', 'results.json');
      file = opts.root && !existsSync(join(file, 'results.json')) && existsSync(latest) ? realpathSync(latest) : join(file, 'results.json');
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${arg}: ${code === 'ENOENT' ? 'no such run directory or results.json' : `cannot read: ${code ?? (e as Error).message}`}`);
  }
  return { results: parseRunResults(text, file), dir: dirname(file) };
}
