import t, { type Test } from 'tap';
import { UsageError } from '../../harness/core/errors.js';
import { expandMatrix } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { costsFrom, parseShard, planShards, shardCells } from '../../harness/core/shard.js';
import type { CellSpec } from '../../harness/core/types.js';
import { cell, fakeCase } from '../support/helpers.js';

/** A small deterministic generator (LCG), so that "random" tests are reproducible. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** cases × platforms × Go versions, as expandMatrix makes it; platforms beyond the table get made-up names. */
function grid(cases: number, platforms: number, gos = 1): CellSpec[] {
  const plats = Array.from({ length: platforms }, (_, i) => ({
    ...PLATFORMS[i % PLATFORMS.length]!,
    name: i < PLATFORMS.length ? PLATFORMS[i]!.name : `extra${i}`,
  }));
  return expandMatrix(
    Array.from({ length: cases }, (_, i) => fakeCase(`case${i}`)),
    plats,
    Array.from({ length: gos }, (_, i) => ({ version: `1.${20 + i}`, suite: 'trixie' })),
  );
}

const AXES: Record<string, (c: CellSpec) => string> = {
  case: (c) => c.caseName,
  platform: (c) => c.platform.name,
  go: (c) => c.go.version,
};
const ids = (cells: readonly CellSpec[]) => cells.map((c) => c.id);
const load = (cells: readonly CellSpec[], costs?: Map<string, number>) =>
  cells.reduce((s, c) => s + Math.max(1, Math.round(costs?.get(c.id) ?? 1)), 0);

/** Every cell in exactly one shard; each shard in input order. */
function checkPartition(t: Test, input: readonly CellSpec[], shards: CellSpec[][]): void {
  const all = shards.flat();
  t.equal(all.length, input.length, 'no cell in two shards, none left out');
  t.same(new Set(ids(all)), new Set(ids(input)), 'the union is the input');
  const pos = new Map(input.map((c, i) => [c.id, i]));
  t.ok(
    shards.every((s) => s.every((c, i) => i === 0 || pos.get(c.id)! > pos.get(s[i - 1]!.id)!)),
    'each shard keeps the input order',
  );
}

/** For each axis value: in how many shards it is, and how many cells it has. */
function spread(shards: CellSpec[][]): { axis: string; value: string; shards: number; cells: number }[] {
  const out: { axis: string; value: string; shards: number; cells: number }[] = [];
  for (const [axis, key] of Object.entries(AXES)) {
    const where = new Map<string, Set<number>>();
    const count = new Map<string, number>();
    for (const [i, s] of shards.entries()) {
      for (const c of s) {
        const v = key(c);
        where.set(v, (where.get(v) ?? new Set()).add(i));
        count.set(v, (count.get(v) ?? 0) + 1);
      }
    }
    for (const [value, set] of where) out.push({ axis, value, shards: set.size, cells: count.get(value)! });
  }
  return out;
}

