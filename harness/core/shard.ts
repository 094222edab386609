// Splitting a matrix into N shards that can run on N machines and be merged back (core/merge.ts).

import { UsageError } from './errors.js';
import type { RunResults } from './results.js';
import type { CellSpec } from './types.js';

/** Shard k of n, 1-based: "2/3" is the second of three. */
export interface Shard {
  k: number;
  n: number;
}

/** "K/N" with 1 ≤ K ≤ N → {k, n}; anything else is a usage error. */
export function parseShard(s: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(k) || !Number.isSafeInteger(n) || k < 1 || n < 1 || k > n) {
    throw new UsageError(`--shard takes K/N with 1 ≤ K ≤ N, e.g. 2/3; not "${s}"`);
  }
  return { k, n };
}

/** Recorded durations (ms) by cell id, from an earlier run's results.json: the costs for shardCells. */
export function costsFrom(results: Pick<RunResults, 'cells'>): Map<string, number> {
  const costs = new Map<string, number>();
  for (const c of results.cells) if (Number.isFinite(c.durationMs) && c.durationMs >= 0) costs.set(c.id, c.durationMs);
  return costs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The axes a cell belongs to: no shard may hold every cell of one of these. */
const axesOf = (c: CellSpec): string[] => [`case\0${c.caseName}`, `platform\0${c.platform.name}`, `go\0${c.go.version}`];

/** Cap on the local search's trial moves, so that large matrices still split in well under a second. */
const SEARCH_BUDGET = 3_000_000;

/**
 * Split cells into n shards (index i is shard i+1), each shard's cells in input order.
 *
 * Deterministic: the split depends only on the set of cell ids, their axes and the
 * costs, never on the input order, so n machines given the same matrix and the same
 * costs agree on it without talking to each other.
 *
 * Cost of a cell: costs.get(id) (recorded milliseconds); a cell without one gets the
 * median of the known costs among the cells, or 1 if none is known; every cost is
 * rounded to a whole number ≥ 1 so that the arithmetic is exact.
 *
 * Objectives, in order (the search optimizes them lexicographically; on full and holey
 * case × platform × Go grids it meets 1 and 2 whenever the counts allow, see shard.test.ts):
 *  1. no shard holds every cell of a case, a platform or a Go version that has two or more cells
 *     (an axis that breaks on one machine still shows up on another);
 *  2. better: every such axis is spread over min(n, its cell count) shards, so with two shards every
 *     case, platform and Go version is in both whenever it has two cells;
 *  3. the most loaded shard is as light as possible (then: loads as even as possible).
 * Longest-processing-time-first greedy (most expensive cell first, ties by id, to the
 * shard that gains the most axis coverage, then the lightest, then the lowest index),
 * improved by a deterministic local search of single moves and pairwise swaps. If an
 * axis is still not spread, the search also starts from the diagonals of the
 * case × platform × Go grid (a Latin square) and the better end wins.
 */
export function planShards(cells: readonly CellSpec[], n: number, costs?: ReadonlyMap<string, number>): CellSpec[][] {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`the number of shards must be a whole number ≥ 1, not ${n}`);
  const sorted = [...cells].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.id === sorted[i - 1]!.id) throw new Error(`shard: cell ${sorted[i]!.id} appears twice`);
  const shardOf = assign(sorted, n, costs);
  const byId = new Map(sorted.map((c, i) => [c.id, shardOf[i]!]));
  const shards: CellSpec[][] = Array.from({ length: n }, () => []);
  for (const c of cells) shards[byId.get(c.id)!]!.push(c);
  return shards;
}

/** The cells of shard k/n, in input order. The n shards partition the cells; see planShards. */
export function shardCells(cells: readonly CellSpec[], shard: Shard, costs?: ReadonlyMap<string, number>): CellSpec[] {
  if (!Number.isSafeInteger(shard.k) || shard.k < 1 || shard.k > shard.n)
    throw new UsageError(`shard ${shard.k}/${shard.n}: K must be between 1 and N`);
  return planShards(cells, shard.n, costs)[shard.k - 1]!;
}

