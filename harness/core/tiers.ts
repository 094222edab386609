import { UsageError } from './errors.js';
import { whenSelects } from './expect.js';
import type { RunResults } from './results.js';
import { toolchainOf } from './toolchains.js';
import type { CaseSpec, CaseTier, CellSpec, Tier } from './types.js';

/**
 * Tiers: the per-push run answers in well under a minute, the nightly one runs
 * every cell. Membership is case data (case.json `tier`), decided per cell, so
 * a case can be per-push on the rows where it is quick and nightly elsewhere.
 * The tier only chooses which cells run: a cell's id, expectations and verdict
 * are the same in either.
 */

export const TIERS: readonly Tier[] = ['push', 'nightly'];
/** A user's own cases and zero-config probes say nothing: they run on every push. */
export const DEFAULT_TIER: Tier = 'push';

/** --tier (config tier): push or nightly, else one line and exit 2. */
export function parseTier(value: string | undefined): Tier {
  if (value === undefined) return DEFAULT_TIER;
  if ((TIERS as readonly string[]).includes(value)) return value as Tier;
  throw new UsageError(`--tier (config tier) takes push or nightly, not "${value}": push runs the quick cells, nightly every cell`);
}

/**
 * A cell's tier under its case's `tier`: the first rule whose `when` selects it
 * (expectations' grammar and matcher), none: push. Decided at load, before the
 * toolchain image says its exact Go release, so a `go` range sees the series ("1.27").
 */
export function cellTier(tier: CaseTier | undefined, cell: CellSpec): Tier {
  if (tier === undefined || typeof tier === 'string') return tier ?? DEFAULT_TIER;
  const axes = {
    platform: cell.platform,
    go: cell.go.version,
    toolchain: toolchainOf(cell.go),
    ...(cell.userland ? { userland: cell.userland } : {}),
  };
  return tier.find((r) => r.when === undefined || whenSelects(r.when, axes))?.tier ?? DEFAULT_TIER;
}

export interface TierSelection {
  tier: Tier;
  /** The cells this tier runs, in matrix order. */
  cells: CellSpec[];
  /** Cells of the matrix the tier left out (none in nightly, a superset). */
  leftOut: number;
  /** Cases named exactly with --case that have nightly cells: they run whatever the tier, as a user reproducing a bug expects. */
  namedNightly: string[];
}

/** The tier's cells of the matrix; a case named by its exact name runs whole in any tier. */
export function selectTier(cells: readonly CellSpec[], cases: readonly CaseSpec[], tier: Tier, named: readonly string[]): TierSelection {
  if (tier === 'nightly') return { tier, cells: [...cells], leftOut: 0, namedNightly: [] };
  const tierOfCase = new Map(cases.map((c) => [c.name, c.tier]));
  const explicit = new Set(named);
  const nightly = cells.filter((c) => cellTier(tierOfCase.get(c.caseName), c) === 'nightly');
  const dropped = new Set(nightly.filter((c) => !explicit.has(c.caseName)));
  return {
    tier,
    cells: cells.filter((c) => !dropped.has(c)),
    leftOut: dropped.size,
    namedNightly: [...new Set(nightly.filter((c) => explicit.has(c.caseName)).map((c) => c.caseName))],
  };
}

/** The run's line on its tier: which, and how many cells it left out; none for a merged or older results.json that says no tier. */
export function tierLine(r: Pick<RunResults, 'run' | 'counts'>): string | undefined {
  const { run } = r;
  if (!run.tier) return undefined;
  if (run.tier === 'nightly') return 'nightly tier: every cell';
  const leftOut = run.tierLeftOut ?? 0;
  // A run cut short ran fewer cells than its tier has: only the left-out count is sure.
  const ran = run.interrupted || run.stoppedEarly ? undefined : (run.shard?.of ?? r.counts.total);
  if (!leftOut) return `push tier: ${ran === undefined ? 'every' : `all ${ran}`} cells (no nightly cell in this matrix)`;
  if (ran === undefined) return `push tier: ${leftOut} nightly cells left out; --tier nightly runs all`;
  return `push tier: ${ran} of ${ran + leftOut} cells; --tier nightly runs all`;
}

/** What the run's output says of cases that --case ran although the tier leaves them out. */
export const namedNightlyLines = (names: readonly string[]): string[] =>
  names.map((n) => `case ${n} has nightly cells: they run because --case names it (a push run that does not name it leaves them out)`);
