// The userland axis through the real engine: the same build of `link` loaded
// on Debian 11, 12 and 13, natively (amd64 in a container whose root is that
// userland) and under qemu with -L at that userland's libc (arm64, armhf).
// A library built in trixie needs GLIBC_2.34 (golang/go#58550): on Debian 11
// it fails at load with the loader's own line, never as an error.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO } from '../support/cli-run.js';
import { USERLAND_ROWS } from '../support/images.js';

const resultsDir = mkdtempSync(join(tmpdir(), 'csm-userlands-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-userlands-cache-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const matrix = matrixRunner(resultsDir, cacheDir);
const go = `go${NEWEST_GO}`;
const ROWS = USERLAND_ROWS.split(',');

t.test('link × three rows × debian11, 12, 13: Debian 11 fails at load naming GLIBC_2.34, 12 and 13 pass, one build each', async (t) => {
  const t0 = Date.now();
  const r = await matrix('--case', 'link', '--platform', USERLAND_ROWS, '--userland', 'debian11,debian12,debian13');
  t.comment(`the run took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  t.equal(r.code, 1, `the three Debian 11 cells fail, nothing is an error\n${r.out.slice(-2000)}`);
  t.same(r.results?.counts, { total: 9, pass: 6, fail: 3, xfail: 0, xpass: 0, timeout: 0, error: 0, flaky: 0, na: 0 });
  for (const row of ROWS) {
    const old = r.cell(`link/${row}/${go}/debian11`);
    t.equal(old.verdict, 'fail', `${old.id}: ${old.summary}`);
    t.equal(old.stage, 'load', `${old.id}: at load, the loader refusing it`);
    t.match(old.failureText, /libc\.so\.6: version `GLIBC_2\.34' not found \(required by /, `${old.id}: the loader's own line`);
    t.equal(old.axes.userland, 'debian11');
    t.match(
      old.explanation,
      /^library and host need GLIBC_2\.34, which this glibc does not have; library needs glibc ≥ 2\.34 \(.*pthread_create/,
      `${old.id}: the floor explanation: ${old.explanation}`,
    );
    const runLog = readFileSync(join(resultsDir, 'latest', old.logs.run!), 'utf8');
    t.match(runLog, /version `GLIBC_2\.34' not found/, `${old.id}: its own run log (${old.logs.run})`);
    t.equal(old.logs.run, `logs/${go}/${row}/link/debian11/run.log`, 'each userland its own run log');
    t.equal(r.cell(`link/${row}/${go}/debian12`).verdict, 'pass', `${row} on Debian 12 (glibc 2.36)`);
    const now = r.cell(`link/${row}/${go}`);
    t.equal(now.verdict, 'pass', `${row} on Debian 13: the id of a run without the axis`);
    t.equal(now.axes.userland, 'debian13');
    // One build for the three userlands: the same library and host logs.
    const builds = ['debian11', 'debian12'].map((u) => r.cell(`link/${row}/${go}/${u}`).logs['build-hello']);
    t.same(builds, [now.logs['build-hello'], now.logs['build-hello']], `${row}: the library was built once`);
  }
  t.match(
    readFileSync(join(resultsDir, 'latest', 'matrix.md'), 'utf8'),
    /amd64-glibc debian11 \| amd64-glibc debian12 \| amd64-glibc debian13/,
  );
  t.same(await leftovers(docker, r.results!.run.id), []);
});

t.test('a row without a Debian 11 port is n/a with the reason, and nothing is built for it', async (t) => {
  const r = await matrix('--case', 'link', '--platform', 'riscv64-glibc', '--userland', 'debian11');
  t.equal(r.code, 0, r.out.slice(-2000));
  const c = r.cell(`link/riscv64-glibc/${go}/debian11`);
  t.equal(c.verdict, 'na');
  t.equal(c.summary, 'Debian 11 (bullseye) has no riscv64 port: riscv64-glibc has no debian11 userland');
  t.same(c.logs, {}, 'no build, no host run');
  t.same(await leftovers(docker, r.results!.run.id), []);
});

t.test("a musl cell says what its userland's musl lacks: nothing, on Debian 11's musl 1.2.2 as on trixie's 1.2.5", async (t) => {
  const r = await matrix('--case', 'link', '--platform', 'amd64-musl', '--userland', 'debian11,debian13');
  for (const [id, musl] of [
    [`link/amd64-musl/${go}/debian11`, '1.2.2'],
    [`link/amd64-musl/${go}`, '1.2.5'],
  ] as const) {
    const elf = r.cell(id).elf;
    t.same(elf?.libraries.hello?.muslMissing, [], `${id}: the Go library needs nothing musl ${musl} lacks`);
    t.equal(elf?.host?.muslLine, `musl ${musl} defines every symbol it needs`, `${id}: nor does its host`);
  }
  t.match(r.out, /\nwhere it loads:\n(?: {2}[^\n]*\n)* {2}link\/hello on amd64-musl: musl 1\.2\.2 defines every symbol it needs\n/);
  t.same(await leftovers(docker, r.results!.run.id), []);
});
