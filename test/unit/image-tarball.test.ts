// The image cache's checks on a tarball (core/image-tarball.ts), as a hostile
// writer of the cache directory would try them: tags it does not promise,
// bombs, compressed streams inside, entries through links.
import t from 'tap';
import { familyOf, IMAGE_FAMILIES } from '../../harness/core/image-families.js';
import {
  compressionOf,
  decompressedBound,
  FLOOR_BYTES,
  MAX_RATIO,
  manifestProblem,
  TarEntries,
  tarPath,
} from '../../harness/core/image-tarball.js';

const GO = 'cshared-matrix-go:1.27-5c4a7c4a7c4a7c4a';
const BASE = 'cshared-matrix-base:5c4a7c4a7c4a7c4a';
const GIB = 2 ** 30;

t.test('decompressedBound: the file size times the ratio, at least the floor, never past the family cap', async (t) => {
  t.equal(familyOf(GO), 'go');
  t.equal(familyOf('cshared-matrix-lang:amd64-python-aa'), 'lang');
  t.equal(familyOf('adv-victim:latest'), undefined);
  t.equal(decompressedBound(GO, 263_000), FLOOR_BYTES, "the issue's 263 KB bomb (8 GB inside) gets the 64 MiB floor");
  t.equal(decompressedBound(GO, 0), FLOOR_BYTES);
  t.equal(decompressedBound(GO, 100e6), 100e6 * MAX_RATIO, 'a 100 MB tarball may hold 1.6 GB');
  t.equal(
    decompressedBound(GO, 781e6),
    IMAGE_FAMILIES.go.capBytes,
    'the real Go tarball (781 MB, 2.4 GB inside): the 6 GiB cap, well above',
  );
  t.ok(decompressedBound(GO, 781e6) > 2.4e9 * 2, 'twice the real image at least');
  t.equal(decompressedBound(BASE, 10 * GIB), 4 * GIB, 'the cap holds however large the file');
  t.equal(decompressedBound('cshared-matrix-row:aa', 10 * GIB), 8 * GIB);
  t.equal(decompressedBound('cshared-matrix-lang:aa', 10 * GIB), 3 * GIB);
  t.equal(
    decompressedBound('cshared-matrix-lang:aa', 33_000),
    FLOOR_BYTES,
    "the issue's 33 KB host-language tarball (1 GiB inside): 64 MiB",
  );
  t.equal(decompressedBound('something:else', 10 * GIB), FLOOR_BYTES, 'a tag of no family: the floor');
});

t.test('compressionOf: the streams the engine would decompress by itself', async (t) => {
  t.equal(compressionOf(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])), 'gzip');
  t.equal(compressionOf(Buffer.from('BZh91AY')), 'bzip2');
  t.equal(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  t.equal(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'zstd');
  t.equal(compressionOf(Buffer.from('manifest.json\0\0\0')), undefined, 'a tar header');
  t.equal(compressionOf(Buffer.from('{"a":1}')), undefined, 'JSON');
  t.equal(compressionOf(Buffer.from([0x1f])), undefined, 'too short to tell');
});

t.test("tarPath: as the engine's untar resolves it", async (t) => {
  const cases = {
    './manifest.json': 'manifest.json',
    '/manifest.json': 'manifest.json',
    'a/../manifest.json': 'manifest.json',
    'dir/': 'dir',
    'a//b/./c': 'a/b/c',
  };
  for (const [raw, path] of Object.entries(cases)) t.equal(tarPath(raw), path, raw);
});

