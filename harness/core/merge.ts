// Merging the results of several runs (typically the shards of one matrix, core/shard.ts) into one run.
import { posix } from 'node:path';
import { UsageError } from './errors.js';
import { parseJsonText } from './json-text.js';
import { countVerdicts, exitCodeFor, RESULTS_SCHEMA_VERSION, type RunResults } from './results.js';
import { type CellResult, VERDICTS } from './types.js';

/** The text of a results.json → the run, checked enough to be merged and diffed; `where` names the file in errors. */
export function parseRunResults(text: string, where: string): RunResults {
  const data = parseJsonText(text, where);
  const r = data as Partial<RunResults> | null;
  const cellOk = (c: Partial<CellResult> | null) =>
    typeof c?.id === 'string' &&
    (VERDICTS as readonly string[]).includes(c.verdict ?? '') &&
    typeof c.axes === 'object' &&
    typeof c.logs === 'object';
  const ok =
    typeof r === 'object' &&
    r !== null &&
    typeof r.run?.id === 'string' &&
    Array.isArray(r.cells) &&
    r.cells.every(cellOk) &&
    Array.isArray(r.images) &&
    Array.isArray(r.platforms) &&
    Array.isArray(r.cases);
  if (!ok) throw new UsageError(`${where}: not a cshared-matrix results.json`);
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION)
    throw new UsageError(`${where}: results schema version ${String(r.schemaVersion)}; this harness reads ${RESULTS_SCHEMA_VERSION}`);
  return r as RunResults;
}

/** What the harness names a run (2026-12-02T04-21-25Z-ab92, merged-…+…): one path segment. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,400}$/;

/**
 * A part merge can take: its id names the directories merge writes (logs/<id>,
 * merged-<id>+…), so it must be one plain path segment, never "../…". diff only
 * shows an id, escaped, and takes any.
 */
export function mergeablePart(r: RunResults, where: string): RunResults {
  if (!RUN_ID.test(r.run.id))
    throw new UsageError(
      `${where}: run.id is not a run id (letters, digits and ._+- only, starting with a letter or digit); merge names directories after it`,
    );
  return r;
}

export interface MergeOptions {
  /**
   * Where each part's logs are, relative to the merged run's directory (POSIX separators),
   * by index. Log paths in results.json are relative to their run's directory; every
   * relative log path P of part i becomes `<logDirs[i]>/P` (normalized), absolute ones are
   * kept. The convention (and the default) is `logs/<part's run id>`: the merged run
   * directory holds a copy of each part's run directory's log files under
   * logs/<part's run id>/, at the same relative paths (merge-cli copies them), so the
   * merged run is self-contained. "." keeps the paths as they are.
   */
  logDirs?: readonly string[];
  /** Run id; default "merged-<id>+<id>…" (the parts' ids, in the order given). */
  id?: string;
  /** Command line that made the merged run; default: the parts' distinct commands, joined by " ; ". */
  command?: string;
  argv?: string[];
}

/**
 * Order the union of several sequences so that every sequence's own order is kept
 * (a topological order of "a comes right before b in some sequence"), breaking ties —
 * and any contradiction between sequences — by first appearance.
 */
export function unionOrder(seqs: readonly (readonly string[])[]): string[] {
  const first = new Map<string, number>();
  for (const s of seqs) for (const x of s) if (!first.has(x)) first.set(x, first.size);
  const after = new Map<string, Set<string>>([...first.keys()].map((x) => [x, new Set<string>()]));
  const indeg = new Map<string, number>([...first.keys()].map((x) => [x, 0]));
  for (const s of seqs) {
    const seq = [...new Set(s)];
    for (let i = 1; i < seq.length; i++) {
      const [a, b] = [seq[i - 1]!, seq[i]!];
      if (!after.get(a)!.has(b)) {
        after.get(a)!.add(b);
        indeg.set(b, indeg.get(b)! + 1);
      }
    }
  }
  const left = new Set(first.keys()); // in first-seen order
  const out: string[] = [];
  while (left.size) {
    let next: string | undefined;
    for (const x of left)
      if (indeg.get(x) === 0) {
        next = x;
        break;
      }
    next ??= left.values().next().value!; // a cycle: the sequences disagree, first seen wins
    left.delete(next);
    out.push(next);
    for (const y of after.get(next)!) indeg.set(y, indeg.get(y)! - 1);
  }
  return out;
}

