// Real host languages through the real engine: Debian's own Python of an
// emulated glibc row (a sysroot under qemu), CPython built for a musl row
// (cross-compiled for arm64 and run under qemu), and the JVM natively and
// under qemu. npm test builds their layers before this file runs
// (test/run-all.ts, beside the first integration files); the repro test uses them too.
// One musl row only: a CPython layer takes about two and a half minutes to
// build here, and npm test must stay under 20 minutes on a fresh engine.
// arm64-musl is the one that also exercises the cross compiler, the row's own
// flags (-mno-outline-atomics) and the kernel headers of another architecture;
// amd64-musl's layer is built the same way by `npm run matrix -- --case python`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { LANG_ROWS } from '../support/images.js';

const root = join(import.meta.dirname, '..', '..');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-langs-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
const docker = await ensureEngine((l) => t.comment(l));
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;

t.test('--images-only: the layers are built (npm test has built them already), nothing runs, no run directory is written', async (t) => {
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts --results ${resultsDir} --images-only --case python,jni --platform ${LANG_ROWS} --go ${go}`;
  t.equal(p.exitCode, 0, p.stderr);
  t.match(p.stderr.trimEnd().split('\n').at(-1), /^cshared-matrix: the images are ready$/);
  t.same(readdirSync(resultsDir), [], 'no run directory');
  const bad = await $({ cwd: root, nothrow: true, quiet: true })`npx tsx harness/cli/main.ts --images-only --case no-such-case`;
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /^cshared-matrix: unknown case "no-such-case"; known: /);
});

t.test("python and jni: the row's own Python and JVM, musl included", async (t) => {
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: !process.env.CSM_TEST_VERBOSE,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts --results ${resultsDir} --case python,jni --platform ${LANG_ROWS} --go ${go}`;
  const out = p.stdout + p.stderr;
  t.equal(p.exitCode, 0, `every verdict as expected\n${out.slice(-4000)}`);
  const r = JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  const cell = (id: string) => r.cells.find((c) => c.id === `${id}/go${go}`)!;
  const log = (id: string) => readFileSync(join(resultsDir, 'latest', cell(id).logs.run!), 'utf8');

  // glibc: the toolchain's Python natively, Debian's arm64 Python under qemu-aarch64 -cpu cortex-a53.
  t.equal(cell('python/amd64-glibc').verdict, 'pass');
  t.match(log('python/amd64-glibc'), /# python 3\.13\.\d+ on x86_64/);
  t.equal(cell('python/arm64-glibc').verdict, 'pass', "Debian's arm64 Python loads the arm64 Go library with ctypes");
  t.match(log('python/arm64-glibc'), /# python 3\.13\.\d+ on aarch64/, "the arm64 interpreter ran (uname under qemu-user is the guest's)");
  t.match(
    log('python/arm64-glibc'),
    /qemu-aarch64 -cpu cortex-a53 -L \/opt\/csm\/sysroot\/arm64-trixie-python \/opt\/csm\/sysroot\/arm64-trixie-python\/usr\/bin\/python3\.13/,
  );

  // musl: CPython built with the row's musl compiler; ctypes raises the loader's refusal as OSError, as on Alpine.
  for (const row of ['arm64-musl']) {
    const c = cell(`python/${row}`);
    t.equal(c.verdict, 'xfail', `${row}: the expected failure`);
    t.equal(c.stage, 'load');
    t.match(
      c.failureText,
      /OSError: Error relocating [^\n]*libpygo\.so: [^\n]*initial-exec TLS resolves to dynamic definition/,
      `${row}: Python's own exception with the loader's text`,
    );
    t.match(c.expectation, { link: 'https://github.com/golang/go/issues/54805', matched: true });
  }
  t.match(log('python/arm64-musl'), /qemu-aarch64 -cpu cortex-a53 \/opt\/csm\/python\/aarch64-linux-musl\/bin\/python3\.13/);

  const langs = r.hostLangs ?? [];
  const info = (platform: string, lang: string) => langs.find((l) => l.platform === platform && l.lang === lang);
  t.match(info('arm64-glibc', 'python'), {
    version: /^3\.13\.\d+$/,
    builtFrom: /^Debian .*python3\.13-minimal 3\.13\.\S+ arm64.* \(trixie\), extracted with \d+ dependencies$/,
  });
  t.match(info('arm64-glibc', 'python')?.builtFrom, /libpython3\.13-stdlib 3\.13\.\S+ arm64/);
  t.match(info('arm64-musl', 'python'), {
    version: /^3\.13\.\d+$/,
    builtFrom: /^CPython 3\.13\.\S+ and libffi 3\.\S+ \(Debian source packages, aarch64-linux-musl\), built by gcc 14/,
  });
  t.ok((info('arm64-glibc', 'java')?.startMs ?? 0) > 0, "the JVM's start under qemu is measured");

  // The JVM: natively, and Debian's arm64 JRE under qemu; Go's signal handlers pass the JVM's SIGSEGV back.
  for (const row of ['amd64-glibc', 'arm64-glibc']) {
    t.equal(cell(`jni/${row}`).verdict, 'pass', `${row}: the JVM loads the Go library and calls it`);
    t.match(log(`jni/${row}`), /ok \d+ - an implicit null check \(SIGSEGV in compiled code\) is a NullPointerException, 5 of 5/);
  }
  t.match(info('arm64-glibc', 'java'), { version: /^21\./, builtFrom: /openjdk-21-jre-headless 21\.\S+ arm64/ });
  for (const row of ['arm64-musl']) {
    t.match(cell(`jni/${row}`), { verdict: 'na', summary: /no JVM for musl: Debian builds OpenJDK for glibc only/ });
  }
  t.same(await leftovers(docker, r.run.id), []);
});
