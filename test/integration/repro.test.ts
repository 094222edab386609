// npm run repro through the real engine: the classic Alpine/Python report must
// reproduce out of the box with a real Python, a C report on every platform,
// its bundle must rerun a failing cell alone, and
// --rootfs must run hosts inside a root filesystem this test makes itself.
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import { $ } from 'zx';
import { defaultPlatforms, PLATFORMS } from '../../harness/core/platforms.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import type { ReproOutcome } from '../../harness/run/repro.js';
import { LANG_ROWS } from '../support/images.js';

const root = join(import.meta.dirname, '..', '..');
const reports = join(root, 'test', 'fixtures', 'reports');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-repro-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
const docker = await ensureEngine((l) => t.comment(l));

async function repro(...args: string[]) {
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: !process.env.CSM_TEST_VERBOSE,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts repro --results ${resultsDir} ${args}`;
  const dir = join(resultsDir, 'latest');
  const outcome = JSON.parse(readFileSync(join(dir, 'repro.json'), 'utf8')) as ReproOutcome & { case: string };
  const runId = (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { run: { id: string } }).run.id;
  return { code: p.exitCode, out: p.stdout + p.stderr, outcome, dir, runId };
}

// The rows whose Python layers npm test built first (test/support/images.ts: an arm64 sysroot, CPython for arm64 musl).
const PY_ROWS = LANG_ROWS.split(',');

t.test("the Alpine/Python report: the report's own test.py fails on musl with the reported OSError, and works on glibc", async (t) => {
  const r = await repro(join(reports, 'alpine-python.md'), '--platform', PY_ROWS.join(','));
  t.equal(r.code, 0, `exit 0: the reported error reproduced\n${r.out.slice(-3000)}`);
  t.match(r.outcome.reported[0], /OSError: Error relocating \.\/cc\.so: : initial-exec TLS resolves to dynamic definition/);
  const cell = (platform: string, kind: string) => r.outcome.cells.find((c) => c.platform === platform && c.kind === kind)!;
  for (const p of ['arm64-musl']) {
    const host = cell(p, 'host');
    t.ok(host.reproduces, `${p}: the report's Python host reproduces`);
    t.match(
      host.actual,
      /^OSError: Error relocating \.\/cc\.so: [^\n]*initial-exec TLS resolves to dynamic definition in \.\/cc\.so/,
      `${p}: the same exception text, from Python`,
    );
    t.ok(cell(p, 'dlopen-probe').reproduces, `${p}: the probes still run beside it`);
  }
  for (const p of ['amd64-glibc', 'arm64-glibc']) {
    t.equal(cell(p, 'host').verdict, 'pass', `${p}: the report's Python host loads ./cc.so and runs`);
    t.notOk(cell(p, 'host').reproduces);
  }
  const results = JSON.parse(readFileSync(join(r.dir, 'results.json'), 'utf8')) as {
    cells: { id: string; logs: Record<string, string> }[];
  };
  const hostCell = results.cells.find((c) => c.id === cell('arm64-glibc', 'host').id)!;
  const log = readFileSync(join(r.dir, hostCell.logs.run!), 'utf8');
  t.match(log, /--- stdout\ncan load so\n/, "arm64 glibc: test.py's own output, from Debian's arm64 Python");
  t.match(r.out, /the report's own host fails the reported way \(the same exception and text\) on arm64-musl/);
  t.match(r.out, /cell +host +verdict +reproduces +actual/, 'a side-by-side table');
  t.same(await leftovers(docker, r.runId), []);
});

