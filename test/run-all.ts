// npm test: tsc, the unit files, then the integration files, stopping at the
// first that fails, as `a && b && c` would. Meanwhile, from the start, the
// images the integration files use are built (cshared-matrix --images-only):
// tsc and the unit files touch no engine, and on a fresh engine their two
// minutes then pass inside the base image's build instead of before it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { $, type ProcessPromise } from 'zx';
import { ensureZstd } from '../harness/edge/zstd.js';
import { TEST_IMAGES_ARGS } from './integration/images.js';

const root = join(import.meta.dirname, '..');
const logFile = join(root, 'results', 'npm-test-images.log');
mkdirSync(join(root, 'results'), { recursive: true });
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const say = (line: string) => process.stdout.write(`# npm test: ${line}\n`);

// The one host tool a unit file uses (the image cache's), installed before two processes could both reach for apt.
await ensureZstd(say);
const images: ProcessPromise = $({ cwd: root, nothrow: true, quiet: true })`npx tsx harness/cli.ts ${TEST_IMAGES_ARGS} > ${logFile} 2>&1`;
say(`building the integration files' images meanwhile (log: ${logFile})`);

/** One step in the foreground, its output as it comes; false when it failed. */
async function step(name: string, cmd: ProcessPromise): Promise<boolean> {
  const r = await cmd;
  if (r.exitCode === 0) return true;
  say(`${name} failed (exit ${r.exitCode ?? r.signal}) after ${elapsed()}`);
  return false;
}

const fg = $({ cwd: root, nothrow: true, stdio: 'inherit' });
let ok = (await step('tsc', fg`npx tsc --noEmit`)) && (await step('the unit files', fg`npx tap --jobs=2 ${'test/unit/**/*.test.ts'}`));
if (!ok) {
  // Nothing waits for them now: stopped as Ctrl-C stops a run (its containers and partial files go).
  images.kill('SIGINT');
  await images;
} else {
  say(`unit files done after ${elapsed()}; waiting for the images`);
  const built = await images;
  const tail = (await $({ nothrow: true, quiet: true })`tail -n 3 ${logFile}`).stdout.trimEnd();
  // Not a failure of npm test by itself: an integration file that needs a missing image builds it, or fails saying why.
  say(built.exitCode === 0 ? `images ready after ${elapsed()}` : `building the images failed (exit ${built.exitCode}); the integration files will say what that costs. Last lines of ${logFile}:\n${tail.replace(/^/gm, '#   ')}`);
  ok = await step('the integration files', fg`npx tap ${'test/integration/**/*.test.ts'}`);
}
say(`${ok ? 'passed' : 'failed'} in ${elapsed()}`);
process.exitCode = ok ? 0 : 1;
