// npm test: tsc, the unit files, then the integration files, stopping at the
// first that fails, as `a && b && c` would; the images the integration files
// use are built meanwhile (cshared-matrix --images-only). tsc and the unit
// files (in one process: test/unit/in-one-process.ts) touch no engine, so the
// base and Go images build beside them; the host-language layers (a CPython
// build among them) build beside the first integration files, which need none
// of them (test/support/images.ts), and so does the glibc floor's Debian 11
// toolchain (--glibc-floor 2.31), whose one file runs after all the others.
// Once any integration file has run, the
// last step, pass or fail, checks that the engine holds nothing of the harness.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $, type ProcessPromise } from 'zx';
import { ensureZstd } from '../harness/edge/zstd.js';
import {
  AFTER_FLOOR_IMAGES,
  AFTER_WINDOWS_IMAGES,
  BESIDE_LANG_LAYERS,
  FLOOR_IMAGES_ARGS,
  LANG_IMAGES_ARGS,
  TOOLCHAIN_IMAGES_ARGS,
  USERLAND_IMAGES_ARGS,
  WINDOWS_IMAGES_ARGS,
} from './support/images.js';

const root = join(import.meta.dirname, '..');
const LEFTOVERS_CHECK = 'test/integration/leftovers.after.ts';
// On a GitHub runner the harness pauses workflow commands on both its streams
// (harness/cli/common.ts); the files that test that pause set GITHUB_ACTIONS
// themselves, and the others read the harness's lines exactly.
delete process.env.GITHUB_ACTIONS;
mkdirSync(join(root, 'results'), { recursive: true });
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const say = (line: string) => process.stdout.write(`# npm test: ${line}\n`);
const fg = $({ cwd: root, nothrow: true, stdio: 'inherit' });

/** An --images-only run in the background, its output in results/<name>.log. */
interface Build {
  run: ProcessPromise;
  log: string;
  settled: boolean;
}
function images(name: string, args: string[]): Build {
  const log = join(root, 'results', `${name}.log`);
  say(`building ${name.replace(/^npm-test-/, '')} meanwhile (log: ${log})`);
  const b: Build = {
    run: $({ cwd: root, nothrow: true, quiet: true })`npx tsx harness/cli/main.ts ${args} > ${log} 2>&1`,
    log,
    settled: false,
  };
  void b.run.finally(() => (b.settled = true));
  return b;
}

/** Wait for a background build. Its failure is said, not npm test's by itself: a file that needs a missing image builds it, or fails saying why. */
async function waitFor(b: Build, what: string): Promise<void> {
  const r = await b.run;
  if (r.exitCode === 0) {
    say(`${what} ready after ${elapsed()}`);
    return;
  }
  const tail = (await $({ nothrow: true, quiet: true })`tail -n 3 ${b.log}`).stdout.trimEnd();
  say(`building ${what} failed (exit ${r.exitCode}); last lines of ${b.log}:\n${tail.replace(/^/gm, '#   ')}`);
}

/** One step in the foreground, its output as it comes; false when it failed. */
async function step(name: string, cmd: ProcessPromise): Promise<boolean> {
  const r = await cmd;
  if (r.exitCode !== 0) say(`${name} failed (exit ${r.exitCode ?? r.signal}) after ${elapsed()}`);
  return r.exitCode === 0;
}

/** Nothing waits for a background build after a failure: stopped as Ctrl-C stops a run (its containers and partial files go). */
async function stop(b: Build | undefined): Promise<void> {
  if (!b || b.settled) return;
  await b.run.kill('SIGINT');
  await b.run;
}

// The one host tool a unit file uses (the image cache's), installed before two processes could both reach for apt.
await ensureZstd(say);
const toolchains = images('npm-test-toolchain-images', TOOLCHAIN_IMAGES_ARGS);
let langs: Build | undefined;
let userlands: Build | undefined;
let floor: Build | undefined;
let windows: Build | undefined;
let integrationRan = false;
let ok = (await step('tsc', fg`npm run --silent typecheck`)) && (await step('the unit files', fg`npm run --silent test:unit`));
if (ok) {
  say(`unit files done after ${elapsed()}`);
  await waitFor(toolchains, 'the toolchain images');
  langs = images('npm-test-lang-images', LANG_IMAGES_ARGS);
  userlands = images('npm-test-userland-images', USERLAND_IMAGES_ARGS);
  // Debian 11's toolchain (mmdebstrap, about 5 minutes) for glibc-floor.test.ts, which runs last.
  floor = images('npm-test-floor-images', FLOOR_IMAGES_ARGS);
  // The Windows rows' layer (mingw-w64 and Wine, about 3 minutes of apt each) on two Go releases, for windows.test.ts.
  windows = images('npm-test-windows-images', WINDOWS_IMAGES_ARGS);
  integrationRan = true;
  ok = await step('the integration files beside the layers', fg`npx tap ${BESIDE_LANG_LAYERS}`);
}
if (ok && langs) {
  await waitFor(langs, 'the host-language layers');
  if (userlands) await waitFor(userlands, "the older userlands' layers");
  const rest = readdirSync(join(root, 'test', 'integration'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/integration/${f}`)
    .filter((f) => ![...BESIDE_LANG_LAYERS, ...AFTER_FLOOR_IMAGES, ...AFTER_WINDOWS_IMAGES].includes(f))
    .sort();
  ok = await step('the integration files', fg`npx tap ${rest}`);
}
if (ok && windows) {
  await waitFor(windows, "the Windows rows' layers");
  ok = await step('the integration files on the Windows layers', fg`npx tap ${AFTER_WINDOWS_IMAGES}`);
}
if (ok && floor) {
  await waitFor(floor, 'the glibc floor images');
  ok = await step('the integration files on the glibc floor images', fg`npx tap ${AFTER_FLOOR_IMAGES}`);
}
await stop(toolchains);
await stop(langs);
await stop(userlands);
await stop(floor);
await stop(windows);
// Last by this ordering, not by a file name: whatever the integration files did, passed or failed, nothing of the harness's is left in the engine.
if (integrationRan) ok = (await step('the leftovers check', fg`npx tap ${LEFTOVERS_CHECK}`)) && ok;
say(`${ok ? 'passed' : 'failed'} in ${elapsed()}`);
process.exitCode = ok ? 0 : 1;
