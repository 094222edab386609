// --image-cache through the real engine, as a fresh CI runner uses it: a run
// saves the Go image it used; with the Go image gone from the engine, the next
// run loads it from the tarball instead of building it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { cacheFileName, ImageCache } from '../../harness/edge/image-cache.js';
import { currentBaseTag, goImageTag, imageId, readGoVersions } from '../../harness/edge/images.js';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'csm-imgcache-'));
const [resultsDir, cacheDir, imageDir] = ['results', 'cache', 'images'].map((d) => join(work, d)) as [string, string, string];
const docker = await ensureEngine((l) => t.comment(l));
const go = readGoVersions().find((g) => g.version === '1.27')!;
const goTag = goImageTag(go);
const baseTag = currentBaseTag();
const cache = new ImageCache(imageDir);
const file = cache.fileFor(goTag);

// Whatever happened, the Go image is in the engine at the end (other tests and runs need it), or it is said loudly.
t.teardown(async () => {
  if (!(await imageId(docker, goTag)) && !(cache.has(goTag) && (await cache.load(docker, goTag, (l) => t.comment(l)))))
    console.error(`\n!!! ${goTag} is missing from the engine and could not be loaded back: the next run builds it (a few minutes)\n`);
  rmSync(work, { recursive: true, force: true });
});

async function run() {
  const args = ['--results', resultsDir, '--cache', cacheDir, '--image-cache', imageDir, '--platform', 'amd64-glibc', '--case', 'link', '--go', '1.27'];
  const p = await $({ cwd: root, nothrow: true, quiet: !process.env.CSM_TEST_VERBOSE, env: { ...process.env, CI: '1' } })`npx tsx harness/cli.ts ${args}`;
  const out = p.stdout + p.stderr;
  const json = join(resultsDir, 'latest', 'results.json');
  if (!existsSync(json)) throw new Error(`the run wrote no results (exit ${p.exitCode}):\n${out.slice(-3000)}`);
  return { code: p.exitCode, out, results: JSON.parse(readFileSync(json, 'utf8')) as RunResults };
}
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

t.test('a run saves the Go image it used; with the image gone, the next run loads it instead of building it', async (t) => {
  const first = await run();
  t.equal(first.code, 0, first.out.slice(-3000));
  t.match(first.out, new RegExp(`image cache: saved ${esc(goTag)} \\+ ${esc(baseTag)} to ${esc(file)} \\([\\d.]+ [GM]B\\) in \\d+ s`), 'the Go image and its base, in one tarball');
  t.ok(existsSync(file), file);
  t.same(readdirSync(imageDir), [cacheFileName(goTag)], 'one tarball, no partial file');

  await docker.getImage(goTag).remove();
  t.notOk(await imageId(docker, goTag), 'the Go image is gone from the engine');

  const second = await run();
  t.equal(second.code, 0, second.out.slice(-3000));
  t.match(second.out, new RegExp(`image cache: loaded ${esc(goTag)} from ${esc(file)} in \\d+ s`), 'loaded from the cache');
  t.notMatch(second.out, /building cshared-matrix-(go|base):/, 'nothing was built');
  t.notMatch(second.out, /image cache: saved/, 'nor saved again: the cache has it');
  t.equal(second.results.cells.find((c) => c.id === 'link/amd64-glibc/go1.27')?.verdict, 'pass');
  t.ok(await imageId(docker, goTag), 'the Go image is back');
});

t.test('a corrupt tarball is said, deleted, and not loaded', async (t) => {
  const tag = 'cshared-matrix-row:00000000deadbeef';
  writeFileSync(cache.fileFor(tag), 'not a tarball at all');
  const lines: string[] = [];
  t.equal(await cache.load(docker, tag, (l) => lines.push(l)), false);
  t.notOk(existsSync(cache.fileFor(tag)), 'deleted');
  t.match(lines, [/^image cache: .* is corrupt \(the engine could not load it: .*\); deleted it, cshared-matrix-row:00000000deadbeef is built instead$/]);
});

