import { NEWEST_GO } from './cli-run.js';

// What the integration files run on, in one place, for test/run-all.ts: it
// builds the toolchain images beside the unit files, and the host-language
// layers beside the first integration files (those that need none of them).

/** The rows with a real Python and JVM in langs.test.ts and repro.test.ts: natively, an emulated glibc row, and one musl row (one CPython layer). */
export const LANG_ROWS = 'amd64-glibc,arm64-glibc,arm64-musl';

/** The rows of gccgo.test.ts: gccgo natively, and a musl row where it is n/a. */
export const GCCGO_ROWS = 'amd64-glibc,amd64-musl';

/** --images-only for the base, the newest Go (every file runs on them: the built-in rows need no layer of their own) and amd64's gccgo layer on it. */
export const TOOLCHAIN_IMAGES_ARGS = ['--images-only', '--case', 'link', '--platform', 'amd64-glibc', '--toolchain', 'gc,gccgo'];

/** The rows of glibc-floor.test.ts: natively, and the two ARM rows the issue measured. */
export const FLOOR_ROWS = 'amd64-glibc,arm64-glibc,arm7-glibc';

/** The files that need the glibc floor's images: they run last, so the images build beside every other file. */
export const AFTER_FLOOR_IMAGES = ['test/integration/glibc-floor.test.ts'];

/** --images-only for Debian 11's toolchain with the newest Go (--glibc-floor 2.31), on the toolchain images. */
export const FLOOR_IMAGES_ARGS = ['--images-only', '--case', 'link', '--platform', FLOOR_ROWS, '--glibc-floor', '2.31'];

/** The rows of windows.test.ts: both Windows rows Wine runs (one layer for both), and windows-arm64, n/a with no image. */
export const WINDOWS_ROWS = 'windows-amd64,windows-386,windows-arm64';

/** The older Go of windows.test.ts's Go axis: the last release before Go 1.26's linker wrote the DLL's exports as a .def file. */
export const WINDOWS_OLDER_GO = '1.25';

/** --images-only for the Windows rows' layer (mingw-w64, Wine and its prefix) on the newest Go and on WINDOWS_OLDER_GO. */
export const WINDOWS_IMAGES_ARGS = [
  '--images-only',
  '--case',
  'link',
  '--platform',
  'windows-amd64',
  '--go',
  `${WINDOWS_OLDER_GO},${NEWEST_GO}`,
];

/** The files that need the Windows rows' layers: they run after the others, so the layers build beside them. */
export const AFTER_WINDOWS_IMAGES = ['test/integration/windows.test.ts'];

/** --images-only for the host-language layers of LANG_ROWS, on those toolchain images. */
export const LANG_IMAGES_ARGS = ['--images-only', '--case', 'python,jni', '--platform', LANG_ROWS];

/** The rows of userlands.test.ts: natively (a rootfs of each userland) and two emulated rows (a sysroot each, under qemu -L). */
export const USERLAND_ROWS = 'amd64-glibc,arm64-glibc,arm7-glibc';

/** --images-only for the older userlands' layers of USERLAND_ROWS (debian13 is the toolchain image: no layer). */
export const USERLAND_IMAGES_ARGS = ['--images-only', '--case', 'link', '--platform', USERLAND_ROWS, '--userland', 'debian11,debian12'];

/**
 * The files that run while the host-language layers build: they need none,
 * and none of them restarts the engine (faults.test.ts does) or leans on the
 * CPU for long (matrix.test.ts). The rest run after the layers are built.
 */
export const BESIDE_LANG_LAYERS = [
  'action',
  'arm-atomics',
  'base-registry',
  'containment',
  'containment-cache',
  'containment-disk',
  'containment-keys',
  'containment-rows',
  'containment-text',
  'first-run-apt',
  'gccgo',
  'hang-deadline',
  'html',
  'image-cache',
].map((f) => `test/integration/${f}.test.ts`);
