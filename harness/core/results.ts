import type { CanaryResult } from './canary.js';
import { laxRows } from './canary.js';
import type { Slowdown } from './emulation.js';
import { EXIT } from './errors.js';
import type { CellResult, Platform, Tier, Verdict } from './types.js';
import { VERDICTS } from './types.js';

export const RESULTS_SCHEMA_VERSION = 1;

/** A row's host language as the run found it (core/host-langs.ts, run/langs.ts). */
export interface HostLangInfo {
  platform: string;
  lang: 'python' | 'java';
  /** The image its hosts run in. */
  image: string;
  /** Where it comes from: the toolchain image, the Debian packages of a sysroot, or how CPython was built. */
  builtFrom: string;
  /** What it printed of itself (python: sys.version; java: the version and build). */
  version?: string;
  /** Its measured start under the row's emulator; the hosts' time limit includes it. */
  startMs?: number;
  /** It did not start: its cells are n/a with this reason. */
  error?: string;
}

export interface ImageInfo {
  go: string;
  tag: string;
  id: string;
  /** Versions read inside the image: go, gcc, glibc, musl, qemu, cross compilers. */
  tools: Record<string, string>;
}

/**
 * What the run's steps cost. Wall times (…Ms) include waiting for a busy
 * machine; CPU times (…CpuMs) are the work itself, and their sum over the cores
 * is the run's physical floor.
 */
export interface BuildStats {
  steps: number;
  cacheHits: number;
  ms: number;
  goBuildMs: number;
  compileMs: number;
  /** CPU the go build commands used (user + system, every process they ran). */
  goBuildCpuMs?: number;
  /** CPU the C compiles (hosts and C libraries) used. */
  compileCpuMs?: number;
  /** CPU every host run used, emulator included. */
  runCpuMs?: number;
}

export interface RunResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  harness: { name: string; version: string };
  run: {
    id: string;
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    command: string;
    argv: string[];
    jobs: number;
    interrupted: boolean;
    node: string;
    /** Build steps this run needed, how many came from the artifact cache, and their summed time. */
    builds?: BuildStats;
    /** Measured emulation slowdown per emulated platform; its hosts' timeouts are scaled by it. */
    emulation?: Record<string, Slowdown>;
    /**
     * Each emulated row's strictness canary (core/canary.ts): "trapped" is the
     * only good outcome; cached: measured by an earlier run in the same image.
     */
    canaries?: Record<string, CanaryResult & { cached?: boolean }>;
    /** The harness process itself: CPU time and peak resident memory. */
    resources?: { userMs: number; systemMs: number; maxRssMiB: number };
    /** Wall milliseconds per phase: load, engine+images (the toolchain images), prepare, calibrate, restore, cells (builds, host-language and userland layers still building, each language's start, runs), cleanup. */
    phases?: Record<string, number>;
    /** Milliseconds from the run's start until its first cell was judged: what a user waits for the first answer. */
    firstVerdictMs?: number;
    /** --max-failures stopped the run early: cells not started are not in the results. */
    stoppedEarly?: boolean;
    /** --shard k/n: this run is one part of a larger matrix. */
    shard?: { k: number; n: number; of: number };
    /** --tier (core/tiers.ts): push or nightly; absent in older results and in a merge of runs of different tiers. */
    tier?: Tier;
    /** Cells of the matrix the tier left out (nightly: 0). */
    tierLeftOut?: number;
    /** The user's root filesystem the hosts ran in (--rootfs). */
    rootfs?: { path: string; tag: string; id: string };
  };
  images: ImageInfo[];
  /** The Python and JVM of every row whose cells have such a host. */
  hostLangs?: HostLangInfo[];
  platforms: Platform[];
  cases: { name: string; dir: string; description: string }[];
  cells: CellResult[];
  counts: Record<Verdict, number> & { total: number };
  exitCode: number;
}

export function countVerdicts(cells: readonly Pick<CellResult, 'verdict'>[]): RunResults['counts'] {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const c of cells) counts[c.verdict]++;
  return { ...counts, total: cells.length };
}

/**
 * 0: every verdict is pass or xfail. 3: some cell could not be judged (infrastructure),
 * which outranks 1 because an incomplete run says nothing reliable. 1: fail, xpass or timeout.
 */
/**
 * The one rule of what fails a run. A failing verdict says something about Go
 * (fail, xpass, timeout, flaky: exit 1); an error says the run learned nothing
 * (exit 3, which outranks 1). pass, xfail and na fail nothing. The exit code,
 * the HTML status and the JUnit failure counts all come from here.
 */
export const FAILING: readonly Verdict[] = ['fail', 'xpass', 'timeout', 'flaky'];
export const isFailing = (v: Verdict): boolean => FAILING.includes(v);
export const isUnexpected = (v: Verdict): boolean => isFailing(v) || v === 'error';

/** 3 also when a row's canary did not trap: its CPU model may hide bugs, so its pass means less than it says. */
export function exitCodeFor(counts: RunResults['counts'], interrupted: boolean, canaries?: Record<string, CanaryResult>): number {
  if (interrupted) return EXIT.interrupted;
  if (counts.error > 0 || laxRows(canaries ?? {}).length) return EXIT.infra;
  if (FAILING.some((v) => counts[v] > 0)) return EXIT.unexpected;
  return EXIT.ok;
}

/** The exit codes in words, for every command's --help and the README. */
export const EXIT_CODES_HELP = `Exit codes: 0 every cell is pass, xfail or n/a; 1 some cell is fail, xpass,
timeout or flaky; 2 bad usage or bad case data; 3 infrastructure error (engine,
image, disk: some cell is error; or a row's CPU model ran its canary); 130 interrupted.`;
