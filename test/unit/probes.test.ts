import { join } from 'node:path';
import t from 'tap';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { PROBE_MODES, type ProbeExpectations, probeCases, probeName } from '../../harness/core/probes.js';
import { DEFAULT_CASES_DIR, loadCase, readProbeExpectations } from '../../harness/edge/case-files.js';
import { goLibDir } from '../../harness/sandbox/paths.js';
import { fakeCase, IE_TLS_RULE, INIT_ARGV_RULE, tempDir, writeTree } from '../support/helpers.js';

const EXPECTATIONS: ProbeExpectations = { dlopen: [IE_TLS_RULE], link: [INIT_ARGV_RULE] };

/** A case with two Go libraries, a C library, its own host, run settings and expectations of its own. */
const multi = fakeCase('multi', {
  libraries: [
    { name: 'alpha', dir: 'alpha' },
    { name: 'beta', dir: 'beta', output: 'beta.so' },
  ],
  cLibraries: [{ name: 'helper', sources: ['helper.c'] }],
  host: { sources: ['host.c'], link: ['alpha', 'helper'], dlopen: ['beta'], cflags: ['-Wall'] },
  run: { cwd: 'alpha', args: ['x'], env: { A: 'b' }, timeout: 90 },
  pass: { stdout: ['csm-done \\d+/\\d+'] },
  expect: [{ ...IE_TLS_RULE, label: 'the case own rule' }],
  libraryHashes: { alpha: 'a'.repeat(64), beta: 'b'.repeat(64) },
  sourceHash: 'c'.repeat(64),
});

t.test('probeName and PROBE_MODES', async (t) => {
  t.same(PROBE_MODES, ['dlopen', 'link']);
  t.equal(probeName('tls', 'dlopen'), 'tls+dlopen-probe');
  t.equal(probeName('repro-alpine-python', 'link'), 'repro-alpine-python+link-probe');
});