/** Shard index (0-based) for each cell of `sorted` (sorted by id). */
function assign(sorted: readonly CellSpec[], n: number, costs?: ReadonlyMap<string, number>): number[] {
  if (n === 1 || sorted.length === 0) return sorted.map(() => 0);
  const st = new Assignment(sorted, n, cellCosts(sorted, costs));
  // Greedy first; if some axis is still not spread, the diagonals too, and the better end wins.
  greedy(st);
  search(st);
  const first = { score: st.score(), shard: [...st.shard] };
  if (first.score[0] === 0 && first.score[1] === 0) return first.shard;
  diagonal(st, sorted);
  search(st);
  return better(st.score(), first.score) ? [...st.shard] : first.shard;
}

/** Each cell's cost: its recorded duration, else the median of the known ones, else 1; at least 1. */
function cellCosts(sorted: readonly CellSpec[], costs?: ReadonlyMap<string, number>): number[] {
  const valid = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v >= 0;
  const known = sorted.map((c) => costs?.get(c.id)).filter(valid);
  const fallback = known.length ? median(known) : 1;
  return sorted.map((c) => {
    const v = costs?.get(c.id);
    return Math.max(1, Math.round(valid(v) ? v : fallback));
  });
}

/** Lexicographic: fewer monolithic groups, then less deficit, then a lighter heaviest shard, then less Σ load². */
const better = (a: number[], b: number[]): boolean => {
  for (let x = 0; x < a.length; x++) if (a[x] !== b[x]) return a[x]! < b[x]!;
  return false;
};

/**
 * The state of an assignment, kept incrementally so a move costs O(axes):
 * shard of each cell, cells per group and shard, shards per group, loads.
 */
class Assignment {
  readonly N: number;
  /** Axis groups of each cell, as small integers. */
  readonly groups: number[][];
  readonly target: Int32Array;
  readonly shard: Int32Array;
  readonly cnt: Int32Array;
  readonly covered: Int32Array;
  readonly load: Float64Array;
  private readonly size: Int32Array;
  private monolithic = 0; // groups with ≥ 2 cells, all in one shard
  private deficit = 0; // Σ target − covered
  private squares = 0; // Σ load²

  constructor(
    sorted: readonly CellSpec[],
    readonly n: number,
    readonly cost: number[],
  ) {
    this.N = sorted.length;
    const groupIndex = new Map<string, number>();
    this.groups = sorted.map((c) =>
      axesOf(c).map((key) => {
        let g = groupIndex.get(key);
        if (g === undefined) groupIndex.set(key, (g = groupIndex.size));
        return g;
      }),
    );
    const G = groupIndex.size;
    this.size = new Int32Array(G);
    for (const gs of this.groups) for (const g of gs) this.size[g]!++;
    this.target = Int32Array.from(this.size, (s) => Math.min(n, s));
    this.shard = new Int32Array(this.N).fill(-1);
    this.cnt = new Int32Array(G * n);
    this.covered = new Int32Array(G);
    this.load = new Float64Array(n);
    for (let g = 0; g < G; g++) this.deficit += this.target[g]!;
  }

  private groupTerms(g: number): [number, number] {
    return [this.size[g]! >= 2 && this.covered[g] === 1 ? 1 : 0, this.target[g]! - this.covered[g]!];
  }

  /** Put cell i into shard t (out of its current shard, if any), updating every total. */
  place(i: number, t: number): void {
    const { n, cnt, covered, load } = this;
    const s = this.shard[i]!;
    if (s === t) return;
    for (const g of this.groups[i]!) {
      const [m0, d0] = this.groupTerms(g);
      if (s >= 0 && --cnt[g * n + s]! === 0) covered[g]!--;
      if (cnt[g * n + t]!++ === 0) covered[g]!++;
      const [m1, d1] = this.groupTerms(g);
      this.monolithic += m1 - m0;
      this.deficit += d1 - d0;
    }
    const c = this.cost[i]!;
    if (s >= 0) {
      this.squares -= load[s]! ** 2;
      load[s]! -= c;
      this.squares += load[s]! ** 2;
    }
    this.squares -= load[t]! ** 2;
    load[t]! += c;
    this.squares += load[t]! ** 2;
    this.shard[i] = t;
  }

