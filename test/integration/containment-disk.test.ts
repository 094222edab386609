// Disk, tried as a hostile user would, through the real engine: a case whose
// tiny sources link into a 1.2 GB library must stop at its build quota, fail at
// the build stage saying so, and leave no GBs in the caches; a shard's run
// directory holding a link to a secret must not get that secret into a merge.
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { prepareVolume, runBuildStep, shareGoCache } from '../../harness/edge/build-step.js';
import { loadCase } from '../../harness/edge/case-files.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { DEFAULT_LIMITS, leftovers, Session } from '../../harness/edge/sandbox.js';
import { goCacheRel, warmMarkPrefix } from '../../harness/sandbox/paths.js';
import { splitCpuMark, splitQuotaMark } from '../../harness/sandbox/status.js';
import { matrixRunner, NEWEST_GO, ROOT } from '../support/cli-run.js';

const attacks = join(ROOT, 'test', 'fixtures', 'attacks');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-disk-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-disk-cache-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const go = NEWEST_GO;
const matrix = matrixRunner(resultsDir, cacheDir);

/** Every regular file under dir (links not followed), with its size. */
function filesUnder(dir: string): { path: string; size: number }[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .map((rel) => join(dir, rel))
    .filter((p) => lstatSync(p).isFile())
    .map((path) => ({ path, size: statSync(path).size }));
}

const MiB = 2 ** 20;
/** Bytes in use under dir, as du counts them (blocks, not apparent size: a sparse file counts what it holds). */
const du = async (dir: string): Promise<number> => Number((await $({ quiet: true })`du -sk ${dir}`).stdout.split('\t')[0]) * 1024;

t.test('four tiny Go files that link into a 1.2 GB library: a fail at the build stage, at the quota, and nothing kept', async (t) => {
  const arrays = 4 * (300 << 20);
  t.ok(DEFAULT_LIMITS.buildQuotaMiB * MiB < arrays, `the default quota (${DEFAULT_LIMITS.buildQuotaMiB} MiB) stops this case too`);
  // The built-in link case first: the cache it leaves is what the attack must not grow.
  const first = await matrix('--case', 'link', '--platform', 'amd64-glibc');
  t.equal(first.code, 0, first.out.slice(-2000));
  const quotaMiB = 512;
  const before = await du(cacheDir);
  const r = await matrix(
    '--cases',
    join(attacks, 'big-objects'),
    '--case',
    'big-objects',
    '--platform',
    'amd64-glibc',
    '--build-quota',
    String(quotaMiB),
  );
  t.equal(r.code, 1, `the case's failure makes the run exit 1, never 3\n${r.out.slice(-2000)}`);
  const big = r.cell(`big-objects/amd64-glibc/go${go}`);
  t.equal(big.verdict, 'fail', `${big.id}: a fail, never an error (${big.summary})`);
  t.equal(big.stage, 'build');
  t.equal(
    big.summary,
    `go build libbig.so exceeded the disk quota of ${quotaMiB} MiB (--build-quota)`,
    'the summary says the quota and its limit',
  );
  t.match(
    readFileSync(join(resultsDir, 'latest', big.logs['build-big']!), 'utf8'),
    new RegExp(`\\[cshared-matrix: the step reached its disk quota of ${quotaMiB} MiB`),
    'the log says it too',
  );
  t.equal(r.results?.counts.error, 0);

  const grown = (await du(cacheDir)) - before;
  t.ok(
    grown < 8 * MiB,
    `the cache grew by ${(grown / MiB).toFixed(1)} MiB, not GBs: the step's outputs and Go build cache entries are gone`,
  );
  const largest = filesUnder(cacheDir).sort((a, b) => b.size - a.size)[0];
  t.ok(
    !largest || largest.size < 64 * MiB,
    `no large file in the cache (largest: ${largest ? `${(largest.size / MiB).toFixed(1)} MiB` : 'none'})`,
  );
  t.notOk(
    readdirSync(join(cacheDir, 'artifacts')).some((k) => k.includes('big-')),
    'no artifact-cache entry for the library over quota',
  );
  t.same(await leftovers(docker, r.results!.run.id), [], 'the run volume and containers are gone');

  const again = await matrix('--case', 'link', '--platform', 'amd64-glibc');
  t.equal(again.code, 0, again.out.slice(-2000));
  t.equal(again.cell(`link/amd64-glibc/go${go}`).verdict, 'pass', 'the built-in link still passes from the same cache');
  const b = again.results!.run.builds!;
  t.ok(b.steps > 0 && b.cacheHits === b.steps, `every step came from the cache (${b.cacheHits}/${b.steps})`);
  t.same(await leftovers(docker, again.results!.run.id), []);
});

