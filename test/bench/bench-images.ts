// npm run bench -- --images: what --image-cache buys a runner that starts
// bare. Every cshared-matrix image is removed first, so this is destructive
// (the images come back, loaded from the cache, by the end); it is a
// repository script and not part of the package.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { $ } from 'zx';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { writeAtomic } from '../../harness/edge/files.js';

interface Timed {
  name: string;
  /** Seconds from the command's start to its first cell verdict line. */
  firstCellS: number;
  wallS: number;
  exitCode: number | null;
  /** The harness's own "image cache: …" and "… ready in N s" lines, with their times. */
  imageLines: string[];
}

const VERDICT_LINE = /^(✓ pass|○ xfail|✗ fail|! xpass)\s/;
const IMAGE_LINE = /image cache:|ready in \d+ s/;

/** Run the installed command, timestamping its lines: the first verdict line is when a user first sees an answer. */
function timed(name: string, cwd: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn('npx', ['cshared-matrix', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let firstCellS = NaN;
    const imageLines: string[] = [];
    const since = () => (Date.now() - t0) / 1000;
    for (const s of [child.stdout, child.stderr])
      createInterface({ input: s }).on('line', (l) => {
        if (Number.isNaN(firstCellS) && VERDICT_LINE.test(l)) firstCellS = since();
        if (IMAGE_LINE.test(l)) imageLines.push(`[${since().toFixed(1)} s] ${l.trim()}`);
      });
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve({ name, firstCellS, wallS: since(), exitCode, imageLines }));
  });
}

async function removeEveryImage(say: (l: string) => void): Promise<void> {
  const tags = (await $({ quiet: true })`docker images --format {{.Repository}}:{{.Tag}}`).stdout.split('\n').filter((t) => t.startsWith('cshared-matrix-'));
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
    const one = (tag: string, extra: string[] = []) => ['./lib', '--platform', 'amd64-glibc', '--reporter', 'terminal', '--cache', join(work, `cache-${tag}`), '--results', join(work, `results-${tag}`), ...extra];
    await removeEveryImage(say);
    say('cold: no image, no image cache: the images are built…');
    const cold = await timed('cold rebuild (mmdebstrap base, Go layer)', proj, one('cold'));
    say('filling the image cache from the images the cold run built…');
    const fill = await timed('save to --image-cache (after the run)', proj, one('fill', ['--image-cache', images]));
    await removeEveryImage(say);
    say('warm image cache: no image, its tarball in the cache…');
    const warm = await timed('warm --image-cache (load)', proj, one('warm', ['--image-cache', images]));
    const runs = [cold, fill, warm];
    const bad = runs.find((r) => r.exitCode !== 0);
    if (bad) throw new Error(`${bad.name}: the harness exited ${bad.exitCode}`);
    const table = [
      '| run | first cell | wall |',
      '|---|---|---|',
      ...runs.map((r) => `| ${r.name} | ${r.firstCellS.toFixed(1)} s | ${r.wallS.toFixed(1)} s |`),
      '',
      `cold rebuild / warm image cache, time to the first cell: ${(cold.firstCellS / warm.firstCellS).toFixed(1)}×`,
    ].join('\n');
    process.stdout.write(`\n${table}\n\n${runs.flatMap((r) => [`${r.name}:`, ...r.imageLines.map((l) => `  ${l}`)]).join('\n')}\n`);
    const out = join(REPO_ROOT, 'results', `bench-images-${stamp}.json`);
    writeAtomic(out, `${JSON.stringify({ stamp, runs, ratio: cold.firstCellS / warm.firstCellS, table }, null, 2)}\n`);
    process.stdout.write(`written: ${relative(process.cwd(), out)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