t.test('probeCases', async (t) => {
  const [dl, ln, ...rest] = probeCases(multi, EXPECTATIONS);
  t.same(rest, [], 'two cases');
  t.ok(dl && ln);
  if (!dl || !ln) return;

  t.equal(dl.name, 'multi+dlopen-probe');
  t.equal(ln.name, 'multi+link-probe');
  t.equal(dl.probe, 'dlopen');
  t.equal(ln.probe, 'link');
  for (const p of [dl, ln]) {
    t.equal(p.sourceOf, 'multi', `${p.name}: sourceOf is the case`);
    t.same(p.libraries, multi.libraries, `${p.name}: the same Go libraries`);
    t.same(p.libraryHashes, multi.libraryHashes, `${p.name}: the same library hashes, so the builds are shared`);
    t.equal(p.dir, multi.dir, `${p.name}: the same directory`);
    t.equal(p.sourceHash, multi.sourceHash);
    t.same(p.cLibraries, [], `${p.name}: no C libraries`);
    t.same(p.pass, {}, `${p.name}: no stdout patterns of the case`);
    t.same(p.run, { timeout: 90 }, `${p.name}: the case's timeout, and nothing else of its run`);
    t.match(p.description, /multi's Go libraries/);
    t.equal(p.windows, undefined, `${p.name}: the case's Windows host is not the probe's`);
  }
  const jni = loadCase(join(DEFAULT_CASES_DIR, 'jni'));
  const amd64 = PLATFORMS.find((p) => p.name === 'amd64-glibc')!;
  for (const p of probeCases(jni, EXPECTATIONS)) {
    t.equal(p.probedJava, true, `${p.name}: its case's libraries include <jni.h>`);
    t.equal(
      goLibDir(p, p.libraries[0]!, amd64, '1.27'),
      goLibDir(jni, jni.libraries[0]!, amd64, '1.27'),
      `${p.name}: builds the library as the case does, in one build (without <jni.h> on its path the probe's build failed)`,
    );
  }
  t.equal(dl.probedJava, undefined, 'a C host case: no JNI');
  const signals = loadCase(join(DEFAULT_CASES_DIR, 'signals'));
  t.same(
    probeCases(signals, EXPECTATIONS).map((p) => p.windows),
    [signals.windows, signals.windows],
    "a case that cannot exist on Windows: its probes neither (its library uses Linux's signals and does not build there)",
  );
  t.same(dl.host, { sources: [], dlopen: ['alpha', 'beta'] }, 'the dlopen probe dlopens every Go library');
  t.same(ln.host, { sources: [], link: ['alpha', 'beta'] }, 'the link probe links every Go library');
  t.match(dl.description, /^dlopen load probe/);
  t.match(ln.description, /^link-time load probe/);
  t.same(dl.expect, [IE_TLS_RULE], "the dlopen expectations, not the case's own");
  t.same(ln.expect, [INIT_ARGV_RULE], 'the link expectations');

  t.test('the case itself is untouched', async (t) => {
    t.equal(multi.name, 'multi');
    t.same(multi.host, { sources: ['host.c'], link: ['alpha', 'helper'], dlopen: ['beta'], cflags: ['-Wall'] });
    t.same(multi.cLibraries, [{ name: 'helper', sources: ['helper.c'] }]);
    t.equal(multi.sourceOf, undefined);
    t.equal(multi.probe, undefined);
  });

  t.test('a probe keeps the original as sourceOf', async (t) => {
    const generated = fakeCase('repro-x', { sourceOf: 'repro-original' });
    for (const p of probeCases(generated, EXPECTATIONS)) t.equal(p.sourceOf, 'repro-original', `${p.name}: sourceOf stays the original`);
    const [probe] = probeCases(fakeCase('base'), EXPECTATIONS);
    const [ofProbe] = probeCases(probe!, EXPECTATIONS);
    t.equal(ofProbe!.name, 'base+dlopen-probe+dlopen-probe');
    t.equal(ofProbe!.sourceOf, 'base', 'a probe of a probe still shares the original case');
  });

  t.test('a case without a host or run: default timeout 30', async (t) => {
    const { host: _host, run: _run, ...bare } = fakeCase('bare');
    const probes = probeCases({ ...bare, name: 'bare' }, { dlopen: [], link: [] });
    t.same(
      probes.map((p) => p.run),
      [{ timeout: 30 }, { timeout: 30 }],
    );
    t.same(
      probes.map((p) => p.host),
      [
        { sources: [], dlopen: ['hello'] },
        { sources: [], link: ['hello'] },
      ],
    );
    t.same(
      probes.map((p) => p.expect),
      [[], []],
    );
  });
});

t.test('readProbeExpectations', async (t) => {
  t.test('the real cases/probe-expectations.json', async (t) => {
    const e = readProbeExpectations();
    t.same(e, readProbeExpectations(join(DEFAULT_CASES_DIR, 'probe-expectations.json')), 'the default file');
    const dl = e.dlopen.find((r) => r.when.libc === 'musl');
    const ln = e.link.find((r) => r.when.libc === 'musl');
    t.ok(dl, 'a musl rule for dlopen');
    t.ok(ln, 'a musl rule for link');
    t.equal(dl?.link, 'https://github.com/golang/go/issues/54805');
    t.equal(dl?.verdict, 'fail');
    t.equal(dl?.stage, 'load');
    t.match(dl?.match ?? '', /initial-exec TLS resolves to dynamic definition/);
    t.equal(ln?.link, 'https://github.com/golang/go/issues/13492');
    t.equal(ln?.verdict, 'fail');
    t.ok(new RegExp(ln?.match ?? '(?!)').test('killed by signal 11 (SIGSEGV)'), 'the link rule matches a SIGSEGV end');
    for (const r of [...e.dlopen, ...e.link]) t.ok(r.label.length > 0 && r.label.length <= 40, `${r.label}: a label that fits a cell`);
  });

  t.test('a file with one mode only', async (t) => {
    const dir = tempDir(t);
    writeTree(dir, { 'only-dlopen.json': { dlopen: [IE_TLS_RULE] }, 'empty.json': {} });
    t.same(readProbeExpectations(join(dir, 'only-dlopen.json')), { dlopen: [IE_TLS_RULE], link: [] });
    t.same(readProbeExpectations(join(dir, 'empty.json')), { dlopen: [], link: [] });
  });

  t.test('a missing file is one line naming it', async (t) => {
    const f = join(tempDir(t), 'nope.json');
    t.throws(() => readProbeExpectations(f), { name: 'UsageError', message: `${f}: cannot read: ENOENT` });
  });
});

t.test('a broken probe-expectations file is one line naming it', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readProbeExpectations } = await import('../../harness/edge/case-files.js');
  const { UsageError } = await import('../../harness/core/errors.js');
  const dir = mkdtempSync(join(tmpdir(), 'csm-probes-'));
  const bad = join(dir, 'probe-expectations.json');
  writeFileSync(bad, '{"dlopen": [');
  const e = t.throws(() => readProbeExpectations(bad)) as Error;
  t.ok(e instanceof UsageError, 'exit 2, one line');
  t.equal(e.message, `${bad}: not valid JSON: line 1, column 13: expected "]"; fix or restore the file`);
  writeFileSync(bad, '[]');
  t.throws(() => readProbeExpectations(bad), {
    name: 'UsageError',
    message: `${bad}: must be an object with "dlopen" and "link" rule lists`,
  });
});