t.test(
  'the Go build cache over its budget is emptied; a step that writes many files each under the quota is killed once their total reaches it, not at its end',
  async (t) => {
    // The toolchain image the first test ran on; a session of its own with a small quota, one lane.
    const image = (JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults).images[0]!;
    const quotaMiB = 24;
    const budgetMiB = 8;
    const session = new Session(
      docker,
      `disk-${randomBytes(3).toString('hex')}`,
      { ...DEFAULT_LIMITS, buildQuotaMiB: quotaMiB, goCacheBudgetMiB: budgetMiB },
      cacheDir,
      1,
    );
    t.teardown(() => session.close());
    await session.open();
    const builder = await session.builder(image.tag);
    await prepareVolume(session, builder, [loadCase(join(ROOT, 'cases', 'link'))]);
    const goCache = `/cache/${goCacheRel(image.id)}`;
    const marks = () => readdirSync(join(cacheDir, 'go-build')).filter((f) => f.startsWith(warmMarkPrefix(image.id)));
    t.ok(marks().length > 0, "the runs above left this image's standard library marked warm");
    // What many runs leave: a Go build cache over its budget is emptied when a run prepares it, its warm marks with it.
    const heldKiB = await shareGoCache(session, builder, image.id);
    t.ok(
      heldKiB !== undefined && heldKiB > budgetMiB * 1024,
      `a Go build cache of ${((heldKiB ?? 0) / 1024).toFixed(1)} MiB, over its ${budgetMiB} MiB budget, is emptied`,
    );
    const left = await session.exec(builder, ['find', goCache, '-type', 'f'], { deadlineMs: 30_000 });
    t.same(left.stdout.trim().split('\n'), [`${goCache}/.csm-shared`], 'nothing but its mark is left');
    t.same(marks(), [], 'and the scheduler will warm it again first');
    // 4 MiB at a time into its outputs, and into the shared Go build cache with the files' times set back
    // to 1970 to hide them from a "newer than the step" search; then it would idle for a minute.
    const flood = `i=0; while [ $i -lt 40 ]; do head -c 4194304 /dev/zero > /work/out/many/f$i; head -c 4194304 /dev/zero > "$GOCACHE/disk-flood-$i"; touch -d @0 "$GOCACHE/disk-flood-$i"; i=$((i + 1)); sleep 0.2; done; sleep 60`;
    const started = Date.now();
    const r = await runBuildStep(
      session,
      builder,
      0,
      {
        akey: `disk-${randomBytes(4).toString('hex')}`,
        out: '/work/out/many',
        target: '/work/out/many/lib.so',
        cmd: ['/bin/sh', '-c', flood],
        env: [`GOCACHE=${goCache}`],
        workdir: '/work/src/link',
      },
      { nonce: 'n', rebuild: true, deadlineMs: 120_000 },
    );
    const tookMs = Date.now() - started;
    t.equal(r.exitCode, 123, `stopped at the quota\n${r.stdout.slice(-1000)}`);
    t.ok(tookMs < 30_000, `killed while it ran (${(tookMs / 1000).toFixed(1)} s), not after its minute of idling`);
    const { quota } = splitQuotaMark(splitCpuMark(r.stdout).out);
    t.equal(quota?.exceeded, true);
    t.equal(quota?.quotaBytes, quotaMiB * MiB);
    t.ok(quota!.wroteBytes < 3 * quotaMiB * MiB, `it wrote ${(quota!.wroteBytes / MiB).toFixed(0)} MiB before the watchdog stopped it`);
    t.match(r.stdout, new RegExp(`\\[cshared-matrix: the step reached its disk quota of ${quotaMiB} MiB`));
    const look = await session.exec(builder, ['/bin/sh', '-c', `ls /work/out/many 2>&1; ls ${goCache} | grep -c disk-flood`], {
      deadlineMs: 30_000,
    });
    t.match(
      look.stdout,
      /No such file or directory\n0\n$/,
      'its outputs and its Go build cache files are removed, those it dated back too',
    );
    // The same flood into the Go build cache alone: the files dated back still count.
    const hidden = await runBuildStep(
      session,
      builder,
      0,
      {
        akey: `disk-${randomBytes(4).toString('hex')}`,
        out: '/work/out/hidden',
        target: '/work/out/hidden/lib.so',
        cmd: ['/bin/sh', '-c', flood.replaceAll('/work/out/many/f$i', '/dev/null')],
        env: [`GOCACHE=${goCache}`],
        workdir: '/work/src/link',
      },
      { nonce: 'n', rebuild: true, deadlineMs: 120_000 },
    );
    t.equal(hidden.exitCode, 123, `cache files dated back to 1970 still count against the quota\n${hidden.stdout.slice(-600)}`);
    const gone = await session.exec(builder, ['/bin/sh', '-c', `ls ${goCache} | grep -c disk-flood`], { deadlineMs: 30_000 });
    t.equal(gone.stdout.trim(), '0', 'and are removed');
  },
);

