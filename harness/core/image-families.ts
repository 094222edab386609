// The images the harness builds, one family per repository: what each sits on,
// how its tag is spelled, the most a cached tarball of it may hold, and when a
// copy of it is stale. Naming, checking, caching and pruning all ask here, so a
// new family cannot be known to some of them and missed by the others. A
// user's --rootfs image (edge/images.ts) is none of them: its tag hashes the
// user's bytes, so no recipe supersedes it, and it is never cached.
import { createHash } from 'node:crypto';

export type ImageFamily = 'base' | 'go' | 'row' | 'lang' | 'floor' | 'floor-go';

const GIB = 2 ** 30;

export interface FamilyFacts {
  repository: string;
  /** Hashed first into every tag: bumped when what the tag hashes changes meaning, so no old image passes for a new one. */
  salt: string;
  /** The family its images are built on; pruning removes children before their parents. */
  parent?: ImageFamily;
  /** The most a tarball of it in the image cache may decompress to (core/image-tarball.ts). */
  capBytes: number;
  /**
   * When its tarball in the image cache is stale: `superseded` as soon as the
   * recipes name another tag; `unused` when keyed by what the layer adds (no
   * recipe names it), so only after a while unused.
   */
  cacheLife: 'superseded' | 'unused';
}

export const IMAGE_FAMILIES: Readonly<Record<ImageFamily, FamilyFacts>> = {
  base: { repository: 'cshared-matrix-base', salt: 'base-v2', capBytes: 4 * GIB, cacheLife: 'superseded' },
  go: { repository: 'cshared-matrix-go', salt: 'go-v1', parent: 'base', capBytes: 6 * GIB, cacheLife: 'superseded' },
  row: { repository: 'cshared-matrix-row', salt: 'row-v1', parent: 'go', capBytes: 8 * GIB, cacheLife: 'unused' },
  lang: { repository: 'cshared-matrix-lang', salt: 'lang-v1', parent: 'base', capBytes: 3 * GIB, cacheLife: 'unused' },
  // An older Debian's own toolchain (--glibc-floor, core/floor-toolchain.ts), and on it the Go tree of a Go image.
  floor: { repository: 'cshared-matrix-floor', salt: 'floor-v1', capBytes: 5 * GIB, cacheLife: 'superseded' },
  'floor-go': { repository: 'cshared-matrix-floor-go', salt: 'floor-go-v1', parent: 'floor', capBytes: 6 * GIB, cacheLife: 'superseded' },
};

export const FAMILIES = Object.keys(IMAGE_FAMILIES) as ImageFamily[];

/** A short content hash: 16 hex digits of SHA-256 over the parts, each ended by a NUL so no two lists collide. */
export const contentHash = (...parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

/**
 * A family's tag: its repository, a readable name when it has one (`1.27`,
 * `arm64-python`), and the hash of what the image is built from, under the
 * family's salt. `repository` replaces the family's own (CSM_BASE_REPOSITORY).
 */
export function familyTag(family: ImageFamily, builtFrom: readonly string[], opts: { name?: string; repository?: string } = {}): string {
  const f = IMAGE_FAMILIES[family];
  const hash = contentHash(f.salt, ...builtFrom);
  return `${opts.repository ?? f.repository}:${opts.name ? `${opts.name}-` : ''}${hash}`;
}

export const familyOf = (tag: string): ImageFamily | undefined => FAMILIES.find((f) => tag.startsWith(`${IMAGE_FAMILIES[f].repository}:`));

/** How many families an image sits on: a row layer 2 (Go, base), a base 0. */
const depth = (f: ImageFamily): number => {
  const parent = IMAGE_FAMILIES[f].parent;
  return parent ? 1 + depth(parent) : 0;
};

/**
 * The harness's tags in `existing` that `current` does not name (--prune-images):
 * every family's, children before the images they sit on (a row layer before
 * its Go image, either layer before the base). Any other tag is not ours.
 */
export function supersededTags(existing: readonly string[], current: readonly string[]): string[] {
  const keep = new Set(current);
  const old = [...new Set(existing)].filter((t) => familyOf(t) && !keep.has(t));
  return old.sort((a, b) => depth(familyOf(b)!) - depth(familyOf(a)!) || a.localeCompare(b));
}

/** The families' repositories (letters and '-' only, so they go into a regular expression as they are). */
export const FAMILY_REPOSITORIES = FAMILIES.map((f) => IMAGE_FAMILIES[f].repository);
