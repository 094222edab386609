import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import t from 'tap';
import { InfraError } from '../../harness/core/errors.js';
import {
  ancestorTags,
  cacheFileName,
  formatBytes,
  ImageCache,
  PARTIAL_MS,
  ROW_UNUSED_MS,
  staleFiles,
  tagOfCacheFile,
} from '../../harness/edge/image-cache.js';
import { currentToolchainTags } from '../../harness/edge/images.js';
import { ensureZstd } from '../../harness/edge/zstd.js';

// The cache's files are zstd's (edge/zstd.ts): the CLI, installed as the harness installs it.
await ensureZstd((l) => t.comment(l));
const zstdOf = (text: string): Buffer => spawnSync('zstd', ['-q', '-c'], { input: text }).stdout;

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 0, 31);
const BASE = 'cshared-matrix-base:99106170c9f9a8f9';
const GO = 'cshared-matrix-go:1.27-4d7c32a2a3201551';
const ROW = 'cshared-matrix-row:0b67ea71d62c5cff';

t.test('file name ↔ tag', async (t) => {
  t.equal(cacheFileName(GO), 'cshared-matrix-go_1.27-4d7c32a2a3201551.tar.zst');
  t.equal(cacheFileName('registry.example/cshared-matrix-go:1.27'), 'registry.example_cshared-matrix-go_1.27.tar.zst', "'/' too");
  for (const tag of [BASE, GO, ROW, ...currentToolchainTags()]) t.equal(tagOfCacheFile(cacheFileName(tag)), tag, `${tag} round-trips`);
  for (const name of [
    'cshared-matrix-go_1.27-aa.tar.zst.partial-123',
    'cshared-matrix-rootfs_1234.tar.zst',
    'debian_trixie.tar.zst',
    'notes.txt',
    'cshared-matrix-go_.tar.zst',
    'cshared-matrix-go_1.27-aa.tar.gz',
  ])
    t.equal(tagOfCacheFile(name), undefined, `${name}: not a toolchain tarball`);
});

t.test('staleFiles', async (t) => {
  const current = [BASE, GO];
  const f = (tag: string, ageDays: number) => ({ name: cacheFileName(tag), mtimeMs: NOW - ageDays * DAY });
  t.same(staleFiles([f(BASE, 400), f(GO, 400)], current, NOW), [], 'current base and Go tarballs stay, however old');
  t.same(
    staleFiles(
      [f('cshared-matrix-base:0ld0', 0), f('cshared-matrix-go:1.27-0ld1', 0), f('cshared-matrix-go:1.19-0ld2', 0), f(GO, 0)],
      current,
      NOW,
    ),
    [
      cacheFileName('cshared-matrix-base:0ld0'),
      cacheFileName('cshared-matrix-go:1.19-0ld2'),
      cacheFileName('cshared-matrix-go:1.27-0ld1'),
    ].sort(),
    'superseded base and Go tarballs go at once, even just saved',
  );
  const rowDays = ROW_UNUSED_MS / DAY;
  t.same(staleFiles([f(ROW, rowDays + 1)], [...current, ROW], NOW), [], 'a row the run uses stays, however long since it was touched');
  t.same(staleFiles([f(ROW, rowDays - 1)], current, NOW), [], 'a row another run may use stays for 30 days');
  t.same(staleFiles([f(ROW, rowDays + 1)], current, NOW), [cacheFileName(ROW)], 'an unused row tarball goes after 30 days');
  const partial = (ageMs: number) => ({ name: `${cacheFileName(GO)}.partial-4242`, mtimeMs: NOW - ageMs });
  t.same(staleFiles([partial(PARTIAL_MS - 60_000)], current, NOW), [], 'a partial file may be a save in progress');
  t.same(
    staleFiles([partial(PARTIAL_MS + 60_000)], current, NOW),
    [`${cacheFileName(GO)}.partial-4242`],
    'a day-old partial file is a killed save',
  );
  t.same(
    staleFiles(
      [
        { name: 'README', mtimeMs: 0 },
        { name: 'cshared-matrix-rootfs_1234.tar.gz', mtimeMs: 0 },
      ],
      current,
      NOW,
    ),
    [],
    'other files are not the cache’s',
  );
  const gz = cacheFileName(GO).replace(/\.zst$/, '.gz');
  t.same(
    staleFiles([{ name: gz, mtimeMs: NOW }], current, NOW),
    [gz],
    'a tarball of the gzip format before zstd goes at once, even of a current tag',
  );
});