t.test('parseShard', async (t) => {
  t.same(parseShard('2/3'), { k: 2, n: 3 });
  t.same(parseShard('1/1'), { k: 1, n: 1 });
  t.same(parseShard(' 3 / 3 '), { k: 3, n: 3 });
  t.same(parseShard('10/12'), { k: 10, n: 12 });
  for (const bad of [
    '',
    '2',
    '0/3',
    '4/3',
    '2/0',
    '-1/2',
    '1.5/2',
    'a/b',
    '1/2/3',
    '2/3x',
    '/3',
    '99999999999999999999/99999999999999999999',
  ]) {
    t.throws(() => parseShard(bad), UsageError, `"${bad}" is a usage error`);
    try {
      parseShard(bad);
    } catch (e) {
      t.match((e as Error).message, /^--shard takes K\/N with 1 ≤ K ≤ N, e\.g\. 2\/3; not "/);
      t.notMatch((e as Error).message, /\n/, 'one line');
      t.equal((e as UsageError).exitCode, 2);
    }
  }
});

t.test('costsFrom', async (t) => {
  const costs = costsFrom({
    cells: [
      cell('a', 'amd64-glibc', '1.27', { durationMs: 120 }),
      cell('b', 'amd64-glibc', '1.27', { durationMs: 0 }),
      cell('c', 'amd64-glibc', '1.27', { durationMs: Number.NaN }),
      cell('d', 'amd64-glibc', '1.27', { durationMs: -5 }),
    ],
  });
  t.same(
    [...costs],
    [
      ['a/amd64-glibc/go1.27', 120],
      ['b/amd64-glibc/go1.27', 0],
    ],
  );
});

t.test('the shards partition the input, for any n', async (t) => {
  const cells = grid(5, 6, 2);
  const costs = new Map(cells.map((c, i) => [c.id, (i * 37) % 101]));
  for (let n = 1; n <= 9; n++) {
    const shards = planShards(cells, n, costs);
    t.equal(shards.length, n);
    checkPartition(t, cells, shards);
    for (let k = 1; k <= n; k++)
      t.same(ids(shardCells(cells, { k, n }, costs)), ids(shards[k - 1]!), `shardCells(${k}/${n}) is planShards' shard ${k}`);
  }
  const few = grid(1, 2);
  const shards = planShards(few, 5);
  checkPartition(t, few, shards);
  t.equal(shards.filter((s) => s.length).length, 2, 'more shards than cells: some are empty');
  t.same(planShards([], 3), [[], [], []]);
});

t.test('deterministic, and independent of the input order', async (t) => {
  const cells = grid(5, 6, 3);
  const costs = new Map(cells.map((c, i) => [c.id, Math.floor(rng(i + 1)() * 500)]));
  for (const n of [2, 3, 4]) {
    const want = planShards(cells, n, costs).map((s) => new Set(ids(s)));
    t.same(
      planShards(cells, n, costs).map((s) => new Set(ids(s))),
      want,
      `${n} shards: the same twice`,
    );
    for (const seed of [1, 2, 3]) {
      const input = shuffled(cells, seed);
      t.same(
        planShards(input, n, costs).map((s) => new Set(ids(s))),
        want,
        `${n} shards: the same for a shuffled input (seed ${seed})`,
      );
      t.same(
        planShards(input, n, new Map(shuffled([...costs], seed))).map((s) => new Set(ids(s))),
        want,
        'and for costs in another order',
      );
    }
  }
});

t.test('5 cases × 6 platforms in 2 shards: every case and every platform is in both', async (t) => {
  const cells = grid(5, 6);
  const r = rng(7);
  const costSets: [string, Map<string, number> | undefined][] = [
    ['no costs', undefined],
    ['equal costs', new Map(cells.map((c) => [c.id, 100]))],
    ['random costs', new Map(cells.map((c) => [c.id, Math.floor(r() * 1000)]))],
    ['one platform 50× slower (emulated)', new Map(cells.map((c) => [c.id, c.platform.name === 'arm5-musl' ? 5000 : 100]))],
    ['one case 50× slower', new Map(cells.map((c) => [c.id, c.caseName === 'case0' ? 5000 : 100]))],
  ];
  for (const [what, costs] of costSets) {
    const shards = planShards(cells, 2, costs);
    for (const s of shards) {
      t.same(new Set(s.map((c) => c.caseName)).size, 5, `${what}: every case in each shard`);
      t.same(new Set(s.map((c) => c.platform.name)).size, 6, `${what}: every platform in each shard`);
    }
  }
});

t.test('no shard holds every cell of a case, platform or Go version; each is spread over min(n, its cells) shards', async (t) => {
  const r = rng(42);
  let checked = 0;
  for (let trial = 0; trial < 150; trial++) {
    const [cases, plats, gos, n] = [1 + Math.floor(r() * 6), 1 + Math.floor(r() * 7), 1 + Math.floor(r() * 3), 2 + Math.floor(r() * 4)];
    let cells = grid(cases, plats, gos);
    if (r() < 0.3) cells = cells.filter(() => r() < 0.8); // holes, as after --case/--platform filters on probes
    const skewed = r() < 0.5;
    const costs = new Map(cells.map((c) => [c.id, skewed ? Math.floor(r() ** 3 * 1000) : 10 + Math.floor(r() * 5)]));
    const shards = planShards(cells, n, costs);
    checkPartition(t, cells, shards);
    for (const s of spread(shards)) {
      if (s.cells >= 2) t.ok(s.shards >= 2, `trial ${trial}: ${s.axis} ${s.value} (${s.cells} cells) is in ${s.shards} of ${n} shards`);
      t.equal(s.shards, Math.min(n, s.cells), `trial ${trial}: ${s.axis} ${s.value} spread over min(${n}, ${s.cells}) shards`);
      checked++;
    }
  }
  t.ok(checked > 500, `${checked} axis values checked`);
});

t.test('a Latin square where greedy alone gets stuck', async (t) => {
  const cells = grid(4, 4);
  const costs = new Map(cells.map((c, i) => [c.id, [900, 5, 300, 40, 7, 650, 2, 120, 75, 10, 980, 3, 1, 400, 60, 800][i]!]));
  const shards = planShards(cells, 4, costs);
  for (const s of shards) {
    t.equal(new Set(s.map((c) => c.caseName)).size, s.length, 'no case twice in a shard');
    t.equal(new Set(s.map((c) => c.platform.name)).size, s.length, 'no platform twice in a shard');
  }
  t.same(
    spread(shards)
      .filter((s) => s.axis !== 'go')
      .map((s) => s.shards),
    Array(8).fill(4),
    'every case and platform in all 4 shards',
  );
});

t.test('balanced by expected cost', async (t) => {
  const cells = grid(5, 6, 2);
  // Equal costs: shard sizes differ by at most one.
  for (const n of [2, 3, 4, 7]) {
    const sizes = planShards(cells, n).map((s) => s.length);
    t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${n} shards of equal cells: sizes ${sizes.join(', ')}`);
  }
  // Random costs: within list scheduling's bound (average + largest cell), and close to the average here.
  const r = rng(3);
  for (const n of [2, 3, 5]) {
    const costs = new Map(cells.map((c) => [c.id, 1 + Math.floor(r() * 1000)]));
    const loads = planShards(cells, n, costs).map((s) => load(s, costs));
    const avg = loads.reduce((a, b) => a + b, 0) / n;
    const biggest = Math.max(...costs.values());
    t.ok(Math.max(...loads) <= avg + biggest, `${n} shards: loads ${loads.join(', ')}, average ${avg.toFixed(0)}`);
    t.ok(Math.max(...loads) <= avg * 1.05, `${n} shards: the heaviest within 5% of the average`);
  }
  // One very slow cell: its shard gets fewer cells.
  const slow = new Map(cells.map((c) => [c.id, c.id === cells[7]!.id ? 3000 : 100]));
  const shards = planShards(cells, 2, slow);
  const withSlow = shards.find((s) => s.some((c) => c.id === cells[7]!.id))!;
  const other = shards.find((s) => s !== withSlow)!;
  t.ok(withSlow.length < other.length, `the slow cell's shard has ${withSlow.length} cells, the other ${other.length}`);
  t.ok(Math.abs(load(withSlow, slow) - load(other, slow)) <= 100, `loads ${load(withSlow, slow)} and ${load(other, slow)}`);
});

t.test('unknown costs: the median of the known ones, or 1 if none is known', async (t) => {
  const cells = grid(4, 5);
  const r = rng(11);
  const partial = new Map(cells.filter((_, i) => i % 3).map((c) => [c.id, Math.floor(r() * 900)]));
  const known = [...partial.values()].sort((a, b) => a - b);
  const mid = known.length % 2 ? known[known.length >> 1]! : (known[known.length / 2 - 1]! + known[known.length / 2]!) / 2;
  const filled = new Map(cells.map((c) => [c.id, partial.get(c.id) ?? mid]));
  for (const n of [2, 3]) {
    t.same(
      ids(planShards(cells, n, partial).flat()),
      ids(planShards(cells, n, filled).flat()),
      `${n} shards: unknown costs are the median (${mid})`,
    );
    t.same(
      planShards(cells, n, new Map()),
      planShards(cells, n, new Map(cells.map((c) => [c.id, 1]))),
      `${n} shards: nothing known is cost 1 each`,
    );
    t.same(planShards(cells, n), planShards(cells, n, new Map([['not/a/cell', 500]])), 'costs of other cells do not count');
  }
});

t.test('bad arguments', async (t) => {
  const cells = grid(2, 2);
  t.throws(() => shardCells(cells, { k: 0, n: 2 }), UsageError);
  t.throws(() => shardCells(cells, { k: 3, n: 2 }), UsageError);
  t.throws(() => planShards(cells, 0), UsageError);
  t.throws(() => planShards([...cells, cells[0]!], 2), /appears twice/);
});

t.test('a large matrix splits quickly', async (t) => {
  const cells = grid(30, 12, 4);
  const r = rng(5);
  const costs = new Map(cells.map((c) => [c.id, Math.floor(r() * 1000)]));
  for (const n of [2, 4, 8]) {
    const t0 = Date.now();
    const shards = planShards(cells, n, costs);
    const ms = Date.now() - t0;
    t.ok(ms < 3000, `${cells.length} cells into ${n} shards in ${ms} ms`);
    t.ok(
      spread(shards).every((s) => s.shards === Math.min(n, s.cells)),
      'every axis spread',
    );
  }
});
