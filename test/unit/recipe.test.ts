import t from 'tap';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { type BaseRecipe, deriveRecipe, rowLayer, rowLayerKey } from '../../harness/core/recipe.js';
import type { Platform } from '../../harness/core/types.js';
import { baseTag, readBaseRecipe, rowTag } from '../../harness/edge/images.js';

const FILE: BaseRecipe = {
  suite: 'trixie',
  variant: 'apt',
  architectures: ['amd64'],
  sources: ['deb {mirror} trixie main'],
  include: ['gcc', 'libc6-dev', 'binutils'],
  dpkgopts: ['path-exclude=/usr/share/man/*'],
};
const row = (name: string): Platform => PLATFORMS.find((p) => p.name === name)!;
const MIPS: Platform = {
  name: 'mips64le-glibc',
  goarch: 'mips64le',
  libc: 'glibc',
  cc: 'mips64el-linux-gnuabi64-gcc',
  run: ['qemu-mips64el', '-cpu', 'Loongson-3A1000', '-L', '/usr/mips64el-linux-gnuabi64'],
  timeoutScale: 4,
  cpu: 'Loongson-3A1000',
  packages: ['gcc-mips64el-linux-gnuabi64', 'libc6-dev-mips64el-cross', 'qemu-user'],
  noCanary: 'test row',
};

t.test("a row's packages and dpkg architecture reach the recipe", async (t) => {
  const r = deriveRecipe(FILE, [row('amd64-glibc'), row('arm64-musl')]);
  t.same(r.architectures, ['amd64', 'arm64'], "the file's, then the rows', once each");
  t.same(r.include, [
    'gcc',
    'libc6-dev',
    'binutils',
    'python3',
    'openjdk-21-jdk-headless',
    'gcc-aarch64-linux-gnu',
    'musl:arm64',
    'musl-dev:arm64',
    'qemu-user',
  ]);
  t.same(
    r.dpkgopts,
    ['path-exclude=/usr/share/man/*', 'path-exclude=/usr/bin/qemu-*', 'path-include=/usr/bin/qemu-aarch64'],
    'only the emulators a row runs are kept',
  );
  t.same(deriveRecipe(FILE, [row('amd64-glibc')]).dpkgopts, FILE.dpkgopts, 'no emulated row: qemu untouched');
  t.same(FILE.include, ['gcc', 'libc6-dev', 'binutils'], 'the file is not modified');
});

t.test('the real recipe: every built-in row brings its toolchain, and the tag follows the rows', async (t) => {
  const { recipe, text } = readBaseRecipe();
  for (const p of PLATFORMS.filter((p) => p.inBase !== false)) {
    for (const pkg of p.packages ?? []) t.ok(recipe.include.includes(pkg), `${p.name}: ${pkg}`);
    if (p.dpkgArch) t.ok(recipe.architectures.includes(p.dpkgArch), `${p.name}: dpkg architecture ${p.dpkgArch}`);
    if (p.run[0]) t.ok(recipe.dpkgopts?.includes(`path-include=/usr/bin/${p.run[0]}`), `${p.name}: keeps ${p.run[0]}`);
    t.equal(rowLayer(recipe, p), undefined, `${p.name}: needs no layer of its own`);
  }
  t.ok(recipe.dpkgopts?.includes('path-exclude=/usr/bin/*-lto-dump-*'), "gcc's lto-dump (300 MB for 11 compilers) is left out");
  // The Windows rows' mingw-w64 and Wine (2.9 GB) are a layer of their own, built only when such a row is selected.
  for (const pkg of ['gcc-mingw-w64-x86-64', 'gcc-mingw-w64-i686', 'wine', 'wine64', 'wine32:i386'])
    t.notOk(recipe.include.includes(pkg), `the base has no ${pkg}`);
  const win = PLATFORMS.filter((p) => p.goos === 'windows' && !p.na).map((p) => rowLayer(recipe, p));
  t.same(win[0], {
    packages: ['gcc-mingw-w64-x86-64', 'gcc-mingw-w64-i686', 'wine', 'wine64', 'wine32:i386'],
    winePrefix: '/opt/csm-wine/prefix',
  });
  t.equal(rowLayerKey(win[0]!), rowLayerKey(win[1]!), 'one layer, one image, for windows-amd64 and windows-386');
  const fewer = readBaseRecipe(PLATFORMS.filter((p) => p.name !== 'loong64-glibc'));
  t.notOk(fewer.recipe.include.includes('gcc-loongarch64-linux-gnu'), 'a row removed takes its compiler with it');
  t.not(baseTag(fewer.text), baseTag(text), 'and changes the tag');
  t.equal(baseTag(readBaseRecipe().text), baseTag(text), 'stable');
});

t.test('a user row with packages the base lacks gets a layer, keyed by what it adds', async (t) => {
  const { recipe } = readBaseRecipe();
  const layer = rowLayer(recipe, MIPS);
  t.same(
    layer,
    { packages: ['gcc-mips64el-linux-gnuabi64', 'libc6-dev-mips64el-cross'], runner: 'qemu-mips64el' },
    'qemu-user is there; its mips64el binary is not',
  );
  const musl = rowLayer(recipe, {
    ...MIPS,
    name: 'x',
    packages: ['musl:mips64el'],
    dpkgArch: 'mips64el',
    run: ['qemu-arm', '-cpu', 'arm926'],
  });
  t.same(musl, { packages: ['musl:mips64el'], dpkgArch: 'mips64el' }, 'a new dpkg architecture, a runner the base has');
  t.equal(
    rowLayer(recipe, { ...row('arm5-glibc'), name: 'arm5-on-arm1176', run: ['qemu-arm', '-cpu', 'arm1176'] }),
    undefined,
    "a user row built from the base's packages: no layer",
  );
  t.equal(rowLayerKey(layer!), rowLayerKey({ ...layer!, packages: [...layer!.packages].reverse() }), 'package order does not matter');
  const go = 'cshared-matrix-go:1.27-0123456789abcdef';
  t.match(rowTag(go, 'FROM x', layer!), /^cshared-matrix-row:[0-9a-f]{16}$/);
  t.not(rowTag(go, 'FROM x', layer!), rowTag(go, 'FROM x', musl!), 'another layer, another tag');
  t.not(rowTag(go, 'FROM x', layer!), rowTag('cshared-matrix-go:1.26-0123456789abcdef', 'FROM x', layer!), 'per Go image');
});
