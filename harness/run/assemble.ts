import type { CanaryResult } from '../core/canary.js';
import type { Slowdown } from '../core/emulation.js';
import {
  type BuildStats,
  countVerdicts,
  exitCodeFor,
  type HostLangInfo,
  type ImageInfo,
  RESULTS_SCHEMA_VERSION,
  type RunResults,
} from '../core/results.js';
import type { Shard } from '../core/shard.js';
import type { CaseSpec, CellResult, CellSpec, Platform, Tier } from '../core/types.js';

/** What a finished (or interrupted) run knows; assembleResults turns it into results.json. Pure. */
export interface RunRecord {
  harnessVersion: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  argv: string[];
  jobs: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  node: string;
  shard?: Shard;
  /** The cells of the tier's whole matrix (a shard's total), and this run's, in matrix order. */
  allCells: number;
  tier: Tier;
  tierLeftOut: number;
  cells: readonly CellSpec[];
  results: readonly CellResult[];
  builds: BuildStats;
  slowdowns: ReadonlyMap<string, Slowdown>;
  canaries: ReadonlyMap<string, CanaryResult & { cached?: boolean }>;
  phases: Record<string, number>;
  /** When the first cell was judged, if any was. */
  firstVerdictAt?: Date;
  resources: { userMs: number; systemMs: number; maxRssMiB: number };
  rootfs?: { path: string; tag: string; id: string };
  images: ImageInfo[];
  hostLangs?: HostLangInfo[];
  platforms: Platform[];
  cases: readonly CaseSpec[];
}

export function assembleResults(r: RunRecord): RunResults {
  const order = new Map(r.cells.map((c, i) => [c.id, i]));
  const cells = [...r.results].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const counts = countVerdicts(cells);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    harness: { name: 'cshared-matrix', version: r.harnessVersion },
    run: {
      id: r.runId,
      startedAt: r.startedAt.toISOString(),
      finishedAt: r.finishedAt.toISOString(),
      durationMs: r.finishedAt.getTime() - r.startedAt.getTime(),
      command: ['cshared-matrix', ...r.argv].join(' '),
      argv: r.argv,
      jobs: r.jobs,
      interrupted: r.interrupted,
      node: r.node,
      ...(r.stoppedEarly ? { stoppedEarly: true } : {}),
      ...(r.shard ? { shard: { ...r.shard, of: r.allCells } } : {}),
      tier: r.tier,
      tierLeftOut: r.tierLeftOut,
      builds: r.builds,
      ...(r.slowdowns.size ? { emulation: Object.fromEntries(r.slowdowns) } : {}),
      ...(r.canaries.size ? { canaries: Object.fromEntries(r.canaries) } : {}),
      phases: r.phases,
      ...(r.firstVerdictAt ? { firstVerdictMs: r.firstVerdictAt.getTime() - r.startedAt.getTime() } : {}),
      resources: r.resources,
      ...(r.rootfs ? { rootfs: r.rootfs } : {}),
    },
    images: r.images,
    ...(r.hostLangs?.length ? { hostLangs: r.hostLangs } : {}),
    platforms: r.platforms,
    cases: r.cases.map((c) => ({ name: c.name, dir: c.dir, description: c.description })),
    cells,
    counts,
    exitCode: exitCodeFor(counts, r.interrupted, Object.fromEntries(r.canaries)),
  };
}
