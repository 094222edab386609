import { resolve } from 'node:path';
import type { RunConfig } from '../cli/options.js';
import { EXIT, FatalError } from '../core/errors.js';
import type { BuildStats, RunResults } from '../core/results.js';
import { TaskRunner } from '../core/task-runner.js';
import { pointLatest, pointLatestIfResults } from '../edge/files.js';
import { harnessVersion } from '../edge/repo.js';
import { multiplex, type Reporter } from '../reporters/reporter.js';
import { assembleResults } from './assemble.js';
import { newRunId } from './run-dir.js';
import { IMAGE_TASKS, MATRIX_TASKS, newRunState, type RunState } from './tasks.js';

export { newRunId } from './run-dir.js';

/** What a run reports to, and what started it. */
export interface RunIO {
  reporters: Reporter[];
  /** The command line, as results.json records it. */
  argv: string[];
  /** Set by the CLI's signal handler. */
  signal?: AbortSignal;
}

/**
 * Run the matrix end to end: the tasks of run/tasks.ts in order (load, engine
 * and images, prepare, calibrate, restore, cells), then the reports. Throws
 * FatalError for problems that stop the run before any cell.
 */
export async function runMatrix(cfg: RunConfig, io: RunIO): Promise<RunResults> {
  const startedAt = new Date();
  // The first verdict's time, seen as any reporter sees it: what a user waits for the first answer (npm run bench).
  let firstVerdictAt: Date | undefined;
  const clock: Reporter = { onCellEnd: () => void (firstVerdictAt ??= new Date()) };
  const rep = multiplex([...io.reporters, clock]);
  const state = newRunState(cfg, rep, newRunId(startedAt), io.signal);
  const outcome = await new TaskRunner(MATRIX_TASKS, io.signal ? { signal: io.signal } : {}).run(state);
  const interrupted = outcome.status === 'interrupted';
  if (interrupted && !state.session) throw new FatalError('interrupted before the run started', EXIT.interrupted);
  const out = assembleResults({
    harnessVersion: harnessVersion(),
    runId: state.runId,
    startedAt,
    finishedAt: new Date(),
    argv: io.argv,
    jobs: cfg.jobs,
    interrupted,
    stoppedEarly: state.failures.hasReachedMaxFailures(),
    node: process.version,
    ...(cfg.shard ? { shard: cfg.shard } : {}),
    allCells: state.matrix!.allCells.length,
    tier: state.matrix!.tier,
    tierLeftOut: state.matrix!.tierLeftOut,
    cells: state.matrix!.cells,
    results: state.results,
    builds: buildStats(state),
    slowdowns: state.slowdowns,
    canaries: state.canaries,
    phases: outcome.phases,
    ...(firstVerdictAt ? { firstVerdictAt } : {}),
    resources: resources(),
    ...(state.rootfs && cfg.rootfs ? { rootfs: { path: resolve(cfg.rootfs), tag: state.rootfs.tag, id: state.rootfs.id } } : {}),
    images: state.images,
    hostLangs: state.hostLangs,
    platforms: state.matrix!.platforms,
    cases: state.matrix!.cases,
  });
  await report(rep, out, state);
  // After the reports, so a first run's results are not kept waiting on gigabytes of image export.
  if (!interrupted) await state.toolchains.saveToCache((l) => rep.onLog(l));
  return out;
}

/**
 * --images-only: build (or load from --image-cache, and save to it) the images
 * a run with these options would use, run nothing. For a CI step that warms
 * the engine before the runs, and for npm test, which builds them beside its
 * unit tests. Returns the number of host-language layers that could not be
 * built (each is one line already; a run would show them as its cells' errors).
 */
export async function prepareImages(cfg: RunConfig, say: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const state = newRunState(cfg, multiplex([{ onLog: say }]), newRunId(new Date()), signal);
  const outcome = await new TaskRunner(IMAGE_TASKS, signal ? { signal } : {}).run(state);
  if (outcome.status === 'interrupted') throw new FatalError('interrupted while building images', EXIT.interrupted);
  await state.toolchains.saveToCache(say);
  return (await state.toolchains.layers.errors()).length;
}

function buildStats(s: RunState): BuildStats {
  if (!s.builds) return { steps: 0, cacheHits: 0, ms: 0, goBuildMs: 0, compileMs: 0 };
  return { ...s.builds.stats, runCpuMs: s.hosts?.cpuMs ?? 0 };
}

/** Every reporter writes what it can; after a reporter failed, `latest` moves only to a run whose results.json was written. */
async function report(rep: Required<Reporter>, out: RunResults, s: RunState): Promise<void> {
  try {
    await rep.onEnd(out, s.runDir);
  } catch (e) {
    pointLatestIfResults(s.cfg.resultsDir, s.runId);
    throw e;
  }
  pointLatest(s.cfg.resultsDir, s.runId);
}

function resources(): { userMs: number; systemMs: number; maxRssMiB: number } {
  const u = process.resourceUsage();
  return { userMs: Math.round(u.userCPUTime / 1000), systemMs: Math.round(u.systemCPUTime / 1000), maxRssMiB: Math.round(u.maxRSS / 1024) };
}
