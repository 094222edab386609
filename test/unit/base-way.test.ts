import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { chooseBaseWay, defaultBaseImage, describeBaseWay, imageReference } from '../../harness/core/base-way.js';
import { chooseMirror, DEBIAN_MIRROR, describeMirror } from '../../harness/core/debian-mirror.js';
import { UsageError } from '../../harness/core/errors.js';
import { BASE_RECIPE_LINES, type BaseRecipe, baseRecipeFiles } from '../../harness/core/recipe.js';
import { IMAGES_DIR, readBaseRecipe } from '../../harness/edge/images.js';
import { mmdebstrapArgs } from '../../harness/edge/mmdebstrap.js';

const MIRROR = 'http://deb.debian.org/debian';
const FROM = 'debian:trixie';
const PULL_ERROR = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host';

t.test('the way to the base: the Debian image in the engine, else pulled, else mmdebstrap; a named image never falls back', async (t) => {
  t.equal(defaultBaseImage('trixie'), FROM);
  t.same(
    chooseBaseWay({ from: FROM, named: false, inEngine: true }),
    { way: 'registry', from: FROM, pulled: false },
    'the engine has it: no pull',
  );
  t.same(
    chooseBaseWay({ from: FROM, named: false, inEngine: false, pull: { ok: true } }),
    { way: 'registry', from: FROM, pulled: true },
    'pulled: the registry path (GitHub runners, Docker Desktop)',
  );
  t.same(
    chooseBaseWay({ from: FROM, named: false, inEngine: false, pull: { ok: false, error: PULL_ERROR } }),
    { way: 'mmdebstrap', because: `the engine cannot pull ${FROM}: ${PULL_ERROR}` },
    'no registry: mmdebstrap, saying why',
  );
  const named = chooseBaseWay({
    from: 'localhost:5000/debian:trixie',
    named: true,
    inEngine: false,
    pull: { ok: false, error: 'connection refused' },
  });
  t.ok('fail' in named, '--base-image that cannot be had: a failure, not mmdebstrap');
  if ('fail' in named) {
    t.match(
      named.fail,
      /^base image, registry path: the engine has no localhost:5000\/debian:trixie and cannot pull it \(connection refused\); fix: /,
    );
    t.notMatch(named.fail, /\n/, 'one line');
  }
  t.same(
    chooseBaseWay({ from: 'mine:1', named: true, inEngine: true }),
    { way: 'registry', from: 'mine:1', pulled: false },
    'a named image the engine has (docker load): used as is',
  );
});

t.test('the one line each way says', async (t) => {
  const m = describeMirror(chooseMirror(undefined, []));
  t.equal(m, `${DEBIAN_MIRROR} (Debian's own: this host's apt sources name no Debian mirror)`);
  t.equal(
    describeBaseWay('cshared-matrix-base:x', { way: 'registry', from: FROM, pulled: true }, m),
    `building cshared-matrix-base:x on ${FROM} (pulled) through images/base/Dockerfile (the registry path), packages from ${m}; a few minutes`,
  );
  t.equal(
    describeBaseWay('cshared-matrix-base:x', { way: 'mmdebstrap', because: 'the engine cannot pull debian:trixie: no such host' }, m),
    `building cshared-matrix-base:x with mmdebstrap on this host (the engine cannot pull debian:trixie: no such host), packages from ${m}; a few minutes`,
  );
});

t.test('--base-image and config baseImage take an image reference and nothing else', async (t) => {
  for (const ok of [
    'debian:trixie',
    'debian',
    'localhost:5000/debian:trixie',
    'mirror.corp.internal/library/debian:trixie-20261201',
    `debian@sha256:${'a'.repeat(64)}`,
    `my-reg:443/a/b_c/debian:trixie@sha256:${'0'.repeat(64)}`,
  ])
    t.equal(imageReference('--base-image', ok), ok, ok);
  for (const bad of [
    '',
    'Debian:trixie',
    'debian:trixie\nFROM evil',
    'debian trixie',
    '--help',
    'debian:trixie;id',
    '$(id)',
    'debian:\u001b[2J',
    `debian@sha256:${'a'.repeat(63)}`,
    'a'.repeat(256),
  ])
    t.throws(() => imageReference('--base-image', bad), UsageError, JSON.stringify(bad));
  t.throws(() => imageReference('--base-image', 'x y'), {
    message: /^--base-image "x y" is not an image reference: give one like debian:trixie/,
  });
});

