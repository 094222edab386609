// The image cache attacked as a hostile writer of its directory would (issue
// 23, item 7), through the real engine: a tarball under a real image's cache
// file name that also tags a victim, a zstd bomb under a Go image's name, and
// a host-language bomb. Each is refused while it streams (nothing unpacked on
// this machine, no more than its bound handed to the engine), deleted with one
// line, and the image would be built instead. Tiny images built here stand in
// for the real ones; the real images are never touched.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import t from 'tap';
import * as tar from 'tar';
import { decompressedBound } from '../../harness/core/image-tarball.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { ImageCache } from '../../harness/edge/image-cache.js';
import { currentBaseTag, follow, goImageTag, imageId, readGoVersions } from '../../harness/edge/images.js';
import { langImageTag, restoreLangImage } from '../../harness/edge/lang-images.js';
import { IMAGE_CACHE_RUN, leftovers, ownerLabels, removeOwn, sweepStale } from '../../harness/edge/sandbox.js';

const t0 = Date.now();
const work = mkdtempSync(join(tmpdir(), 'csm-cache-attack-'));
const docker = await ensureEngine((l) => t.comment(l));
const cache = new ImageCache(join(work, 'images'));
mkdirSync(cache.dir);
const rand = randomBytes(4).toString('hex');
const own = `csm-cachetest-${rand}`;
const victim = `csm-victim-${rand}:latest`;
// The real images' names, as the harness looks them up in the cache.
const goTag = goImageTag(readGoVersions().at(-1)!);
const baseTag = currentBaseTag();
const realIds = { [goTag]: await imageId(docker, goTag), [baseTag]: await imageId(docker, baseTag) };
t.teardown(async () => {
  // Should a check ever fail, the real tags go back to their images: other tests and runs of this machine use them.
  for (const [tag, id] of Object.entries(realIds)) {
    if (id && (await imageId(docker, tag)) !== id) {
      const [repo, version] = tag.split(':') as [string, string];
      await docker.getImage(id).tag({ repo, tag: version });
      console.error(`\n!!! ${tag} was moved by this test and has been put back\n`);
    }
  }
  for (const tag of [victim, `${own}:base`, `${own}:evil`])
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
  t.comment(`wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

/** A one-file image from scratch, tagged `tag`. */
async function tinyImage(tag: string, text: string): Promise<string> {
  const dir = mkdtempSync(join(work, 'rootfs-'));
  writeFileSync(join(dir, 'hello.txt'), text);
  const [repo, version] = tag.split(':') as [string, string];
  await follow(
    docker,
    await docker.importImage(
      Readable.from(tar.c({ cwd: dir, portable: true }, ['hello.txt'])) as unknown as string,
      { repo, tag: version } as object,
    ),
    () => undefined,
  );
  return (await imageId(docker, tag))!;
}

/** `docker save` of `tag` with its manifest.json and repositories rewritten to tag `tags`, as a plain tar. */
async function retagged(tag: string, tags: string[]): Promise<Buffer> {
  const saved = await new Promise<Buffer>((res, rej) => {
    void docker
      .getImage(tag)
      .get()
      .then((s) => {
        const chunks: Buffer[] = [];
        (s as unknown as Readable)
          .on('data', (c: Buffer) => chunks.push(c))
          .on('end', () => res(Buffer.concat(chunks)))
          .on('error', rej);
      }, rej);
  });
  const dir = mkdtempSync(join(work, 'save-'));
  spawnSync('tar', ['-x', '-C', dir], { input: saved });
  const manifest = JSON.parse(spawnSync('cat', [join(dir, 'manifest.json')], { encoding: 'utf8' }).stdout) as { RepoTags: string[] }[];
  manifest[0]!.RepoTags = tags;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  rmSync(join(dir, 'repositories'), { force: true });
  return spawnSync('tar', ['-c', '-C', dir, '.'], { maxBuffer: 1 << 30 }).stdout;
}

const zstdInto = (file: string, input: Buffer) =>
  writeFileSync(file, spawnSync('zstd', ['-q', '-c'], { input, maxBuffer: 1 << 30 }).stdout);

/** A client whose loadImage and putArchive count what the engine is handed. */
function counting(d: Docker): { docker: Docker; handed: () => number } {
  let n = 0;
  const count = (s: NodeJS.ReadableStream) => {
    const p = new PassThrough();
    (s as Readable).on('data', (c: Buffer) => (n += c.length)).pipe(p);
    return p;
  };
  const spy = Object.create(d) as Docker;
  spy.loadImage = ((s: NodeJS.ReadableStream, o?: object) => d.loadImage(count(s), o)) as Docker['loadImage'];
  spy.createContainer = (async (o: Docker.ContainerCreateOptions) => {
    const c = await d.createContainer(o);
    const put = c.putArchive.bind(c);
    c.putArchive = ((s: NodeJS.ReadableStream, o2: object) => put(count(s) as unknown as string, o2)) as typeof c.putArchive;
    return c;
  }) as Docker['createContainer'];
  return { docker: spy, handed: () => n };
}

/**
 * A zstd file of a tar holding `top`/zeros, a file of `gib` GiB of zeros: what
 * `tar c top | zstd` makes of it, a few hundred KB, but built as zstd frames
 * one after the other (zstd decompresses them as one stream), so that making
 * it takes milliseconds rather than compressing gigabytes.
 */
function bomb(file: string, top: string, gib: number): void {
  const header = (path: string, type: 'Directory' | 'File', size: number) => {
    const h = new tar.Header({ path, type, size, mode: 0o755, mtime: new Date(0) });
    h.encode();
    return h.block!;
  };
  const zstd = (input: Buffer) => spawnSync('zstd', ['-q', '-c'], { input, maxBuffer: 1 << 30 }).stdout;
  const head = zstd(Buffer.concat([header(`${top}/`, 'Directory', 0), header(`${top}/zeros`, 'File', gib * 2 ** 30)]));
  const mib64 = zstd(Buffer.alloc(64 * 2 ** 20));
  writeFileSync(file, Buffer.concat([head, ...Array<Buffer>(gib * 16).fill(mib64), zstd(Buffer.alloc(1024))]));
}

const varTmpEntries = () =>
  existsSync('/var/tmp/cshared-matrix') ? readdirSync('/var/tmp/cshared-matrix').filter((f) => f.startsWith('restore-')) : [];

t.test("a tarball under the Go image's cache file name that also tags a victim: refused before the engine tags anything", async (t) => {
  const victimId = await tinyImage(victim, 'the victim\n');
  await tinyImage(`${own}:base`, "the attacker's image\n");
  // The attack is real: a plain docker load of such a tarball moves the victim's tag.
  await follow(
    docker,
    await docker.loadImage(Readable.from([await retagged(`${own}:base`, [`${own}:evil`, victim])]), { quiet: true }),
    () => undefined,
  );
  t.not(await imageId(docker, victim), victimId, 'a bare docker load moved the victim tag');
  await docker.getImage(victimId).tag({ repo: victim.split(':')[0]!, tag: 'latest' });

  zstdInto(cache.fileFor(goTag), await retagged(`${own}:base`, [goTag, victim]));
  const lines: string[] = [];
  t.equal(await cache.load(docker, goTag, (l) => lines.push(l), [baseTag]), false);
  t.equal(await imageId(docker, victim), victimId, 'the victim tag is untouched');
  t.equal(await imageId(docker, goTag), realIds[goTag], "and so is the real Go image's");
  t.notOk(existsSync(cache.fileFor(goTag)), 'the tarball is deleted');
  t.same(
    lines,
    [
      `image cache: ${cache.fileFor(goTag)} is refused (its manifest.json also tags "${victim}", which its file name does not promise); deleted it, ${goTag} is built instead`,
    ],
    'one line naming it and why',
  );
});

t.test("a zstd bomb under the base image's cache file name: refused having handed the engine no more than its bound", async (t) => {
  bomb(cache.fileFor(baseTag), 'blobs', 4);
  const size = statSync(cache.fileFor(baseTag)).size;
  const bound = decompressedBound(baseTag, size);
  t.comment(`the bomb: ${(size / 1e3).toFixed(0)} KB holding 4 GiB; its bound ${bound / 2 ** 20} MiB`);
  const spy = counting(docker);
  const lines: string[] = [];
  const s0 = Date.now();
  t.equal(await cache.load(spy.docker, baseTag, (l) => lines.push(l), []), false);
  const seconds = (Date.now() - s0) / 1000;
  t.ok(
    spy.handed() <= bound + 512,
    `the engine was handed ${(spy.handed() / 2 ** 20).toFixed(1)} MiB (bound ${bound / 2 ** 20} MiB) in ${seconds.toFixed(1)} s`,
  );
  t.ok(seconds < 30, 'refused while streaming, not after 4 GiB');
  t.equal(await imageId(docker, baseTag), realIds[baseTag], 'the real base image is untouched');
  t.notOk(existsSync(cache.fileFor(baseTag)), 'the tarball is deleted');
  t.same(lines, [
    `image cache: ${cache.fileFor(baseTag)} is refused (it decompresses to more than 67 MB, the most its size and kind allow); deleted it, ${baseTag} is built instead`,
  ]);
});

t.test('a host-language bomb: refused while it streams into a container of the base, nothing in /var/tmp, no container left', async (t) => {
  const base = { tag: `${own}:base`, id: (await imageId(docker, `${own}:base`))!, built: false, seconds: 0 };
  const layer = {
    kind: 'sysroot' as const,
    lang: 'python' as const,
    debArch: 'test',
    suite: 'trixie',
    packages: ['none'],
    dir: '/opt/csm/sysroot/test-trixie-python',
  };
  const langTag = langImageTag(base.tag, layer);
  t.teardown(async () =>
    docker
      .getImage(langTag)
      .remove({ force: true })
      .catch(() => undefined),
  );
  bomb(cache.fileFor(langTag), 'test-trixie-python', 4);
  const bound = decompressedBound(langTag, statSync(cache.fileFor(langTag)).size);
  const spy = counting(docker);
  const before = varTmpEntries();
  const seen = new Set<string>();
  const watch = setInterval(() => varTmpEntries().forEach((f) => void seen.add(f)), 50);
  const lines: string[] = [];
  const image = await cache.restoreDir(
    langTag,
    (f) => restoreLangImage(spy.docker, base, layer, f, (l) => lines.push(l)),
    (l) => lines.push(l),
  );
  clearInterval(watch);
  t.equal(image, undefined, 'not restored');
  t.ok(spy.handed() <= bound + 512, `the engine was handed ${(spy.handed() / 2 ** 20).toFixed(1)} MiB (bound ${bound / 2 ** 20} MiB)`);
  t.same(
    [...seen].filter((f) => !before.includes(f)),
    [],
    'nothing was unpacked into /var/tmp/cshared-matrix',
  );
  t.notOk(await imageId(docker, langTag), "no image under the layer's tag");
  t.same(
    (await docker.listContainers({ all: true, filters: { label: ['cshared-matrix.cache=restore'] } })).length,
    0,
    'the container it was put into is gone',
  );
  t.notOk(existsSync(cache.fileFor(langTag)), 'the tarball is deleted');
  t.same(lines, [
    `image cache: could not restore ${langTag} from ${cache.fileFor(langTag)} (it decompresses to more than 67 MB, the most its size and kind allow); deleted it, the layer is built instead`,
  ]);
});

t.test(
  "the containers a save or a restore goes through carry their owner: a dead process's are swept, this one's go at its teardown",
  async (t) => {
    const base = `${own}:base`;
    if (!(await imageId(docker, base))) await tinyImage(base, 'base\n');
    const make = (labels: Record<string, string>) =>
      docker.createContainer({
        Image: base,
        Cmd: ['true'],
        Labels: { ...labels, 'cshared-matrix.cache': 'restore' },
        HostConfig: { NetworkMode: 'none' },
      });
    const alive = async (c: Docker.Container) => !!(await c.inspect().catch(() => undefined));
    // As the image cache labels it (edge/lang-images.ts), then as a process killed mid-restore would have left it.
    const mine = await make(ownerLabels(IMAGE_CACHE_RUN));
    const dead = spawnSync('true').pid!;
    const orphan = await make({ ...ownerLabels(IMAGE_CACHE_RUN), 'cshared-matrix.pid': String(dead) });
    t.teardown(async () => {
      for (const c of [mine, orphan]) await c.remove({ force: true }).catch(() => undefined);
    });
    t.ok((await leftovers(docker)).length >= 2, 'both count as leftovers of the harness');
    t.ok((await sweepStale(docker)) >= 1, "the next run's sweep removes the dead process's");
    t.notOk(await alive(orphan), 'the orphan is gone');
    t.ok(await alive(mine), "a live process's is left to it");
    await removeOwn(docker, IMAGE_CACHE_RUN);
    t.notOk(await alive(mine), "and the engine+images teardown (run/tasks.ts) removes this process's");
  },
);
