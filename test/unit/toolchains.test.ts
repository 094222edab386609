import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../../harness/core/errors.js';
import { findExpectation, rulesFor, shortLink } from '../../harness/core/expect.js';
import { langSupport } from '../../harness/core/host-langs.js';
import { axesGo, axesGoLabel, cellId, expandMatrix, goLabel } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { rowLayer } from '../../harness/core/recipe.js';
import {
  gccgoOf,
  gccgoToolchain,
  goImageOf,
  LIBGO,
  pickToolchains,
  toolchainNa,
  toolchainOf,
  withToolchain,
} from '../../harness/core/toolchains.js';
import type { ExpectationRule, GoToolchain } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { readBaseRecipe, readGccgoSeries } from '../../harness/edge/images.js';
import { cellLogDir, planSteps } from '../../harness/sandbox/steps.js';
import { platform } from '../support/helpers.js';

const GOS: GoToolchain[] = [
  { version: '1.26', suite: 'trixie-backports' },
  { version: '1.27', suite: 'trixie-backports' },
];
const SERIES = { gcc: '14' };
const GCCGO = gccgoToolchain(SERIES, GOS[1]!);

t.test('--toolchain: gc by default; gccgo one more column, driven by the newest Go picked', async (t) => {
  t.same(pickToolchains(GOS, [], [], SERIES), [GOS[1]], 'nothing asked: gc, the newest Go');
  t.same(
    pickToolchains(GOS, ['all'], ['gc', 'gccgo'], SERIES).map((g) => g.version),
    ['1.26', '1.27', 'gccgo-14'],
    'side by side, gccgo last',
  );
  t.same(pickToolchains(GOS, ['1.26'], ['gccgo'], SERIES), [gccgoToolchain(SERIES, GOS[0]!)], 'gccgo alone, driven by the Go named');
  t.same(GCCGO, {
    version: 'gccgo-14',
    suite: 'trixie-backports',
    gccgo: { gcc: '14', driver: { version: '1.27', suite: 'trixie-backports' } },
  });
  t.same(goImageOf(GCCGO), { version: '1.27', suite: 'trixie-backports' }, "it builds in its driver's Go image");
  t.throws(() => pickToolchains(GOS, [], ['clang'], SERIES), new UsageError('unknown toolchain "clang"; known: gc, gccgo'));
  t.throws(() => pickToolchains(GOS, [], ['gccgo'], undefined), UsageError, 'no series in versions.json: said, not guessed');
  t.equal(toolchainOf(GCCGO), 'gccgo');
  t.equal(toolchainOf(GOS[0]!), 'gc');
});

t.test('versions.json names a gccgo series whose libgo package is known', async (t) => {
  const series = readGccgoSeries();
  t.ok(series && LIBGO[series.gcc], `gccgo-${series?.gcc} has a libgo package (${series && LIBGO[series.gcc]})`);
});

t.test('labels, ids and log directories name a gccgo column as gccgo-14', async (t) => {
  t.equal(goLabel('1.27'), 'go1.27');
  t.equal(goLabel('gccgo-14'), 'gccgo-14');
  t.equal(cellId('link', 'arm64-glibc', 'gccgo-14'), 'link/arm64-glibc/gccgo-14');
  t.equal(cellId('link', 'arm64-glibc', '1.27'), 'link/arm64-glibc/go1.27', 'gc ids unchanged');
  t.equal(axesGoLabel({ go: '1.27', goVersion: '1.27.4' }), 'go1.27.4');
  t.equal(axesGoLabel({ go: 'gccgo-14', goVersion: '1.27.4', toolchain: 'gccgo' }), 'gccgo-14', "not the driver's version");
  t.equal(axesGo({ go: 'gccgo-14', goVersion: '1.27.4', toolchain: 'gccgo' }), 'gccgo-14');
  const link = loadCase(join(DEFAULT_CASES_DIR, 'link'));
  const [cell] = expandMatrix([link], [platform('arm64-glibc')], [GCCGO]);
  t.equal(cellLogDir(cell!), join('logs', 'gccgo-14', 'arm64-glibc', 'link'));
});

t.test("each row's gccgo: Debian's package and command, or why it has none", async (t) => {
  t.same(gccgoOf(platform('amd64-glibc'), '14'), { package: 'gccgo-14', command: 'gccgo-14' });
  t.same(gccgoOf(platform('arm64-glibc'), '14'), { package: 'gccgo-14-aarch64-linux-gnu', command: 'aarch64-linux-gnu-gccgo-14' });
  t.same(gccgoOf(platform('arm5-glibc'), '14'), gccgoOf(platform('arm6-glibc'), '14'), 'ARMv5 and v6 share the armel gccgo');
  t.match(toolchainNa(platform('arm64-musl'), GCCGO), /libgo, is built for glibc only/);
  t.match(toolchainNa(platform('loong64-glibc'), GCCGO), /no gccgo for loong64/);
  t.equal(toolchainNa(platform('arm64-musl'), GOS[1]!), undefined, 'gc is never n/a for this reason');
  for (const p of PLATFORMS) t.ok(p.libc === 'musl' || p.gccgo || p.noGccgo, `${p.name}: a gccgo, or why not`);
});

