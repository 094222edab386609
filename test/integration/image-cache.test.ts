// --image-cache against the real engine: what the round trip does not show.
// The round trip itself (a run saves the Go image it used; with the image gone
// from the engine, the next run loads it instead of building it, and runs its
// cells) is in test/integration/action.test.ts, through the GitHub Action as a
// user's CI takes it: saving a 2.4 GB image costs about 40 s here, once is enough.
import { spawnSync } from 'node:child_process';
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
  await docker
    .getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

t.test("save, remove, load: the cache's own round trip on a one-file image", async (t) => {
  writeTree(join(work, 'rootfs'));
  const [repo, version] = tag.split(':') as [string, string];
  const stream = await docker.importImage(
    Readable.from(tar.c({ cwd: join(work, 'rootfs'), portable: true }, ['hello.txt'])) as unknown as string,
    { repo, tag: version } as object,
  );
  await follow(docker, stream, () => undefined);
  const id = await imageId(docker, tag);
  t.ok(id, 'the image exists');
  const lines: string[] = [];
  await cache.save(docker, [tag, 'cshared-matrix-base:0000000000000000'], (l) => lines.push(l));
  t.same(readdirSync(cache.dir), [cacheFileName(tag)], 'one tarball, no partial file');
  t.ok(statSync(cache.fileFor(tag)).size > 0);
  t.match(
    lines,
    [new RegExp(`^image cache: saved ${tag} to \\S+ \\(\\d+ MB\\) in \\d+ s$`)],
    'a tag the engine lacks is left out of the tarball',
  );
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
  const lines: string[] = [];
  writeFileSync(cache.fileFor(tag), 'not a tarball at all');
  t.equal(await cache.load(docker, tag, (l) => lines.push(l)), false);
  t.notOk(existsSync(cache.fileFor(tag)), 'deleted');
  t.match(
    lines,
    [/^image cache: .* is corrupt \(not a whole zstd file: .*\); deleted it, cshared-matrix-row:00000000deadbeef is built instead$/],
    'no zstd file: zstd says why',
  );
  writeFileSync(cache.fileFor(tag), spawnSync('zstd', ['-q', '-c'], { input: 'a zstd file, but of no tarball' }).stdout);
  t.equal(await cache.load(docker, tag, (l) => lines.push(l)), false);
  t.notOk(existsSync(cache.fileFor(tag)), 'deleted');
  t.match(
    lines.at(-1),
    /^image cache: .* is corrupt \(the engine could not load it: .*\); deleted it, cshared-matrix-row:00000000deadbeef is built instead$/,
    'a whole zstd file the engine refuses: the engine says why',
  );
});

