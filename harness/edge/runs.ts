import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseRunResults } from '../core/merge.js';
import type { RunResults } from '../core/results.js';

/** A run directory (e.g. results/latest) or its results.json → the run and its directory. */
export function readRun(arg: string): { results: RunResults; dir: string } {
  let file = resolve(arg);
  let text: string;
  try {
    if (statSync(file).isDirectory()) file = join(file, 'results.json');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${arg}: ${code === 'ENOENT' ? 'no such run directory or results.json' : `cannot read: ${code ?? (e as Error).message}`}`);
  }
  return { results: parseRunResults(text, file), dir: dirname(file) };
}
