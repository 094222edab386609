import t from 'tap';
import { UsageError } from '../../harness/core/errors.js';
import {
  compilerPackages,
  deriveFloorRecipe,
  floorCoverage,
  floorLines,
  floorNote,
  floorRelease,
  gccgoUnderFloor,
  parseGlibcFloor,
} from '../../harness/core/floor-toolchain.js';
import { familyOf } from '../../harness/core/image-families.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { baseRecipeFiles } from '../../harness/core/recipe.js';
import { toolchainNa } from '../../harness/core/toolchains.js';
import { DEFAULT_CASES_DIR } from '../../harness/edge/case-files.js';
import { floorBase, floorGoTag, readFloorRecipe } from '../../harness/edge/floor-images.js';
import { loadMatrix } from '../../harness/run/load.js';

const row = (name: string) => PLATFORMS.find((p) => p.name === name)!;
const RELEASES = readFloorRecipe().releases;
const release = (floor: string) => floorRelease(RELEASES, floor);

t.test('the release of a floor: the newest Debian whose glibc is at most it', async (t) => {
  t.same(
    ['2.31', '2.32', '2.35', '2.36', '2.40', '2.41', '2.45'].map((f) => release(f).suite),
    ['bullseye', 'bullseye', 'bullseye', 'bookworm', 'bookworm', 'trixie', 'trixie'],
  );
  t.equal(release('2.31').glibc, '2.31');
  t.equal(release('2.41').today, true, "2.41 and above is today's toolchain: no image of its own");
  // Numbers, not strings: 2.4 is below 2.31, 2.100 above 2.41.
  t.throws(() => release('2.4'), UsageError);
  t.equal(release('2.99').suite, 'trixie');
});

t.test('below the oldest release: one line naming the field, what is there and the fix', async (t) => {
  t.throws(() => floorRelease(RELEASES, '2.28', 'config glibcFloor'), {
    message:
      "config glibcFloor 2.28: the oldest toolchain here is Debian 11 bullseye's, glibc 2.31 (the Debian mirror serves nothing older): give 2.31 or above",
  });
});

t.test('a floor must be 2.<minor>', async (t) => {
  t.equal(parseGlibcFloor('--glibc-floor', '2.31'), '2.31');
  t.equal(parseGlibcFloor('--glibc-floor', '2.0'), '2.0');
  for (const bad of ['2.31.1', '3.1', '2.', '2.031', 'GLIBC_2.31', ' 2.31', '2.31;id', ''])
    t.throws(
      () => parseGlibcFloor('--glibc-floor', bad),
      { message: `--glibc-floor ${JSON.stringify(bad)} is not a glibc version: give one like 2.31 (2.<minor>)` },
      bad,
    );
});

t.test("a row's compiler packages: gcc and the cross libc, not the runner, musl, Python or the JVM", async (t) => {
  t.same(compilerPackages(row('amd64-glibc')), ['gcc', 'libc6-dev']);
  t.same(compilerPackages(row('arm7-glibc')), ['gcc-arm-linux-gnueabihf', 'libc6-dev-armhf-cross']);
  t.same(compilerPackages(row('loong64-glibc')), ['gcc-loongarch64-linux-gnu', 'libc6-dev-loong64-cross']);
});

t.test('which rows build for the floor, and why the others build as today', async (t) => {
  const bullseye = release('2.31');
  for (const name of [
    'amd64-glibc',
    'arm64-glibc',
    'arm7-glibc',
    'arm5-glibc',
    '386-glibc',
    'riscv64-glibc',
    'ppc64le-glibc',
    's390x-glibc',
    'ppc64-glibc',
  ])
    t.equal(floorCoverage(bullseye, row(name)).kind, 'floor', name);
  t.same(floorCoverage(bullseye, row('loong64-glibc')), {
    kind: 'today',
    reason:
      "Debian 11 (bullseye) ships no gcc-loongarch64-linux-gnu or libc6-dev-loong64-cross: loong64-glibc has no toolchain of glibc 2.31's age and builds as today, not for the floor",
  });
  t.same(floorCoverage(bullseye, row('arm64-musl')), {
    kind: 'today',
    reason: "the glibc floor does not apply to arm64-musl: it links musl, so it builds as today (Debian trixie's musl)",
  });
  t.equal(floorCoverage(release('2.41'), row('amd64-glibc')).kind, 'today');
  t.same(floorNote(bullseye, row('arm7-glibc')), { floor: '2.31', toolchain: 'Debian 11 bullseye (gcc 10, glibc 2.31)' });
  t.match(floorNote(bullseye, row('amd64-musl')), { floor: '2.31', asToday: /links musl/ });
});