t.test("the registry path's build context: the same recipe as mmdebstrap's arguments, one line per word", async (t) => {
  const { recipe } = readBaseRecipe();
  t.equal(
    recipe.variant,
    'minbase',
    "the recipe is a Debian image's own variant (debootstrap's minbase), so the registry path starts where mmdebstrap does",
  );
  const files = baseRecipeFiles(recipe, MIRROR);
  t.same(Object.keys(files).sort(), [
    'base-recipe/architectures',
    'base-recipe/dpkg.cfg',
    'base-recipe/include',
    'base-recipe/sources.list',
    'base-recipe/suite',
  ]);
  const lines = (n: string) => files[`base-recipe/${n}`]!.trimEnd().split('\n');
  const args = mmdebstrapArgs(recipe, MIRROR, '/out.tar');
  t.same(
    lines('include'),
    args
      .find((a) => a.startsWith('--include='))!
      .slice(10)
      .split(','),
    'the same packages, in order',
  );
  t.same(
    lines('architectures'),
    args
      .find((a) => a.startsWith('--architectures='))!
      .slice(16)
      .split(','),
    'the same architectures, the native one first',
  );
  t.equal(lines('architectures')[0], 'amd64');
  t.same(
    lines('dpkg.cfg'),
    args.filter((a) => a.startsWith('--dpkgopt=')).map((a) => a.slice(10)),
    'the same dpkg filters, as mmdebstrap writes them into its rootfs',
  );
  t.same(lines('sources.list'), args.slice(args.indexOf('/out.tar') + 1), 'the same sources, the mirror substituted');
  t.same(lines('suite'), ['trixie']);
  for (const [name, re] of Object.entries(BASE_RECIPE_LINES)) for (const l of lines(name)) t.match(l, re, `${name}: ${l}`);
});

t.test('a recipe word outside its grammar, or a variant no Debian image is, never reaches a build', async (t) => {
  const base: BaseRecipe = {
    suite: 'trixie',
    variant: 'minbase',
    architectures: ['amd64'],
    sources: ['deb {mirror} trixie main'],
    include: ['gcc'],
  };
  t.throws(() => baseRecipeFiles({ ...base, include: ['gcc\nevil'] }, MIRROR), { message: /"gcc\\nevil" is not a valid include line/ });
  t.throws(() => baseRecipeFiles({ ...base, dpkgopts: ['path-exclude=/x y'] }, MIRROR), { message: /not a valid dpkg.cfg line/ });
  t.throws(() => baseRecipeFiles(base, 'http://m/debian trixie main\ndeb http://evil/debian'), {
    message: /not a valid sources.list line/,
  });
  t.throws(() => baseRecipeFiles({ ...base, variant: 'apt' }, MIRROR), { message: /variant minbase, not apt/ });
  t.same(baseRecipeFiles(base, MIRROR)['base-recipe/dpkg.cfg'], '', 'no dpkgopts: an empty file');
});

t.test("images/base/Dockerfile checks each file again with the core's grammar, before apt or dpkg sees a line", async (t) => {
  // The RUN script's check() calls, run by sh on files that break each grammar in turn.
  const dockerfile = readFileSync(join(IMAGES_DIR, 'base', 'Dockerfile'), 'utf8');
  const checks = [...dockerfile.matchAll(/^\s*(check [^;]+);/gm)].map((m) => m[1]!);
  t.same(
    checks.map((c) => c.split(' ')[1]),
    ['suite', 'architectures', 'include', 'dpkg.cfg'],
  );
  const good = baseRecipeFiles(readBaseRecipe().recipe, MIRROR);
  const bad: Record<string, string> = {
    suite: 'trixie; id',
    architectures: 'amd64\n$(id)',
    include: 'gcc\n-o=APT::Get::AllowUnauthenticated=1',
    'dpkg.cfg': 'force-all\nadmindir=/tmp',
  };
  const dir = t.testdir();
  for (const [name, text] of Object.entries({
    ...good,
    ...Object.fromEntries(Object.entries(bad).map(([n, v]) => [`base-recipe/${n}`, `${v}\n`])),
  })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const script = (only: string) =>
    `r=${dir}/base-recipe; check() { if grep -qvxE "$2" "$r/$1"; then echo "E: $r/$1 holds a line that is not $3"; exit 1; fi; }; ${checks.find((c) => c.startsWith(`check ${only} `))}; echo passed`;
  for (const name of Object.keys(bad)) {
    const r = spawnSync('sh', ['-c', script(name)], { encoding: 'utf8' });
    t.equal(r.status, 1, `${name}: refused`);
    t.match(r.stdout, new RegExp(`^E: .*/base-recipe/${name.replace('.', '\\.')} holds a line that is not `), name);
  }
  for (const [name, text] of Object.entries(good)) writeFileSync(join(dir, name), text);
  for (const name of Object.keys(bad))
    t.equal(spawnSync('sh', ['-c', script(name)], { encoding: 'utf8' }).stdout.trim(), 'passed', `${name}: the real recipe passes`);
});