t.test('TarEntries: kinds, escapes, writes through links, manifests that are links', async (t) => {
  const e = new TarEntries();
  t.equal(e.problem('abc/layer.tar', 'File'), undefined);
  t.equal(e.problem('abc', 'Directory'), undefined);
  t.equal(e.problem('def/layer.tar', 'SymbolicLink', '../abc/layer.tar'), undefined, 'a save links a shared layer');
  t.equal(e.resolve('def/layer.tar'), 'abc/layer.tar', 'and the link is followed to it');
  t.equal(e.problem('dev/sda', 'BlockDevice'), 'its entry "dev/sda" is a BlockDevice, not a file, directory or link');
  t.equal(e.problem('fifo', 'FIFO'), 'its entry "fifo" is a FIFO, not a file, directory or link');
  t.equal(e.problem('../../etc/cron.d/x', 'File'), 'its entry "../../etc/cron.d/x" is outside the archive');
  t.equal(e.problem('.', 'File'), 'its entry "." names the archive\'s root');
  t.equal(e.problem('./', 'Directory'), undefined, 'tar -C dir . writes the root as a directory');
  t.equal(e.problem('x', 'SymbolicLink', '.'), undefined);
  t.equal(
    e.problem('x/manifest.json', 'File'),
    'its entry "x/manifest.json" is written through the link x',
    'x -> . then x/manifest.json would write manifest.json',
  );
  t.equal(
    e.problem('manifest.json', 'SymbolicLink', 'blobs/evil'),
    'its manifest.json is a SymbolicLink, not a file',
    'the engine follows a link to read its manifest',
  );
  t.equal(e.problem('./repositories', 'Link', 'blobs/evil'), 'its repositories is a Link, not a file');
  t.equal(e.problem('index.json', 'File'), undefined);

  const dir = new TarEntries('test-trixie-python');
  t.equal(dir.problem('test-trixie-python/', 'Directory'), undefined);
  t.equal(dir.problem('test-trixie-python/usr/bin/python3', 'File'), undefined);
  t.equal(
    dir.problem('test-trixie-python/lib', 'SymbolicLink', '/usr/lib'),
    undefined,
    'an absolute link inside a sysroot is its own business',
  );
  t.equal(dir.problem('etc/passwd', 'File'), 'its entry "etc/passwd" is outside test-trixie-python/');
  t.equal(
    dir.problem('test-trixie-python/x', 'Link', 'etc/shadow'),
    'its hard link "test-trixie-python/x" points outside test-trixie-python/',
  );
  t.equal(
    dir.problem('test-trixie-python/lib/x', 'File'),
    'its entry "test-trixie-python/lib/x" is written through the link test-trixie-python/lib',
  );
});

// docker save (engine 20.10) of a Go-like image and the base it is built on, as ImageCache.save writes them.
const layer = (id: string) => `${id.repeat(8)}/layer.tar`;
const SAVED = [
  { Config: 'a6.json', RepoTags: [GO], Layers: [layer('fc12'), layer('481b')] },
  { Config: '3c.json', RepoTags: [BASE], Layers: [layer('5833')] },
];
const links = new TarEntries();
links.problem(layer('5833'), 'SymbolicLink', `../${layer('fc12')}`);
const layerOf = (p: string) => links.resolve(p);
const promised = { tag: GO, parents: [BASE] };