t.test('ancestorTags: only tags whose layers the first image starts with', async (t) => {
  const own = ['sha256:b1', 'sha256:b2', 'sha256:g1'];
  t.same(
    ancestorTags(own, [
      { tag: BASE, layers: ['sha256:b1', 'sha256:b2'] },
      { tag: 'cshared-matrix-base:rebuilt', layers: ['sha256:x1', 'sha256:x2'] },
      { tag: 'cshared-matrix-base:missing', layers: undefined },
      { tag: 'longer', layers: [...own, 'sha256:r1'] },
      { tag: 'itself', layers: own },
    ]),
    [BASE, 'itself'],
  );
  t.same(ancestorTags(own, []), []);
});

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(1_134_000_000), '1.1 GB');
  t.equal(formatBytes(347_000_000), '347 MB');
});

/** A client no engine answers: every method a test needs is replaced; followProgress is docker-modem's own. */
function fakeDocker(x: {
  load?: () => Promise<NodeJS.ReadableStream>;
  has?: (tag: string) => boolean;
  save?: (o: { names: string[] }) => Promise<NodeJS.ReadableStream>;
}): Docker {
  const d = new Docker({ socketPath: '/nonexistent/docker.sock' });
  const image = (tag: string) => ({
    inspect: async () => {
      if (!x.has?.(tag)) throw new Error(`no such image: ${tag}`);
      return { Id: `sha256:${tag.length}`, RootFS: { Layers: tag === BASE ? ['sha256:b1'] : ['sha256:b1', 'sha256:g1'] } };
    },
  });
  Object.assign(d, { loadImage: x.load, getImage: image, getImages: x.save });
  return d;
}
const jsonLines = (...objs: object[]) => Readable.from(objs.map((o) => `${JSON.stringify(o)}\n`));

