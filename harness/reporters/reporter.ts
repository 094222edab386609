import { EXIT, FatalError } from '../core/errors.js';
import type { RunResults } from '../core/results.js';
import { terminalField } from '../core/sanitize.js';
import type { CellResult, CellSpec, Stage } from '../core/types.js';

export interface RunInfo {
  runId: string;
  /** Absolute directory this run writes to. */
  runDir: string;
  cells: readonly CellSpec[];
  jobs: number;
}

/**
 * What every output format implements, as in Playwright Test: the runner calls
 * these hooks and never knows which formats are listening. A new format is a
 * new file in this directory plus one line in index.ts.
 */
export interface Reporter {
  /** Lines from the harness itself: engine, images, warnings. */
  onLog?(line: string): void;
  onBegin?(info: RunInfo): void;
  /** A cell entered a stage (build, host-compile, run…). */
  onStep?(cell: CellSpec, stage: Stage): void;
  onCellEnd?(result: CellResult): void;
  /** The run is over (or interrupted): write files, print the matrix. */
  onEnd?(results: RunResults, runDir: string): Promise<void> | void;
}

/**
 * Fan one call out to every reporter. A reporter that throws never stops the
 * others (Playwright's multiplexer does the same): a live hook's failure is
 * said once on stderr; at the end every reporter writes what it can, then the
 * first failure is thrown as one line that names the others that failed too.
 */
export function multiplex(reporters: Reporter[]): Required<Reporter> {
  const told = new Set<Reporter>();
  const each = (call: (r: Reporter) => void) => {
    for (const r of reporters)
      try {
        call(r);
      } catch (e) {
        if (told.has(r)) continue;
        told.add(r);
        process.stderr.write(
          `cshared-matrix: the ${nameOf(r)} report failed: ${terminalField((e as Error).message)} (the other reports go on)\n`,
        );
      }
  };
  return {
    onLog: (l) => each((r) => r.onLog?.(l)),
    onBegin: (i) => each((r) => r.onBegin?.(i)),
    onStep: (c, s) => each((r) => r.onStep?.(c, s)),
    onCellEnd: (c) => each((r) => r.onCellEnd?.(c)),
    onEnd: async (res, dir) => {
      const failed: { name: string; error: Error }[] = [];
      for (const r of reporters)
        try {
          await r.onEnd?.(res, dir);
        } catch (e) {
          failed.push({ name: nameOf(r), error: e as Error });
        }
      if (!failed.length) return;
      const [first, ...rest] = failed;
      const more = rest.length
        ? ` (the ${rest.map((f) => f.name).join(', ')} report${rest.length > 1 ? 's' : ''} failed too; the others were written)`
        : ' (the other reports were written)';
      const exitCode = Math.max(...failed.map((f) => (f.error instanceof FatalError ? f.error.exitCode : EXIT.infra)));
      throw new FatalError(`${first!.error.message}${more}`, exitCode);
    },
  };
}

/** "html" for HtmlReporter: what --reporter calls it. */
const nameOf = (r: Reporter): string => r.constructor.name.replace(/Reporter$/, '').toLowerCase() || 'a';