t.test('manifestProblem: exactly the promised tag and the images it is built on', async (t) => {
  const text = JSON.stringify(SAVED);
  t.equal(manifestProblem('manifest.json', text, promised), undefined, 'the save itself');
  t.equal(
    manifestProblem('manifest.json', text, promised, layerOf),
    undefined,
    "its base's layer is the Go image's first, through the link",
  );
  t.equal(manifestProblem('manifest.json', JSON.stringify([SAVED[0]]), promised, layerOf), undefined, 'without the base');

  const victim = JSON.stringify([{ ...SAVED[0], RepoTags: [GO, 'csm-victim-1234:latest'] }, SAVED[1]]);
  t.equal(
    manifestProblem('manifest.json', victim, promised),
    'its manifest.json also tags "csm-victim-1234:latest", which its file name does not promise',
    "the issue's attack: one more tag",
  );
  t.equal(
    manifestProblem('manifest.json', JSON.stringify([SAVED[0], { ...SAVED[1], RepoTags: ['adv-victim'] }]), promised),
    'its manifest.json also tags "adv-victim", which its file name does not promise',
    'a bare name is :latest to the engine',
  );
  t.equal(
    manifestProblem('manifest.json', JSON.stringify([SAVED[1]]), promised),
    `its manifest.json does not tag ${GO}`,
    "a base alone under the Go image's name",
  );
  t.equal(
    manifestProblem('manifest.json', JSON.stringify([SAVED[0], { ...SAVED[1], RepoTags: [] }]), promised),
    'its manifest.json holds an image with no tag',
  );
  t.equal(manifestProblem('manifest.json', JSON.stringify([SAVED[0], SAVED[0]]), promised), `its manifest.json tags ${GO} twice`);
  const foreignBase = JSON.stringify([SAVED[0], { ...SAVED[1], Layers: [layer('eeee')] }]);
  t.equal(manifestProblem('manifest.json', foreignBase, promised), undefined, 'before the archive is read whole, layers are not compared');
  t.equal(
    manifestProblem('manifest.json', foreignBase, promised, layerOf),
    `its manifest.json tags ${BASE}, which is not what ${GO} is built on`,
    'a base of other layers would move the base tag to an image no Go image sits on',
  );
  t.equal(manifestProblem('manifest.json', JSON.stringify([SAVED[0]]), { tag: GO, parents: [] }), undefined);
  t.equal(
    manifestProblem('manifest.json', text, { tag: GO, parents: [] }),
    `its manifest.json also tags "${BASE}", which its file name does not promise`,
    'a parent only when the chain declares it',
  );
  t.equal(
    manifestProblem('manifest.json', JSON.stringify([{ ...SAVED[0], RepoTags: [`docker.io/library/${GO}`] }]), promised),
    undefined,
    "the engine's long form of the same name",
  );
  t.equal(manifestProblem('manifest.json', 'not json', promised), 'its manifest.json is not JSON');
  t.equal(manifestProblem('manifest.json', '{}', promised), 'its manifest.json is not a list');
});

t.test('manifestProblem: the legacy repositories file and an OCI index.json', async (t) => {
  const repos = { 'cshared-matrix-go': { '1.27-5c4a7c4a7c4a7c4a': 'x' }, 'cshared-matrix-base': { '5c4a7c4a7c4a7c4a': 'y' } };
  t.equal(manifestProblem('repositories', JSON.stringify(repos), promised), undefined);
  t.equal(
    manifestProblem('repositories', JSON.stringify({ ...repos, 'adv-victim': { latest: 'x' } }), promised),
    'its repositories also tags "adv-victim:latest", which its file name does not promise',
  );
  t.equal(
    manifestProblem('repositories', JSON.stringify({ ...repos, 'adv-victim': 'x' }), promised),
    'its repositories also tags "adv-victim:?", which its file name does not promise',
  );
  const index = (names: Record<string, string>[]) =>
    JSON.stringify({ schemaVersion: 2, manifests: names.map((annotations) => ({ digest: 'sha256:00', annotations })) });
  t.equal(
    manifestProblem(
      'index.json',
      index([{ 'io.containerd.image.name': `docker.io/library/${GO}`, 'org.opencontainers.image.ref.name': '1.27-5c4a7c4a7c4a7c4a' }]),
      promised,
    ),
    undefined,
    'as engine 25 saves it',
  );
  t.equal(
    manifestProblem(
      'index.json',
      index([
        { 'io.containerd.image.name': `docker.io/library/${GO}` },
        { 'io.containerd.image.name': 'docker.io/library/adv-victim:latest' },
      ]),
      promised,
    ),
    'its index.json also tags "docker.io/library/adv-victim:latest", which its file name does not promise',
  );
  t.equal(
    manifestProblem('index.json', index([{ 'org.opencontainers.image.ref.name': 'latest' }]), promised),
    'its index.json also tags "latest", which its file name does not promise',
  );
  t.equal(manifestProblem('index.json', '{"manifests": 3}', promised), 'its index.json has no manifests list');
});
