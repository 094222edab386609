import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { RunConfig } from '../cli/options.js';
import type { CanaryResult } from '../core/canary.js';
import { layersLine, layersOfCells } from '../core/cell-images.js';
import type { Slowdown } from '../core/emulation.js';
import { timeoutScale } from '../core/emulation.js';
import { FailureTracker } from '../core/failure-tracker.js';
import { type FloorRelease, floorLines } from '../core/floor-toolchain.js';
import { hostLimit } from '../core/hang-deadline.js';
import { hostLangOf } from '../core/host-kind.js';
import type { HostLangInfo, ImageInfo } from '../core/results.js';
import type { Task } from '../core/task-runner.js';
import { namedNightlyLines } from '../core/tiers.js';
import type { CaseSpec, CellResult, ExpectationRule, Platform } from '../core/types.js';
import { makeArtifactDir } from '../edge/artifact-cache.js';
import { ensureEngine } from '../edge/engine.js';
import { makeRunDir } from '../edge/files.js';
import { currentFloorTags, releaseForFloor } from '../edge/floor-images.js';
import { type BuiltImage, currentToolchainTags, ensureRootfsImage, pruneImages } from '../edge/images.js';
import { currentLangTags } from '../edge/lang-images.js';
import { programsHash } from '../edge/programs.js';
import { DEFAULT_LIMITS, IMAGE_CACHE_RUN, removeOwn, Session, sweepStale } from '../edge/sandbox.js';
import type { Reporter } from '../reporters/reporter.js';
import { Builds } from './builds.js';
import { runCanaries } from './canaries.js';
import { CellRunner, type ImageOfRun } from './cell.js';
import { EngineWatch } from './engine-watch.js';
import { HostRuns } from './host-runs.js';
import { RunImages } from './images.js';
import { type LangOutcome, LangStarts, langPairs } from './langs.js';
import { type LoadedMatrix, loadMatrix } from './load.js';
import { RunLogs } from './run-logs.js';
import { calibrate, Preparer } from './setup.js';

/** Everything one run shares; each task fills in its part, in order. */
export interface RunState {
  readonly cfg: RunConfig;
  readonly rep: Required<Reporter>;
  readonly runId: string;
  readonly runDir: string;
  readonly signal?: AbortSignal;
  /** One hash over harness/c and harness/java: hosts compile against them, calibration depends on them. */
  readonly programsHash: string;
  readonly failures: FailureTracker;
  matrix?: LoadedMatrix;
  docker?: Docker;
  toolchains: RunImages;
  rootfs?: BuiltImage;
  session?: Session;
  builds?: Builds;
  hosts?: HostRuns;
  cellRunner?: CellRunner;
  images: ImageInfo[];
  /** Each row's Python or JVM, started once its image is had: ready, or n/a with the reason. */
  langs?: LangStarts;
  hostLangs: HostLangInfo[];
  slowdowns: Map<string, Slowdown>;
  canaries: Map<string, CanaryResult>;
  results: CellResult[];
}

export function newRunState(cfg: RunConfig, rep: Required<Reporter>, runId: string, signal?: AbortSignal): RunState {
  return {
    cfg,
    rep,
    runId,
    runDir: join(cfg.resultsDir, runId),
    ...(signal ? { signal } : {}),
    programsHash: programsHash(),
    failures: new FailureTracker(cfg.maxFailures),
    toolchains: new RunImages(),
    images: [],
    hostLangs: [],
    slowdowns: new Map(),
    canaries: new Map(),
    results: [],
  };
}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`internal: ${what} is not ready`);
  return v;
};

/** Input first: bad input is one line before anything touches the engine. */
const load: Task<RunState> = {
  name: 'load',
  run: async (s) => {
    s.matrix = loadMatrix(s.cfg);
    for (const line of namedNightlyLines(s.matrix.namedNightly)) s.rep.onLog(line);
    makeRunDir(s.runDir, s.cfg.resultsArg);
  },
};

/** --images-only reads the same input but writes no run directory. */
const loadInput: Task<RunState> = { name: 'load', run: async (s) => void (s.matrix = loadMatrix(s.cfg)) };

/**
 * The toolchain images, awaited; the layers of host languages and older
 * userlands started beside them and left building: each cell awaits its own
 * (core/cell-images.ts). --images-only awaits them all (`withLayers`).
 */
