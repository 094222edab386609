import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { main as mergeMain } from '../../harness/cli/commands/merge.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { expandMatrix } from '../../harness/core/matrix.js';
import {
  logDirFor,
  mergeablePart,
  mergeResults,
  parseRunResults,
  rebaseLog,
  runFileProblem,
  shardGaps,
  unionOrder,
} from '../../harness/core/merge.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { countVerdicts, exitCodeFor, type RunResults } from '../../harness/core/results.js';
import { costsFrom, planShards, shardCells } from '../../harness/core/shard.js';
import type { CellResult, CellSpec } from '../../harness/core/types.js';
import { openRunFile, RefusedRunFile, readRun } from '../../harness/edge/runs.js';
import { cell, fakeCase, runResults, tempDir, writeTree } from '../support/helpers.js';
import { runCommand } from '../support/run-command.js';

const REAL_RUN = realRun();

/** Deterministic shuffle (LCG), to show that nothing depends on input order. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The matrix a results.json came from, rebuilt with expandMatrix over its own cases, platforms and Go versions. */
function specsOf(r: RunResults): CellSpec[] {
  return expandMatrix(
    r.cases.map((c) => fakeCase(c.name)),
    r.platforms,
    r.images.map((im) => ({ version: im.go, suite: 'trixie' })),
  );
}

/**
 * What shard k would have written: the same run restricted to its cells, with its own id
 * and times; `narrow` also restricts images, platforms and cases to what the shard ran.
 */
function shardRun(r: RunResults, cells: readonly CellSpec[], k: number, n: number, narrow: boolean): RunResults {
  const ids = new Set(cells.map((c) => c.id));
  const mine = r.cells.filter((c) => ids.has(c.id));
  const counts = countVerdicts(mine);
  const start = Date.parse(r.run.startedAt) + k * 1000;
  const has = (key: (c: CellResult) => string) => new Set(mine.map(key));
  const [gos, plats, cases] = [has((c) => c.axes.go), has((c) => c.axes.platform), has((c) => c.axes.case)];
  return {
    ...r,
    run: {
      ...r.run,
      id: `${r.run.id}-shard${k}of${n}`,
      startedAt: new Date(start).toISOString(),
      finishedAt: new Date(start + 10_000 * k).toISOString(),
      durationMs: 10_000 * k,
      argv: [...r.run.argv, '--shard', `${k}/${n}`],
    },
    ...(narrow
      ? {
          images: r.images.filter((im) => gos.has(im.go)),
          platforms: r.platforms.filter((p) => plats.has(p.name)),
          cases: r.cases.filter((c) => cases.has(c.name)),
        }
      : {}),
    cells: mine,
    counts,
    exitCode: exitCodeFor(counts, false),
  };
}

/** Check that merging the shards of `r` gives `r` back, cell for cell. */
function mergeEqualsUnsharded(t: Test, r: RunResults, n: number, narrow: boolean, seed: number): void {
  const specs = specsOf(r);
  t.same(
    specs.map((c) => c.id),
    r.cells.map((c) => c.id),
    'the results are in expandMatrix order',
  );
  const costs = costsFrom(r);
  const input = shuffled(specs, seed);
  const parts = Array.from({ length: n }, (_, i) => shardRun(r, shardCells(input, { k: i + 1, n }, costs), i + 1, n, narrow));
  t.same(
    parts.map((p) => p.cells.length).reduce((a, b) => a + b, 0),
    r.cells.length,
    'the shards hold every cell once',
  );
  for (const order of [parts, [...parts].reverse(), shuffled(parts, seed + 1)]) {
    const m = mergeResults(order, { logDirs: order.map(() => '.') });
    t.same(m.cells, r.cells, `cells equal the unsharded run's, in its order (parts ${order.map((p) => p.run.id.slice(-7)).join(', ')})`);
    t.same(
      m.cells.map((c) => [c.id, c.verdict, c.stage, c.summary]),
      r.cells.map((c) => [c.id, c.verdict, c.stage, c.summary]),
    );
    t.same(m.counts, countVerdicts(r.cells), 'counts recomputed (results older than a new verdict lack its count)');
    t.same(
      Object.entries(m.counts).filter(([, n]) => n),
      Object.entries(r.counts).filter(([, n]) => n),
    );
    t.equal(m.exitCode, r.exitCode);
    t.same(m.platforms, r.platforms);
    t.same(m.cases, r.cases);
    t.same(m.images, r.images);
    // With the default log convention, each log is the shard's path under logs/<shard id>/.
    const d = mergeResults(order);
    const shardOf = new Map(order.flatMap((p) => p.cells.map((c) => [c.id, p.run.id] as const)));
    t.same(
      d.cells.map((c) => c.logs),
      r.cells.map((c) => Object.fromEntries(Object.entries(c.logs).map(([k, v]) => [k, `logs/${shardOf.get(c.id)}/${v}`]))),
      'logs are prefixed with logs/<shard run id>/',
    );
  }
}

t.test('merging the shards of a real run gives the unsharded run back, cell for cell', async (t) => {
  // Shards list the whole selection's images, platforms and cases (the runner shards after expandMatrix).
  for (const n of [2, 3, 4, 5, 18, 20]) t.test(`${n} shards`, async (t) => mergeEqualsUnsharded(t, REAL_RUN, n, false, n * 7));
  // Shards that list only their own axes: their cells' order still pins the canonical order down.
  for (const n of [2, 3])
    t.test(`${n} shards, each listing only its own axes`, async (t) => mergeEqualsUnsharded(t, REAL_RUN, n, true, n * 7 + 1));
});

