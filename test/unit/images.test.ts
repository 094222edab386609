import t from 'tap';
import { supersededTags } from '../../harness/core/image-families.js';
import { type BaseRecipe, baseTag, currentToolchainTags, goTag, readBaseRecipe, readGoVersions } from '../../harness/edge/images.js';
import { mmdebstrapArgs } from '../../harness/edge/mmdebstrap.js';

const MIRROR = 'http://deb.debian.org/debian';

t.test('mmdebstrapArgs on a small recipe', async (t) => {
  const recipe: BaseRecipe = {
    suite: 'trixie',
    variant: 'apt',
    architectures: ['amd64', 'armhf'],
    sources: ['deb {mirror} trixie main', 'deb [arch=amd64] {mirror} trixie-backports main', 'deb {mirror}-security {mirror}'],
    include: ['gcc', 'musl:armhf'],
    dpkgopts: ['path-exclude=/usr/share/man/*'],
  };
  t.same(mmdebstrapArgs(recipe, MIRROR, '/var/tmp/base.tar'), [
    '--variant=apt',
    '--architectures=amd64,armhf',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--include=gcc,musl:armhf',
    'trixie',
    '/var/tmp/base.tar',
    `deb ${MIRROR} trixie main`,
    `deb [arch=amd64] ${MIRROR} trixie-backports main`,
    `deb ${MIRROR}-security ${MIRROR}`,
  ]);
  const { dpkgopts: _d, ...noOpts } = recipe;
  t.notOk(
    mmdebstrapArgs(noOpts, MIRROR, '/o').some((a) => a.startsWith('--dpkgopt')),
    'no dpkgopts → none',
  );
});

t.test('mmdebstrapArgs on the real recipe', async (t) => {
  const { recipe } = readBaseRecipe();
  const args = mmdebstrapArgs(recipe, MIRROR, '/out.tar');
  t.notOk(
    args.some((a) => a.includes('{mirror}')),
    'every {mirror} is substituted',
  );
  const sources = args.slice(args.indexOf('/out.tar') + 1);
  t.equal(sources.length, recipe.sources.length);
  t.ok(
    sources.every((s) => s.includes(MIRROR)),
    'every source names the mirror',
  );
  const include = args
    .find((a) => a.startsWith('--include='))!
    .slice('--include='.length)
    .split(',');
  t.same(include, recipe.include, 'every package, in order');
  for (const pkg of ['gcc', 'musl-tools', 'musl:armhf', 'musl:armel', 'qemu-user', 'gcc-arm-linux-gnueabi', 'gcc-arm-linux-gnueabihf'])
    t.ok(include.includes(pkg), pkg);
  t.ok(args.includes(`--architectures=${recipe.architectures.join(',')}`));
  t.equal(args[args.indexOf('/out.tar') - 1], recipe.suite);
});

t.test('baseTag', async (t) => {
  const { text } = readBaseRecipe();
  const tag = baseTag(text);
  t.match(tag, /^cshared-matrix-base:[0-9a-f]{16}$/);
  t.equal(baseTag(text), tag, 'stable');
  t.equal(baseTag(`${text}`), tag, 'depends only on the text');
  t.not(baseTag(text.replace('"gcc",', '"gcc", "make",')), tag, 'a changed recipe → a new tag');
  t.not(baseTag(`${text} `), tag, 'even one byte');
  t.not(
    baseTag(text, 'FROM x\n'),
    tag,
    "and the registry path's Dockerfile: a base it built before a fix is not taken for one it builds after",
  );
});

t.test('goTag', async (t) => {
  const base = 'cshared-matrix-base:0123456789abcdef';
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile text, expanded by the builder
  const dockerfile = 'ARG BASE\nFROM ${BASE}\n';
  const go = { version: '1.27', suite: 'trixie-backports' };
  const tag = goTag(base, dockerfile, go);
  t.match(tag, /^cshared-matrix-go:1\.27-[0-9a-f]{16}$/);
  t.equal(goTag(base, dockerfile, { ...go }), tag, 'stable');
  t.not(goTag('cshared-matrix-base:fedcba9876543210', dockerfile, go), tag, 'a new base → a new tag');
  t.not(goTag(base, `${dockerfile}RUN true\n`, go), tag, 'a changed Dockerfile → a new tag');
  t.not(goTag(base, dockerfile, { ...go, suite: 'trixie' }), tag, 'a changed suite → a new tag');
  const other = goTag(base, dockerfile, { ...go, version: '1.26' });
  t.match(other, /^cshared-matrix-go:1\.26-/);
  t.not(other.split('-').pop(), tag.split('-').pop(), 'a changed version → a new hash');
  t.not(goTag(base + dockerfile, '', go), goTag(base, dockerfile, go), 'parts are separated, not concatenated');
});

t.test('readGoVersions: the real table', async (t) => {
  const v = readGoVersions();
  t.ok(v.length > 0);
  t.equal(new Set(v.map((g) => g.version)).size, v.length, 'versions are unique');
  for (const g of v) t.match(g, { version: /^1\.\d+$/, suite: /^[a-z]+(-backports)?$/ });
});

t.test('supersededTags: only toolchain tags the current recipes no longer name, Go layers before their bases', async (t) => {
  const current = ['cshared-matrix-base:aaaa', 'cshared-matrix-go:1.27-bbbb', 'cshared-matrix-go:1.19-cccc'];
  const existing = [
    ...current,
    'cshared-matrix-base:0ld0',
    'cshared-matrix-go:1.27-0ld1',
    'cshared-matrix-go:1.26-0ld2',
    'cshared-matrix-rootfs:1234',
    'debian:trixie',
    'cshared-matrix-go:1.27-0ld1',
  ];
  t.same(supersededTags(existing, current), ['cshared-matrix-go:1.26-0ld2', 'cshared-matrix-go:1.27-0ld1', 'cshared-matrix-base:0ld0']);
  t.same(supersededTags(current, current), [], 'nothing to prune when everything is current');
  t.same(
    supersededTags(['cshared-matrix-base:0ld0', 'cshared-matrix-go:1.27-0ld1', 'cshared-matrix-row:0ld2'], []),
    ['cshared-matrix-row:0ld2', 'cshared-matrix-go:1.27-0ld1', 'cshared-matrix-base:0ld0'],
    'a row layer before the Go layer it sits on, the base last',
  );
});

t.test('currentToolchainTags: the base, one Go layer per versions.json row, and the gccgo layers on each', async (t) => {
  const tags = currentToolchainTags();
  t.equal(tags[0], baseTag(readBaseRecipe().text));
  t.equal(tags.filter((x) => x.startsWith('cshared-matrix-go:')).length, readGoVersions().length);
  // One gccgo layer per distinct row gccgo (arm5 and arm6 share armel's; both amd64 rows share gccgo-14) and Go release,
  // and the Windows rows' one layer (mingw-w64 and Wine) on each.
  t.equal(tags.filter((x) => x.startsWith('cshared-matrix-row:')).length, (9 + 1) * readGoVersions().length);
  for (const g of readGoVersions())
    t.ok(
      tags.some((x) => x.startsWith(`cshared-matrix-go:${g.version}-`)),
      `Go ${g.version}`,
    );
});