t.test('ImageCache.load', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-ic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new ImageCache(dir);
  const lines: string[] = [];
  const say = (l: string) => lines.push(l);
  // A whole zstd file of something that is no tarball: what the engine then says is the test.
  const garbage = () => writeFileSync(cache.fileFor(ROW), zstdOf('not a tarball'));

  t.equal(await cache.load(fakeDocker({}), ROW, say), false, 'no tarball: false');
  t.match(lines.pop(), `image cache: no tarball of ${ROW} in ${dir}`);

  garbage();
  const corrupt = fakeDocker({
    load: async () =>
      jsonLines({
        errorDetail: { message: 'archive/tar: invalid tar header' },
        error: 'Error processing tar file(exit status 1): archive/tar: invalid tar header',
      }),
  });
  t.equal(await cache.load(corrupt, ROW, say), false, 'a corrupt tarball: false');
  t.notOk(existsSync(cache.fileFor(ROW)), 'and deleted');
  t.match(
    lines.pop(),
    /^image cache: .*cshared-matrix-row_0b67ea71d62c5cff\.tar\.zst is corrupt \(.*invalid tar header\); deleted it, cshared-matrix-row:0b67ea71d62c5cff is built instead$/,
  );

  writeFileSync(cache.fileFor(ROW), 'not zstd at all');
  t.equal(await cache.load(corrupt, ROW, say), false, 'a file zstd cannot read');
  t.notOk(existsSync(cache.fileFor(ROW)), 'is deleted');
  t.match(
    lines.pop(),
    /^image cache: .* is corrupt \(not a whole zstd file: .*\); deleted it, cshared-matrix-row:0b67ea71d62c5cff is built instead$/,
    "zstd's reason, not the engine's",
  );

  writeFileSync(cache.fileFor(ROW), zstdOf('not a tarball, and cut short').subarray(0, 12));
  t.equal(
    await cache.load(
      fakeDocker({ load: async () => jsonLines({ stream: `Loaded image: ${ROW}\n` }), has: (tag) => tag === ROW }),
      ROW,
      say,
    ),
    false,
    'a truncated file, even if the engine took it',
  );
  t.match(lines.pop(), /is corrupt \(not a whole zstd file: .*\); deleted it/);

  garbage();
  t.equal(
    await cache.load(fakeDocker({ load: async () => jsonLines({ stream: 'Loaded image: something:else\n' }) }), ROW, say),
    false,
    'a tarball without the tag',
  );
  t.notOk(existsSync(cache.fileFor(ROW)), 'is deleted too');
  t.match(lines.pop(), `(it does not hold ${ROW})`);

  garbage();
  const down = fakeDocker({ load: async () => Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock')) });
  t.equal(await cache.load(down, ROW, say), false, 'an engine that does not answer');
  t.ok(existsSync(cache.fileFor(ROW)), 'is not the tarball’s fault: it stays');
  t.match(lines.pop(), /could not load .* \(connect ECONNREFUSED .*\); the tarball is kept$/);

  utimesSync(cache.fileFor(ROW), new Date(NOW - 40 * DAY), new Date(NOW - 40 * DAY));
  const ok = fakeDocker({ load: async () => jsonLines({ stream: `Loaded image: ${ROW}\n` }), has: (tag) => tag === ROW });
  t.equal(await cache.load(ok, ROW, say), true, 'loaded');
  t.match(lines.pop(), new RegExp(`^image cache: loaded ${ROW} from ${cache.fileFor(ROW)} in \\d+ s$`));
  t.ok(Date.now() - statSync(cache.fileFor(ROW)).mtimeMs < 60_000, 'its mtime says it was used now');
});

t.test('ImageCache.save', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-ic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new ImageCache(join(dir, 'cache'));
  const lines: string[] = [];
  const say = (l: string) => lines.push(l);
  let asked: string[] = [];
  const docker = fakeDocker({
    has: (tag) => tag === GO || tag === BASE,
    save: async (o: { names: string[] }) => {
      asked = o.names;
      return Readable.from([Buffer.alloc(1 << 20)]);
    },
  });
  await cache.save(docker, [GO, BASE, 'cshared-matrix-base:missing'], say);
  t.same(asked, [GO, BASE], 'one export of the image and the base it sits on; a tag the engine lacks is left out');
  t.ok(cache.has(GO), 'the first tag names the tarball');
  t.same(readdirSync(cache.dir), [cacheFileName(GO)], 'no partial file is left');
  t.match(lines.pop(), new RegExp(`^image cache: saved ${GO} \\+ ${BASE} to ${cache.fileFor(GO)} \\(\\d+ MB\\) in \\d+ s$`));

  await t.rejects(cache.save(docker, [ROW, GO], say), /the engine has no image cshared-matrix-row/);

  // A full disk: the partial file is /dev/full.
  const partial = `${cache.fileFor(BASE)}.partial-${process.pid}`;
  symlinkSync('/dev/full', partial);
  const err = await cache.save(docker, [BASE], say).catch((e: unknown) => e);
  t.ok(err instanceof InfraError, 'ENOSPC is an InfraError');
  t.equal(
    (err as Error).message,
    `no space left in ${cache.dir} for the tarball of ${BASE}: free space there, or point --image-cache at a larger disk`,
  );
  t.notOk(existsSync(partial), 'the partial file is removed');
  t.notOk(cache.has(BASE), 'and there is no tarball');
});

t.test('ImageCache.prune', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-ic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new ImageCache(dir);
  const [base, go] = currentToolchainTags();
  const put = (name: string, ageDays: number) => {
    writeFileSync(join(dir, name), 'x');
    utimesSync(join(dir, name), new Date(NOW - ageDays * DAY), new Date(NOW - ageDays * DAY));
  };
  put(cacheFileName(base!), 100);
  put(cacheFileName(go!), 100);
  put(cacheFileName('cshared-matrix-go:1.27-0ld1'), 0);
  put(cacheFileName(ROW), 31);
  put(cacheFileName('cshared-matrix-row:used'), 31);
  put(`${cacheFileName(go!)}.partial-1`, 2);
  put('notes.txt', 1000);
  const lines: string[] = [];
  const removed = cache.prune(['cshared-matrix-row:used'], (l) => lines.push(l), NOW);
  t.same(removed, [cacheFileName('cshared-matrix-go:1.27-0ld1'), `${cacheFileName(go!)}.partial-1`, cacheFileName(ROW)].sort());
  t.same(readdirSync(dir).sort(), [cacheFileName(base!), cacheFileName(go!), cacheFileName('cshared-matrix-row:used'), 'notes.txt'].sort());
  t.match(lines, [`image cache: removed 3 stale files from ${dir}: ${removed.join(', ')}`]);
  t.same(
    cache.prune(['cshared-matrix-row:used'], (l) => lines.push(l), NOW),
    [],
    'then nothing',
  );
  t.equal(lines.length, 1, 'and no line');
  t.same(
    new ImageCache(join(dir, 'none')).prune([], () => t.fail('no line'), NOW),
    [],
    'a cache that does not exist yet',
  );
});