t.test("the run's lines: where the glibc rows build, and each row that does not", async (t) => {
  t.same(floorLines(undefined, PLATFORMS), []);
  const lines = floorLines(release('2.33'), [row('amd64-glibc'), row('loong64-glibc'), row('amd64-musl')]);
  t.equal(lines.length, 3);
  t.equal(
    lines[0],
    "glibc floor 2.31: the glibc rows build in Debian 11 bullseye's toolchain (gcc 10, glibc 2.31) with the run's Go tree; a library or host needing more fails at build",
  );
  t.match(lines[1], /^ {2}Debian 11 \(bullseye\) ships no gcc-loongarch64-linux-gnu/);
  t.match(lines[2], /^ {2}the glibc floor does not apply to amd64-musl/);
  t.same(floorLines(release('2.41'), PLATFORMS), ["glibc floor 2.41: today's toolchain (Debian 13 trixie, glibc 2.41) keeps it"]);
});

t.test('gccgo under a floor says why it has none', async (t) => {
  t.equal(
    gccgoUnderFloor('2.31', '14'),
    "gccgo-14 is Debian trixie's (glibc 2.41), and its libgo needs that glibc: no gccgo builds for the glibc floor 2.31",
  );
});

t.test("a release's recipe: the file's part, its suite, and the compilers of the rows it has them for", async (t) => {
  const r = deriveFloorRecipe(readFloorRecipe(), release('2.31'), PLATFORMS);
  t.equal(r.suite, 'bullseye');
  t.same(r.sources, ['deb {mirror} bullseye main']);
  t.same(r.architectures, ['amd64'], 'cross compilers are amd64 packages: no foreign architecture');
  t.same(r.include.slice(0, 3), ['gcc', 'libc6-dev', 'binutils']);
  for (const pkg of [
    'gcc-aarch64-linux-gnu',
    'libc6-dev-armhf-cross',
    'gcc-riscv64-linux-gnu',
    'libc6-dev-ppc64-cross',
    'gcc-s390x-linux-gnu',
  ])
    t.ok(r.include.includes(pkg), pkg);
  for (const pkg of ['gcc-loongarch64-linux-gnu', 'qemu-user', 'python3', 'musl-tools', 'musl:arm64'])
    t.notOk(r.include.includes(pkg), `${pkg} is not in it`);
  t.equal(new Set(r.include).size, r.include.length, 'each package once');
  // The registry path takes it as it takes the base's: every line within its grammar.
  t.match(baseRecipeFiles(r, 'http://deb.debian.org/debian'), { 'base-recipe/suite': 'bullseye\n' });
});

t.test("the floor images' tags: their own families, the recipe and the Go image hashed in", async (t) => {
  const bullseye = floorBase(release('2.31')).tag;
  const bookworm = floorBase(release('2.36')).tag;
  t.match(bullseye, /^cshared-matrix-floor:bullseye-[0-9a-f]{16}$/);
  t.not(bullseye, bookworm);
  t.equal(familyOf(bullseye), 'floor');
  const go = { version: '1.27', suite: 'trixie-backports' };
  const onGo = floorGoTag(bullseye, 'cshared-matrix-go:1.27-aaaa', go);
  t.match(onGo, /^cshared-matrix-floor-go:1\.27-[0-9a-f]{16}$/);
  t.equal(familyOf(onGo), 'floor-go');
  t.not(onGo, floorGoTag(bullseye, 'cshared-matrix-go:1.27-bbbb', go), 'another Go image is another floor image');
  t.not(onGo, floorGoTag(bookworm, 'cshared-matrix-go:1.27-aaaa', go));
});

t.test('under --glibc-floor the gccgo column is n/a on every row, with why; gc is not', async (t) => {
  const m = loadMatrix({
    caseDirs: [DEFAULT_CASES_DIR],
    libraries: [],
    paths: [],
    libraryRules: [],
    platformFiles: [],
    cases: ['link'],
    platforms: ['amd64-glibc', 'arm64-musl'],
    go: [],
    toolchains: ['gc', 'gccgo'],
    probes: false,
    glibcFloor: '2.31',
  });
  const gccgo = m.gos.find((g) => g.gccgo)!;
  const gc = m.gos.find((g) => !g.gccgo)!;
  for (const p of m.platforms) {
    t.equal(toolchainNa(p, gccgo), gccgoUnderFloor('2.31', gccgo.gccgo!.gcc), p.name);
    t.equal(toolchainNa(p, gc), undefined, `gc on ${p.name}`);
  }
});