const engineTask = (withLayers: boolean): Task<RunState> => ({
  name: 'engine+images',
  run: async (s) => {
    const say = (l: string) => s.rep.onLog(l);
    const docker = (s.docker = await ensureEngine(say, { address: s.cfg.engine }));
    const swept = await sweepStale(docker);
    if (swept) say(`removed ${swept} containers/volumes left by earlier runs that died`);
    if (s.cfg.pruneImages) await pruneImages(docker, [...currentToolchainTags(), ...currentLangTags(), ...currentFloorTags()], say);
    const matrix = need(s.matrix, 'the matrix');
    // Only the layers of the rows whose cells have a Python or Java host, or load on an older userland; none in a user's rootfs.
    const layers = layersOfCells(matrix.cells, new Map(matrix.cases.map((c) => [c.name, c])), !!s.cfg.rootfs);
    await s.toolchains.ensure(docker, matrix.gos, matrix.platforms, layers, say, {
      rebuild: !!s.cfg.rebuildImages,
      imageCache: s.cfg.imageCache,
      baseImage: s.cfg.baseImage,
      ...floorOf(s),
      ...(s.cfg.testLayerGate ? { layerGate: s.cfg.testLayerGate } : {}),
    });
    for (const line of floorLines(floorOf(s).floor, matrix.platforms)) say(line);
    if (s.cfg.rootfs) s.rootfs = await ensureRootfsImage(docker, s.cfg.rootfs, say);
    if (withLayers) await s.toolchains.layers.ready();
  },
  // Ctrl-C: the layers still building stop at once (a build's stream closed, a sysroot's container removed).
  abort: (s) => void s.toolchains.layers.stop(),
  // Layers no cell waited for (--max-failures stopped them) stop too; a Ctrl-C in a layer's save or restore leaves no container.
  teardown: async (s) => {
    await s.toolchains.layers.stop();
    if (s.docker) await removeOwn(s.docker, IMAGE_CACHE_RUN);
  },
});

/** --glibc-floor's release (core/floor-toolchain.ts), checked when the flags were read. */
const floorOf = (s: RunState): { floor?: FloorRelease } => (s.cfg.glibcFloor ? { floor: releaseForFloor(s.cfg.glibcFloor) } : {});

/** The run's volume and containers: removed in the teardown, and at once on Ctrl-C so everything in flight ends. */
const prepare: Task<RunState> = {
  name: 'prepare',
  run: async (s) => {
    makeArtifactDir(s.cfg.cacheDir);
    const session = (s.session = new Session(
      need(s.docker, 'the engine'),
      s.runId,
      { ...DEFAULT_LIMITS, buildQuotaMiB: s.cfg.buildQuotaMiB ?? DEFAULT_LIMITS.buildQuotaMiB },
      s.cfg.cacheDir,
      s.cfg.jobs,
    ));
    await session.open();
    const matrix = need(s.matrix, 'the matrix');
    const preparer = new Preparer(session, matrix.cases, matrix.platforms);
    const images = new Map<string, ImageOfRun>();
    for (const { key, go, image: build, runKey } of s.toolchains.entries()) {
      const info = await preparer.prepare(go, build, matrix.gos.find((g) => g.version === go)?.gccgo?.gcc);
      s.images.push(info);
      const run = runKey ? s.toolchains.get(runKey) : build;
      const bytecode = runKey ? { bytecode: run } : {};
      images.set(key, { build, run: s.rootfs ?? run, ...bytecode, goVersion: info.tools.go ?? go, tools: info.tools });
    }
    s.cellRunner = cellRunnerFor(s, session, matrix.cases, images);
  },
  teardown: async (s) => {
    await s.session?.close();
  },
  abort: (s) => {
    void s.session?.close();
  },
};

/** A case's host language on the row, once started (run/langs.ts); undefined for a C host or in a user's rootfs (it brings its own). */
function langOf(s: RunState, c: CaseSpec, p: Platform): Promise<LangOutcome> | undefined {
  const lang = hostLangOf(c);
  return lang && !s.rootfs ? need(s.langs, 'the languages').outcome(p, lang) : undefined;
}

/** A JVM under qemu takes seconds to start before the case's own budget begins: twice the measured start is added. */
const langStartAllowance = (o: LangOutcome | undefined): number => (o && 'startMs' in o ? 2 * o.startMs : 0);

