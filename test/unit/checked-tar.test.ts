// edge/checked-tar.ts without an engine: what it passes on is the archive it
// checked, re-packed, and a refusal leaves the reader an archive that cannot
// end well (a poisoned header block where it would go on).
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import * as tar from 'tar';
import { checkedTar, type TarRules } from '../../harness/edge/checked-tar.js';

const GO = 'cshared-matrix-go:1.27-5c4a7c4a7c4a7c4a';
const BASE = 'cshared-matrix-base:5c4a7c4a7c4a7c4a';
const MiB = 2 ** 20;

interface E {
  path: string;
  type?: string;
  body?: string | Buffer;
  linkpath?: string;
}

/** A tar archive of `entries`, as a hostile cache writer would craft it. */
function tarOf(entries: E[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new tar.Header({
      path: e.path,
      type: (e.type ?? 'File') as 'File',
      size: body.length,
      mode: 0o644,
      linkpath: e.linkpath,
      mtime: new Date(0),
    });
    h.encode();
    parts.push(h.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const manifest = (tags: string[]) => JSON.stringify([{ Config: 'c.json', RepoTags: tags, Layers: ['aa/layer.tar'] }]);
const SAVE: E[] = [
  { path: 'aa/', type: 'Directory' },
  { path: 'aa/layer.tar', body: tarOf([{ path: 'hello.txt', body: 'hi\n' }]) },
  { path: 'bb/', type: 'Directory' },
  { path: 'bb/layer.tar', type: 'SymbolicLink', linkpath: '../aa/layer.tar' },
  { path: 'c.json', body: '{"config":{}}' },
  { path: 'manifest.json', body: manifest([GO]) },
  { path: 'repositories', body: JSON.stringify({ 'cshared-matrix-go': { '1.27-5c4a7c4a7c4a7c4a': 'aa' } }) },
];

/** Runs `src` through checkedTar and reads all it passes on. */
async function check(src: Readable | Buffer, rules: Partial<TarRules> = {}) {
  const stream = Buffer.isBuffer(src) ? Readable.from([src]) : src;
  const c = checkedTar(stream, {
    bound: 64 * MiB,
    tags: { tag: GO, parents: [BASE] },
    sourceDone: new Promise((res) => stream.on('close', res)),
    ...rules,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of c.stream) chunks.push(chunk as Buffer);
  return { verdict: await c.verdict, out: Buffer.concat(chunks) };
}

async function entriesOf(archive: Buffer): Promise<{ path: string; type: string; linkpath?: string; body: string }[]> {
  const found: { path: string; type: string; linkpath?: string; body: string }[] = [];
  const p = new tar.Parser({
    onReadEntry: (e) => {
      const body: Buffer[] = [];
      e.on('data', (c: Buffer) => body.push(c));
      e.on('end', () =>
        found.push({
          path: e.path,
          type: e.type,
          ...(e.linkpath ? { linkpath: e.linkpath } : {}),
          body: Buffer.concat(body).toString('latin1'),
        }),
      );
    },
  });
  await new Promise<void>((res) => p.end(archive, res));
  return found;
}

const poisoned = (out: Buffer) => out.length >= 512 && out.subarray(-512).every((b) => b === 0xff);

t.test('a save of its own passes, re-packed entry for entry, and ends', async (t) => {
  const archive = tarOf(SAVE);
  const { verdict, out } = await check(archive);
  t.equal(verdict, undefined);
  t.same(
    (await entriesOf(out)).map((e) => [e.path, e.type, e.linkpath ?? '', e.body]),
    (await entriesOf(archive)).map((e) => [e.path, e.type, e.linkpath ?? '', e.body]),
  );
  t.ok(
    out.subarray(-1024).every((b) => b === 0),
    'the end-of-archive blocks, only now',
  );
});

t.test('a manifest that also tags a victim: refused, and the archive never ends', async (t) => {
  const evil = SAVE.map((e) => (e.path === 'manifest.json' ? { ...e, body: manifest([GO, 'csm-victim-1:latest']) } : e));
  const { verdict, out } = await check(tarOf(evil));
  t.equal(verdict, 'its manifest.json also tags "csm-victim-1:latest", which its file name does not promise');
  t.ok(poisoned(out), 'a header no untar accepts where the archive would go on');
  t.notOk(out.includes(Buffer.from('"repositories"')), 'nothing after it');
});

t.test('a base that is not what the image is built on: refused only once the whole archive is read, before it ends', async (t) => {
  const two = JSON.stringify([
    { Config: 'c.json', RepoTags: [GO], Layers: ['aa/layer.tar'] },
    { Config: 'c.json', RepoTags: [BASE], Layers: ['zz/layer.tar'] },
  ]);
  const { verdict, out } = await check(tarOf(SAVE.map((e) => (e.path === 'manifest.json' ? { ...e, body: two } : e))));
  t.equal(verdict, `its manifest.json tags ${BASE}, which is not what ${GO} is built on`);
  t.ok(poisoned(out));
  const linked = JSON.stringify([
    { Config: 'c.json', RepoTags: [GO], Layers: ['aa/layer.tar'] },
    { Config: 'c.json', RepoTags: [BASE], Layers: ['bb/layer.tar'] },
  ]);
  t.equal(
    (await check(tarOf(SAVE.map((e) => (e.path === 'manifest.json' ? { ...e, body: linked } : e))))).verdict,
    undefined,
    "its layer through the save's link is the same",
  );
});

t.test('a zstd bomb: refused at the bound, having read no more', async (t) => {
  let read = 0;
  const zeros = Readable.from(
    (function* () {
      for (;;) {
        read += MiB;
        yield Buffer.alloc(MiB);
      }
    })(),
  );
  const t0 = Date.now();
  const { verdict, out } = await check(zeros, { bound: 8 * MiB });
  t.equal(verdict, 'it decompresses to more than 8 MB, the most its size and kind allow');
  t.ok(read <= 10 * MiB, `read ${read / MiB} MiB of an endless stream`);
  t.ok(out.length <= 512, 'zeros are no entry: nothing but the poisoned block passed on');
  t.ok(Date.now() - t0 < 5000);
});

t.test('compressed streams the engine would open by itself', async (t) => {
  t.equal((await check(gzipSync(tarOf(SAVE)))).verdict, 'it holds a gzip stream, not a tar');
  const layer = SAVE.map((e) => (e.path === 'aa/layer.tar' ? { ...e, body: gzipSync(Buffer.alloc(MiB)) } : e));
  t.equal(
    (await check(tarOf(layer))).verdict,
    'its entry "aa/layer.tar" is gzip-compressed',
    'a layer the engine would gunzip past the bound',
  );
});

t.test('entries an untar would misuse', async (t) => {
  const through = [
    { path: 'x', type: 'SymbolicLink', linkpath: '.' },
    { path: 'x/manifest.json', body: manifest([GO, 'victim:latest']) },
  ];
  t.equal((await check(tarOf(through))).verdict, 'its entry "x/manifest.json" is written through the link x');
  t.equal(
    (await check(tarOf([{ path: 'manifest.json', type: 'SymbolicLink', linkpath: 'blobs/evil' }]))).verdict,
    'its manifest.json is a SymbolicLink, not a file',
  );
  t.equal(
    (await check(tarOf([{ path: 'dev/sda', type: 'BlockDevice' }]))).verdict,
    'its entry "dev/sda" is a BlockDevice, not a file, directory or link',
  );
  const big = await check(tarOf([{ path: 'manifest.json', body: Buffer.alloc(2 * MiB, 0x20) }]));
  t.equal(big.verdict, 'its manifest.json is larger than 1048576 bytes');
});

t.test('a stream that is not a whole tar, or whose source failed', async (t) => {
  const cut = tarOf(SAVE, false).subarray(0, 700);
  const r = await check(cut);
  t.match(r.verdict, /^it is not a well-formed tar: /);
  t.ok(poisoned(r.out));
  const src = Readable.from([tarOf(SAVE)]);
  const failed = await check(src, { sourceDone: Promise.reject(new Error('zstd: truncated')) });
  t.equal(failed.verdict, 'the compressed file is not whole');
  t.ok(poisoned(failed.out), 'a whole tar from a failed source does not end either');
  const garbage = await check(Buffer.from('not a tarball'));
  t.equal(garbage.verdict, undefined, 'no tar at all: an empty archive, for the engine to say what it lacks');
  t.same(garbage.out, Buffer.alloc(1024));
});

t.test("a directory's archive: inside its directory only, re-rooted under the prefix", async (t) => {
  const rules = { tags: undefined, under: 'test-py', prefix: '/opt/csm/sysroot' };
  const ok = await check(
    tarOf([
      { path: 'test-py/', type: 'Directory' },
      { path: 'test-py/bin/python3', body: 'elf' },
      { path: 'test-py/bin/py', type: 'Link', linkpath: 'test-py/bin/python3' },
      { path: 'test-py/lib', type: 'SymbolicLink', linkpath: '/usr/lib' },
    ]),
    rules,
  );
  t.equal(ok.verdict, undefined);
  t.same(
    (await entriesOf(ok.out)).map((e) => [e.path, e.linkpath ?? '']),
    [
      ['opt/csm/sysroot/test-py/', ''],
      ['opt/csm/sysroot/test-py/bin/python3', ''],
      ['opt/csm/sysroot/test-py/bin/py', 'opt/csm/sysroot/test-py/bin/python3'],
      ['opt/csm/sysroot/test-py/lib', '/usr/lib'],
    ],
    'hard links follow their target; symbolic links keep theirs',
  );
  t.equal(
    (
      await check(
        tarOf([
          { path: 'test-py/', type: 'Directory' },
          { path: 'etc/ld.so.preload', body: '/x.so' },
        ]),
        rules,
      )
    ).verdict,
    'its entry "etc/ld.so.preload" is outside test-py/',
  );
  t.equal(
    (await check(tarOf([{ path: 'test-py/x', body: gzipSync(Buffer.alloc(10)) }]), rules)).verdict,
    undefined,
    "a compressed file is a sysroot's business (its docs are .gz)",
  );
});