t.test('merge of a shard whose log is a link to a secret: refused with one line, the secret nowhere', async (t) => {
  // A real run directory (the previous test's), as a shard's artifact would arrive, with one log replaced by a link.
  const shard = readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8');
  const run = JSON.parse(shard) as RunResults;
  const shardDir = join(resultsDir, run.run.id);
  const secretDir = mkdtempSync(join(tmpdir(), 'csm-disk-secret-'));
  t.teardown(() => rmSync(secretDir, { recursive: true, force: true }));
  const secret = join(secretDir, 'shadow');
  writeFileSync(secret, 'root:$6$SECRET-HASH-d1sk$:20000:0:99999:7:::\n');
  const linked = run.cells[0]!.logs.run!;
  rmSync(join(shardDir, linked));
  symlinkSync(secret, join(shardDir, linked));

  const mergedRoot = mkdtempSync(join(tmpdir(), 'csm-disk-merged-'));
  t.teardown(() => rmSync(mergedRoot, { recursive: true, force: true }));
  const m = await $({
    cwd: ROOT,
    nothrow: true,
    quiet: true,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts merge --results ${mergedRoot} ${shardDir}`;
  t.equal(m.exitCode, 2, `bad input: exit 2\n${m.stderr}`);
  const refusals = m.stderr.split('\n').filter((l) => /symbolic link/.test(l));
  t.same(
    refusals,
    [
      `cshared-matrix: merge: ${join(shardDir, linked)}: a symbolic link; merge reads only regular files inside the run directory (put the file itself there); left out of the merged run`,
    ],
    'one line names the file, why, and the fix',
  );
  t.notMatch(m.stdout + m.stderr, /SECRET-HASH/, 'the secret is not printed');
  const written = filesUnder(mergedRoot);
  t.ok(
    written.some((f) => f.path.endsWith('report.html')) && written.some((f) => f.path.endsWith('matrix.md')),
    'the merged run is written without it',
  );
  for (const f of written)
    t.notMatch(readFileSync(f.path, 'utf8'), /SECRET-HASH/, `${f.path.slice(mergedRoot.length)}: the secret appears nowhere`);
});