/** The distinct keys, in first-seen order. */
function distinct<T>(xs: readonly T[], key: (x: T) => string): string[] {
  return [...new Set(xs.map(key))];
}

/** Group consecutive items by key, keeping order. */
function blocks<T>(xs: readonly T[], key: (x: T) => string): T[][] {
  const out: T[][] = [];
  let last: string | undefined;
  for (const x of xs) {
    const k = key(x);
    if (!out.length || k !== last) out.push([]);
    out[out.length - 1]!.push(x);
    last = k;
  }
  return out;
}

/** Where the merged run keeps a copy of a part's logs, relative to its directory: logs/<part's run id>. */
export const logDirFor = (part: Pick<RunResults, 'run'>): string => `logs/${part.run.id}`;

/** A log path of a part, as seen from the merged run's directory. */
export function rebaseLog(dir: string, path: string): string {
  if (dir === '' || dir === '.' || posix.isAbsolute(path)) return path;
  return posix.normalize(posix.join(dir, path));
}

/**
 * Why a path a results.json names is not a file of its run (undefined if it is one, lexically):
 * results.json is data its producer chose, and merge copies only what lies inside the run directory.
 */
export function runFileProblem(rel: string): string | undefined {
  if (rel === '' || rel.includes('\0')) return 'not a file name';
  if (posix.isAbsolute(rel)) return 'an absolute path, outside the run directory';
  const normal = posix.normalize(rel);
  if (normal === '.' || normal === '..' || normal.startsWith('../')) return 'a path that leaves the run directory';
  return undefined;
}

/** Statistics in the run record (builds, resources, phases): records of numbers. */
const STAT_FIELDS = ['builds', 'resources', 'phases'];
/** Flags that hold for the merged run if they held for any part. */
const FLAG_FIELDS = ['stoppedEarly'];

/**
 * The run's statistics, key by key: a max… key (a peak) takes the largest value, any
 * other is summed over the parts (machine time and counts, not wall time).
 */
function mergeStats(runs: readonly RunResults['run'][]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const run of runs) {
    for (const field of STAT_FIELDS) {
      const value = (run as Record<string, unknown>)[field];
      if (typeof value !== 'object' || value === null) continue;
      const acc = (out[field] ??= {});
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'number') continue;
        acc[k] = acc[k] === undefined ? v : /^max/i.test(k) ? Math.max(acc[k]!, v) : acc[k]! + v;
      }
    }
  }
  return out;
}

function mergeFlags(runs: readonly RunResults['run'][]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const f of FLAG_FIELDS) if (runs.some((r) => f in r)) out[f] = runs.some((r) => (r as Record<string, unknown>)[f] === true);
  return out;
}

/**
 * When the parts say they are shards (run.shard = {k, n}): which of the n are missing or
 * given twice, in one line; undefined when they are complete, or not shards at all.
 */
export function shardGaps(parts: readonly Pick<RunResults, 'run'>[]): string | undefined {
  const shards = parts.map((p) => (p.run as { shard?: { k: number; n: number } }).shard);
  if (!shards.length || shards.some((s) => !s)) return undefined;
  const ns = [...new Set(shards.map((s) => s!.n))];
  if (ns.length > 1) return `the runs are shards of different splits (${shards.map((s) => `${s!.k}/${s!.n}`).join(', ')})`;
  const n = ns[0]!;
  const ks = shards.map((s) => s!.k);
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !ks.includes(k));
  const twice = [...new Set(ks.filter((k, i) => ks.indexOf(k) !== i))];
  const problems = [
    ...(missing.length ? [`shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} missing`] : []),
    ...(twice.length ? [`shard${twice.length > 1 ? 's' : ''} ${twice.map((k) => `${k}/${n}`).join(', ')} given twice`] : []),
  ];
  return problems.length ? problems.join('; ') : undefined;
}

