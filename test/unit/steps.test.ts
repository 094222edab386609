import { join } from 'node:path';
import t from 'tap';
import { expandMatrix } from '../../harness/core/matrix.js';
import { probeCases } from '../../harness/core/probes.js';
import type { CaseSpec, GoToolchain } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCase, readProbeExpectations } from '../../harness/edge/case-files.js';
import { cellLogDir, planSteps, type StepInputs } from '../../harness/sandbox/steps.js';
import { platform } from '../support/helpers.js';

const load = (n: string) => loadCase(join(DEFAULT_CASES_DIR, n));
const go: GoToolchain = { version: '1.27' } as GoToolchain;
const inputs: StepInputs = { imageId: `sha256:${'a'.repeat(64)}`, programsHash: 'c'.repeat(64) };
const cellOf = (c: CaseSpec, p = 'amd64-glibc') => expandMatrix([c], [platform(p)], [go])[0]!;

t.test("a cell's steps, in order: Go libraries, C libraries, the host", async (t) => {
  const tls = load('tls');
  const steps = planSteps(cellOf(tls), tls, inputs);
  t.same(
    steps.map((s) => [s.stage, s.what]),
    [
      ['build', 'libtlsgo.so'],
      ['host-compile', 'libtlsc.so'],
      ['host-compile', 'the host'],
    ],
  );
  t.same(
    steps.map((s) => s.logName),
    ['build-tlsgo', 'compile-tlsc', 'compile'],
  );
  t.ok(steps[0]!.group, 'a Go build names its warm-up group');
  t.notOk(steps[1]!.group, 'a C compile has none');
  t.equal(steps[0]!.logRel, join('logs', 'builds', `${steps[0]!.key}.log`), 'a library build has one log for every cell that shares it');
  t.equal(steps[2]!.logRel, join(cellLogDir(cellOf(tls)), 'compile.log'));
  t.equal(cellLogDir(cellOf(tls)), join('logs', 'go1.27', 'amd64-glibc', 'tls'));
  t.ok(
    steps.every((s) => /^[0-9a-f]{32}$/.test(s.akey)),
    'every step has an artifact-cache key',
  );
  t.equal(new Set(steps.map((s) => s.akey)).size, 3, 'the keys differ');
});

t.test('pure: the same inputs give the same steps and keys', async (t) => {
  const multi = load('multi');
  t.same(planSteps(cellOf(multi), multi, inputs), planSteps(cellOf(multi), multi, inputs));
  t.same(
    planSteps(cellOf(multi), multi, inputs),
    planSteps(cellOf(load('multi')), load('multi'), { ...inputs }),
    'and the same after loading the case again',
  );
});

t.test('what changes a key', async (t) => {
  const link = load('link');
  const base = planSteps(cellOf(link), link, inputs);
  const host = (steps: typeof base) => steps.find((s) => s.what === 'the host')!;
  const lib = (steps: typeof base) => steps.find((s) => s.stage === 'build')!;

  const otherImage = planSteps(cellOf(link), link, { ...inputs, imageId: `sha256:${'b'.repeat(64)}` });
  t.not(lib(otherImage).akey, lib(base).akey, 'another image rebuilds the library');

  const harness = planSteps(cellOf(link), link, { ...inputs, programsHash: 'd'.repeat(64) });
  t.equal(lib(harness).akey, lib(base).akey, 'the harness C sources do not touch a Go library');
  t.not(host(harness).akey, host(base).akey, 'they rebuild the host');

  const edited = { ...link, libraryHashes: { ...link.libraryHashes, hello: 'e'.repeat(64) } };
  const afterEdit = planSteps(cellOf(edited), edited, inputs);
  t.not(lib(afterEdit).akey, lib(base).akey, 'a Go source edit rebuilds the library');
  t.not(host(afterEdit).akey, host(base).akey, 'and the host that embeds it');
  t.equal(host(afterEdit).key, host(base).key, 'the memo key names the artifact, not its contents');

  const arm = planSteps(cellOf(link, 'arm5-glibc'), link, inputs);
  t.not(lib(arm).key, lib(base).key, 'another platform is another step');
  t.not(lib(arm).group, lib(base).group, 'and another warm-up group');
});

t.test('a Python host has no compile step', async (t) => {
  const py = load('python');
  const steps = planSteps(cellOf(py), py, inputs);
  t.same(
    steps.map((s) => s.stage),
    ['build'],
  );
});

