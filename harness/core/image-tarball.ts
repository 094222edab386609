// What a tarball of the image cache may hold, checked before the engine acts
// on it: whoever can write the cache directory (a restored actions/cache entry,
// another user of the machine) writes these files, so a tarball is data that
// must prove it is what its name promises. Pure: edge/checked-tar.ts feeds it
// the entries of the stream as they pass.
import { posix } from 'node:path';
import { familyOf, IMAGE_FAMILIES } from './image-families.js';

/**
 * zstd -3 packs these tarballs about 3× (the Go image with its base: 2.4 GB as
 * 781 MB); 16× leaves room for any real image and none for a bomb.
 */
export const MAX_RATIO = 16;
/** A tiny image's tarball is mostly tar padding, which compresses far beyond any ratio. */
export const FLOOR_BYTES = 64 * 2 ** 20;
/** manifest.json, index.json and repositories are a few kilobytes; more is not a save of ours. */
export const MAX_MANIFEST_BYTES = 2 ** 20;

export const formatBytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`);

/**
 * The most `tag`'s tarball of `compressedBytes` may decompress to: its size
 * times MAX_RATIO (at least FLOOR_BYTES), never past its family's cap. Derived
 * from nothing the cache's writer chooses but the file's size, which only
 * raises the bound up to the cap; no sidecar can raise it further.
 */
export function decompressedBound(tag: string, compressedBytes: number): number {
  const family = familyOf(tag);
  const cap = family ? IMAGE_FAMILIES[family].capBytes : FLOOR_BYTES;
  return Math.min(cap, Math.max(FLOOR_BYTES, compressedBytes * MAX_RATIO));
}

const MAGIC: [string, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];
/** Bytes needed to tell a compressed stream: the longest magic. */
export const MAGIC_BYTES = 6;

/**
 * The compression `head` starts with, if any: the engine decompresses a loaded
 * archive, a layer in it, and an archive put into a container by itself, so a
 * compressed stream inside the zstd one would escape the bound.
 */
export function compressionOf(head: Uint8Array): string | undefined {
  return MAGIC.find(([, m]) => m.every((b, i) => head[i] === b))?.[0];
}

/** A tar path as the engine's untar resolves it: no leading '/', '.' or '..' segments left. */
export const tarPath = (p: string): string => posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');

export const MANIFEST_NAMES = ['manifest.json', 'index.json', 'repositories'] as const;
export type ManifestName = (typeof MANIFEST_NAMES)[number];
export const isManifest = (path: string): path is ManifestName => (MANIFEST_NAMES as readonly string[]).includes(path);

const KINDS = ['File', 'OldFile', 'Directory', 'SymbolicLink', 'Link'];

/**
 * Tracks one tar stream's entries. An entry is refused when its kind is not
 * a file, directory or link (a device node, a FIFO), when it reaches outside
 * (`..`) or under a symbolic link written before it (writing through it), or
 * when `under` is given and it is not inside that directory; a manifest must
 * be a plain file (the engine follows a link to read it). Returns why, or
 * undefined.
 */
export class TarEntries {
  /** Each symbolic link so far: its path, and its target as written. */
  private readonly links = new Map<string, string>();
  constructor(private readonly under?: string) {}

  problem(raw: string, kind: string, linkpath?: string): string | undefined {
    const path = tarPath(raw);
    const shown = JSON.stringify(raw);
    if (!KINDS.includes(kind)) return `its entry ${shown} is a ${kind}, not a file, directory or link`;
    if (!path && kind !== 'Directory') return `its entry ${shown} names the archive's root`;
    // A hard link names another entry of the archive: it must be one this archive may hold.
    if (kind === 'Link' && linkpath !== undefined) {
      const target = this.outside(linkpath);
      if (target) return `its hard link ${shown} points ${target}`;
    }
    const outside = this.outside(raw);
    if (outside) return `its entry ${shown} is ${outside}`;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++)
      if (this.links.has(parts.slice(0, i).join('/')))
        return `its entry ${shown} is written through the link ${parts.slice(0, i).join('/')}`;
    if (this.under === undefined && isManifest(path) && kind !== 'File' && kind !== 'OldFile')
      return `its ${path} is a ${kind}, not a file`;
    if (kind === 'SymbolicLink') this.links.set(path, linkpath ?? '');
    return undefined;
  }

  /** The entry `raw` stands for, its links followed (a save writes a layer shared by two images once, and links the other name to it). */
  resolve(raw: string): string {
    let path = tarPath(raw);
    for (let hops = 0; this.links.has(path) && hops < 16; hops++) {
      const target = this.links.get(path)!;
      path = tarPath(target.startsWith('/') ? target : posix.join(posix.dirname(path), target));
    }
    return path;
  }

  private outside(raw: string): string | undefined {
    const path = tarPath(raw);
    if (raw.split('/').includes('..')) return 'outside the archive';
    if (this.under !== undefined && path !== this.under && !path.startsWith(`${this.under}/`)) return `outside ${this.under}/`;
    return undefined;
  }
}

