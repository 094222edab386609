import { cpus } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { imageReference } from '../core/base-way.js';
import { RESULTS_DIR_NAME } from '../core/config.js';
import { DEFAULT_ENGINE, engineEndpoint } from '../core/engine-address.js';
import { UsageError } from '../core/errors.js';
import { parseGlibcFloor } from '../core/floor-toolchain.js';
import { MAX_HOST_TIMEOUT_S } from '../core/host-timeout.js';
import { splitList } from '../core/matrix.js';
import { parseShard } from '../core/shard.js';
import { parseTier } from '../core/tiers.js';
import type { ExpectationRule } from '../core/types.js';
import { releaseForFloor } from '../edge/floor-images.js';
import type { MatrixSelection } from '../run/load.js';

/**
 * Options resolved once, at the edge: every command (matrix, repro, bench,
 * merge) turns its parsed flags and the environment into one RunConfig here,
 * with every number validated and every directory absolute, and passes it
 * down. Nothing below reads process.env or a flag again. Pure: unit-tested.
 */

/** The flags as node's parseArgs gives them (every one optional). */
export interface RunValues {
  platform?: string[];
  case?: string[];
  go?: string[];
  toolchain?: string[];
  userland?: string[];
  /** push (default) or nightly (core/tiers.ts). */
  tier?: string;
  jobs?: string;
  timeout?: string;
  cases?: string[];
  'no-default-cases'?: boolean;
  platforms?: string[];
  results?: string;
  cache?: string;
  rebuild?: boolean;
  'rebuild-images'?: boolean;
  'prune-images'?: boolean;
  probes?: boolean;
  repeat?: string;
  'max-failures'?: string;
  'build-quota'?: string;
  shard?: string;
  'shard-costs'?: string;
  'docker-host'?: string;
  'image-cache'?: string;
  'base-image'?: string;
  'glibc-floor'?: string;
  rootfs?: string;
  /** From a config file or PATHS (core/config.ts): what no single flag says. */
  libraries?: string[];
  ownCases?: string[];
  paths?: string[];
  expect?: ExpectationRule[];
}

export interface RunConfig extends MatrixSelection {
  jobs: number;
  /** Seconds; overrides every case's run.timeout (emulated platforms still scale it). */
  timeout?: number;
  /** Every host runs this many times; disagreeing repetitions make the cell "flaky". */
  repeat: number;
  /** Stop starting cells after this many unexpected verdicts. */
  maxFailures?: number;
  /** Absolute: where run directories go. */
  resultsDir: string;
  /** --results as the user wrote it, for messages. */
  resultsArg: string;
  /** Absolute: the artifact and Go build cache. */
  cacheDir: string;
  /** MiB one build step may write outside its lane's tmpfs (outputs, Go build cache entries); also its largest file. */
  buildQuotaMiB?: number;
  /** Ignore cached artifacts (they are rebuilt and stored again) and measure the emulation again. */
  rebuild: boolean;
  rebuildImages: boolean;
  /** Remove toolchain images built from older recipes before the run. */
  pruneImages: boolean;
  /** Absolute: where toolchain images are saved as compressed tarballs and loaded from (--image-cache). */
  imageCache?: string;
  /** --base-image: the Debian image the base is built on (core/base-way.ts). */
  baseImage?: string;
  /** Keep a self-contained, rerunnable bundle for every cell that did not pass. */
  bundles: boolean;
  /** A root filesystem tarball to run the hosts in (builds still use the toolchain image). */
  rootfs?: string;
  /** The Docker engine's address (as DOCKER_HOST spells it). */
  engine: string;
  /** Test seam, CSM_TEST_LAYER_GATE: each host-language or userland layer waits until this file exists, a stand-in for a slow build (test/integration/early-cells.test.ts). */
  testLayerGate?: string;
}

export const defaultJobs = (): number => Math.max(1, cpus().length);

export function positiveNumber(name: string, v: string | undefined, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} takes a positive number, not "${v}"`);
  if (n > max) throw new UsageError(`--${name} takes at most ${max}, not "${v}"`);
  return n;
}

export function positiveInteger(name: string, v: string | undefined): number | undefined {
  const n = positiveNumber(name, v);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} takes a whole number, not "${v}"`);
  return n;
}

/** --docker-host, else DOCKER_HOST, else the local socket; checked here so a typo is exit 2, not an engine error. */
export function engineFrom(values: Pick<RunValues, 'docker-host'>, env: Record<string, string | undefined>): string {
  const given = values['docker-host'] ?? (env.DOCKER_HOST || undefined);
  if (given === undefined) return DEFAULT_ENGINE;
  engineEndpoint(given, values['docker-host'] !== undefined ? '--docker-host' : 'DOCKER_HOST');
  return given;
}

