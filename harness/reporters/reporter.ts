import type { RunResults } from '../core/results.js';
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

/** Fan one call out to every reporter. */
export function multiplex(reporters: Reporter[]): Required<Reporter> {
  return {
    onLog: (l) => reporters.forEach((r) => r.onLog?.(l)),
    onBegin: (i) => reporters.forEach((r) => r.onBegin?.(i)),
    onStep: (c, s) => reporters.forEach((r) => r.onStep?.(c, s)),
    onCellEnd: (c) => reporters.forEach((r) => r.onCellEnd?.(c)),
    onEnd: async (res, dir) => {
      for (const r of reporters) await r.onEnd?.(res, dir);
    },
  };
}
