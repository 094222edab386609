// Which images a cell waits for beyond its toolchain image (core/cell-images.ts):
// a C host on the default userland none, a Python or Java host its row's layer
// (none where the toolchain image has the language), an older userland's cell
// that userland's layer; the run builds exactly their union.
import { join } from 'node:path';
import t from 'tap';
import { cellImageNeeds, layersLine, layersOfCells } from '../../harness/core/cell-images.js';
import { langSupport } from '../../harness/core/host-langs.js';
import { expandMatrix } from '../../harness/core/matrix.js';
import { gccgoToolchain } from '../../harness/core/toolchains.js';
import type { CaseSpec, CellSpec, GoToolchain } from '../../harness/core/types.js';
import { userlandNamed, userlandSupport } from '../../harness/core/userlands.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { platform } from '../support/helpers.js';

const GO: GoToolchain = { version: '1.27', suite: 'trixie-backports' };
const GCCGO = gccgoToolchain({ gcc: '14' }, GO);
const link = loadCase(join(DEFAULT_CASES_DIR, 'link'));
const python = loadCase(join(DEFAULT_CASES_DIR, 'python'));
const jni = loadCase(join(DEFAULT_CASES_DIR, 'jni'));
const CASES = new Map<string, CaseSpec>([link, python, jni].map((c) => [c.name, c]));

const cellOf = (c: CaseSpec, row: string, over: Partial<CellSpec> = {}): CellSpec => ({
  id: `${c.name}/${row}`,
  caseName: c.name,
  platform: platform(row),
  go: GO,
  ...over,
});

const layerOf = (row: string, lang: 'python' | 'java') => {
  const s = langSupport(platform(row), lang);
  if (s.kind !== 'layer') throw new Error(`${row} has no ${lang} layer`);
  return s.layer;
};

t.test('a C host on the default userland waits for no layer: it starts once its toolchain image is had', async (t) => {
  for (const row of ['amd64-glibc', 'arm64-musl', 'arm5-musl', 's390x-glibc'])
    t.same(cellImageNeeds(cellOf(link, row), link, false), {}, row);
});

t.test('a Python or Java host waits for its row language, and for its layer where the toolchain image lacks it', async (t) => {
  t.same(cellImageNeeds(cellOf(python, 'amd64-glibc'), python, false), { lang: 'python' }, "amd64's Python is the toolchain image's");
  t.same(cellImageNeeds(cellOf(jni, 'amd64-glibc'), jni, false), { lang: 'java' }, "so is amd64's JVM");
  const musl = cellImageNeeds(cellOf(python, 'arm64-musl'), python, false);
  t.same(musl, { lang: 'python', langLayer: layerOf('arm64-musl', 'python') }, 'a musl row: its CPython layer');
  t.equal(musl.langLayer?.kind, 'cpython');
  const glibc = cellImageNeeds(cellOf(jni, 'arm64-glibc'), jni, false);
  t.same(glibc, { lang: 'java', langLayer: layerOf('arm64-glibc', 'java') }, 'an emulated glibc row: its sysroot');
  t.equal(glibc.langLayer?.kind, 'sysroot');
  t.same(cellImageNeeds(cellOf(jni, 'arm64-musl'), jni, false), { lang: 'java' }, 'no JVM for musl: the language says n/a, no layer waits');
});

t.test('a cell on an older userland waits for that userland, a cell that runs no host for nothing', async (t) => {
  const on12 = userlandSupport(platform('arm64-glibc'), userlandNamed('debian12'));
  if (on12.kind !== 'layer') throw new Error('arm64 has a debian12 userland');
  t.same(cellImageNeeds(cellOf(link, 'arm64-glibc', { userland: 'debian12' }), link, false), { userlandLayer: on12.layer });
  t.same(cellImageNeeds(cellOf(link, 'amd64-glibc', { userland: 'debian13' }), link, false), {}, 'the default userland is the image');
  t.same(cellImageNeeds(cellOf(python, 'arm64-glibc', { userland: 'debian12' }), python, false), {}, 'a Python host there is n/a');
  t.same(cellImageNeeds(cellOf(python, 'arm64-musl', { go: GCCGO }), python, false), {}, 'gccgo has no musl: no host runs');
  t.same(cellImageNeeds(cellOf(python, 'arm64-musl'), python, true), {}, "in a user's rootfs the hosts bring their own");
});

t.test('layersOfCells: each layer once, labelled with the rows that wait for it, none for C hosts', async (t) => {
  const rows = ['amd64-glibc', 'amd64-musl', 'arm64-musl', 'arm64-glibc'].map(platform);
  const cells = [...expandMatrix([link, python, jni], rows, [GO]), ...expandMatrix([link], [platform('arm64-glibc')], [GO], ['debian12'])];
  const layers = layersOfCells(cells, CASES, false);
  t.same(layers.map((l) => l.label).sort(), [
    'debian12 arm64-glibc (userland)',
    'java arm64-glibc (sysroot)',
    'python amd64-musl (CPython)',
    'python arm64-glibc (sysroot)',
    'python arm64-musl (CPython)',
  ]);
  t.equal(new Set(layers.map((l) => l.key)).size, 5, 'each once');
  t.same(layersOfCells(expandMatrix([link], rows, [GO]), CASES, false), [], 'a C-host run builds no layer');
  t.same(layersOfCells(cells, CASES, true), [], "nor one in a user's rootfs");
});

t.test('the live line names the layers still building', async (t) => {
  t.equal(
    layersLine(['python arm5-musl (CPython)', 'java arm64-glibc (sysroot)']),
    'layers still building: python arm5-musl (CPython); java arm64-glibc (sysroot)',
  );
  t.equal(layersLine([]), 'every layer is ready');
});
