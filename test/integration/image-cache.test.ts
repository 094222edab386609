// --image-cache against the real engine: what the round trip does not show.
// The round trip itself (a run saves the Go image it used; with the image gone
// from the engine, the next run loads it instead of building it, and runs its
// cells) is in test/integration/action.test.ts, through the GitHub Action as a
// user's CI takes it: saving a 2.6 GB image costs about 95 s here, once is enough.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import * as tar from 'tar';
import { ensureEngine } from '../../harness/edge/engine.js';
import { cacheFileName, ImageCache } from '../../harness/edge/image-cache.js';
import { follow, imageId } from '../../harness/edge/images.js';

const work = mkdtempSync(join(tmpdir(), 'csm-imgcache-'));
const docker = await ensureEngine((l) => t.comment(l));
const cache = new ImageCache(join(work, 'images'));
// A tiny image of our own (one file), tagged as a row layer would be: the cache's own round trip in seconds.
const tag = 'cshared-matrix-row:7e57ca5e7e57ca5e';
t.teardown(async () => {
  await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

t.test('save, remove, load: the cache\'s own round trip on a one-file image', async (t) => {
  writeTree(join(work, 'rootfs'));
  const [repo, version] = tag.split(':') as [string, string];
  const stream = await docker.importImage(Readable.from(tar.c({ cwd: join(work, 'rootfs'), portable: true }, ['hello.txt'])) as unknown as string, { repo, tag: version } as object);
  await follow(docker, stream, () => undefined);
  const id = await imageId(docker, tag);
  t.ok(id, 'the image exists');
  const lines: string[] = [];
  await cache.save(docker, [tag, 'cshared-matrix-base:0000000000000000'], (l) => lines.push(l));
  t.same(readdirSync(cache.dir), [cacheFileName(tag)], 'one tarball, no partial file');
  t.ok(statSync(cache.fileFor(tag)).size > 0);
  t.match(lines, [new RegExp(`^image cache: saved ${tag} to \\S+ \\(\\d+ MB\\) in \\d+ s$`)], 'a tag the engine lacks is left out of the tarball');
  await docker.getImage(tag).remove();
  t.notOk(await imageId(docker, tag), 'removed from the engine');
  t.equal(await cache.load(docker, tag, (l) => lines.push(l)), true);
  t.equal(await imageId(docker, tag), id, 'the same image is back');
  t.match(lines.at(-1), /^image cache: loaded cshared-matrix-row:7e57ca5e7e57ca5e from \S+ in \d+ s$/);
});

function writeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hello.txt'), 'hello from the image cache test\n');
}

t.test('a corrupt tarball is said, deleted, and not loaded', async (t) => {
  const tag = 'cshared-matrix-row:00000000deadbeef';
  writeFileSync(cache.fileFor(tag), 'not a tarball at all');
  const lines: string[] = [];
  t.equal(await cache.load(docker, tag, (l) => lines.push(l)), false);
  t.notOk(existsSync(cache.fileFor(tag)), 'deleted');
  t.match(lines, [/^image cache: .* is corrupt \(the engine could not load it: .*\); deleted it, cshared-matrix-row:00000000deadbeef is built instead$/]);
});

