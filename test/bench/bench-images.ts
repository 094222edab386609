// npm run bench -- --images: what --image-cache buys a runner that starts
// bare. Every cshared-matrix image is removed first, so this is destructive
// (the images come back, loaded from the cache, by the end); it is a
// repository script and not part of the package.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { writeAtomic } from '../../harness/edge/files.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { readRun } from '../../harness/edge/runs.js';

interface Timed {
  name: string;
  /** Seconds from the command's start until its first cell was judged (firstCellSeconds). */
  firstCellS: number;
  /** Seconds the run spent on its images (its engine+images phase): built, or loaded from the image cache. */
  imagesS: number;
  wallS: number;
  exitCode: number | null;
  /** The images the run used, as its results.json records them. */
  images: string[];
}

/**
 * Seconds from spawning the command until its first cell was judged, from its
 * results.json: the harness's start plus its own clock of the first verdict
 * (run.firstVerdictMs); for a results.json older than that field, its phases
 * before the cells and the quickest cell (cells then started together). Pure.
 */
export function firstCellSeconds(r: RunResults, spawnedAtMs: number): number {
  const started = Date.parse(r.run.startedAt) - spawnedAtMs;
  if (r.run.firstVerdictMs !== undefined) return (started + r.run.firstVerdictMs) / 1000;
  const phases = Object.entries(r.run.phases ?? {});
  const cells = phases.findIndex(([name]) => name === 'cells');
  const before = (cells < 0 ? phases : phases.slice(0, cells)).reduce((sum, [, ms]) => sum + ms, 0);
  const quickest = r.cells.length ? Math.min(...r.cells.map((c) => c.durationMs)) : NaN;
  return (started + before + quickest) / 1000;
}

/** Run the installed command as a user's CI does, then read what it recorded: its results.json, not its terminal output. */
async function timed(name: string, cwd: string, args: string[], resultsDir: string): Promise<Timed> {
  const t0 = Date.now();
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', ['cshared-matrix', ...args, '--results', resultsDir], {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CI: '1' },
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  const wallS = (Date.now() - t0) / 1000;
  const { results } = readRun(resultsDir, { root: true });
  return {
    name,
    firstCellS: firstCellSeconds(results, t0),
    imagesS: (results.run.phases?.['engine+images'] ?? NaN) / 1000,
    wallS,
    exitCode,
    images: results.images.map((i) => i.tag),
  };
}

export async function removeEveryImage(say: (l: string) => void): Promise<void> {
  const tags = (await $({ quiet: true })`docker images --format {{.Repository}}:{{.Tag}}`).stdout
    .split('\n')
    .filter((t) => t.startsWith('cshared-matrix-'));
  if (tags.length) await $({ quiet: true })`docker rmi -f ${tags}`;
  // Untagged layers would make a load look faster than on a bare runner.
  await $({ quiet: true })`docker image prune -af`;
  say(`removed ${tags.length} cshared-matrix images and every dangling layer`);
}

const LIB = 'package main\n\nimport "C"\n\n//export Add\nfunc Add(a, b C.int) C.int { return a + b }\n\nfunc main() {}\n';

/** A scratch project with the packed package installed, as a user's CI has it. */
async function scratchProject(work: string): Promise<string> {
  const proj = join(work, 'project');
  mkdirSync(join(proj, 'lib'), { recursive: true });
  writeFileSync(join(proj, 'package.json'), '{ "name": "bench-images", "private": true }\n');
  writeFileSync(join(proj, 'lib', 'lib.go'), LIB);
  const packed = (await $({ cwd: REPO_ROOT, quiet: true })`npm pack --json --pack-destination ${work}`).stdout;
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  await $({ cwd: proj, quiet: true })`npm install --save-dev --prefer-offline --no-audit --no-fund ${join(work, filename)}`;
  return proj;
}

export async function benchImages(stamp: string, say: (l: string) => void): Promise<void> {
  const work = mkdtempSync(join('/var/tmp', 'csm-bench-images-'));
  try {
    const proj = await scratchProject(work);
    const images = join(work, 'image-cache');
    const run = (name: string, tag: string, extra: string[] = []) =>
      timed(
        name,
        proj,
        ['./lib', '--platform', 'amd64-glibc', '--reporter', 'json', '--cache', join(work, `cache-${tag}`), ...extra],
        join(work, `results-${tag}`),
      );
    await removeEveryImage(say);
    say('cold: no image, no image cache: the images are built…');
    const cold = await run('cold rebuild (mmdebstrap base, Go layer)', 'cold');
    say('filling the image cache from the images the cold run built…');
    const fill = await run('save to --image-cache (after the run)', 'fill', ['--image-cache', images]);
    await removeEveryImage(say);
    say('warm image cache: no image, its tarball in the cache…');
    const warm = await run('warm --image-cache (load)', 'warm', ['--image-cache', images]);
    const runs = [cold, fill, warm];
    const bad = runs.find((r) => r.exitCode !== 0);
    if (bad) throw new Error(`${bad.name}: the harness exited ${bad.exitCode}`);
    const table = [
      '| run | images | first cell | wall |',
      '|---|---|---|---|',
      ...runs.map((r) => `| ${r.name} | ${r.imagesS.toFixed(1)} s | ${r.firstCellS.toFixed(1)} s | ${r.wallS.toFixed(1)} s |`),
      '',
      `cold rebuild / warm image cache, time to the first cell: ${(cold.firstCellS / warm.firstCellS).toFixed(1)}×`,
    ].join('\n');
    process.stdout.write(`\n${table}\n\n${runs.map((r) => `${r.name}: ${r.images.join(', ')}`).join('\n')}\n`);
    const out = join(REPO_ROOT, 'results', `bench-images-${stamp}.json`);
    writeAtomic(out, `${JSON.stringify({ stamp, runs, ratio: cold.firstCellS / warm.firstCellS, table }, null, 2)}\n`);
    process.stdout.write(`written: ${relative(process.cwd(), out)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