function cellRunnerFor(s: RunState, session: Session, cases: CaseSpec[], images: Map<string, ImageOfRun>): CellRunner {
  const logs = new RunLogs(s.runDir);
  const stopped = () => s.failures.hasReachedMaxFailures();
  const nonce = randomBytes(8).toString('hex');
  s.builds = new Builds({ session, logs, jobs: s.cfg.jobs, cacheDir: s.cfg.cacheDir, rebuild: s.cfg.rebuild, nonce, stopped });
  s.hosts = new HostRuns({ session, logs, jobs: s.cfg.jobs, nonce, stopped });
  const go = need(s.matrix, 'the matrix').gos[0]!;
  s.langs = new LangStarts({
    imageOf: async (p, _lang, sup) => (sup.kind === 'layer' ? s.toolchains.layers.image(sup.layer) : s.toolchains.imageOf(go, p)),
    session,
    hosts: s.hosts,
    jobs: s.cfg.jobs,
    say: (l) => s.rep.onLog(l),
  });
  return new CellRunner({
    session,
    runDir: s.runDir,
    cases: new Map(cases.map((c) => [c.name, c])),
    images,
    imageKey: (cell) => s.toolchains.buildKeyOf(cell.go, cell.platform),
    ...floorOf(s),
    programsHash: s.programsHash,
    builds: s.builds,
    hosts: s.hosts,
    failures: s.failures,
    engine: new EngineWatch(
      () => session.engineLost(),
      (l) => s.rep.onLog(l),
    ),
    rep: s.rep,
    hostLimit: (c: CaseSpec, p: Platform, rule: ExpectationRule | undefined, lang: LangOutcome | undefined) => {
      const scale = timeoutScale(p, s.slowdowns.get(p.name));
      const limit = hostLimit({ override: s.cfg.timeout, caseTimeout: c.run?.timeout, rule, scale });
      return { ...limit, ms: limit.ms + langStartAllowance(lang) };
    },
    lang: (c: CaseSpec, p: Platform) => langOf(s, c, p),
    userlandImage: (layer) => s.toolchains.layers.image(layer),
    repeat: s.cfg.repeat,
    rootfs: !!s.rootfs,
    bundles: s.cfg.bundles,
  });
}

/**
 * Emulated platforms are n/a in a user's rootfs (no qemu there): nothing to time.
 * Each row is timed, and its canary run, in the image its cells build in.
 */
const calibration: Task<RunState> = {
  name: 'calibrate',
  run: async (s) => {
    const matrix = need(s.matrix, 'the matrix');
    if (s.rootfs) return;
    const { cfg } = s;
    const go = matrix.gos[0]!;
    const say = (l: string) => s.rep.onLog(l);
    for (const [key, rows] of groupBy(matrix.platforms, (p) => s.toolchains.keyOf(go, p))) {
      const args = {
        session: need(s.session, 'the session'),
        img: s.toolchains.get(key),
        platforms: rows,
        cacheDir: cfg.cacheDir,
        rebuild: cfg.rebuild,
        jobs: cfg.jobs,
        programsHash: s.programsHash,
        say,
      };
      for (const [name, f] of await calibrate(args)) s.slowdowns.set(name, f);
      for (const [name, r] of await runCanaries(args)) s.canaries.set(name, r);
    }
  },
};

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

const restore: Task<RunState> = {
  name: 'restore',
  run: async (s) => {
    const { cells } = need(s.matrix, 'the matrix');
    const runner = need(s.cellRunner, 'the cell runner');
    const steps = cells.flatMap((cell) => runner.steps(cell));
    await need(s.builds, 'the builds').restore(steps, s.toolchains.get(cells[0]!.go.version).tag);
  },
};

const cells: Task<RunState> = {
  name: 'cells',
  run: async (s) => {
    const { cells } = need(s.matrix, 'the matrix');
    const runner = need(s.cellRunner, 'the cell runner');
    s.rep.onBegin({ runId: s.runId, runDir: s.runDir, cells, jobs: s.cfg.jobs });
    const building = s.toolchains.layers.stillBuilding();
    if (building.length) s.rep.onLog(layersLine(building));
    // Each row's language starts as soon as its image is had, not when its first cell gets to its host.
    const cases = new Map(need(s.matrix, 'the matrix').cases.map((c) => [c.name, c]));
    need(s.langs, 'the languages').startAll(langPairs(cells, cases, !!s.rootfs));
    await Promise.all(
      cells.map(async (cell) => {
        const r = await runner.run(cell);
        // Cells cut short by Ctrl-C, or never started after --max-failures, are not results.
        if (s.signal?.aborted || !r) return;
        s.results.push(r);
        s.rep.onCellEnd(r);
      }),
    );
    // Every cell is over: a layer still building is one no cell waits for any more (--max-failures stopped them).
    await s.toolchains.layers.stop();
    s.hostLangs = await need(s.langs, 'the languages').infos();
  },
};

/** The run, in order; each name is a phase in results.json. */
export const MATRIX_TASKS: readonly Task<RunState>[] = [load, engineTask(false), prepare, calibration, restore, cells];

/** --images-only: the images the same run would use, and nothing else. */
export const IMAGE_TASKS: readonly Task<RunState>[] = [loadInput, engineTask(true)];