/**
 * One run from several: the cells of every part (a cell id in two parts is an error
 * naming both runs), in the canonical order — Go version, then case, then platform, as
 * expandMatrix makes it — where each axis's order is the union of the parts' own orders
 * (their platforms, cases and images lists, and the order of their cells). Counts and
 * exit code are recomputed; images, platforms and cases are unioned. Run: startedAt is
 * the earliest, finishedAt the latest, durationMs the wall-clock span between them, jobs
 * the largest, statistics (builds, resources, phases) merged by mergeStats, interrupted
 * and stoppedEarly if any part was, rootfs kept only if every part ran in the same one;
 * a part's shard is not carried over (see shardGaps). Log paths: see MergeOptions.logDirs.
 */
export function mergeResults(parts: readonly RunResults[], opts: MergeOptions = {}): RunResults {
  checkParts(parts, opts);
  const cells = collectCells(parts, opts);
  const ranks = axisRanks(parts);
  // Array.prototype.sort is stable: equal keys keep the parts' order.
  cells.sort(
    (a, b) =>
      ranks.go.get(a.axes.go)! - ranks.go.get(b.axes.go)! ||
      ranks.case.get(a.axes.case)! - ranks.case.get(b.axes.case)! ||
      ranks.platform.get(a.axes.platform)! - ranks.platform.get(b.axes.platform)!,
  );
  const run = mergedRun(parts, opts);
  const counts = countVerdicts(cells);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    harness: parts[0]!.harness,
    run,
    ...unionLists(parts, ranks),
    cells,
    counts,
    exitCode: exitCodeFor(counts, run.interrupted, run.canaries),
  };
}

function checkParts(parts: readonly RunResults[], opts: MergeOptions): void {
  if (!parts.length) throw new UsageError('nothing to merge: give at least one run');
  for (const p of parts) {
    if (p.schemaVersion !== RESULTS_SCHEMA_VERSION)
      throw new UsageError(
        `run ${p.run?.id ?? '?'}: results schema version ${String(p.schemaVersion)}, this harness reads ${RESULTS_SCHEMA_VERSION}`,
      );
  }
  const seen = new Map<string, number>();
  parts.forEach((p, i) => {
    const j = seen.get(p.run.id);
    if (j !== undefined) throw new UsageError(`run ${p.run.id} is given twice (parts ${j + 1} and ${i + 1})`);
    seen.set(p.run.id, i);
  });
  if (opts.logDirs && opts.logDirs.length !== parts.length)
    throw new Error(`mergeResults: ${parts.length} parts but ${opts.logDirs.length} log directories`);
}

/** Every part's cells, with their logs rebased; a cell id in two parts is not a shard split. */
function collectCells(parts: readonly RunResults[], opts: MergeOptions): CellResult[] {
  const owner = new Map<string, string>();
  const cells: CellResult[] = [];
  parts.forEach((p, i) => {
    const dir = opts.logDirs?.[i] ?? logDirFor(p);
    for (const c of p.cells) {
      const other = owner.get(c.id);
      if (other !== undefined)
        throw new UsageError(`cell ${c.id} is in both run ${other} and run ${p.run.id}: merge the shards of one matrix, each once`);
      owner.set(c.id, p.run.id);
      cells.push({ ...c, logs: Object.fromEntries(Object.entries(c.logs).map(([k, v]) => [k, rebaseLog(dir, v)])) });
    }
  });
  return cells;
}

interface AxisRanks {
  go: Map<string, number>;
  case: Map<string, number>;
  platform: Map<string, number>;
}

/** The canonical order of each axis, from every part's lists and its cells' order. */
function axisRanks(parts: readonly RunResults[]): AxisRanks {
  const goOrder = unionOrder(parts.flatMap((p) => [p.images.map((im) => im.go), distinct(p.cells, (c) => c.axes.go)]));
  const caseOrder = unionOrder(
    parts.flatMap((p) => [p.cases.map((c) => c.name), ...blocks(p.cells, (c) => c.axes.go).map((b) => distinct(b, (c) => c.axes.case))]),
  );
  const platformOrder = unionOrder(
    parts.flatMap((p) => [
      p.platforms.map((x) => x.name),
      ...blocks(p.cells, (c) => `${c.axes.go}\0${c.axes.case}`).map((b) => distinct(b, (c) => c.axes.platform)),
    ]),
  );
  const rank = (order: string[]) => new Map(order.map((x, i) => [x, i]));
  return { go: rank(goOrder), case: rank(caseOrder), platform: rank(platformOrder) };
}