/**
 * Where results go when nothing says: inside this repository (developing the
 * harness), its results/; anywhere else (the installed command, run from a
 * user's project), ./cshared-matrix-results in the current directory.
 */
export function defaultResultsDir(repoRoot: string, cwd: string): string {
  const rel = relative(repoRoot, cwd);
  const inRepo = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  return inRepo ? join(repoRoot, 'results') : join(cwd, RESULTS_DIR_NAME);
}

/**
 * The parsed flags and the environment → one RunConfig. `repoRoot` holds the
 * default cases/; `cwd` decides where results and the cache go by default.
 */
export function resolveRunConfig(values: RunValues, env: Record<string, string | undefined>, repoRoot: string, cwd = repoRoot): RunConfig {
  const timeout = positiveNumber('timeout', values.timeout, MAX_HOST_TIMEOUT_S);
  const maxFailures = positiveInteger('max-failures', values['max-failures']);
  const buildQuotaMiB = positiveInteger('build-quota', values['build-quota']);
  const defaultResults = defaultResultsDir(repoRoot, cwd);
  const resultsArg = values.results ?? defaultResults;
  const shard = values.shard ? parseShard(values.shard) : undefined;
  // The seed cases run unless the user names something of their own to run instead.
  const own = [values.paths, values.libraries, values.ownCases].some((l) => l?.length);
  const seed = !values['no-default-cases'] && !own;
  return {
    caseDirs: [...(seed ? [join(repoRoot, 'cases')] : []), ...(values.ownCases ?? []), ...(values.cases ?? [])],
    libraries: values.libraries ?? [],
    paths: values.paths ?? [],
    libraryRules: values.expect ?? [],
    platformFiles: values.platforms ?? [],
    cases: splitList(values.case),
    platforms: splitList(values.platform),
    go: splitList(values.go),
    toolchains: splitList(values.toolchain),
    userlands: splitList(values.userland),
    tier: parseTier(values.tier),
    probes: !!values.probes,
    ...(shard ? { shard } : {}),
    ...(values['shard-costs'] ? { shardCosts: values['shard-costs'] } : {}),
    jobs: positiveInteger('jobs', values.jobs) ?? defaultJobs(),
    ...(timeout !== undefined ? { timeout } : {}),
    repeat: positiveInteger('repeat', values.repeat) ?? 1,
    ...(maxFailures !== undefined ? { maxFailures } : {}),
    resultsDir: resolve(resultsArg),
    resultsArg,
    // Inside this repository every run shares results/.cache (the tests' runs stay warm); elsewhere it lives in the results it serves.
    cacheDir: resolve(values.cache ?? join(defaultResults === join(repoRoot, 'results') ? defaultResults : resolve(resultsArg), '.cache')),
    ...(buildQuotaMiB !== undefined ? { buildQuotaMiB } : {}),
    rebuild: !!values.rebuild,
    rebuildImages: !!values['rebuild-images'],
    pruneImages: !!values['prune-images'],
    ...(values['image-cache'] ? { imageCache: resolve(values['image-cache']) } : {}),
    ...(values['base-image'] !== undefined ? { baseImage: imageReference('--base-image', values['base-image']) } : {}),
    ...(values['glibc-floor'] !== undefined ? { glibcFloor: glibcFloorOf(values['glibc-floor']) } : {}),
    bundles: false,
    ...(values.rootfs ? { rootfs: values.rootfs } : {}),
    engine: engineFrom(values, env),
    ...testLayerGate(env),
  };
}

/** CSM_TEST_LAYER_GATE, read here alone: set only by the tests, it holds every layer back until its file exists, and nothing else. */
function testLayerGate(env: Record<string, string | undefined>): { testLayerGate?: string } {
  const v = env.CSM_TEST_LAYER_GATE;
  if (!v) return {};
  if (!isAbsolute(v)) throw new UsageError(`CSM_TEST_LAYER_GATE takes an absolute file path, not "${v}" (unset it outside the tests)`);
  return { testLayerGate: v };
}

/** --glibc-floor (or config glibcFloor): a glibc version with a Debian toolchain of its age on the mirror, or one line and exit 2. */
function glibcFloorOf(value: string): string {
  const field = '--glibc-floor (config glibcFloor)';
  releaseForFloor(parseGlibcFloor(field, value), field);
  return value;
}
