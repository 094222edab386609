// --image-cache DIR: toolchain images as zstd-compressed `docker save` tarballs, one
// per image a run uses, named by its tag (a recipe hash). A fresh CI runner
// restores DIR (e.g. actions/cache keyed on images/) and loads in a minute what
// would take many minutes to build; see images/README.md.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { InfraError } from '../core/errors.js';
import { FAMILY_REPOSITORIES, familyOf, IMAGE_FAMILIES, supersededTags } from '../core/image-families.js';
import { decompressedBound, formatBytes, type Promised } from '../core/image-tarball.js';
import { checkedTar } from './checked-tar.js';
import { currentToolchainTags, follow, imageId } from './images.js';
import { IMAGE_CACHE_RUN, ownerLabels } from './sandbox.js';
import { compressTo, decompress, ensureZstd, zstdFault } from './zstd.js';

const DAY_MS = 24 * 3600 * 1000;
/** A row layer's tarball no run has loaded or saved for this long goes (its row may be gone, or its Go image superseded). */
export const ROW_UNUSED_MS = 30 * DAY_MS;
/** A `.partial-<pid>` file this old is what a killed save left. */
export const PARTIAL_MS = DAY_MS;

/** The tarball's file name for a tag: ':' and '/' become '_'. */
export const cacheFileName = (tag: string): string => `${tag.replace(/[:/]/g, '_')}.tar.zst`;

const REPOSITORIES = FAMILY_REPOSITORIES.join('|');
/** A tarball of the gzip format before it (a .tar.gz of one of the harness's tags): stale, whatever its age. */
const LEGACY_GZIP = new RegExp(`^(?:${REPOSITORIES})_[\\w][\\w.-]*\\.tar\\.gz$`);
const CACHE_FILE = new RegExp(`^(${REPOSITORIES})_([\\w][\\w.-]*)\\.tar\\.zst$`);