t.test(
  'a C report on every default platform: its host and the probes reproduce on every musl row, and a bundle reruns a cell alone',
  async (t) => {
    const r = await repro(join(reports, 'musl-dlopen-c'));
    t.equal(r.code, 0, `exit 0: the reported error reproduced\n${r.out.slice(-3000)}`);
    const cell = (platform: string, kind: string) => r.outcome.cells.find((c) => c.platform === platform && c.kind === kind)!;
    const rows = defaultPlatforms(PLATFORMS);
    const musl = rows.filter((p) => p.libc === 'musl').map((p) => p.name);
    for (const p of musl) {
      for (const kind of ['host', 'dlopen-probe']) {
        const c = cell(p, kind);
        t.ok(c.reproduces, `${p} ${kind}: the loader's error is the reported one`);
        t.match(c.actual, /Error relocating \.?\/?libgreet\.so: .*initial-exec TLS resolves to dynamic definition/);
        t.ok(c.bundle, `${p} ${kind}: a bundle was kept`);
      }
    }
    for (const p of rows.filter((p) => p.libc === 'glibc' && p.goarch !== 'ppc64').map((p) => p.name)) {
      t.equal(cell(p, 'host').verdict, 'pass', `${p}: the report's host dlopens it on glibc`);
      t.equal(cell(p, 'dlopen-probe').verdict, 'pass', `${p}: glibc dlopens it`);
      t.equal(cell(p, 'link-probe').verdict, 'pass', `${p}: glibc loads it linked`);
      t.notOk(cell(p, 'dlopen-probe').reproduces);
    }
    // Every musl row's host and dlopen probe: 9 of 20 rows × (host, dlopen probe, link probe).
    t.match(r.out, new RegExp(`reproduced in ${2 * musl.length} of ${3 * rows.length} cells`));
    t.equal(cell('ppc64-glibc', 'dlopen-probe').verdict, 'xfail', 'ppc64: nothing links (go#79898)');

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
  },
);

t.test(
  "a report quoting `GLIBC_2.34' not found: reproduced at load on Debian 11 with the loader's line, and passes on Debian 13",
  async (t) => {
    const started = Date.now();
    const r = await repro(join(reports, 'glibc-too-old.md'), '--platform', 'amd64-glibc');
    t.comment(`repro of glibc-too-old.md: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.equal(r.code, 0, `exit 0: the reported error reproduced\n${r.out.slice(-3000)}`);
    t.match(r.out, /userlands debian11, debian13/, 'the userlands chosen from the reported GLIBC_2.34, said before the run');
    const results = JSON.parse(readFileSync(join(r.dir, 'results.json'), 'utf8')) as {
      cells: { id: string; verdict: string; stage: string }[];
    };
    const on = (userland: string, kind: string) => r.outcome.cells.find((c) => c.userland === userland && c.kind === kind)!;
    for (const kind of ['host', 'link-probe', 'dlopen-probe']) {
      const old = on('debian11', kind);
      t.ok(old.reproduces, `debian11 ${kind}: the reported line again`);
      t.match(old.actual, /version `GLIBC_2\.34' not found \(required by /, `debian11 ${kind}: the loader's own words`);
      const cell = results.cells.find((c) => c.id === old.id)!;
      t.same([cell.verdict, cell.stage], ['fail', 'load'], `debian11 ${kind}: fails at load, not an error`);
      t.equal(on('debian13', kind).verdict, 'pass', `debian13 ${kind}: glibc 2.41 has GLIBC_2.34`);
      t.notOk(on('debian13', kind).reproduces, `debian13 ${kind}: nothing to reproduce`);
    }
    t.match(r.out, /reproduced in 3 of 6 cells: amd64-glibc debian11 \(host\)/);
    t.same(await leftovers(docker, r.runId), []);
  },
);

t.test('--rootfs runs the hosts inside a root filesystem made here from Debian musl', async (t) => {
  // A rootfs with nothing but musl's loader (which is its libc): a stand-in for an Alpine minirootfs.
  const images = await docker.listImages({ filters: { reference: ['cshared-matrix-go'] } });
  const image = images.sort((a, b) => b.Created - a.Created)[0]!.RepoTags![0]!;
  const c = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', 'infinity'],
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
    Labels: { 'cshared-matrix.test': 'rootfs' },
  });
  const tarball = join(resultsDir, 'musl-rootfs.tar');
  try {
    await c.start();
    const exec = await c.exec({
      Cmd: [
        'sh',
        '-c',
        'mkdir -p /stage/lib /stage/tmp /stage/work /stage/etc && cp /lib/ld-musl-x86_64.so.1 /stage/lib/ && printf "nobody:x:65534:65534::/:/nonexistent\\n" > /stage/etc/passwd',
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
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