/** Images, platforms and cases of every part, once each, in the axes' order. */
function unionLists(parts: readonly RunResults[], ranks: AxisRanks): Pick<RunResults, 'images' | 'platforms' | 'cases'> {
  const unionBy = <T>(lists: readonly (readonly T[])[], key: (x: T) => string): T[] => {
    const m = new Map<string, T>();
    for (const l of lists) for (const x of l) if (!m.has(key(x))) m.set(key(x), x);
    return [...m.values()];
  };
  return {
    images: unionBy(
      parts.map((p) => p.images),
      (im) => `${im.go}\0${im.tag}\0${im.id}`,
    ).sort((a, b) => (ranks.go.get(a.go) ?? Infinity) - (ranks.go.get(b.go) ?? Infinity)),
    platforms: unionBy(
      parts.map((p) => p.platforms),
      (x) => x.name,
    ).sort((a, b) => ranks.platform.get(a.name)! - ranks.platform.get(b.name)!),
    cases: unionBy(
      parts.map((p) => p.cases),
      (x) => x.name,
    ).sort((a, b) => ranks.case.get(a.name)! - ranks.case.get(b.name)!),
  };
}

/** The shards of one tier's matrix share its tier and left-out count; runs of different tiers have no one tier. */
function sameTier(runs: readonly RunResults['run'][]): Pick<RunResults['run'], 'tier' | 'tierLeftOut'> {
  const first = runs[0]!;
  if (!first.tier || !runs.every((r) => r.tier === first.tier && r.tierLeftOut === first.tierLeftOut)) return {};
  return { tier: first.tier, ...(first.tierLeftOut !== undefined ? { tierLeftOut: first.tierLeftOut } : {}) };
}

/** The merged run record: the parts' span, the largest jobs, merged statistics, flags and emulation. */
function mergedRun(parts: readonly RunResults[], opts: MergeOptions): RunResults['run'] {
  const byTime = (key: 'startedAt' | 'finishedAt') => [...parts].sort((a, b) => Date.parse(a.run[key]) - Date.parse(b.run[key]));
  const startedAt = byTime('startedAt')[0]!.run.startedAt;
  const finishedAt = byTime('finishedAt')[parts.length - 1]!.run.finishedAt;
  const rootfs = parts[0]!.run.rootfs;
  const sameRootfs = parts.every((p) => p.run.rootfs?.id === rootfs?.id);
  return {
    id: opts.id ?? `merged-${parts.map((p) => p.run.id).join('+')}`,
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
    command: opts.command ?? [...new Set(parts.map((p) => p.run.command))].join(' ; '),
    argv: opts.argv ?? [],
    jobs: Math.max(...parts.map((p) => p.run.jobs)),
    interrupted: parts.some((p) => p.run.interrupted),
    node: [...new Set(parts.map((p) => p.run.node))].join(', '),
    ...mergeStats(parts.map((p) => p.run)),
    ...mergeFlags(parts.map((p) => p.run)),
    ...(rootfs && sameRootfs ? { rootfs } : {}),
    ...sameTier(parts.map((p) => p.run)),
    // Each shard measured its own emulated rows; together they are the run's.
    ...(parts.some((p) => p.run.emulation)
      ? { emulation: Object.assign({}, ...parts.map((p) => p.run.emulation ?? {})) as NonNullable<RunResults['run']['emulation']> }
      : {}),
    ...(parts.some((p) => p.run.canaries)
      ? { canaries: Object.assign({}, ...parts.map((p) => p.run.canaries ?? {})) as NonNullable<RunResults['run']['canaries']> }
      : {}),
  } as RunResults['run'];
}
