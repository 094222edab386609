import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { RunConfig } from '../cli/options.js';
import type { CanaryResult } from '../core/canary.js';
import type { Slowdown } from '../core/emulation.js';
import { timeoutScale } from '../core/emulation.js';
import { FailureTracker } from '../core/failure-tracker.js';
import { type FloorRelease, floorLines } from '../core/floor-toolchain.js';
import { hostLimit } from '../core/hang-deadline.js';
import { hostLangOf } from '../core/host-kind.js';
import { langSupport, layersOf } from '../core/host-langs.js';
import type { HostLangInfo, ImageInfo } from '../core/results.js';
import type { Task } from '../core/task-runner.js';
import { namedNightlyLines } from '../core/tiers.js';
import type { CaseSpec, CellResult, CellSpec, ExpectationRule, Platform } from '../core/types.js';
import { userlandLayersOf } from '../core/userlands.js';
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
import { type LangOutcome, langKey, langPairs, probeLangs } from './langs.js';
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
  /** Each row's Python or JVM, by langKey: ready, or n/a with the reason. */
  langs: Map<string, LangOutcome>;
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
    langs: new Map(),
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

const engine: Task<RunState> = {
  name: 'engine+images',
  run: async (s) => {
    const say = (l: string) => s.rep.onLog(l);
    const docker = (s.docker = await ensureEngine(say, { address: s.cfg.engine }));
    const swept = await sweepStale(docker);
    if (swept) say(`removed ${swept} containers/volumes left by earlier runs that died`);
    if (s.cfg.pruneImages) await pruneImages(docker, [...currentToolchainTags(), ...currentLangTags(), ...currentFloorTags()], say);
    const matrix = need(s.matrix, 'the matrix');
    // Only the layers of the rows whose cells have a Python or Java host, or load on an older userland; none in a user's rootfs.
    const byName = new Map(matrix.cases.map((c) => [c.name, c]));
    const layers = s.cfg.rootfs
      ? []
      : [...layersOf(langPairs(matrix.cells, byName)).values(), ...userlandLayersOf(userlandCells(matrix.cells, byName))];
    await s.toolchains.ensure(docker, matrix.gos, matrix.platforms, layers, say, {
      rebuild: !!s.cfg.rebuildImages,
      imageCache: s.cfg.imageCache,
      baseImage: s.cfg.baseImage,
      ...floorOf(s),
    });
    for (const line of floorLines(floorOf(s).floor, matrix.platforms)) say(line);
    if (s.cfg.rootfs) s.rootfs = await ensureRootfsImage(docker, s.cfg.rootfs, say);
  },
  // Ctrl-C in a host-language layer's save or restore: its container goes now, not at the next run's sweep.
  teardown: async (s) => {
    if (s.docker) await removeOwn(s.docker, IMAGE_CACHE_RUN);
  },
};

/** What a cell's userland depends on: its row, its userland, its host's language, its toolchain. */
const userlandCells = (cells: readonly CellSpec[], cases: ReadonlyMap<string, CaseSpec>) =>
  cells.map((cell) => {
    const lang = hostLangOf(cases.get(cell.caseName)!);
    return {
      platform: cell.platform,
      ...(cell.userland ? { userland: cell.userland } : {}),
      ...(lang ? { lang } : {}),
      gccgo: !!cell.go.gccgo,
    };
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

/** A case's host language on the row, as the languages task found it; undefined for a C host or in a user's rootfs (it brings its own). */
function langOf(s: RunState, c: CaseSpec, p: Platform): LangOutcome | undefined {
  const lang = hostLangOf(c);
  return lang && !s.rootfs ? (s.langs.get(langKey(p, lang)) ?? { notApplicable: langUnknown(p, lang) }) : undefined;
}

/** A JVM under qemu takes seconds to start before the case's own budget begins: twice the measured start is added. */
function langStartAllowance(s: RunState, c: CaseSpec, p: Platform): number {
  const o = langOf(s, c, p);
  return o && 'startMs' in o ? 2 * o.startMs : 0;
}

const langUnknown = (p: Platform, lang: 'python' | 'java'): string => {
  const sup = langSupport(p, lang);
  return sup.kind === 'none' ? sup.reason : `${lang} on ${p.name} was not started before the cells`;
};

function cellRunnerFor(s: RunState, session: Session, cases: CaseSpec[], images: Map<string, ImageOfRun>): CellRunner {
  const logs = new RunLogs(s.runDir);
  const stopped = () => s.failures.hasReachedMaxFailures();
  const nonce = randomBytes(8).toString('hex');
  s.builds = new Builds({ session, logs, jobs: s.cfg.jobs, cacheDir: s.cfg.cacheDir, rebuild: s.cfg.rebuild, nonce, stopped });
  s.hosts = new HostRuns({ session, logs, jobs: s.cfg.jobs, nonce, stopped });
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
    hostLimit: (c: CaseSpec, p: Platform, rule: ExpectationRule | undefined) => {
      const scale = timeoutScale(p, s.slowdowns.get(p.name));
      const limit = hostLimit({ override: s.cfg.timeout, caseTimeout: c.run?.timeout, rule, scale });
      return { ...limit, ms: limit.ms + langStartAllowance(s, c, p) };
    },
    lang: (c: CaseSpec, p: Platform) => langOf(s, c, p),
    userlandImage: (layer) => s.toolchains.langImage(layer),
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

/** Each row's Python or JVM started once, before any cell: its version, its start time, or why its cells are n/a. */
const languages: Task<RunState> = {
  name: 'languages',
  run: async (s) => {
    const matrix = need(s.matrix, 'the matrix');
    if (s.rootfs) return;
    const pairs = langPairs(matrix.cells, new Map(matrix.cases.map((c) => [c.name, c])));
    if (!pairs.length) return;
    const go = matrix.gos[0]!;
    const { outcomes, infos } = await probeLangs({
      pairs,
      imageOf: (p, _lang, sup) => (sup.kind === 'layer' ? s.toolchains.langImage(sup.layer) : s.toolchains.imageOf(go, p)),
      session: need(s.session, 'the session'),
      hosts: need(s.hosts, 'the host runs'),
      jobs: s.cfg.jobs,
      say: (l) => s.rep.onLog(l),
    });
    s.langs = outcomes;
    s.hostLangs = infos;
  },
};

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
    await Promise.all(
      cells.map(async (cell) => {
        const r = await runner.run(cell);
        // Cells cut short by Ctrl-C, or never started after --max-failures, are not results.
        if (s.signal?.aborted || !r) return;
        s.results.push(r);
        s.rep.onCellEnd(r);
      }),
    );
  },
};

/** The run, in order; each name is a phase in results.json. */
export const MATRIX_TASKS: readonly Task<RunState>[] = [load, engine, prepare, calibration, languages, restore, cells];

/** --images-only: the images the same run would use, and nothing else. */
export const IMAGE_TASKS: readonly Task<RunState>[] = [loadInput, engine];