/** The image tag a tarball's name stands for, or undefined for any other file (the harness names only its image families' tags). */
export function tagOfCacheFile(name: string): string | undefined {
  const m = CACHE_FILE.exec(name);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

export interface CacheFile {
  name: string;
  mtimeMs: number;
}

/**
 * Which files of the cache are stale. `current`: every tag the recipes name
 * now (base, Go images of versions.json) and the run's own images; a base or
 * Go tarball of another tag is superseded. A row or host-language tarball (keyed
 * by what its layer adds, so named by no recipe) goes when the run does not use
 * it and nothing has used it for ROW_UNUSED_MS; a partial file after
 * PARTIAL_MS. Any other file is not the cache's and stays. Pure.
 */
export function staleFiles(files: readonly CacheFile[], current: readonly string[], now: number): string[] {
  const keep = new Set(current);
  return files
    .filter(({ name, mtimeMs }) => {
      if (/\.partial-\d+$/.test(name)) return now - mtimeMs > PARTIAL_MS;
      if (LEGACY_GZIP.test(name)) return true;
      const tag = tagOfCacheFile(name);
      if (!tag) return false;
      if (IMAGE_FAMILIES[familyOf(tag)!].cacheLife === 'unused') return !keep.has(tag) && now - mtimeMs > ROW_UNUSED_MS;
      return supersededTags([tag], current).length > 0;
    })
    .map((f) => f.name)
    .sort();
}

/**
 * The tags to save with `first`: those of `others` whose layers are the first
 * layers of `first` (what it is built on), so the tarball stores each layer
 * once and restores the whole chain; a tag the engine lacks (undefined) or that
 * was rebuilt since `first` was built on it is left out. Pure.
 */
export function ancestorTags(
  first: readonly string[],
  others: readonly { tag: string; layers: readonly string[] | undefined }[],
): string[] {
  return others.filter((o) => o.layers && o.layers.length <= first.length && o.layers.every((l, i) => first[i] === l)).map((o) => o.tag);
}

export { formatBytes };

const seconds = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
/** Load errors that are the engine's or the disk's, not the tarball's: the file stays. */
const NOT_THE_TARBALL = /no space left on device|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|docker\.sock/i;

/**
 * `file` decompressed, checked (edge/checked-tar.ts) and streamed into the
 * engine's load: why not, if it failed; `refused` when the checks refused it.
 * The file's own fault comes first: the engine may take a truncated stream
 * for a short tarball.
 */
async function loadChecked(docker: Docker, file: string, tags: Promised): Promise<{ why: string; refused: boolean } | undefined> {
  const z = decompress(file);
  const checked = checkedTar(z.stream, { bound: decompressedBound(tags.tag, statSync(file).size), tags, sourceDone: z.done });
  let engine: string | undefined;
  try {
    try {
      await follow(docker, await docker.loadImage(checked.stream, { quiet: true }), () => undefined, 'the engine could not load it');
      // Whatever the engine left unread is drained, so that every check has run.
      checked.stream.resume();
      await z.done.catch(() => undefined);
    } catch (e) {
      // Unread, zstd ends at once: of its own fault if the file has one, else of the closed pipe.
      checked.stop();
      engine = firstLine(e);
    }
    const fault = await zstdFault(z.done);
    if (fault) return { why: fault, refused: false };
  } finally {
    z.stop();
  }
  const refusal = await checked.verdict;
  if (refusal) return { why: refusal, refused: true };
  if (engine) return { why: engine, refused: false };
  return (await imageId(docker, tags.tag)) ? undefined : { why: `it does not hold ${tags.tag}`, refused: false };
}

/** GET /images/get?names=…: one tarball of several images, each layer once (dockerode has it; its types do not). */
type SavesImages = Docker & { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> };

async function layersOf(docker: Docker, tag: string): Promise<string[] | undefined> {
  try {
    return (await docker.getImage(tag).inspect()).RootFS?.Layers ?? [];
  } catch {
    return undefined;
  }
}

export class ImageCache {
  constructor(readonly dir: string) {}

  fileFor(tag: string): string {
    return join(this.dir, cacheFileName(tag));
  }

  has(tag: string): boolean {
    return existsSync(this.fileFor(tag));
  }

  /**
   * Save `tags[0]` and, with it, those of the further tags it is built on
   * (ancestorTags) into one tarball named for `tags[0]`: the engine's export,
   * through zstd (edge/zstd.ts) to a partial file in the cache, renamed when complete.
   * Throws InfraError (the partial file removed); the caller decides whether
   * that fails anything.
   */
  async save(docker: Docker, tags: readonly string[], say: (line: string) => void): Promise<void> {
    const [first, ...rest] = tags;
    if (!first) return;
    const own = await layersOf(docker, first);
    if (!own) throw new InfraError(`the engine has no image ${first} to save`);
    const names = [first, ...ancestorTags(own, await Promise.all(rest.map(async (tag) => ({ tag, layers: await layersOf(docker, tag) }))))];
    const file = this.fileFor(first);
    const partial = `${file}.partial-${process.pid}`;
    const t0 = Date.now();
    try {
      mkdirSync(this.dir, { recursive: true });
      await ensureZstd(say);
      await compressTo(await (docker as SavesImages).getImages({ names }), partial);
      renameSync(partial, file);
    } catch (e) {
      rmSync(partial, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new InfraError(
          `no space left in ${this.dir} for the tarball of ${first}: free space there, or point --image-cache at a larger disk`,
        );
      throw new InfraError(`saving ${names.join(' + ')} to ${this.dir} failed: ${firstLine(e)}`);
    }
    say(`image cache: saved ${names.join(' + ')} to ${file} (${formatBytes(statSync(file).size)}) in ${seconds(t0)}`);
  }

  /**
   * A host-language layer (edge/lang-images.ts) is kept as its directory
   * alone, a zstd-compressed tar of `dir` read from a container of the image: a
   * `docker save` of it would carry every layer of the base under it, a
   * gigabyte per row. lang-images.ts restores it onto the base.
   */
  async saveDir(docker: Docker, tag: string, dir: string, say: (line: string) => void): Promise<void> {
    const file = this.fileFor(tag);
    const partial = `${file}.partial-${process.pid}`;
    const t0 = Date.now();
    let c: Docker.Container | undefined;
    try {
      mkdirSync(this.dir, { recursive: true });
      await ensureZstd(say);
      c = await docker.createContainer({
        Image: tag,
        Cmd: ['true'],
        Labels: { ...ownerLabels(IMAGE_CACHE_RUN), 'cshared-matrix.cache': 'save' },
        HostConfig: { NetworkMode: 'none' },
      });
      await compressTo((await c.getArchive({ path: dir })) as unknown as NodeJS.ReadableStream, partial);
      renameSync(partial, file);
    } catch (e) {
      rmSync(partial, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new InfraError(
          `no space left in ${this.dir} for ${dir} of ${tag}: free space there, or point --image-cache at a larger disk`,
        );
      throw new InfraError(`saving ${dir} of ${tag} to ${this.dir} failed: ${firstLine(e)}`);
    } finally {
      await c?.remove({ force: true }).catch(() => undefined);
    }
    say(`image cache: saved ${dir} of ${tag} to ${file} (${formatBytes(statSync(file).size)}) in ${seconds(t0)}`);
  }

  /**
   * A host-language layer from its directory's tarball, by `restore`
   * (lang-images.ts restoreLangImage, which checks the tarball as it streams).
   * One that cannot be restored is said, deleted, and undefined returned: the
   * layer is built instead.
   */
  async restoreDir<T>(tag: string, restore: (tarball: string) => Promise<T>, say: (line: string) => void): Promise<T | undefined> {
    const file = this.fileFor(tag);
    const t0 = Date.now();
    try {
      const image = await restore(file);
      this.touch(tag);
      say(`image cache: restored ${tag} from ${file} in ${seconds(t0)}`);
      return image;
    } catch (e) {
      say(`image cache: could not restore ${tag} from ${file} (${firstLine(e)}); deleted it, the layer is built instead`);
      rmSync(file, { force: true });
      return undefined;
    }
  }

  /** After a restore from it: the tarball was used (row and language tarballs go when unused for ROW_UNUSED_MS). */
  touch(tag: string): void {
    const now = new Date();
    if (this.has(tag)) utimesSync(this.fileFor(tag), now, now);
  }

  /**
   * Load `tag` from its tarball, if the cache has one. True when the engine has
   * the tag afterwards. The tarball reaches the engine only through
   * checkedTar: bounded (decompressedBound), and tagging `tag` and `parents`
   * (the images it is built on) alone. A tarball refused by those checks, that
   * the engine cannot read, or that does not hold the tag, is deleted (the
   * image is then built, and saved anew); one that failed for the engine's or
   * the disk's reasons is kept.
   */
  async load(docker: Docker, tag: string, say: (line: string) => void, parents: readonly string[] = []): Promise<boolean> {
    const file = this.fileFor(tag);
    if (!existsSync(file)) {
      say(`image cache: no tarball of ${tag} in ${this.dir}`);
      return false;
    }
    const t0 = Date.now();
    await ensureZstd(say);
    const problem = await loadChecked(docker, file, { tag, parents });
    if (problem && !problem.refused && NOT_THE_TARBALL.test(problem.why)) {
      say(`image cache: could not load ${tag} from ${file} (${problem.why}); the tarball is kept`);
      return false;
    }
    if (problem) {
      say(`image cache: ${file} is ${problem.refused ? 'refused' : 'corrupt'} (${problem.why}); deleted it, ${tag} is built instead`);
      rmSync(file, { force: true });
      return false;
    }
    const now = new Date();
    utimesSync(file, now, now);
    say(`image cache: loaded ${tag} from ${file} in ${seconds(t0)}`);
    return true;
  }

  /** Remove the stale tarballs (staleFiles); `keepTags`: the images this run uses. Returns the names removed. */
  prune(keepTags: readonly string[], say: (line: string) => void, now = Date.now()): string[] {
    if (!existsSync(this.dir)) return [];
    const files = readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => ({ name: d.name, mtimeMs: statSync(join(this.dir, d.name)).mtimeMs }));
    const stale = staleFiles(files, [...currentToolchainTags(), ...keepTags], now);
    for (const name of stale) rmSync(join(this.dir, name), { force: true });
    if (stale.length)
      say(`image cache: removed ${stale.length} stale file${stale.length > 1 ? 's' : ''} from ${this.dir}: ${stale.join(', ')}`);
    return stale;
  }
}
