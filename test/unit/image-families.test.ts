// The image families (core/image-families.ts): one definition that tags,
// the image cache and --prune-images all read.
import t from 'tap';
import { langSupport } from '../../harness/core/host-langs.js';
import { contentHash, FAMILIES, familyOf, familyTag, IMAGE_FAMILIES, supersededTags } from '../../harness/core/image-families.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { currentFloorTags } from '../../harness/edge/floor-images.js';
import { cacheFileName, staleFiles, tagOfCacheFile } from '../../harness/edge/image-cache.js';
import { currentBaseTag, readGoVersions } from '../../harness/edge/images.js';
import { currentLangTags, langImageTag } from '../../harness/edge/lang-images.js';

t.test('every family: its tag names it, its tarball name round-trips, and it sits on a family that exists', async (t) => {
  t.same(FAMILIES, ['base', 'go', 'row', 'lang', 'floor', 'floor-go']);
  for (const f of FAMILIES) {
    const tag = familyTag(f, ['x'], { name: f === 'go' ? '1.27' : undefined });
    t.equal(familyOf(tag), f, `${tag} is of ${f}`);
    t.equal(tagOfCacheFile(cacheFileName(tag)), tag, `${f}: the image cache names it`);
    const parent = IMAGE_FAMILIES[f].parent;
    if (parent) t.ok(IMAGE_FAMILIES[parent], `${f} sits on ${parent}`);
  }
  t.equal(familyOf('cshared-matrix-rootfs:1234'), undefined, 'a user rootfs is no family');
  t.equal(familyOf('cshared-matrix-golang:1'), undefined, 'a repository that only starts like one');
});

t.test('familyTag: repository, name, and the salted hash of what it is built from', async (t) => {
  t.equal(
    familyTag('go', ['b', 'd', '1.27', 'trixie'], { name: '1.27' }),
    `cshared-matrix-go:1.27-${contentHash('go-v1', 'b', 'd', '1.27', 'trixie')}`,
  );
  t.equal(familyTag('row', ['g']), `cshared-matrix-row:${contentHash('row-v1', 'g')}`);
  t.equal(familyTag('base', ['r'], { repository: 'other-base' }), `other-base:${contentHash('base-v2', 'r')}`);
  t.not(familyTag('row', ['g']), familyTag('lang', ['g']).replace('lang', 'row'), 'the salt tells families apart');
  t.not(contentHash('ab', 'c'), contentHash('a', 'bc'), 'parts are delimited');
});

t.test('supersededTags: host-language images too, each before the base it sits on', async (t) => {
  const current = ['cshared-matrix-base:aaaa', 'cshared-matrix-go:1.27-bbbb', 'cshared-matrix-lang:arm64-python-cccc'];
  const existing = [
    ...current,
    'cshared-matrix-lang:arm64-python-0ld1',
    'cshared-matrix-lang:musl-aarch64-python-0ld2',
    'cshared-matrix-base:0ld0',
    'cshared-matrix-row:0ld3',
    'cshared-matrix-rootfs:1234',
    'lang:arm64-python-0ld1',
  ];
  t.same(supersededTags(existing, current), [
    'cshared-matrix-row:0ld3',
    'cshared-matrix-lang:arm64-python-0ld1',
    'cshared-matrix-lang:musl-aarch64-python-0ld2',
    'cshared-matrix-base:0ld0',
  ]);
});

t.test("staleFiles: a host-language tarball lives as a row layer's does (unused for 30 days), a Go one as the recipes say", async (t) => {
  const DAY = 24 * 3600 * 1000;
  const now = 100 * DAY;
  const files = ['cshared-matrix-lang:a-0ld', 'cshared-matrix-lang:b-new', 'cshared-matrix-go:1.27-0ld'].map((tag) => ({
    name: cacheFileName(tag),
    mtimeMs: tag.endsWith('0ld') ? 0 : now - DAY,
  }));
  t.same(staleFiles(files, [], now), [cacheFileName('cshared-matrix-go:1.27-0ld'), cacheFileName('cshared-matrix-lang:a-0ld')]);
});

t.test('currentLangTags: every layer the built-in rows may need, on the current base; --prune-images keeps them', async (t) => {
  const tags = currentLangTags();
  const base = currentBaseTag();
  for (const [row, lang] of [
    ['arm64-glibc', 'python'],
    ['arm64-glibc', 'java'],
    ['arm64-musl', 'python'],
  ] as const) {
    const s = langSupport(PLATFORMS.find((p) => p.name === row)!, lang);
    if (s.kind !== 'layer') throw new Error(`${row} ${lang}: no layer`);
    t.ok(tags.includes(langImageTag(base, s.layer)), `${row} ${lang}`);
  }
  t.ok(tags.every((x) => familyOf(x) === 'lang'));
  t.same(supersededTags(tags, tags), []);
  t.same(supersededTags([...tags, 'cshared-matrix-lang:arm64-python-0000000000000000'], tags), [
    'cshared-matrix-lang:arm64-python-0000000000000000',
  ]);
});

t.test('currentFloorTags: each release below today, and on it each Go image of versions.json; --prune-images keeps them', async (t) => {
  const tags = currentFloorTags();
  const floors = tags.filter((x) => familyOf(x) === 'floor');
  t.same(
    floors.map((x) => x.replace(/-[0-9a-f]{16}$/, '')),
    ['cshared-matrix-floor:bullseye', 'cshared-matrix-floor:bookworm'],
  );
  t.equal(tags.filter((x) => familyOf(x) === 'floor-go').length, 2 * readGoVersions().length);
  t.same(supersededTags(tags, tags), []);
  const old = ['cshared-matrix-floor:bullseye-0000000000000000', 'cshared-matrix-floor-go:1.27-0000000000000000'];
  t.same(supersededTags([...tags, ...old], tags), [old[1], old[0]], 'a Go layer before the toolchain it sits on');
});