  score(): number[] {
    let max = 0;
    for (let s = 0; s < this.n; s++) max = Math.max(max, this.load[s]!);
    return [this.monolithic, this.deficit, max, this.squares];
  }
}

/** Greedy, most expensive first: to the shard that gains the most axis coverage, then the lightest. */
function greedy(st: Assignment): void {
  const { n, cost, groups, cnt, covered, target, load } = st;
  const order = [...Array(st.N).keys()].sort((a, b) => cost[b]! - cost[a]! || a - b);
  for (const i of order) {
    let best = 0;
    let bestGain = -1;
    for (let s = 0; s < n; s++) {
      let gain = 0;
      for (const g of groups[i]!) if (cnt[g * n + s] === 0 && covered[g]! < target[g]!) gain++;
      if (gain > bestGain || (gain === bestGain && load[s]! < load[best]!)) {
        best = s;
        bestGain = gain;
      }
    }
    st.place(i, best);
  }
}

/** Diagonals of the case × platform × Go grid: a Latin square, which spreads every axis even where greedy gets stuck. */
function diagonal(st: Assignment, sorted: readonly CellSpec[]): void {
  const rank = (key: (c: CellSpec) => string) => {
    const values = [...new Set(sorted.map(key))].sort();
    return new Map(values.map((v, i) => [v, i]));
  };
  const [cr, pr, gr] = [rank((c) => c.caseName), rank((c) => c.platform.name), rank((c) => c.go.version)];
  sorted.forEach((c, i) => void st.place(i, (cr.get(c.caseName)! + pr.get(c.platform.name)! + gr.get(c.go.version)!) % st.n));
}

/** [i, t, j]: cell i to shard t, and j (if ≥ 0) to i's shard. */
type Move = [number, number, number];

/**
 * Local search until no move improves or the budget is spent: while some axis is not spread,
 * apply the best single move or swap; after that (balancing), the first improving one.
 */
function search(st: Assignment): void {
  const budget = { left: SEARCH_BUDGET };
  for (;;) {
    const bestMove = bestMoveFrom(st, budget);
    if (!bestMove) return;
    const [i, t, j] = bestMove;
    const s = st.shard[i]!;
    st.place(i, t);
    if (j >= 0) st.place(j, s);
  }
}

function bestMoveFrom(st: Assignment, budget: { left: number }): Move | undefined {
  const { N, n, cost, shard, load } = st;
  const current = st.score();
  let bestScore = current;
  let bestMove: Move | undefined;
  // While an axis is not spread, only cells of such axes are worth moving; after that, cells of the heaviest shard.
  const spread = current[0] === 0 && current[1] === 0;
  const heaviest = load.indexOf(current[2]!);
  const candidates: number[] = [];
  for (let i = 0; i < N; i++)
    if (spread ? shard[i] === heaviest : st.groups[i]!.some((g) => st.covered[g]! < st.target[g]!)) candidates.push(i);
  // Once spread, a move of d from the heaviest shard s to t only helps if 0 < d < load[s] − load[t].
  const helps = (s: number, t: number, d: number) => !spread || (d > 0 && d < load[s]! - load[t]!);
  const consider = (sc: number[], move: Move) => {
    if (better(sc, bestScore)) [bestScore, bestMove] = [sc, move];
  };
  for (const i of candidates) {
    const s = shard[i]!;
    for (let t = 0; t < n && budget.left > 0; t++) {
      if (t === s || !helps(s, t, cost[i]!)) continue;
      budget.left--;
      st.place(i, t);
      consider(st.score(), [i, t, -1]);
      st.place(i, s);
      if (spread && bestMove) break;
    }
    for (let j = 0; j < N && budget.left > 0; j++) {
      const t = shard[j]!;
      budget.left--;
      if (t === s || !helps(s, t, cost[i]! - cost[j]!)) continue;
      st.place(i, t);
      st.place(j, s);
      consider(st.score(), [i, t, j]);
      st.place(j, t);
      st.place(i, s);
      if (spread && bestMove) break;
    }
    if (spread && bestMove) break;
  }
  return bestMove;
}