t.test("a gccgo cell builds in a layer on its driver's Go image: the row's gccgo", async (t) => {
  const base = readBaseRecipe().recipe;
  t.same(rowLayer(base, withToolchain(platform('arm64-glibc'), GCCGO)), { packages: ['gccgo-14-aarch64-linux-gnu'] });
  t.same(rowLayer(base, withToolchain(platform('amd64-glibc'), GCCGO)), { packages: ['gccgo-14'] });
  t.equal(rowLayer(base, withToolchain(platform('arm64-musl'), GCCGO)), undefined, 'n/a: nothing to add');
  t.equal(rowLayer(base, withToolchain(platform('arm64-glibc'), GOS[1]!)), undefined, 'gc: the base has it all');
});

t.test('go build -compiler gccgo with GCCGO; nothing at all where the row has none', async (t) => {
  const link = loadCase(join(DEFAULT_CASES_DIR, 'link'));
  const inputs = { imageId: `sha256:${'b'.repeat(64)}`, programsHash: 'c'.repeat(64) };
  const [gccgo] = expandMatrix([link], [platform('arm7-glibc')], [GCCGO]);
  const lib = planSteps(gccgo!, link, inputs).find((s) => s.stage === 'build')!;
  t.same(lib.cmd.slice(0, 4), ['go', 'build', '-compiler', 'gccgo']);
  t.ok(lib.env.includes('GCCGO=arm-linux-gnueabihf-gccgo-14'));
  t.match(lib.out, /\/gccgo-14\/arm7-glibc\//, 'its own output directory');
  const [gc] = expandMatrix([link], [platform('arm7-glibc')], [GOS[1]!]);
  const gcLib = planSteps(gc!, link, inputs).find((s) => s.stage === 'build')!;
  t.notOk(gcLib.cmd.includes('-compiler') || gcLib.env.some((e) => e.startsWith('GCCGO=')), 'gc builds are unchanged');
  const [na] = expandMatrix([link], [platform('arm7-musl')], [GCCGO]);
  t.same(planSteps(na!, link, inputs), [], 'n/a: no steps to build or restore');
});

t.test('expectations select a toolchain; a Go range selects gc cells only', async (t) => {
  const rule = (when: ExpectationRule['when']): ExpectationRule => ({
    when,
    verdict: 'fail',
    match: 'x',
    link: 'https://github.com/golang/go/issues/1',
    label: 'l',
  });
  const p = platform('arm64-glibc');
  const gccgoAxes = { platform: p, go: 'gccgo-14', toolchain: 'gccgo' as const };
  const gcAxes = { platform: p, go: '1.27.4' };
  t.ok(findExpectation([rule({ toolchain: 'gccgo' })], gccgoAxes));
  t.notOk(findExpectation([rule({ toolchain: 'gccgo' })], gcAxes), 'absent toolchain means gc');
  t.ok(findExpectation([rule({ toolchain: ['gc', 'gccgo'] })], gcAxes));
  t.notOk(
    findExpectation([rule({ go: '>=1.0' })], gccgoAxes),
    '"gccgo-14" is no Go release for a range (semver would coerce it to 14.0.0)',
  );
  t.ok(findExpectation([rule({ go: '>=1.0' })], gcAxes));
  const ppc64 = platform('ppc64-glibc');
  t.notOk(
    findExpectation(rulesFor([], ppc64), { platform: ppc64, go: 'gccgo-14', toolchain: 'gccgo' }),
    "ppc64's ELFv2 build failure is gc's, not gccgo's",
  );
  t.ok(findExpectation(rulesFor([], ppc64), { platform: ppc64, go: '1.27.4' }));
});

t.test('a finding nobody reported is linked to its write-up, and reads as one', async (t) => {
  t.equal(shortLink('cases/multi/README.md#gccgo-one-runtime-and-one-package-main'), 'multi finding');
  t.equal(shortLink('https://github.com/golang/go/issues/54805'), 'go#54805');
  t.equal(shortLink('https://go.dev/wiki/MinimumRequirements#amd64'), 'Go docs', 'documented behaviour reads as such');
});

t.test("a gccgo row's Python and JVM sysroots carry libgo, which gccgo libraries NEED", async (t) => {
  const sup = langSupport(platform('arm64-glibc'), 'python');
  t.ok(sup.kind === 'layer' && sup.layer.kind === 'sysroot' && sup.layer.packages.includes('libgo23'));
  const loong = langSupport(platform('loong64-glibc'), 'python');
  t.ok(
    loong.kind === 'layer' && loong.layer.kind === 'sysroot' && !loong.layer.packages.includes('libgo23'),
    'not where there is no gccgo',
  );
});

t.test('no host language is built for cells a toolchain makes n/a', async (t) => {
  const { langPairs } = await import('../../harness/run/langs.js');
  const python = loadCase(join(DEFAULT_CASES_DIR, 'python'));
  const cells = expandMatrix([python], [platform('arm64-glibc'), platform('arm64-musl')], [GCCGO]);
  t.same(
    langPairs(cells, new Map([[python.name, python]]), false).map((x) => x.platform.name),
    ['arm64-glibc'],
    'no musl CPython for gccgo, which has no musl',
  );
});

t.test('every finding an expectation links to is written down where it points', async (t) => {
  const { readdirSync, readFileSync, existsSync } = await import('node:fs');
  // GitHub's heading anchors: lower case, punctuation dropped, spaces as "-".
  const slug = (h: string) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-');
  const root = join(DEFAULT_CASES_DIR, '..');
  let findings = 0;
  for (const name of readdirSync(DEFAULT_CASES_DIR)) {
    if (!existsSync(join(DEFAULT_CASES_DIR, name, 'case.json'))) continue;
    for (const rule of loadCase(join(DEFAULT_CASES_DIR, name)).expect ?? []) {
      if (!rule.link.startsWith('cases/')) continue;
      findings++;
      const [file, anchor] = rule.link.split('#') as [string, string];
      const path = join(root, file);
      t.ok(existsSync(path), `${name}: ${file} exists`);
      const headings = existsSync(path)
        ? readFileSync(path, 'utf8')
            .split('\n')
            .filter((l) => /^#{1,6} /.test(l))
            .map((l) => slug(l.replace(/^#+ /, '')))
        : [];
      t.ok(headings.includes(anchor), `${name}: ${rule.link} names a heading there`);
    }
  }
  t.ok(findings > 0, 'the catalogue has findings of its own');
});

t.test('run.preload: LD_PRELOAD for the host alone, through env natively and qemu -E when emulated', async (t) => {
  const { hostArgv } = await import('../../harness/sandbox/commands.js');
  const pre = loadCase(join(DEFAULT_CASES_DIR, 'preload'));
  const native = hostArgv(pre, platform('amd64-glibc'), '1.27');
  t.equal(native[0], '/usr/bin/env');
  t.match(native[1], /^LD_PRELOAD=\/work\/out\/go1\.27\/amd64-glibc\/golib\/pre-[0-9a-f]{16}\/libpre\.so$/);
  t.match(native[2], /\/host\/preload\/host$/);
  const arm = hostArgv(pre, platform('arm64-glibc'), '1.27');
  t.same(arm.slice(0, 3), ['qemu-aarch64', '-E', arm[2]]);
  t.match(arm[2], /^LD_PRELOAD=.*\/arm64-glibc\/golib\/pre-/);
  t.same(arm.slice(3, 7), ['-cpu', 'cortex-a53', '-L', '/usr/aarch64-linux-gnu'], "then the row's own runner flags");
  t.notOk(
    hostArgv(loadCase(join(DEFAULT_CASES_DIR, 'link')), platform('amd64-glibc'), '1.27').includes('/usr/bin/env'),
    'no preload, no env',
  );
});

t.test('libraries[].goenv: the build gets it over the row, and it is another library', async (t) => {
  const v3 = loadCase(join(DEFAULT_CASES_DIR, 'goamd64-v3'));
  const inputs = { imageId: `sha256:${'b'.repeat(64)}`, programsHash: 'c'.repeat(64) };
  const [cell] = expandMatrix([v3], [platform('amd64-glibc')], [GOS[1]!]);
  const lib = planSteps(cell!, v3, inputs).find((s) => s.stage === 'build')!;
  t.ok(lib.env.includes('GOAMD64=v3'));
  const [c386] = expandMatrix([v3], [platform('386-glibc')], [GOS[1]!]);
  t.ok(planSteps(c386!, v3, inputs)[0]!.env.includes('GO386=sse2'), "the row's own variables stay");
  const { hashTree } = await import('../../harness/edge/case-files.js');
  t.not(
    v3.libraryHashes.levelgo,
    hashTree(join(DEFAULT_CASES_DIR, 'goamd64-v3', 'levelgo')),
    'the same source under another goenv is another library',
  );
});

t.test('--prune-images keeps the gccgo layers the current recipes name', async (t) => {
  const { currentToolchainTags, currentBaseTag, goImageTag, rowImageTag, readGoVersions } = await import('../../harness/edge/images.js');
  const newest = readGoVersions().at(-1)!;
  const goTag = goImageTag(newest, currentBaseTag());
  const layer = rowLayer(readBaseRecipe().recipe, withToolchain(platform('arm64-glibc'), gccgoToolchain(readGccgoSeries()!, newest)))!;
  t.ok(currentToolchainTags().includes(rowImageTag(goTag, layer)), 'arm64 gccgo on the newest Go');
});