t.test('a host-language layer is kept as its directory alone and restored onto the base', async (t) => {
  const { langImageTag, restoreLangImage } = await import('../../harness/edge/lang-images.js');
  // The one-file image of the first test stands in for the base; the layer adds one directory to it.
  const base = { tag, id: (await imageId(docker, tag))!, built: false, seconds: 0 };
  const layer = {
    kind: 'sysroot' as const,
    lang: 'python' as const,
    debArch: 'test',
    suite: 'trixie',
    packages: ['none'],
    dir: '/opt/csm/sysroot/test-trixie-python',
  };
  const langTag = langImageTag(base.tag, layer);
  const layerRoot = join(work, 'layer');
  mkdirSync(join(layerRoot, 'opt/csm/sysroot/test-trixie-python/usr/bin'), { recursive: true });
  writeFileSync(join(layerRoot, 'opt/csm/sysroot/test-trixie-python/usr/bin/python3.13'), 'not really python\n');
  const [repo, version] = langTag.split(':') as [string, string];
  await follow(
    docker,
    await docker.importImage(
      Readable.from(tar.c({ cwd: layerRoot, portable: true }, ['opt'])) as unknown as string,
      { repo, tag: version } as object,
    ),
    () => undefined,
  );
  t.teardown(async () =>
    docker
      .getImage(langTag)
      .remove({ force: true })
      .catch(() => undefined),
  );

  const lines: string[] = [];
  await cache.saveDir(docker, langTag, layer.dir, (l) => lines.push(l));
  t.match(lines, [
    new RegExp(
      `^image cache: saved /opt/csm/sysroot/test-trixie-python of ${langTag.replace(/[.]/g, '\\.')} to \\S+ \\(\\d+ MB\\) in \\d+ s$`,
    ),
  ]);
  t.ok(statSync(cache.fileFor(langTag)).size < 1 << 20, "the directory alone, not the image's layers");
  t.same(
    (await docker.listContainers({ all: true, filters: { label: ['cshared-matrix.cache'] } })).length,
    0,
    'the container it was read from is gone',
  );
  await docker.getImage(langTag).remove({ force: true });

  const restored = await restoreLangImage(docker, base, layer, cache.fileFor(langTag), (l) => lines.push(l));
  t.equal(restored.tag, langTag, "restored under the recipe's own tag");
  const c = await docker.createContainer({ Image: langTag, Cmd: ['true'] });
  try {
    const files: string[] = [];
    await new Promise<void>((res, rej) => {
      void c.getArchive({ path: '/opt/csm/sysroot/test-trixie-python/usr/bin/python3.13' }).then((s) => {
        const p = new tar.Parser({ onReadEntry: (e) => (files.push(e.path), e.resume()) });
        (s as unknown as NodeJS.ReadableStream)
          .pipe(p as unknown as NodeJS.WritableStream)
          .on('finish', res)
          .on('error', rej);
      }, rej);
    });
    t.same(files, ['python3.13'], "the layer's file is back, on the base");
    // The archive's stream is destroyed, not left unread: an open response keeps this process alive for five minutes after its last test.
    const inBase = await c.getArchive({ path: '/hello.txt' }).then(
      (s) => ((s as unknown as NodeJS.ReadableStream & { destroy(): void }).destroy(), true),
      () => false,
    );
    t.ok(inBase, "and the base's file is there under it");
  } finally {
    await c.remove({ force: true });
  }
});

t.test('--prune-images removes a superseded host-language image, through the engine, and keeps the current one', async (t) => {
  const { pruneImages, currentToolchainTags } = await import('../../harness/edge/images.js');
  const { currentLangTags } = await import('../../harness/edge/lang-images.js');
  const id = (await imageId(docker, tag))!;
  // Two more names of the one-file image, in the host-language repository: pruning a name leaves the image to its others.
  const stamp = Date.now().toString(16).padStart(16, '0').slice(-16);
  const [old, current] = [`cshared-matrix-lang:facts-python-${stamp}`, `cshared-matrix-lang:facts-java-${stamp}`];
  for (const name of [old, current]) {
    const [repo, version] = name.split(':') as [string, string];
    await docker.getImage(tag).tag({ repo, tag: version });
  }
  t.teardown(async () => {
    for (const name of [old, current])
      await docker
        .getImage(name)
        .remove()
        .catch(() => undefined);
  });
  // The engine is shared: prune is shown our two names alone, so it can remove nobody else's image.
  const ours = new Set([old, current]);
  const scoped = Object.assign(Object.create(docker) as typeof docker, {
    listImages: async () =>
      (await docker.listImages())
        .map((i) => ({ ...i, RepoTags: (i.RepoTags ?? []).filter((x) => ours.has(x)) }))
        .filter((i) => i.RepoTags.length),
  });
  const real = [...currentToolchainTags(), ...currentLangTags()];
  const realBefore = (await Promise.all(real.map(async (x) => ((await imageId(docker, x)) ? x : undefined)))).filter((x) => x);
  const lines: string[] = [];
  t.same(await pruneImages(scoped, [...real, current], (l) => lines.push(l)), [old]);
  t.same(lines, [`removed 1 superseded image: ${old}`]);
  t.notOk(await imageId(docker, old), 'the superseded name is gone');
  t.equal(await imageId(docker, current), id, 'the current one stays');
  t.equal(await imageId(docker, tag), id, 'and so does the image under it');
  for (const x of realBefore) t.ok(await imageId(docker, x!), `${x}: still there`);
});
