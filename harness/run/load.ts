import { UsageError } from '../core/errors.js';
import { gccgoUnderFloor } from '../core/floor-toolchain.js';
import { packageRules } from '../core/go-package.js';
import { hostKind } from '../core/host-kind.js';
import { expandMatrix, pick } from '../core/matrix.js';
import { parseRunResults } from '../core/merge.js';
import { defaultPlatforms, PLATFORMS } from '../core/platforms.js';
import { probeCases } from '../core/probes.js';
import { costsFrom, type Shard, shardCells } from '../core/shard.js';
import { selectTier } from '../core/tiers.js';
import { pickToolchains } from '../core/toolchains.js';
import type { CaseSpec, CellSpec, ExpectationRule, GoToolchain, Platform, Tier } from '../core/types.js';
import { pickUserlands } from '../core/userlands.js';
import { loadCases, readProbeExpectations } from '../edge/case-files.js';
import { loadGoPackages, sortPaths } from '../edge/go-package.js';
import { readGccgoSeries, readGoVersions } from '../edge/images.js';
import { readPlatformRows } from '../edge/platform-rows.js';
import { readText } from '../edge/repo.js';

/** What a run selects, before anything touches the engine. */
export interface MatrixSelection {
  caseDirs: string[];
  /** Go packages to build and probe without a case (zero-config). */
  libraries: string[];
  /** Command-line PATHS: each a Go package or a case directory. */
  paths: string[];
  /** The project's own expectations for its libraries' probe cells, tried before the harness's. */
  libraryRules: ExpectationRule[];
  /** JSON files of extra platform rows. */
  platformFiles: string[];
  cases: string[];
  platforms: string[];
  go: string[];
  /** --toolchain: gc, gccgo (default gc). */
  toolchains: string[];
  /** --userland: debian11, debian12, debian13 (default: debian13 alone, no axis). */
  userlands?: string[];
  probes: boolean;
  shard?: Shard;
  /** A previous results.json whose durations balance the shards. */
  shardCosts?: string;
  /** --glibc-floor: the glibc the glibc rows build for (core/floor-toolchain.ts); gccgo has no toolchain that old. */
  glibcFloor?: string;
  /** --tier (core/tiers.ts): absent, push. */
  tier?: Tier;
}

export interface LoadedMatrix {
  cases: CaseSpec[];
  platforms: Platform[];
  gos: GoToolchain[];
  /** The cells this run (or this shard) runs, in matrix order. */
  cells: CellSpec[];
  /** Every cell of the tier's whole matrix: a shard's results name their total. */
  allCells: CellSpec[];
  tier: Tier;
  /** Cells of the matrix the tier left out. */
  tierLeftOut: number;
  /** Cases named with --case that have nightly cells, run anyway. */
  namedNightly: string[];
}

/** Cases, platforms, Go versions and cells: every problem in the input is found here, before the engine is touched. */
export function loadMatrix(sel: MatrixSelection): LoadedMatrix {
  const cases = loadAllCases(sel);
  const table = [...PLATFORMS, ...sel.platformFiles.flatMap(readPlatformRows)];
  // Names and globs pick from every row; nothing named → the default rows (amd64-glibc-qemu is not one).
  const platforms = sel.platforms.length ? pick('platform', table, (p) => p.name, sel.platforms) : defaultPlatforms(table);
  const floor = sel.glibcFloor;
  const gos = pickToolchains(readGoVersions(), sel.go, sel.toolchains, readGccgoSeries()).map((g) =>
    floor && g.gccgo ? { ...g, gccgo: { ...g.gccgo, na: gccgoUnderFloor(floor, g.gccgo.gcc) } } : g,
  );
  // A case without a host contributes only its probes.
  const matrix = expandMatrix(
    cases.filter((c) => hostKind(c) !== undefined),
    platforms,
    gos,
    pickUserlands(sel.userlands ?? []),
  );
  if (!matrix.length)
    throw new UsageError('nothing to run: the selected cases have no host (add --probes to load their libraries with the generic probe)');
  // An exact --case name is a choice; a glob picks among the tier's cells.
  const tiered = selectTier(matrix, cases, sel.tier ?? 'push', sel.cases);
  const allCells = tiered.cells;
  if (!allCells.length)
    throw new UsageError(
      `nothing to run: every selected cell is in the nightly tier (add --tier nightly, or name each case exactly with --case)`,
    );
  const tier = { tier: tiered.tier, tierLeftOut: tiered.leftOut, namedNightly: tiered.namedNightly };
  if (!sel.shard) return { cases, platforms, gos, cells: allCells, allCells, ...tier };
  const costs = sel.shardCosts ? costsFrom(parseRunResults(readText(sel.shardCosts), sel.shardCosts)) : undefined;
  return { cases, platforms, gos, cells: shardCells(allCells, sel.shard, costs), allCells, ...tier };
}

/** The lines of the UsageError `f` throws, if it does: every bad PATH is reported, not just the first. */
function problemsOf(f: () => unknown): string[] {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof UsageError) return e.message.split('\n');
    throw e;
  }
}

/**
 * The case directories' cases (with their probes under --probes), then every
 * Go package given as a library or a PATH, with its probes: a package has no
 * host of its own, so the probes are its cells, judged by the project's rules
 * first and then cases/probe-expectations.json.
 */
function loadAllCases(sel: MatrixSelection): CaseSpec[] {
  const sorted = sortPaths(sel.paths);
  const caseDirs = [...sel.caseDirs, ...sorted.caseDirs];
  const packageDirs = [...sel.libraries, ...sorted.packages];
  if (sorted.problems.length)
    throw new UsageError([...sorted.problems, ...problemsOf(() => loadGoPackages(packageDirs, new Set()))].join('\n'));
  if (!caseDirs.length && !packageDirs.length) throw new UsageError('no case directories: drop --no-default-cases or add --cases DIR');
  const picked = caseDirs.length ? pick('case', loadCases(caseDirs), (c) => c.name, sel.cases) : [];
  const probeRules = sel.probes || packageDirs.length ? readProbeExpectations() : undefined;
  const fromDirs = sel.probes && probeRules ? picked.flatMap((c) => [c, ...probeCases(c, probeRules)]) : picked;
  if (!packageDirs.length || !probeRules) return fromDirs;
  const packages = loadGoPackages(packageDirs, new Set(picked.map((c) => c.name)));
  const rules = packageRules(sel.libraryRules, probeRules);
  return [...fromDirs, ...packages.flatMap((c) => [c, ...probeCases(c, rules)])];
}
