// Merging the results of several runs (typically the shards of one matrix, core/shard.ts) into one run.
import { posix } from 'node:path';
import type { CellResult } from './types.js';
import { countVerdicts, exitCodeFor, RESULTS_SCHEMA_VERSION, type RunResults } from './results.js';
import { UsageError } from './errors.js';

export interface MergeOptions {
  /**
   * Where each part's run directory is, relative to the merged run's directory (POSIX
   * separators), by index. Log paths in results.json are relative to their run directory,
   * so every relative log path of part i becomes `<logDirs[i]>/<path>` (normalized) and
   * stays valid from the merged run's directory; absolute paths are kept. Default:
   * `../<part's run id>`, i.e. the merged run directory is a sibling of the parts' run
   * directories in one results directory (how the runner names them). "." keeps paths as they are.
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
    for (const x of left) if (indeg.get(x) === 0) {
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

/** A log path of a part, as seen from the merged run's directory. */
export function rebaseLog(dir: string, path: string): string {
  if (dir === '' || dir === '.' || posix.isAbsolute(path)) return path;
  return posix.normalize(posix.join(dir, path));
}

/**
 * One run from several: the cells of every part (a cell id in two parts is an error
 * naming both runs), in the canonical order — Go version, then case, then platform, as
 * expandMatrix makes it — where each axis's order is the union of the parts' own orders
 * (their platforms, cases and images lists, and the order of their cells). Counts and
 * exit code are recomputed; images, platforms and cases are unioned. Run: startedAt is
 * the earliest, finishedAt the latest, durationMs the wall-clock span between them, jobs
 * the largest, builds summed, rootfs kept only if every part ran in the same one, and
 * interrupted if any part was. Log paths: see MergeOptions.logDirs.
 */
export function mergeResults(parts: readonly RunResults[], opts: MergeOptions = {}): RunResults {
  if (!parts.length) throw new UsageError('nothing to merge: give at least one run');
  for (const p of parts) {
    if (p.schemaVersion !== RESULTS_SCHEMA_VERSION) throw new UsageError(`run ${p.run?.id ?? '?'}: results schema version ${String(p.schemaVersion)}, this harness reads ${RESULTS_SCHEMA_VERSION}`);
  }
  const seen = new Map<string, number>();
  parts.forEach((p, i) => {
    const j = seen.get(p.run.id);
    if (j !== undefined) throw new UsageError(`run ${p.run.id} is given twice (parts ${j + 1} and ${i + 1})`);
    seen.set(p.run.id, i);
  });
  if (opts.logDirs && opts.logDirs.length !== parts.length) throw new Error(`mergeResults: ${parts.length} parts but ${opts.logDirs.length} log directories`);

  // Cells, with their logs rebased; a cell id in two parts is not a shard split.
  const owner = new Map<string, string>();
  const cells: CellResult[] = [];
  parts.forEach((p, i) => {
    const dir = opts.logDirs?.[i] ?? `../${p.run.id}`;
    for (const c of p.cells) {
      const other = owner.get(c.id);
      if (other !== undefined) throw new UsageError(`cell ${c.id} is in both run ${other} and run ${p.run.id}: merge the shards of one matrix, each once`);
      owner.set(c.id, p.run.id);
      cells.push({ ...c, logs: Object.fromEntries(Object.entries(c.logs).map(([k, v]) => [k, rebaseLog(dir, v)])) });
    }
  });

  // The canonical order of each axis, from every part's lists and its cells' order.
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
  const [gr, cr, pr] = [rank(goOrder), rank(caseOrder), rank(platformOrder)];
  // Array.prototype.sort is stable: equal keys keep the parts' order.
  cells.sort((a, b) => gr.get(a.axes.go)! - gr.get(b.axes.go)! || cr.get(a.axes.case)! - cr.get(b.axes.case)! || pr.get(a.axes.platform)! - pr.get(b.axes.platform)!);

  const unionBy = <T>(lists: readonly (readonly T[])[], key: (x: T) => string): T[] => {
    const m = new Map<string, T>();
    for (const l of lists) for (const x of l) if (!m.has(key(x))) m.set(key(x), x);
    return [...m.values()];
  };
  const images = unionBy(
    parts.map((p) => p.images),
    (im) => `${im.go}\0${im.tag}\0${im.id}`,
  ).sort((a, b) => (gr.get(a.go) ?? Infinity) - (gr.get(b.go) ?? Infinity));
  const platforms = unionBy(
    parts.map((p) => p.platforms),
    (x) => x.name,
  ).sort((a, b) => pr.get(a.name)! - pr.get(b.name)!);
  const cases = unionBy(
    parts.map((p) => p.cases),
    (x) => x.name,
  ).sort((a, b) => cr.get(a.name)! - cr.get(b.name)!);

  const byTime = (key: 'startedAt' | 'finishedAt') => [...parts].sort((a, b) => Date.parse(a.run[key]) - Date.parse(b.run[key]));
  const startedAt = byTime('startedAt')[0]!.run.startedAt;
  const finishedAt = byTime('finishedAt')[parts.length - 1]!.run.finishedAt;
  const interrupted = parts.some((p) => p.run.interrupted);
  const withBuilds = parts.filter((p) => p.run.builds);
  const rootfs = parts[0]!.run.rootfs;
  const sameRootfs = parts.every((p) => p.run.rootfs?.id === rootfs?.id);
  const counts = countVerdicts(cells);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    harness: parts[0]!.harness,
    run: {
      id: opts.id ?? `merged-${parts.map((p) => p.run.id).join('+')}`,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
      command: opts.command ?? [...new Set(parts.map((p) => p.run.command))].join(' ; '),
      argv: opts.argv ?? [],
      jobs: Math.max(...parts.map((p) => p.run.jobs)),
      interrupted,
      node: [...new Set(parts.map((p) => p.run.node))].join(', '),
      ...(withBuilds.length
        ? {
            builds: withBuilds.reduce((s, p) => ({ steps: s.steps + p.run.builds!.steps, cacheHits: s.cacheHits + p.run.builds!.cacheHits, ms: s.ms + p.run.builds!.ms }), { steps: 0, cacheHits: 0, ms: 0 }),
          }
        : {}),
      ...(rootfs && sameRootfs ? { rootfs } : {}),
    },
    images,
    platforms,
    cases,
    cells,
    counts,
    exitCode: exitCodeFor(counts, interrupted),
  };
}