t.test('a Java host: javac once per case and Go image, not per row; its Go library gets <jni.h>', async (t) => {
  const jni = load('jni');
  const [lib, javac] = planSteps(cellOf(jni), jni, inputs);
  t.same(javac!.cmd, [
    '/usr/lib/jvm/java-21-openjdk-amd64/bin/javac',
    '-encoding',
    'UTF-8',
    '-Xlint:none',
    '-d',
    '/work/out/go1.27/java/jni',
    'Host.java',
    '/work/csm/Csm.java',
  ]);
  t.equal(javac!.target, '/work/out/go1.27/java/jni/Host.class', "the main class is the file's name");
  t.equal(javac!.workdir, '/work/src/jni');
  const arm = planSteps(cellOf(jni, 'arm64-glibc'), jni, inputs);
  t.equal(arm[1]!.key, javac!.key, 'every row shares the one compile');
  t.ok(
    lib!.env.some(
      (e) => e === 'CGO_CFLAGS=-O2 -g -I/usr/lib/jvm/java-21-openjdk-amd64/include -I/usr/lib/jvm/java-21-openjdk-amd64/include/linux',
    ),
  );
  t.ok(
    arm[0]!.env.some((e) => e.startsWith('CGO_CFLAGS=') && e.includes('/include/linux')),
    'the same headers for a cross build: jni_md.h is not per architecture',
  );
  const py = load('python');
  t.notOk(
    planSteps(cellOf(py), py, inputs)[0]!.env.some((e) => e.startsWith('CGO_CFLAGS=')),
    "other cases keep Go's default flags",
  );
});

t.test("probe cells share their case's library builds", async (t) => {
  const dlopen = load('dlopen');
  const [probe] = probeCases(dlopen, readProbeExpectations());
  const caseLib = planSteps(cellOf(dlopen), dlopen, inputs)[0]!;
  const probeSteps = planSteps(cellOf(probe!), probe!, inputs);
  t.equal(probeSteps[0]!.key, caseLib.key, 'one memo key');
  t.equal(probeSteps[0]!.akey, caseLib.akey, 'one cache entry');
  t.not(probeSteps.at(-1)!.key, planSteps(cellOf(dlopen), dlopen, inputs).at(-1)!.key, 'each has its own host');
});

t.test(
  "a Go library's build is keyed by everything that shapes it (issue 23: a byte copy with another output took over link's build)",
  async (t) => {
    const link = load('link');
    const libStep = (c: CaseSpec, cell = cellOf(c)) => planSteps(cell, c, inputs).find((s) => s.stage === 'build')!;
    const keys = (c: CaseSpec) => {
      const s = libStep(c);
      return { key: s.key, akey: s.akey, out: s.out };
    };
    const base = keys(link);
    const differs = (what: string, c: CaseSpec) => {
      const k = keys(c);
      t.not(k.key, base.key, `${what}: another memo key`);
      t.not(k.akey, base.akey, `${what}: another artifact-cache key`);
      t.not(k.out, base.out, `${what}: another output directory`);
    };
    const withLib = (over: Partial<CaseSpec['libraries'][0]>, name = 'copy'): CaseSpec => ({
      ...link,
      name,
      libraries: [{ ...link.libraries[0]!, ...over }],
    });

    // The attack: the same source under another case's name, built as evil.so.
    const evil = withLib({ output: 'evil.so' }, 'evil');
    differs('output', evil);
    t.equal(libStep(evil).target.endsWith('/evil.so'), true);
    t.equal(libStep(evil).what, 'evil.so', 'the step names the file it builds');
    differs('goenv', withLib({ goenv: { GOAMD64: 'v3' } }));
    differs('another goenv value', withLib({ goenv: { GOAMD64: 'v2' } }));
    t.not(keys(withLib({ goenv: { GOAMD64: 'v2' } })).key, keys(withLib({ goenv: { GOAMD64: 'v3' } })).key, 'v2 and v3 are two builds');
    // A JVM host adds <jni.h> to cgo's flags: the same library for a C host is another build.
    differs('JNI flags', { ...link, name: 'java-copy', host: { java: 'Host.java' } });
    differs('the packages built', { ...link, goTargets: { hello: ['.'] } });
    differs('the sources', { ...link, libraryHashes: { hello: 'f'.repeat(64) } });

    const twin = withLib({}, 'twin');
    t.same(keys(twin), base, 'equal inputs under another case name: one key, one directory, one build');
    t.same(keys(withLib({ output: 'libhello.so' }, 'twin2')), base, 'the default output spelled out is the same build');
    t.same(keys(withLib({ goenv: {} }, 'twin3')), base, 'an empty goenv is none');
    t.same(
      keys(withLib({ goenv: { GOAMD64: 'v3', GOEXPERIMENT: 'x' } })),
      keys(withLib({ goenv: { GOEXPERIMENT: 'x', GOAMD64: 'v3' } })),
      "goenv's order does not matter",
    );

    // Two cases share an output directory only when their keys are equal, across the catalogue.
    const byOut = new Map<string, string>();
    for (const name of ['link', 'dlopen', 'tls', 'multi', 'jni', 'python', 'goamd64-v3', 'environ']) {
      const c = load(name);
      for (const s of planSteps(cellOf(c), c, inputs).filter((s) => s.stage === 'build')) {
        const seen = byOut.get(s.out);
        if (seen !== undefined) t.equal(s.akey, seen, `${name} shares ${s.out} only with an equal key`);
        byOut.set(s.out, s.akey);
      }
    }
    for (const c of [evil, twin])
      for (const s of planSteps(cellOf(c), c, inputs).filter((s) => s.stage === 'build')) {
        const seen = byOut.get(s.out);
        if (seen !== undefined) t.equal(s.akey, seen, `${c.name} shares ${s.out} only with an equal key`);
      }
  },
);
