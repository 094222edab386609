// One matrix run through the real command line, into a test file's own results
// and cache directories, and the cells it wrote: what the containment files share.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The newest Go release: the column every lean integration run uses. */
export const NEWEST_GO = JSON.parse(readFileSync(join(ROOT, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;
export type Cell = RunResults['cells'][number];

/** `cshared-matrix --results resultsDir --cache cacheDir ARGS…`, with its exit code, output, results.json and a cell finder that says what went wrong. */
export function matrixRunner(resultsDir: string, cacheDir: string) {
  return async (...args: string[]) => {
    const p = await $({
      cwd: ROOT,
      nothrow: true,
      quiet: !process.env.CSM_TEST_VERBOSE,
      env: { ...process.env, CI: '1' },
    })`npx tsx harness/cli/main.ts --results ${resultsDir} --cache ${cacheDir} ${args}`;
    const file = join(resultsDir, 'latest', 'results.json');
    const results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResults) : undefined;
    const cell = (id: string): Cell => {
      const c = results?.cells.find((x) => x.id === id);
      if (!c) throw new Error(`no cell ${id} (exit ${p.exitCode}):\n${(p.stdout + p.stderr).slice(-3000)}`);
      return c;
    };
    return { code: p.exitCode, out: p.stdout + p.stderr, stderr: p.stderr, results, cell };
  };
}