/** The tags a tarball may carry: the one its file name promises, and the images it is built on (RunImages' chain). */
export interface Promised {
  tag: string;
  parents: readonly string[];
}

interface SaveEntry {
  RepoTags?: unknown;
  Layers?: unknown;
}

/** A reference the engine would tag, short form: `docker.io/library/x:t` is `x:t`. */
const shortRef = (ref: string): string => ref.replace(/^docker\.io\/(library\/)?/, '');

/** Every tag a manifest file names (the engine tags exactly these), with the layers of each tagged image where the format says. */
export function manifestTags(
  name: ManifestName,
  text: string,
): { tags: string[]; images: { tags: string[]; layers: string[] }[] } | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return `its ${name} is not JSON`;
  }
  if (name === 'manifest.json') {
    if (!Array.isArray(data)) return 'its manifest.json is not a list';
    const images = (data as SaveEntry[]).map((e) => ({ tags: strings(e?.RepoTags), layers: strings(e?.Layers) }));
    return { tags: images.flatMap((i) => i.tags), images };
  }
  if (name === 'repositories') {
    if (!isRecord(data)) return 'its repositories is not an object';
    return {
      tags: Object.entries(data).flatMap(([repo, tags]) => (isRecord(tags) ? Object.keys(tags).map((t) => `${repo}:${t}`) : [`${repo}:?`])),
      images: [],
    };
  }
  const manifests = isRecord(data) && Array.isArray(data.manifests) ? (data.manifests as unknown[]) : undefined;
  if (!manifests) return 'its index.json has no manifests list';
  const refs = manifests.flatMap((m) => {
    const a = isRecord(m) && isRecord(m.annotations) ? m.annotations : {};
    return [a['io.containerd.image.name'], a['org.opencontainers.image.ref.name']].filter((r): r is string => typeof r === 'string');
  });
  return { tags: refs, images: [] };
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : []);

/**
 * Why a manifest file of a tarball promised to hold `p` is refused, or
 * undefined: it must name `p.tag`, and every tag it names must be `p.tag` or
 * one of `p.parents` (an index's bare tag name must be one of theirs); an image
 * with no tag is refused too. Given `layerOf` (the whole archive read, its
 * links known), each parent's layers in manifest.json must be the first layers
 * of the promised image, as ancestorTags saved them.
 */
export function manifestProblem(name: ManifestName, text: string, p: Promised, layerOf?: (path: string) => string): string | undefined {
  const found = manifestTags(name, text);
  if (typeof found === 'string') return found;
  const allowed = [p.tag, ...p.parents];
  const bare = new Set(allowed.map((t) => t.slice(t.indexOf(':') + 1)));
  const foreign = found.tags.filter((t) => !allowed.includes(shortRef(t)) && !(name === 'index.json' && bare.has(t)));
  if (foreign.length)
    return `its ${name} also tags ${foreign.map((t) => JSON.stringify(t)).join(', ')}, which its file name does not promise`;
  if (!found.tags.some((t) => shortRef(t) === p.tag || (name === 'index.json' && t === p.tag.slice(p.tag.indexOf(':') + 1))))
    return `its ${name} does not tag ${p.tag}`;
  if (found.images.some((i) => !i.tags.length)) return `its ${name} holds an image with no tag`;
  const own = found.images.filter((i) => i.tags.includes(p.tag));
  if (own.length > 1) return `its ${name} tags ${p.tag} twice`;
  if (!layerOf || !own[0]) return undefined;
  const ownLayers = own[0].layers.map(layerOf);
  const stranger = found.images.find(
    (i) => i !== own[0] && !(i.layers.length <= ownLayers.length && i.layers.every((l, k) => ownLayers[k] === layerOf(l))),
  );
  return stranger && `its ${name} tags ${stranger.tags.join(', ')}, which is not what ${p.tag} is built on`;
}