t.test('run metadata', async (t) => {
  const specs = specsOf(REAL_RUN);
  const [a, b] = planShards(specs, 2, costsFrom(REAL_RUN)).map((cells, i) => shardRun(REAL_RUN, cells, i + 1, 2, false)) as [
    RunResults,
    RunResults,
  ];
  a.run = { ...a.run, startedAt: '2026-01-01T10:00:00.000Z', finishedAt: '2026-01-01T10:05:00.000Z', jobs: 4, node: 'v20.1.0' };
  b.run = { ...b.run, startedAt: '2026-01-01T09:59:00.000Z', finishedAt: '2026-01-01T10:03:00.000Z', jobs: 8, node: 'v20.2.0' };
  const m = mergeResults([a, b]);
  t.equal(m.run.id, `merged-${a.run.id}+${b.run.id}`);
  t.equal(m.run.startedAt, '2026-01-01T09:59:00.000Z', 'the earliest start');
  t.equal(m.run.finishedAt, '2026-01-01T10:05:00.000Z', 'the latest end');
  t.equal(m.run.durationMs, 6 * 60_000, 'the wall-clock span');
  t.equal(m.run.jobs, 8);
  t.equal(m.run.node, 'v20.1.0, v20.2.0');
  t.equal(m.run.interrupted, false);
  t.equal(m.run.command, REAL_RUN.run.command, 'the shards ran one command');
  t.same(m.run.argv, []);
  t.same(m.harness, REAL_RUN.harness);
  t.equal(m.schemaVersion, 1);

  const named = mergeResults([a, b], { id: 'x', command: 'npm run merge -- a b', argv: ['a', 'b'] });
  t.same([named.run.id, named.run.command, named.run.argv], ['x', 'npm run merge -- a b', ['a', 'b']]);

  const cut = mergeResults([a, { ...b, run: { ...b.run, interrupted: true } }]);
  t.equal(cut.run.interrupted, true, 'interrupted if any part was');
  t.equal(cut.exitCode, EXIT.interrupted);

  // Statistics: counts and times summed, peaks maximized; rootfs only when all agree.
  const stats = (builds: object, rss: number, rootfs?: object) => ({
    builds,
    resources: { userMs: 10, systemMs: 1, maxRssMiB: rss },
    ...(rootfs ? { rootfs } : {}),
  });
  const fs1 = { path: '/a.tar', tag: 'r:1', id: 'sha256:1' };
  const s = mergeResults([
    { ...a, run: { ...a.run, ...stats({ steps: 3, cacheHits: 1, ms: 100 }, 300, fs1) } } as RunResults,
    { ...b, run: { ...b.run, ...stats({ steps: 5, cacheHits: 2, ms: 50 }, 200, fs1) } } as RunResults,
  ]);
  t.same((s.run as Record<string, unknown>).builds, { steps: 8, cacheHits: 3, ms: 150 });
  t.same((s.run as Record<string, unknown>).resources, { userMs: 20, systemMs: 2, maxRssMiB: 300 });
  t.same(s.run.rootfs, fs1);
  const mixed = mergeResults([{ ...a, run: { ...a.run, rootfs: fs1 } }, b]);
  t.notOk('rootfs' in mixed.run, 'parts that ran in different root filesystems: none is claimed');
});

t.test('shards: stoppedEarly if any part was, the shard itself not carried over, gaps reported', async (t) => {
  const withShard = (id: string, k: number, n: number, extra: object = {}) => {
    const r = run(id, []);
    return { ...r, run: { ...r.run, shard: { k, n, of: 10 }, ...extra } } as RunResults;
  };
  const m = mergeResults([withShard('a', 1, 2, { stoppedEarly: false }), withShard('b', 2, 2, { stoppedEarly: true })]);
  t.notOk('shard' in m.run, 'the merged run is not a shard');
  t.equal((m.run as Record<string, unknown>).stoppedEarly, true);
  t.notOk('stoppedEarly' in mergeResults([run('c', [])]).run);
  t.equal(shardGaps([withShard('a', 1, 2), withShard('b', 2, 2)]), undefined, 'complete');
  t.equal(shardGaps([run('a', []), run('b', [])]), undefined, 'not shards');
  t.equal(shardGaps([withShard('a', 1, 3)]), 'shards 2/3, 3/3 missing');
  t.equal(shardGaps([withShard('a', 1, 2), withShard('b', 1, 2)]), 'shard 2/2 missing; shard 1/2 given twice');
  t.match(shardGaps([withShard('a', 1, 2), withShard('b', 2, 3)]), /different splits \(1\/2, 2\/3\)/);
});

t.test('counts and the exit code are recomputed', async (t) => {
  const p1 = run('p1', [cell('link', 'amd64-glibc', '1.27'), cell('link', 'amd64-musl', '1.27', { verdict: 'xfail' })]);
  const p2 = run('p2', [cell('dlopen', 'amd64-glibc', '1.27', { verdict: 'fail' })]);
  const m = mergeResults([p1, p2]);
  t.same(m.counts, { ...countVerdicts([]), pass: 1, fail: 1, xfail: 1, total: 3 });
  t.equal(m.exitCode, EXIT.unexpected);
  t.equal(mergeResults([p1]).exitCode, EXIT.ok);
  t.equal(mergeResults([p1, run('p3', [cell('x', 'arm7-musl', '1.27', { verdict: 'error' })])]).exitCode, EXIT.infra);
});

