// npm run repro through the real engine: the classic Alpine/Python report must
// reproduce out of the box, its bundle must rerun a failing cell alone, and
// --rootfs must run hosts inside a root filesystem this test makes itself.
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import { defaultPlatforms, PLATFORMS } from '../../harness/core/platforms.js';
import { $ } from 'zx';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import type { ReproOutcome } from '../../harness/repro.js';

const root = join(import.meta.dirname, '..', '..');
const reports = join(root, 'test', 'fixtures', 'reports');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-repro-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
const docker = await ensureEngine((l) => t.comment(l));

async function repro(...args: string[]) {
  const p = await $({ cwd: root, nothrow: true, quiet: !process.env.CSM_TEST_VERBOSE, env: { ...process.env, CI: '1' } })`npx tsx harness/cli.ts repro --results ${resultsDir} ${args}`;
  const dir = join(resultsDir, 'latest');
  const outcome = JSON.parse(readFileSync(join(dir, 'repro.json'), 'utf8')) as ReproOutcome & { case: string };
  const runId = (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { run: { id: string } }).run.id;
  return { code: p.exitCode, out: p.stdout + p.stderr, outcome, dir, runId };
}

t.test('the Alpine/Python report reproduces on musl and works on glibc', async (t) => {
  const r = await repro(join(reports, 'alpine-python.md'));
  t.equal(r.code, 0, `exit 0: the reported error reproduced\n${r.out.slice(-3000)}`);
  t.match(r.outcome.reported[0], /OSError: Error relocating \.\/cc\.so: : initial-exec TLS resolves to dynamic definition/);
  const cell = (platform: string, kind: string) => r.outcome.cells.find((c) => c.platform === platform && c.kind === kind)!;

  const rows = defaultPlatforms(PLATFORMS);
  const musl = rows.filter((p) => p.libc === 'musl').map((p) => p.name);
  for (const p of musl) {
    const c = cell(p, 'dlopen-probe');
    t.ok(c.reproduces, `${p}: the loader's error is the reported one`);
    t.match(c.actual, /Error relocating cc\.so: .*initial-exec TLS resolves to dynamic definition in cc\.so/);
    t.ok(c.bundle, `${p}: a bundle was kept`);
  }
  for (const p of rows.filter((p) => p.libc === 'glibc' && p.goarch !== 'ppc64').map((p) => p.name)) {
    t.equal(cell(p, 'dlopen-probe').verdict, 'pass', `${p}: glibc dlopens it`);
    t.equal(cell(p, 'link-probe').verdict, 'pass', `${p}: glibc loads it linked`);
    t.notOk(cell(p, 'dlopen-probe').reproduces);
  }
  const py = cell('amd64-glibc', 'host');
  t.equal(py.verdict, 'pass', "the report's own Python host loads ./cc.so and runs on glibc");
  t.equal(cell('amd64-musl', 'host').verdict, 'na', 'no musl Python in the toolchain image: not applicable, not fail');
  // Every musl row's dlopen probe: 9 of 20 rows × (host, dlopen probe, link probe).
  t.match(r.out, new RegExp(`reproduced in ${musl.length} of ${3 * rows.length} cells: ${musl.map((p) => `${p} \\(dlopen-probe\\)`).join(', ')}`));
  t.equal(cell('ppc64-glibc', 'dlopen-probe').verdict, 'xfail', 'ppc64: nothing links (go#79898)');
  t.match(r.out, /cell +host +verdict +reproduces +actual/, 'a side-by-side table');

  // The bundle reruns the cell alone, with the engine's CLI and nothing of the harness.
  const bundle = join(r.dir, cell('arm7-musl', 'dlopen-probe').bundle!);
  t.ok(existsSync(join(bundle, 'work', 'csm', 'csm-run')), 'the supervisor is in the bundle');
  const again = await $({ nothrow: true, quiet: true })`sh ${join(bundle, 'rerun.sh')}`;
  t.equal(again.exitCode, 3, 'the host exits 3 on a failed dlopen, as in the run');
  t.match(again.stderr, /initial-exec TLS resolves to dynamic definition/);
  t.match(again.stderr, /@@csm-status bundle \{"exit":3/);
  const meta = JSON.parse(readFileSync(join(bundle, 'cell.json'), 'utf8'));
  t.match(meta.image.id, /^sha256:/);
  t.match(meta.tools.go, /^\d+\.\d+\.\d+$/);
  t.same(await leftovers(docker, r.runId), []);
});

t.test('--rootfs runs the hosts inside a root filesystem made here from Debian musl', async (t) => {
  // A rootfs with nothing but musl's loader (which is its libc): a stand-in for an Alpine minirootfs.
  const images = await docker.listImages({ filters: { reference: ['cshared-matrix-go'] } });
  const image = images.sort((a, b) => b.Created - a.Created)[0]!.RepoTags![0]!;
  const c = await docker.createContainer({ Image: image, Cmd: ['sleep', 'infinity'], HostConfig: { NetworkMode: 'none', AutoRemove: false }, Labels: { 'cshared-matrix.test': 'rootfs' } });
  const tarball = join(resultsDir, 'musl-rootfs.tar');
  try {
    await c.start();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'mkdir -p /stage/lib /stage/tmp /stage/work /stage/etc && cp /lib/ld-musl-x86_64.so.1 /stage/lib/ && printf "nobody:x:65534:65534::/:/nonexistent\\n" > /stage/etc/passwd'], AttachStdout: true, AttachStderr: true });
    const s = await exec.start({});
    await new Promise((res) => (s.on('end', res), s.resume()));
    await pipeline((await c.getArchive({ path: '/stage/.' })) as unknown as NodeJS.ReadableStream, createWriteStream(tarball));
  } finally {
    await c.remove({ force: true });
  }

  const r = await repro(join(reports, 'musl-dlopen-c'), '--rootfs', tarball, '--platform', 'amd64-musl,amd64-glibc,arm7-musl');
  t.equal(r.code, 0, r.out.slice(-3000));
  const host = (p: string) => r.outcome.cells.find((x) => x.platform === p && x.kind === 'host')!;
  t.ok(host('amd64-musl').reproduces, "the report's C host, run in the musl rootfs, hits the reported error");
  t.match(host('amd64-musl').actual, /dlopen: Error relocating \.\/libgreet\.so: .*initial-exec TLS resolves to dynamic definition/);
  t.equal(host('amd64-glibc').verdict, 'fail', 'a glibc host cannot start in a rootfs without glibc');
  t.match(host('amd64-glibc').actual, /No such file or directory|not found/);
  t.equal(host('arm7-musl').verdict, 'na', 'no qemu-user in the supplied rootfs: not applicable');
  const results = JSON.parse(readFileSync(join(r.dir, 'results.json'), 'utf8'));
  t.match(results.run.rootfs?.tag, /^cshared-matrix-rootfs:/, 'the run records the rootfs image');
  t.same(await leftovers(docker, r.runId), []);
});
