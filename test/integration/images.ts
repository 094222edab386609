// What the integration files run on, in one place: test/run-all.ts builds these
// images beside the unit tests (cshared-matrix --images-only), and the files
// that need them find them built.

/** The rows with a real Python and JVM in langs.test.ts and repro.test.ts: natively, an emulated glibc row, and one musl row (one CPython layer). */
export const LANG_ROWS = 'amd64-glibc,arm64-glibc,arm64-musl';

/**
 * The --images-only arguments for every image the integration files use: the
 * base, the newest Go, and the host-language layers of LANG_ROWS (the other
 * files run C hosts, on the base and the Go image alone).
 */
export const TEST_IMAGES_ARGS = ['--images-only', '--case', 'python,jni', '--platform', LANG_ROWS];
