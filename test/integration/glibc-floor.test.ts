// Building for a glibc floor through the real engine: `link` on amd64, arm64
// and armhf built in Debian 11's toolchain (--glibc-floor 2.31) passes, and
// every library and host it built needs at most GLIBC_2.31; a Go library whose
// own C code calls arc4random (glibc 2.36) needs 2.36 as today, and fails at
// build under the floor, with the compiler's line and the floor it was built for.
// npm test builds the floor images in the background (test/run-all.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compareVersions } from '../../harness/core/distros.js';
import { readElfVersions } from '../../harness/core/elf-versions.js';
import { glibcFloor } from '../../harness/core/glibc-floor.js';
import { DEFAULT_USERLAND } from '../../harness/core/matrix.js';
import { USERLANDS } from '../../harness/core/userlands.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO } from '../support/cli-run.js';
import { FLOOR_ROWS } from '../support/images.js';

const dirs: string[] = [];
const dir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `csm-glibc-floor-${name}-`));
  dirs.push(d);
  return d;
};
t.teardown(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const docker = await ensureEngine((l) => t.comment(l));
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cases');
// One cache for the file: the floor image's amd64 standard library is built once (artifacts are keyed by image, so nothing is shared wrongly).
const cache = dir('cache');

/** Every library and host a run built, from its own artifact cache: its architecture, and the newest glibc it needs with the symbols. */
function builtFiles(cacheDir: string) {
  const root = join(cacheDir, 'artifacts');
  return readdirSync(root).flatMap((key) =>
    readdirSync(join(root, key))
      .filter((f) => f.endsWith('.so') || f === 'host')
      .map((f) => {
        const v = readElfVersions(readFileSync(join(root, key, f)));
        return { file: f, arch: v.arch, floor: glibcFloor(v) };
      }),
  );
}

t.test('--glibc-floor 2.31: link on amd64, arm64, armhf passes on Debian 11-13, every file at most GLIBC_2.31', async (t) => {
  const run = matrixRunner(dir('results'), cache);
  const started = Date.now();
  const r = await run(
    '--case',
    'link',
    '--platform',
    FLOOR_ROWS,
    '--glibc-floor',
    '2.31',
    '--userland',
    USERLANDS.map((u) => u.name).join(','),
    '--reporter',
    'terminal,json',
  );
  t.comment(`link × ${FLOOR_ROWS} × 3 userlands under the floor: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(r.code, 0, r.out.slice(-3000));
  t.equal(r.results!.cells.length, 9, 'three rows × three userlands');
  t.match(r.out, /glibc floor 2\.31: the glibc rows build in Debian 11 bullseye's toolchain \(gcc 10, glibc 2\.31\)/);
  // Debian 13's cells keep today's ids; an older userland's end in its name.
  const ids = FLOOR_ROWS.split(',').flatMap((row) =>
    USERLANDS.map((u) => `link/${row}/go${NEWEST_GO}${u.name === DEFAULT_USERLAND ? '' : `/${u.name}`}`),
  );
  for (const id of ids) {
    const cell = r.cell(id);
    t.equal(cell.verdict, 'pass', `${id}: ${cell.summary}`);
    t.same(cell.floorBuild, { floor: '2.31', toolchain: 'Debian 11 bullseye (gcc 10, glibc 2.31)' }, id);
    // What results.json says of each file's own floor (the version reader's, over the ELF facts).
    for (const [what, summary] of [...Object.entries(cell.elf?.libraries ?? {}), ['host', cell.elf?.host] as const]) {
      const needs = summary?.glibcFloor?.glibc;
      t.ok(needs && compareVersions(needs, '2.31') <= 0, `${id}: results.json says ${what} needs glibc ${needs} ≤ 2.31`);
    }
    t.equal(cell.axes.goVersion, r.cell(`link/amd64-glibc/go${NEWEST_GO}`).axes.goVersion, "the Go of the run's own image");
  }
  const files = builtFiles(cache);
  t.equal(files.length, 6, 'nothing else is built yet in this file: one build per row, loaded on every userland');
  t.same([...new Set(files.map((f) => f.arch))].sort(), ['aarch64', 'arm', 'x86-64'], 'a library and a host of each row');
  for (const f of files)
    t.ok(
      f.floor.glibc && compareVersions(f.floor.glibc, '2.31') <= 0,
      `${f.arch} ${f.file} needs glibc ${f.floor.glibc} ≤ 2.31 (${f.floor.needs[0]?.symbols.slice(0, 3).join(', ')})`,
    );
  t.same(await leftovers(docker, r.results!.run.id), []);
});

t.test(
  'arc4random: under --glibc-floor 2.31 it fails at build, saying why; as today it needs 2.36 and loads on Debian 12 and 13, not 11',
  async (t) => {
    // The fixture's one cell on amd64-glibc, in a results directory of its own, with the flags that differ.
    const arc4random = (results: string, ...flags: string[]) =>
      matrixRunner(dir(results), cache)('--cases', FIXTURES, '--case', 'arc4random', '--platform', 'amd64-glibc', ...flags);
    const floored = await arc4random('results-floor', '--glibc-floor', '2.31');
    t.equal(floored.code, 1, 'an unexpected failure, not an infrastructure error');
    const cell = floored.cell(`arc4random/amd64-glibc/go${NEWEST_GO}`);
    t.equal(cell.verdict, 'fail');
    t.equal(cell.stage, 'build', 'at build, never at load');
    t.match(
      cell.summary,
      /^go build librandom\.so failed building for the glibc floor 2\.31 \(Debian 11 bullseye's toolchain\): implicit declaration of function ‘arc4random’ \[-Werror=implicit-function-declaration\]$/,
    );
    t.same(await leftovers(docker, floored.results!.run.id), []);
    t.notOk(
      builtFiles(cache).some((f) => f.file === 'librandom.so'),
      'nothing of it was kept',
    );

    const asToday = await arc4random('results-today', '--userland', 'debian11,debian12,debian13');
    t.equal(asToday.code, 1, 'Debian 11 is an unexpected failure');
    t.equal(asToday.cell(`arc4random/amd64-glibc/go${NEWEST_GO}`).verdict, 'pass', 'loads on Debian 13 (glibc 2.41)');
    t.equal(
      asToday.cell(`arc4random/amd64-glibc/go${NEWEST_GO}/debian12`).verdict,
      'pass',
      'and on Debian 12 (glibc 2.36, arc4random is there)',
    );
    const old = asToday.cell(`arc4random/amd64-glibc/go${NEWEST_GO}/debian11`);
    t.equal(old.verdict, 'fail', 'not on Debian 11 (glibc 2.31)');
    t.equal(old.stage, 'load', 'at load: the loader refuses it');
    t.match(old.failureText ?? '', /version `GLIBC_2\.3[46]' not found/, "the loader's own line");
    t.notOk(asToday.cell(`arc4random/amd64-glibc/go${NEWEST_GO}`).floorBuild, 'no floor asked, none said');
    const lib = builtFiles(cache).find((f) => f.file === 'librandom.so')!;
    t.equal(lib.floor.glibc, '2.36', 'built in trixie, it needs glibc 2.36');
    t.same(lib.floor.needs[0], { version: '2.36', symbols: ['arc4random'] }, 'for arc4random alone');
    t.equal(
      asToday.cell(`arc4random/amd64-glibc/go${NEWEST_GO}`).elf?.libraries.random?.glibcFloor?.glibc,
      '2.36',
      'and results.json says so',
    );
    t.same(await leftovers(docker, asToday.results!.run.id), []);
  },
);
