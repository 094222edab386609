// The toolchain axis through the real engine: gc and gccgo side by side on
// amd64 (gccgo-14 in a layer on the Go image, which npm test builds with the
// toolchain images), musl n/a for gccgo, and the 2013 thread's question
// answered per toolchain by the multi case: two runtimes, or one shared libgo;
// and a JVM host, which runs in each cell's own image (gccgo's has libgo).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { GCCGO_ROWS } from '../support/images.js';

const root = join(import.meta.dirname, '..', '..');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-gccgo-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
const docker = await ensureEngine((l) => t.comment(l));
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;

t.test('--toolchain gc,gccgo: both columns, each judged by its own expectations', async (t) => {
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: !process.env.CSM_TEST_VERBOSE,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts --results ${resultsDir} --toolchain gc,gccgo --case link,multi,jni --platform ${GCCGO_ROWS} --reporter json,markdown`;
  const out = p.stdout + p.stderr;
  t.equal(p.exitCode, 0, `every verdict as expected\n${out.slice(-4000)}`);
  const r = JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  const cell = (id: string) => r.cells.find((c) => c.id === id)!;
  const log = (id: string) => readFileSync(join(resultsDir, 'latest', cell(id).logs.run!), 'utf8');

  const gccgo = cell('link/amd64-glibc/gccgo-14');
  t.equal(gccgo.verdict, 'pass', 'a gccgo library, linked at build time, works');
  t.match(
    gccgo.axes,
    { go: 'gccgo-14', toolchain: 'gccgo', gccgo: /^gccgo-14 \(Debian 14\.[\d.-]+\) 14\.\d+\.\d+$/ },
    "the cell records gccgo's exact version",
  );
  t.ok(
    gccgo.elf?.libraries.hello?.needed.some((n) => /^libgo\.so\.\d+$/.test(n)),
    'it NEEDs libgo.so.N',
  );
  t.equal(gccgo.elf?.libraries.hello?.tls.initialExec, 0, 'and has no initial-exec TLS of its own');
  t.notOk(cell(`link/amd64-glibc/go${go}`).axes.toolchain, 'a gc cell says nothing of a toolchain');
  t.notOk(
    cell(`link/amd64-glibc/go${go}`).elf?.libraries.hello?.needed.some((n) => n.startsWith('libgo.so')),
    'gc carries its runtime inside',
  );

  const na = cell('link/amd64-musl/gccgo-14');
  t.equal(na.verdict, 'na');
  t.match(na.summary, /libgo, is built for glibc only/, 'n/a, with the reason');
  t.equal(cell(`link/amd64-musl/go${go}`).verdict, 'xfail', 'gc on musl: its usual expected failure');

  // The JVM is the row's own (amd64's toolchain image), started once before the
  // cells in the gc image; a gccgo cell's host must still run where libgo is.
  t.equal(
    cell('jni/amd64-glibc/gccgo-14').verdict,
    'pass',
    `a JVM host loads a gccgo library\n${cell('jni/amd64-glibc/gccgo-14').summary}`,
  );
  t.equal(cell(`jni/amd64-glibc/go${go}`).verdict, 'pass');

  // The thread's question, both ways.
  t.equal(cell(`multi/amd64-glibc/go${go}`).verdict, 'pass');
  t.match(log(`multi/amd64-glibc/go${go}`), /# runtimes: two, one per library/);
  t.match(log(`multi/amd64-glibc/go${go}`), /ok \d+ - os\.Setenv through alpha is unseen by os\.Getenv through beta/);
  const md = readFileSync(join(resultsDir, 'latest', 'matrix.md'), 'utf8');
  t.match(
    md,
    /\| case \| amd64-glibc go1\.\d+ \| amd64-glibc gccgo-14 \| amd64-musl go1\.\d+ \| amd64-musl gccgo-14 \|/,
    'side by side, like Go versions',
  );
  t.same(await leftovers(docker, r.run.id), [], 'no containers or volumes left');
});

// gccgo's answer on amd64 comes with a split-stack abort in some runs (cases/multi/README.md):
// repeated, so the shared package main shows in at least one run, and every run is one of the two.
t.test("gccgo's two libraries share one libgo and one package main (or abort in libgcc's split-stack allocator)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-gccgo-multi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = await $({
    cwd: root,
    nothrow: true,
    quiet: !process.env.CSM_TEST_VERBOSE,
    env: { ...process.env, CI: '1' },
  })`npx tsx harness/cli/main.ts --results ${dir} --toolchain gccgo --case multi --platform amd64-glibc --repeat 6 --reporter json`;
  t.equal(p.exitCode, 0, `the finding, whichever way each run showed it\n${(p.stdout + p.stderr).slice(-4000)}`);
  const r = JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8')) as RunResults;
  const shared = r.cells.find((c) => c.id === 'multi/amd64-glibc/gccgo-14')!;
  t.equal(shared.verdict, 'xfail', `the finding (${shared.summary})`);
  t.same(shared.repeats, { xfail: 6 }, 'every run is the finding');
  t.match(shared.expectation, { link: 'cases/multi/README.md#gccgo-one-runtime-and-one-package-main', matched: true });
  const logs = Object.entries(shared.logs)
    .filter(([k]) => /^run(-\d+)?$/.test(k))
    .map(([, rel]) => readFileSync(join(dir, 'latest', rel), 'utf8'));
  t.equal(logs.length, 6, 'a log per run');
  const interposed = logs.filter((l) => /# runtimes: one, shared by both libraries/.test(l));
  for (const l of logs)
    t.ok(
      interposed.includes(l) || /unable to allocate additional stack space: errno 22/.test(l),
      `each run shows the shared runtime or the split-stack abort\n${l.slice(-600)}`,
    );
  t.ok(interposed.length >= 1, `the shared package main shows in ${interposed.length} of 6 runs`);
  for (const l of interposed) {
    t.match(l, /ok \d+ - os\.Setenv through alpha is seen by os\.Getenv through beta/);
    t.match(l, /not ok \d+ - dlsym\(beta, "LibName"\)\(\) == "beta" \(got "alpha"\)/);
  }
  t.same(await leftovers(docker, r.run.id), [], 'no containers or volumes left');
});
