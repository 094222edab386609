import t from 'tap';
import { expandMatrix } from '../../harness/core/matrix.js';
import type { GoToolchain } from '../../harness/core/types.js';
import { assembleResults, type RunRecord } from '../../harness/run/assemble.js';
import { EngineWatch } from '../../harness/run/engine-watch.js';
import { parseTools } from '../../harness/run/setup.js';
import { cell, fakeCase, platform } from '../support/helpers.js';

const go = { version: '1.27' } as GoToolchain;

function record(over: Partial<RunRecord> = {}): RunRecord {
  const cases = [fakeCase('a'), fakeCase('b')];
  const platforms = [platform('amd64-glibc'), platform('amd64-musl')];
  const cells = expandMatrix(cases, platforms, [go]);
  return {
    harnessVersion: '9.9.9',
    runId: 'r1',
    startedAt: new Date('2026-12-01T10:00:00.000Z'),
    finishedAt: new Date('2026-12-01T10:00:42.500Z'),
    argv: ['--case', 'a,b'],
    jobs: 2,
    interrupted: false,
    stoppedEarly: false,
    node: 'v20.0.0',
    allCells: cells.length,
    tier: 'push',
    tierLeftOut: 0,
    cells,
    results: [],
    builds: { steps: 1, cacheHits: 0, ms: 5, goBuildMs: 5, compileMs: 0 },
    slowdowns: new Map(),
    canaries: new Map(),
    phases: { load: 1, cells: 2 },
    resources: { userMs: 1, systemMs: 2, maxRssMiB: 3 },
    images: [],
    platforms,
    cases,
    ...over,
  };
}

t.test('results in matrix order, whatever order the cells finished in', async (t) => {
  const r = record();
  const done = [
    cell('b', 'amd64-musl', '1.27', { verdict: 'fail' }),
    cell('a', 'amd64-glibc', '1.27'),
    cell('a', 'amd64-musl', '1.27', { verdict: 'xfail' }),
  ];
  const out = assembleResults({ ...r, results: done });
  t.same(
    out.cells.map((c) => c.id),
    ['a/amd64-glibc/go1.27', 'a/amd64-musl/go1.27', 'b/amd64-musl/go1.27'],
  );
  t.same([out.counts.pass, out.counts.xfail, out.counts.fail, out.counts.total], [1, 1, 1, 3]);
  t.equal(out.exitCode, 1, 'a fail is exit 1');
  t.equal(out.run.durationMs, 42_500);
  t.equal(out.run.command, 'cshared-matrix --case a,b');
  t.same(out.harness, { name: 'cshared-matrix', version: '9.9.9' });
  t.notOk('emulation' in out.run, 'no emulated platform, no emulation line');
  t.notOk('stoppedEarly' in out.run);
  t.notOk('shard' in out.run);
  t.equal(out.run.tier, 'push', 'the tier the run ran');
  t.equal(out.run.tierLeftOut, 0);
});

t.test("the tier and how many cells it left out go into results.json's run", async (t) => {
  const out = assembleResults({ ...record(), tier: 'push', tierLeftOut: 68, results: [cell('a', 'amd64-glibc', '1.27')] });
  t.equal(out.run.tier, 'push');
  t.equal(out.run.tierLeftOut, 68);
  const nightly = assembleResults({ ...record(), tier: 'nightly', tierLeftOut: 0 });
  t.equal(nightly.run.tier, 'nightly');
  t.equal(nightly.run.tierLeftOut, 0);
});

t.test('interrupted, stopped early, sharded, emulated', async (t) => {
  const r = record();
  const out = assembleResults({
    ...r,
    interrupted: true,
    stoppedEarly: true,
    shard: { k: 1, n: 2 },
    allCells: 8,
    slowdowns: new Map([['arm5-glibc', { factor: 4, nativeMs: 10, emulatedMs: 40 }]]),
  });
  t.equal(out.exitCode, 130);
  t.equal(out.run.stoppedEarly, true);
  t.same(out.run.shard, { k: 1, n: 2, of: 8 });
  t.same(out.run.emulation, { 'arm5-glibc': { factor: 4, nativeMs: 10, emulatedMs: 40 } });
});

t.test('tool versions from the image', async (t) => {
  t.same(parseTools('go=1.27.1\ngcc=14.2.0\n\nbroken\nqemu=9.2.0 (Debian 1:9.2.0=1)\n'), {
    go: '1.27.1',
    gcc: '14.2.0',
    qemu: '9.2.0 (Debian 1:9.2.0=1)',
  });
});

t.test('engine loss: said once, then every cell gets the same line; a healthy answer is asked again', async (t) => {
  const said: string[] = [];
  let asked = 0;
  const answers: (string | undefined)[] = [undefined, 'the engine at X stopped answering'];
  const w = new EngineWatch(
    async () => answers[asked++],
    (l) => void said.push(l),
  );
  t.equal(await w.check(), undefined, 'healthy');
  t.equal(w.lost, undefined);
  t.equal(await w.check(), 'the engine at X stopped answering');
  t.equal(await w.check(), 'the engine at X stopped answering', 'known: not asked again');
  t.equal(asked, 2);
  t.same(said, ['the engine at X stopped answering'], 'said once');
  t.equal(w.lost, 'the engine at X stopped answering');
});