t.test('a cell in two parts is an error that names both runs', async (t) => {
  const c = cell('link', 'amd64-glibc', '1.27');
  const err = (() => {
    try {
      mergeResults([run('shard-a', [c]), run('shard-b', [cell('dlopen', 'amd64-glibc', '1.27'), c])]);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  t.type(err, UsageError);
  t.match(err?.message, /link\/amd64-glibc\/go1\.27/);
  t.match(err?.message, /shard-a/);
  t.match(err?.message, /shard-b/);
  t.notMatch(err?.message, /\n/, 'one line');
  t.throws(() => mergeResults([run('same', []), run('same', [])]), /run same is given twice/);
  t.throws(() => mergeResults([]), UsageError);
  t.throws(() => mergeResults([{ ...run('old', []), schemaVersion: 2 as unknown as 1 }]), /schema version 2/);
});

t.test("canonical order: Go, case, platform, each axis in the union of the parts' orders", async (t) => {
  const want = ['1.24', '1.27'].flatMap((g) =>
    ['dlopen', 'link'].flatMap((c) => ['amd64-glibc', 'amd64-musl', 'arm7-musl'].map((p) => `${c}/${p}/go${g}`)),
  );
  const cells = want.map((id) => {
    const [c, p, g] = id.split('/') as [string, string, string];
    return cell(c, p, g.slice(2));
  });
  // p1 ran only Go 1.27's dlopen cells and lists only those axes; first seen alone would put 1.27 first.
  const p1 = run(
    'p1',
    cells.filter((c) => c.axes.go === '1.27' && c.axes.case === 'dlopen'),
  );
  const p2 = run(
    'p2',
    cells.filter((c) => !(c.axes.go === '1.27' && c.axes.case === 'dlopen')),
  );
  for (const parts of [
    [p1, p2],
    [p2, p1],
  ]) {
    const m = mergeResults(parts);
    t.same(
      m.cells.map((c) => c.id),
      want,
    );
    t.same(
      m.platforms.map((p) => p.name),
      ['amd64-glibc', 'amd64-musl', 'arm7-musl'],
    );
    t.same(
      m.cases.map((c) => c.name),
      ['dlopen', 'link'],
    );
    t.same(
      m.images.map((im) => im.go),
      ['1.24', '1.27'],
    );
  }
});

t.test('unionOrder', async (t) => {
  t.same(unionOrder([]), []);
  t.same(
    unionOrder([
      ['a', 'c'],
      ['b', 'c'],
      ['a', 'b'],
    ]),
    ['a', 'b', 'c'],
    'every sequence keeps its order',
  );
  t.same(unionOrder([['b'], ['a', 'b']]), ['a', 'b']);
  t.same(unionOrder([['x', 'y'], ['z']]), ['x', 'y', 'z'], 'unrelated: first seen');
  t.same(
    unionOrder([
      ['a', 'b'],
      ['b', 'a'],
    ]),
    ['a', 'b'],
    'a contradiction: first seen wins',
  );
  t.same(unionOrder([['a', 'b', 'a', 'c']]), ['a', 'b', 'c']);
});

t.test('log paths', async (t) => {
  t.equal(logDirFor(run('r1', [])), 'logs/r1');
  t.equal(rebaseLog('logs/r1', 'logs/go1.27/x/run.log'), 'logs/r1/logs/go1.27/x/run.log');
  t.equal(rebaseLog('../r1', 'logs/a.log'), '../r1/logs/a.log');
  t.equal(rebaseLog('logs/m', '../r1/logs/a.log'), 'logs/r1/logs/a.log', 'normalized');
  t.equal(rebaseLog('logs/r1', '/abs/a.log'), '/abs/a.log', 'absolute paths are kept');
  t.equal(rebaseLog('.', 'logs/a.log'), 'logs/a.log');
  const m = mergeResults([run('r1', [cell('link', 'amd64-glibc', '1.27', { logs: { run: 'logs/run.log' } })])]);
  t.same(m.cells[0]!.logs, { run: 'logs/r1/logs/run.log' });
});

t.test('parseRunResults', async (t) => {
  t.same(parseRunResults(JSON.stringify(REAL_RUN), 'r.json'), REAL_RUN);
  t.throws(() => parseRunResults('{', 'r.json'), { message: 'r.json: not valid JSON: line 1, column 2: expected "}"' });
  t.throws(() => parseRunResults('{}', 'r.json'), /^r\.json: not a cshared-matrix results\.json$/);
  t.throws(
    () => parseRunResults(JSON.stringify({ ...REAL_RUN, cells: [{ id: 'x', verdict: 'great' }] }), 'r.json'),
    /not a cshared-matrix/,
  );
  t.throws(() => parseRunResults(JSON.stringify({ ...REAL_RUN, schemaVersion: 9 }), 'r.json'), /schema version 9/);
  t.throws(() => parseRunResults('[]', 'r.json'), UsageError);
});

t.test('mergeablePart: a part whose run.id is not one path segment is refused (merge names directories after it)', async (t) => {
  for (const id of ['a/../../../tmp/pwn', '..', '../x', 'a\u0000b', '/etc', 'x\ny', '', 'forged-\x1b]52;c;eA==\x07']) {
    t.throws(
      () => mergeablePart({ ...REAL_RUN, run: { ...REAL_RUN.run, id } }, 'r.json'),
      { message: /^r\.json: run\.id is not a run id .*; merge names directories after it$/ },
      JSON.stringify(id),
    );
  }
  t.equal(mergeablePart(REAL_RUN, 'r.json'), REAL_RUN);
  const merged = { ...REAL_RUN, run: { ...REAL_RUN.run, id: 'merged-2026-12-02T04-21-25Z-ab92+2026-12-02T04-21-26Z-cd01' } };
  t.equal(mergeablePart(merged, 'r.json'), merged, 'a merged run id is one');
});

t.test('merge-cli: shard directories → a self-contained merged run, latest pointed at it', async (t) => {
  const res = tempDir(t, 'csm-merge-');
  const parts = planShards(specsOf(REAL_RUN), 2, costsFrom(REAL_RUN)).map((cells, i) => shardRun(REAL_RUN, cells, i + 1, 2, true));
  for (const p of parts) {
    const files: Record<string, string | object> = { 'results.json': p };
    for (const c of p.cells) for (const rel of Object.values(c.logs)) files[rel] = `log of ${p.run.id}: ${rel}\n`;
    writeTree(join(res, p.run.id), files);
  }
  const cli = (...args: string[]) => runCommand(mergeMain, args, { CI: '1', NO_COLOR: '1' });
  const r = await cli('--results', res, join(res, parts[1]!.run.id), join(res, parts[0]!.run.id, 'results.json'));
  t.equal(r.status, 0, r.stderr);
  const id = readlinkSync(join(res, 'latest'));
  t.equal(id, `merged-${parts[1]!.run.id}+${parts[0]!.run.id}`);
  const m = JSON.parse(readFileSync(join(res, 'latest', 'results.json'), 'utf8')) as RunResults;
  t.same(
    m.cells.map((c) => ({ ...c, logs: {} })),
    REAL_RUN.cells.map((c) => ({ ...c, logs: {} })),
    'the unsharded run, cell for cell',
  );
  t.same(m.counts, countVerdicts(REAL_RUN.cells));
  t.match(m.run.command, /^cshared-matrix merge --results /);
  for (const c of m.cells)
    for (const [k, rel] of Object.entries(c.logs)) {
      t.match(rel, /^logs\/[^/]+-shard\dof2\/logs\//);
      t.equal(
        readFileSync(join(res, id, rel), 'utf8'),
        `log of ${rel.split('/')[1]}: ${REAL_RUN.cells.find((x) => x.id === c.id)!.logs[k]}\n`,
        'the log was copied',
      );
    }
  t.ok(existsSync(join(res, id, 'matrix.md')), 'the report formats ran');
  t.notOk(existsSync(join(res, id, 'junit.xml')), 'junit is not a default format');
  t.match(r.stdout, /18 cells: 12 pass/);

  const res2 = tempDir(t, 'csm-merge-junit-');
  const j = await cli('--results', res2, '--reporter', 'json,junit', join(res, parts[0]!.run.id), join(res, parts[1]!.run.id));
  t.equal(j.status, 0, j.stderr);
  t.ok(existsSync(join(res2, 'latest', 'junit.xml')), "--reporter picks the merged run's formats: junit for a test-report action");
  t.notOk(existsSync(join(res2, 'latest', 'matrix.md')));

  const dup = await cli('--results', res, join(res, parts[0]!.run.id), join(res, 'latest'), join(res, parts[1]!.run.id));
  t.equal(dup.status, EXIT.usage, 'a merged run plus one of its shards: duplicate cells');
  t.match(dup.stderr, /^cshared-matrix: cell .* is in both run .* and run /);
  t.equal(dup.stderr.trim().split('\n').length, 1);
  const none = await cli('--results', res);
  t.equal(none.status, EXIT.usage);
  const missing = await cli('--results', res, join(res, 'nope'));
  t.equal(missing.status, EXIT.usage);
  t.match(missing.stderr, /no such run directory/);
});

t.test('runFileProblem: a results.json names files of its own run, nothing else', async (t) => {
  t.equal(runFileProblem('logs/go1.27/amd64-glibc/link/run.log'), undefined);
  t.equal(runFileProblem('logs/../logs/a.log'), undefined, 'normalized, still inside');
  t.equal(runFileProblem('/etc/shadow'), 'an absolute path, outside the run directory');
  t.equal(runFileProblem('../other-run/logs/a.log'), 'a path that leaves the run directory');
  t.equal(runFileProblem('logs/../../a.log'), 'a path that leaves the run directory');
  t.equal(runFileProblem('.'), 'a path that leaves the run directory', 'the directory itself is no file');
  t.equal(runFileProblem(''), 'not a file name');
  t.equal(runFileProblem('logs/a\0.log'), 'not a file name');
});

t.test('openRunFile: only regular files inside the run directory, no link at the end or on the way', async (t) => {
  const base = realpathSync(tempDir(t, 'csm-runfile-'));
  const dir = join(base, 'run');
  writeTree(base, { 'secret.txt': 'SECRET-CONTENT\n', 'outside/a.log': 'outside\n', 'run/logs/ok.log': 'ok\n' });
  symlinkSync(join(base, 'secret.txt'), join(dir, 'logs', 'link.log'));
  symlinkSync(join(base, 'outside'), join(dir, 'linked-dir'));
  makeFifo(join(dir, 'logs', 'fifo.log'));
  const fd = openRunFile(dir, 'logs/ok.log');
  t.equal(readFileSync(fd, 'utf8'), 'ok\n', 'a regular file is opened');
  closeSync(fd);
  const refused = (rel: string) => {
    try {
      closeSync(openRunFile(dir, rel));
      return 'opened';
    } catch (e) {
      return e instanceof RefusedRunFile ? e.reason : (e as NodeJS.ErrnoException).code;
    }
  };
  t.match(refused('logs/link.log'), /^a symbolic link; merge reads only regular files inside the run directory/);
  t.match(refused('linked-dir/a.log'), /^reached through a symbolic link to a directory/);
  t.match(refused('../secret.txt'), /^a path that leaves the run directory/);
  t.match(refused(join(base, 'secret.txt')), /^an absolute path/);
  t.match(refused('logs/fifo.log'), /^not a regular file/, 'a FIFO would hang a reader: refused without opening it');
  t.equal(refused('logs/none.log'), 'ENOENT', 'a missing file is missing, not refused');
  t.equal(refused('logs'), 'EISDIR', "a directory (a repro cell's bundle) is for the caller to leave behind, not refused");
});

t.test('merge-cli: a shard whose log is a symbolic link to a secret: refused with one line, its content nowhere', async (t) => {
  const res = tempDir(t, 'csm-merge-link-');
  const secret = join(tempDir(t, 'csm-merge-secret-'), 'shadow');
  writeFileSync(secret, 'root:SECRET-HASH-4f1c:20000:0:99999:7:::\n');
  const parts = planShards(specsOf(REAL_RUN), 2, costsFrom(REAL_RUN)).map((cells, i) => shardRun(REAL_RUN, cells, i + 1, 2, true));
  for (const p of parts) {
    const files: Record<string, string | object> = { 'results.json': p };
    for (const c of p.cells) for (const rel of Object.values(c.logs)) files[rel] = `log of ${p.run.id}: ${rel}\n`;
    writeTree(join(res, p.run.id), files);
  }
  const hostile = parts[0]!;
  const linked = Object.values(hostile.cells[0]!.logs)[0]!;
  rmSync(join(res, hostile.run.id, linked));
  symlinkSync(secret, join(res, hostile.run.id, linked));
  const out = join(res, 'merged');
  const r = await runCommand(mergeMain, ['--results', out, join(res, parts[0]!.run.id), join(res, parts[1]!.run.id)], {
    CI: '1',
    NO_COLOR: '1',
  });
  t.equal(r.status, EXIT.usage, 'bad input: exit 2');
  const lines = r.stderr.trim().split('\n');
  t.same(
    lines.filter((l) => /symbolic link/.test(l)),
    [
      `cshared-matrix: merge: ${join(realpathSync(res), hostile.run.id, linked)}: a symbolic link; merge reads only regular files inside the run directory (put the file itself there); left out of the merged run`,
    ],
    'one line names the file and why',
  );
  const id = readlinkSync(join(out, 'latest'));
  const written = readdirSync(join(out, id), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  t.ok(
    written.some((e) => e.name === 'report.html') && written.some((e) => e.name === 'results.json'),
    'the merged run is still written, without the link',
  );
  for (const e of written)
    t.notMatch(readFileSync(join(e.parentPath, e.name), 'utf8'), /SECRET-HASH/, `${e.name}: the secret appears nowhere`);
  t.notMatch(r.stdout + r.stderr, /SECRET-HASH/, 'nor in what merge printed');
  t.notOk(existsSync(join(out, id, logDirFor(hostile), linked)), 'the link was not copied');
});

t.test('readRun: a results.json that is a link, or a latest leading out, is refused without printing the target', async (t) => {
  const base = realpathSync(tempDir(t, 'csm-readrun-'));
  writeFileSync(join(base, 'shadow'), 'root:SECRET-HASH-77:20000\n');
  mkdirSync(join(base, 'run'));
  symlinkSync(join(base, 'shadow'), join(base, 'run', 'results.json'));
  t.throws(
    () => readRun(join(base, 'run')),
    new UsageError(
      `${join(base, 'run', 'results.json')}: a symbolic link; merge reads only regular files inside the run directory (put the file itself there)`,
    ),
  );
  mkdirSync(join(base, 'root'));
  symlinkSync(base, join(base, 'root', 'latest'));
  writeTree(base, { 'results.json': REAL_RUN });
  t.throws(
    () => readRun(join(base, 'root'), { root: true }),
    /latest: leads outside the results directory; give the run directory itself$/,
  );
  writeFileSync(join(base, 'notjson.json'), 'root:SECRET-HASH-77:20000\n');
  t.throws(
    () => readRun(join(base, 'notjson.json')),
    {
      message: `${join(base, 'notjson.json')}: not valid JSON: line 1, column 1: unexpected text: expected a JSON value (an object, array, string, number, true, false or null)`,
    },
    'a file named by mistake: its bytes are not printed',
  );
  t.same(readRun(join(base, 'results.json')).results.run.id, REAL_RUN.run.id, 'a results.json the user names is read');
});

/** A FIFO in a run directory, made with mkfifo(1). */
function makeFifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

/** A run of these cells; it lists their axes in the runner's order: Go versions ascending, cases by name, platforms as in the table. */
function run(id: string, cells: CellResult[]): RunResults {
  const table = PLATFORMS.map((p) => p.name);
  const order = {
    go: (a: string, b: string) => Number(a.split('.')[1]) - Number(b.split('.')[1]),
    case: (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0),
    platform: (a: string, b: string) => table.indexOf(a) - table.indexOf(b),
  };
  const names = (axis: keyof typeof order) => [...new Set(cells.map((c) => c.axes[axis]))].sort(order[axis]);
  return runResults(cells, {
    run: { id, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', durationMs: 60_000, node: 'v20' },
    images: names('go').map((go) => ({ go, tag: `img:${go}`, id: `sha256:${go}`, tools: {} })),
    platforms: names('platform').map((name) => PLATFORMS.find((p) => p.name === name)!),
    cases: names('case').map((name) => ({ name, dir: `/cases/${name}`, description: name })),
  });
}

/**
 * A real results.json (npm run matrix -- --case link,dlopen --go 1.19,1.22,1.24
 * --platform amd64-glibc,amd64-musl,arm5-glibc), with the cells' ELF facts left out for size.
 */
function realRun(): RunResults {
  return {
    schemaVersion: 1,
    harness: { name: 'cshared-matrix', version: '0.1.0' },
    run: {
      id: '2026-11-26T12-05-21Z-04b0',
      startedAt: '2026-11-26T12:05:21.042Z',
      finishedAt: '2026-11-26T12:06:55.065Z',
      durationMs: 94023,
      command: 'npm run matrix -- --case link,dlopen --go 1.19,1.22,1.24 --platform amd64-glibc,amd64-musl,arm5-glibc --results /tmp/rgo',
      argv: ['--case', 'link,dlopen', '--go', '1.19,1.22,1.24', '--platform', 'amd64-glibc,amd64-musl,arm5-glibc', '--results', '/tmp/rgo'],
      jobs: 2,
      interrupted: false,
      node: 'v20.20.2',
    },
    images: [
      {
        go: '1.19',
        tag: 'cshared-matrix-go:1.19-05d54eeb8a5cdc4b',
        id: 'sha256:6cafd25d8cdc970cff07447de3e4b17c66f168a3b0a2e0b66569addddbe965c7',
        tools: {
          go: '1.19.8',
          gcc: '14.2.0',
          glibc: '2.41-12+deb13u5',
          musl: '1.2.5-3.1~deb13u1',
          qemu: '10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)',
          'gcc-armhf': '14.2.0',
          'gcc-armel': '14.2.0',
          'glibc-armhf': '2.41-11cross1',
          'musl-armhf': '1.2.5-3.1~deb13u1',
          'musl-armel': '1.2.5-3.1~deb13u1',
        },
      },
      {
        go: '1.22',
        tag: 'cshared-matrix-go:1.22-85e67e1016355920',
        id: 'sha256:af5bb794fd3b415ba8c6037f33f9405b672d176862f317a80927fc970f0d5feb',
        tools: {
          go: '1.22.12',
          gcc: '14.2.0',
          glibc: '2.41-12+deb13u5',
          musl: '1.2.5-3.1~deb13u1',
          qemu: '10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)',
          'gcc-armhf': '14.2.0',
          'gcc-armel': '14.2.0',
          'glibc-armhf': '2.41-11cross1',
          'musl-armhf': '1.2.5-3.1~deb13u1',
          'musl-armel': '1.2.5-3.1~deb13u1',
        },
      },
      {
        go: '1.24',
        tag: 'cshared-matrix-go:1.24-5de7e588e0a709af',
        id: 'sha256:e5ad92820b5cfab4728227c2f111e64b9227a96e2aaf605822a76db330988813',
        tools: {
          go: '1.24.4',
          gcc: '14.2.0',
          glibc: '2.41-12+deb13u5',
          musl: '1.2.5-3.1~deb13u1',
          qemu: '10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)',
          'gcc-armhf': '14.2.0',
          'gcc-armel': '14.2.0',
          'glibc-armhf': '2.41-11cross1',
          'musl-armhf': '1.2.5-3.1~deb13u1',
          'musl-armel': '1.2.5-3.1~deb13u1',
        },
      },
    ],
    platforms: [
      { name: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cc: 'gcc', run: [], timeoutScale: 1, cpu: 'native', python: ['python3'] },
      { name: 'amd64-musl', goarch: 'amd64', libc: 'musl', cc: 'musl-gcc', run: [], timeoutScale: 1, cpu: 'native' },
      {
        name: 'arm5-glibc',
        goarch: 'arm',
        goarm: '5',
        libc: 'glibc',
        cc: 'arm-linux-gnueabi-gcc',
        run: ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi'],
        timeoutScale: 4,
        cpu: 'arm926',
      },
    ],
    cases: [
      {
        name: 'dlopen',
        dir: '/work/main/cases/dlopen',
        description:
          "The link case's Go library, loaded with dlopen(RTLD_NOW) instead of at build time: the Go runtime starts inside dlopen, and every export is found with dlsym and called.",
      },
      {
        name: 'link',
        dir: '/work/main/cases/link',
        description:
          'A C host linked against a Go c-shared library at build time (the thread\'s "basic C program linking to a go library"): the loader starts the Go runtime before main, and the host calls exports that pass ints and C strings both ways, freeing the C.CString result itself.',
      },
    ],
    counts: { pass: 12, fail: 0, xfail: 6, xpass: 0, timeout: 0, error: 0, na: 0, total: 18 },
    exitCode: 0,
    cells: [
      {
        id: 'dlopen/amd64-glibc/go1.19',
        axes: { case: 'dlopen', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.19', goVersion: '1.19.8' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 7,
        logs: {
          'build-hello': 'logs/builds/go1.19/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/amd64-glibc/dlopen/compile.log',
          run: 'logs/go1.19/amd64-glibc/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/amd64-musl/go1.19',
        axes: { case: 'dlopen', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.19', goVersion: '1.19.8' },
        stage: 'load',
        checks: [],
        failureText:
          'exited with code 3\ncsm-load-failed hello: Error relocating /work/out/go1.19/amd64-musl/golib/hello-bd28202dedbe/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/go1.19/amd64-musl/golib/hello-bd28202dedbe/libhello.so\n\ncsm-load-failed hello\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'IE TLS (go#54805)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          stage: 'load',
          match: 'initial-exec TLS resolves to dynamic definition',
          link: 'https://github.com/golang/go/issues/54805',
          label: 'IE TLS (go#54805)',
          reason: "Go c-shared libraries use the initial-exec TLS model (DF_STATIC_TLS); musl's dlopen refuses it",
          matched: true,
        },
        exit: { code: 3 },
        durationMs: 1,
        logs: {
          'build-hello': 'logs/builds/go1.19/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/amd64-musl/dlopen/compile.log',
          run: 'logs/go1.19/amd64-musl/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/arm5-glibc/go1.19',
        axes: {
          case: 'dlopen',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.19',
          goVersion: '1.19.8',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 297,
        logs: {
          'build-hello': 'logs/builds/go1.19/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/arm5-glibc/dlopen/compile.log',
          run: 'logs/go1.19/arm5-glibc/dlopen/run.log',
        },
      },
      {
        id: 'link/amd64-glibc/go1.19',
        axes: { case: 'link', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.19', goVersion: '1.19.8' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 1,
        logs: {
          'build-hello': 'logs/builds/go1.19/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/amd64-glibc/link/compile.log',
          run: 'logs/go1.19/amd64-glibc/link/run.log',
        },
      },
      {
        id: 'link/amd64-musl/go1.19',
        axes: { case: 'link', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.19', goVersion: '1.19.8' },
        stage: 'load',
        checks: [],
        failureText: 'killed by signal 11 (SIGSEGV)\n\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'musl init argv (go#13492)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          match: 'signal 11|SIGSEGV',
          link: 'https://github.com/golang/go/issues/13492',
          label: 'musl init argv (go#13492)',
          reason: 'musl passes no argc/argv/envp to ELF init functions; the Go runtime reads them during init and crashes',
          matched: true,
        },
        exit: { signal: 11, signalName: 'SIGSEGV' },
        durationMs: 0,
        logs: {
          'build-hello': 'logs/builds/go1.19/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/amd64-musl/link/compile.log',
          run: 'logs/go1.19/amd64-musl/link/run.log',
        },
      },
      {
        id: 'link/arm5-glibc/go1.19',
        axes: {
          case: 'link',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.19',
          goVersion: '1.19.8',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 163,
        logs: {
          'build-hello': 'logs/builds/go1.19/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.19/arm5-glibc/link/compile.log',
          run: 'logs/go1.19/arm5-glibc/link/run.log',
        },
      },
      {
        id: 'dlopen/amd64-glibc/go1.22',
        axes: { case: 'dlopen', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.22', goVersion: '1.22.12' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 7,
        logs: {
          'build-hello': 'logs/builds/go1.22/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/amd64-glibc/dlopen/compile.log',
          run: 'logs/go1.22/amd64-glibc/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/amd64-musl/go1.22',
        axes: { case: 'dlopen', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.22', goVersion: '1.22.12' },
        stage: 'load',
        checks: [],
        failureText:
          'exited with code 3\ncsm-load-failed hello: Error relocating /work/out/go1.22/amd64-musl/golib/hello-bd28202dedbe/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/go1.22/amd64-musl/golib/hello-bd28202dedbe/libhello.so\n\ncsm-load-failed hello\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'IE TLS (go#54805)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          stage: 'load',
          match: 'initial-exec TLS resolves to dynamic definition',
          link: 'https://github.com/golang/go/issues/54805',
          label: 'IE TLS (go#54805)',
          reason: "Go c-shared libraries use the initial-exec TLS model (DF_STATIC_TLS); musl's dlopen refuses it",
          matched: true,
        },
        exit: { code: 3 },
        durationMs: 0,
        logs: {
          'build-hello': 'logs/builds/go1.22/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/amd64-musl/dlopen/compile.log',
          run: 'logs/go1.22/amd64-musl/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/arm5-glibc/go1.22',
        axes: {
          case: 'dlopen',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.22',
          goVersion: '1.22.12',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 103,
        logs: {
          'build-hello': 'logs/builds/go1.22/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/arm5-glibc/dlopen/compile.log',
          run: 'logs/go1.22/arm5-glibc/dlopen/run.log',
        },
      },
      {
        id: 'link/amd64-glibc/go1.22',
        axes: { case: 'link', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.22', goVersion: '1.22.12' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 7,
        logs: {
          'build-hello': 'logs/builds/go1.22/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/amd64-glibc/link/compile.log',
          run: 'logs/go1.22/amd64-glibc/link/run.log',
        },
      },
      {
        id: 'link/amd64-musl/go1.22',
        axes: { case: 'link', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.22', goVersion: '1.22.12' },
        stage: 'run',
        checks: [],
        failureText: 'killed by signal 11 (SIGSEGV)\n\ncsm-loaded hello\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'musl init argv (go#13492)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          match: 'signal 11|SIGSEGV',
          link: 'https://github.com/golang/go/issues/13492',
          label: 'musl init argv (go#13492)',
          reason: 'musl passes no argc/argv/envp to ELF init functions; the Go runtime reads them during init and crashes',
          matched: true,
        },
        exit: { signal: 11, signalName: 'SIGSEGV' },
        durationMs: 2,
        logs: {
          'build-hello': 'logs/builds/go1.22/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/amd64-musl/link/compile.log',
          run: 'logs/go1.22/amd64-musl/link/run.log',
        },
      },
      {
        id: 'link/arm5-glibc/go1.22',
        axes: {
          case: 'link',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.22',
          goVersion: '1.22.12',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 134,
        logs: {
          'build-hello': 'logs/builds/go1.22/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.22/arm5-glibc/link/compile.log',
          run: 'logs/go1.22/arm5-glibc/link/run.log',
        },
      },
      {
        id: 'dlopen/amd64-glibc/go1.24',
        axes: { case: 'dlopen', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.24', goVersion: '1.24.4' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 2,
        logs: {
          'build-hello': 'logs/builds/go1.24/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/amd64-glibc/dlopen/compile.log',
          run: 'logs/go1.24/amd64-glibc/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/amd64-musl/go1.24',
        axes: { case: 'dlopen', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.24', goVersion: '1.24.4' },
        stage: 'load',
        checks: [],
        failureText:
          'exited with code 3\ncsm-load-failed hello: Error relocating /work/out/go1.24/amd64-musl/golib/hello-bd28202dedbe/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/go1.24/amd64-musl/golib/hello-bd28202dedbe/libhello.so\n\ncsm-load-failed hello\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'IE TLS (go#54805)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          stage: 'load',
          match: 'initial-exec TLS resolves to dynamic definition',
          link: 'https://github.com/golang/go/issues/54805',
          label: 'IE TLS (go#54805)',
          reason: "Go c-shared libraries use the initial-exec TLS model (DF_STATIC_TLS); musl's dlopen refuses it",
          matched: true,
        },
        exit: { code: 3 },
        durationMs: 1,
        logs: {
          'build-hello': 'logs/builds/go1.24/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/amd64-musl/dlopen/compile.log',
          run: 'logs/go1.24/amd64-musl/dlopen/run.log',
        },
      },
      {
        id: 'dlopen/arm5-glibc/go1.24',
        axes: {
          case: 'dlopen',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.24',
          goVersion: '1.24.4',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'dlsym("Add") != NULL' },
          { ok: true, text: 'dlsym("Greet") != NULL' },
          { ok: true, text: 'dlsym("CountRunes") != NULL' },
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("dlopen") == "hello, dlopen" (got "hello, dlopen")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '7 checks',
        exit: { code: 0 },
        durationMs: 167,
        logs: {
          'build-hello': 'logs/builds/go1.24/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/arm5-glibc/dlopen/compile.log',
          run: 'logs/go1.24/arm5-glibc/dlopen/run.log',
        },
      },
      {
        id: 'link/amd64-glibc/go1.24',
        axes: { case: 'link', platform: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cpu: 'native', go: '1.24', goVersion: '1.24.4' },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 2,
        logs: {
          'build-hello': 'logs/builds/go1.24/amd64-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/amd64-glibc/link/compile.log',
          run: 'logs/go1.24/amd64-glibc/link/run.log',
        },
      },
      {
        id: 'link/amd64-musl/go1.24',
        axes: { case: 'link', platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.24', goVersion: '1.24.4' },
        stage: 'load',
        checks: [],
        failureText: 'killed by signal 11 (SIGSEGV)\n\n',
        verdict: 'xfail',
        stageOk: false,
        summary: 'musl init argv (go#13492)',
        expectation: {
          when: { libc: 'musl' },
          verdict: 'fail',
          match: 'signal 11|SIGSEGV',
          link: 'https://github.com/golang/go/issues/13492',
          label: 'musl init argv (go#13492)',
          reason: 'musl passes no argc/argv/envp to ELF init functions; the Go runtime reads them during init and crashes',
          matched: true,
        },
        exit: { signal: 11, signalName: 'SIGSEGV' },
        durationMs: 0,
        logs: {
          'build-hello': 'logs/builds/go1.24/amd64-musl/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/amd64-musl/link/compile.log',
          run: 'logs/go1.24/amd64-musl/link/run.log',
        },
      },
      {
        id: 'link/arm5-glibc/go1.24',
        axes: {
          case: 'link',
          platform: 'arm5-glibc',
          goarch: 'arm',
          goarm: '5',
          libc: 'glibc',
          cpu: 'arm926',
          go: '1.24',
          goVersion: '1.24.4',
        },
        stage: 'checks',
        checks: [
          { ok: true, text: 'Add(2, 3) == 5' },
          { ok: true, text: 'Add(-40, 2) == -38' },
          { ok: true, text: 'Greet("linker") == "hello, linker" (got "hello, linker")' },
          { ok: true, text: 'CountRunes("h\\xc3\\xa9llo") == 5 (got 5)' },
        ],
        verdict: 'pass',
        stageOk: true,
        summary: '4 checks',
        exit: { code: 0 },
        durationMs: 117,
        logs: {
          'build-hello': 'logs/builds/go1.24/arm5-glibc/hello-bd28202dedbe.log',
          compile: 'logs/go1.24/arm5-glibc/link/compile.log',
          run: 'logs/go1.24/arm5-glibc/link/run.log',
        },
      },
    ],
  } as unknown as RunResults;
}

t.test("merging keeps every shard's measured emulation slowdown", async (t) => {
  const slow = (factor: number) => ({ factor, nativeMs: 10, emulatedMs: 10 * factor });
  const a = run('a', []);
  const b = run('b', []);
  const m = mergeResults([
    { ...a, run: { ...a.run, emulation: { 'arm7-glibc': slow(2.1) } } },
    { ...b, run: { ...b.run, emulation: { 'arm5-glibc': slow(3.7) } } },
  ] as RunResults[]);
  t.same(m.run.emulation, { 'arm7-glibc': slow(2.1), 'arm5-glibc': slow(3.7) });
  t.equal(mergeResults([a, b]).run.emulation, undefined, 'none measured, none merged');
});
