import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { InfraError, UsageError } from '../core/errors.js';
import { familyTag, IMAGE_FAMILIES, supersededTags } from '../core/image-families.js';
import { notOwnDir } from '../core/own-dir.js';
import { PLATFORMS } from '../core/platforms.js';
import { type BaseRecipe, deriveRecipe, type RowLayer, rowLayer, rowLayerFiles, rowLayerKey } from '../core/recipe.js';
import { type GccgoSeries, gccgoToolchain, LIBGO, withToolchain } from '../core/toolchains.js';
import type { GoToolchain, Platform } from '../core/types.js';
import { debianMirror } from './host-apt.js';
import { REPO_ROOT, readJsonFile } from './repo.js';

export const IMAGES_DIR = join(REPO_ROOT, 'images');
/** Every image the harness builds carries its own tag under this label. */
export const IMAGE_LABEL = 'org.cshared-matrix.recipe';
const LABEL = IMAGE_LABEL;
/** What a base image was built from: `<image>@<its id>` on the registry path, `mmdebstrap` on the other (edge/base-image.ts). */
export const BASE_FROM_LABEL = 'org.cshared-matrix.base-from';

export interface BuiltImage {
  tag: string;
  id: string;
  built: boolean;
  seconds: number;
}

export type { BaseRecipe } from '../core/recipe.js';

/**
 * The base image's recipe: images/base/recipe.json plus the built-in rows'
 * packages (core/recipe.ts). `text` is what the tag hashes: the derived recipe,
 * so a row's new package is a new image.
 */
export function readBaseRecipe(rows: readonly Platform[] = PLATFORMS): { recipe: BaseRecipe; text: string } {
  const file = JSON.parse(readFileSync(join(IMAGES_DIR, 'base', 'recipe.json'), 'utf8')) as BaseRecipe & { $comment?: string };
  delete file.$comment;
  const recipe = deriveRecipe(file, rows);
  return { recipe, text: `${JSON.stringify(recipe, null, 2)}\n` };
}

export function readGoVersions(): GoToolchain[] {
  const file = join(IMAGES_DIR, 'go', 'versions.json');
  const data = readJsonFile(file) as { versions?: GoToolchain[] };
  if (!Array.isArray(data?.versions) || !data.versions.length)
    throw new UsageError(`${file}: must hold {"versions": [{"version": …}, …]} with at least one Go release`);
  return data.versions;
}

/** images/go/versions.json's gccgo series; undefined when it names none. */
export function readGccgoSeries(): GccgoSeries | undefined {
  const file = join(IMAGES_DIR, 'go', 'versions.json');
  const g = (readJsonFile(file) as { gccgo?: { gcc?: unknown } })?.gccgo;
  if (g === undefined) return undefined;
  if (typeof g?.gcc !== 'string' || !LIBGO[g.gcc])
    throw new UsageError(
      `${file}: "gccgo" must be {"gcc": "<a GCC series whose libgo package harness/core/toolchains.ts LIBGO names: ${Object.keys(LIBGO).join(', ')}>"}`,
    );
  return { gcc: g.gcc };
}

/** Tags are content hashes: an unchanged recipe maps to an existing image, a changed one to a new tag. */
/**
 * The base's tag hashes its recipe and images/base/Dockerfile, whichever way
 * it is built: a fix to the registry path's Dockerfile must not leave a base it
 * built before (in an engine, or an image cache) under the tag.
 */
export const baseTag = (recipeText: string, dockerfile: string = baseDockerfile()): string =>
  familyTag('base', [recipeText, dockerfile], { repository: baseRepository() });
let dockerfileText: string | undefined;
const baseDockerfile = (): string => (dockerfileText ??= readFileSync(join(IMAGES_DIR, 'base', 'Dockerfile'), 'utf8'));

/**
 * cshared-matrix-base, unless CSM_BASE_REPOSITORY names another: a test that
 * builds the base a second way, beside the one every other run shares
 * (test/integration/base-registry.test.ts). The images on a base follow it
 * by their hashes, so the whole chain stays apart; the hash is the recipe's.
 */
function baseRepository(): string {
  const repo = process.env.CSM_BASE_REPOSITORY || IMAGE_FAMILIES.base.repository;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(repo))
    throw new UsageError(
      `CSM_BASE_REPOSITORY ${JSON.stringify(repo)} is not a repository name: lower-case letters, digits and . _ - between them`,
    );
  return repo;
}
export const goTag = (base: string, dockerfile: string, go: GoToolchain): string =>
  familyTag('go', [base, dockerfile, go.version, go.suite], { name: go.version });

/** A user row's own packages on top of a Go image, keyed by what it adds. */
export const rowTag = (goImage: string, dockerfile: string, layer: RowLayer): string =>
  familyTag('row', [goImage, dockerfile, rowLayerKey(layer)]);

/** The base image's tag under the current recipe, without building anything. */
export const currentBaseTag = (): string => baseTag(readBaseRecipe().text);

/** A Go image's tag under the current recipes (images/go/Dockerfile on `base`), known before the base is built or even present. */
export const goImageTag = (go: GoToolchain, base: string = currentBaseTag()): string =>
  goTag(base, readFileSync(join(IMAGES_DIR, 'go', 'Dockerfile'), 'utf8'), go);

/** A user row's layer tag on the Go image `goImage` (images/row/Dockerfile). */
export const rowImageTag = (goImage: string, layer: RowLayer): string =>
  rowTag(goImage, readFileSync(join(IMAGES_DIR, 'row', 'Dockerfile'), 'utf8'), layer);

/**
 * Every toolchain tag the current recipes name: the base, one Go layer per
 * row of versions.json, and on each the built-in rows' own layers (the
 * Windows rows') and gccgo layers (any Go may drive gccgo).
 */
export function currentToolchainTags(): string[] {
  const base = currentBaseTag();
  const { recipe } = readBaseRecipe();
  const series = readGccgoSeries();
  return unique([
    base,
    ...readGoVersions().flatMap((g) => {
      const goTag = goImageTag(g, base);
      const gccgo = series ? gccgoToolchain(series, g) : undefined;
      // The rows' own layers (the Windows rows' mingw-w64 and Wine), and each row's gccgo layer.
      const own = PLATFORMS.flatMap((p) => rowLayer(recipe, p) ?? []);
      const layers = gccgo ? PLATFORMS.flatMap((p) => rowLayer(recipe, withToolchain(p, gccgo)) ?? []) : [];
      return unique([goTag, ...[...own, ...layers].map((l) => rowImageTag(goTag, l))]);
    }),
  ]);
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/**
 * Remove the images of every family that `current` (the tags the recipes name
 * now) does not name (--prune-images): a nightly machine otherwise keeps a
 * gigabyte for every recipe change. An image a container still uses (another
 * run) stays, with a line saying so.
 */
export async function pruneImages(docker: Docker, current: readonly string[], say: (line: string) => void): Promise<string[]> {
  const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
  const removed: string[] = [];
  for (const tag of supersededTags(tags, current)) {
    try {
      await docker.getImage(tag).remove();
      removed.push(tag);
    } catch (e) {
      say(`kept ${tag}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (removed.length) say(`removed ${removed.length} superseded image${removed.length > 1 ? 's' : ''}: ${removed.join(', ')}`);
  return removed;
}

/** The image's id, or undefined when the engine has no such tag. */
export async function imageId(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(tag).inspect()).Id;
  } catch {
    return undefined;
  }
}

/**
 * Where mmdebstrap writes a rootfs tarball for an image build: one directory
 * per user, since mmdebstrap writes it as root (sudo) and the harness, as the
 * user, must still remove it. Its name is known in advance, so another local
 * user could make it first: it must be this user's own (core/own-dir.ts).
 */
export function scratchDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = uid === 0 ? '/var/tmp/cshared-matrix' : `/var/tmp/cshared-matrix-${uid}`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // Something else holds the name (a file, a dangling link): said below, as for any dir not this user's.
  }
  const s = lstatSync(dir);
  const problem = notOwnDir(dir, { isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(), uid: s.uid, mode: s.mode }, uid);
  if (problem) throw new InfraError(problem);
  return dir;
}

export function ensureFreeSpace(dir: string, gib: number): void {
  const s = statfsSync(dir);
  const free = (s.bavail * s.bsize) / 2 ** 30;
  if (free < gib)
    throw new InfraError(
      `only ${free.toFixed(1)} GiB free in ${dir}; building the toolchain image needs ${gib} GiB: free some space (e.g. docker system prune)`,
    );
}

/**
 * Follow an engine progress stream (build, import, load) to its end: each line
 * to `onLine`, and an error in the stream (or of the stream) rejects with
 * `<failure>: <the engine's message>`.
 */
export function follow(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  failure = 'image build failed',
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = err?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new InfraError(`${failure}: ${failed.trim()}`));
        else resolve();
      },
      (ev: { stream?: string; status?: string; error?: string }) => {
        const text = ev.stream ?? ev.status ?? '';
        for (const line of text.split('\n')) if (line.trim()) onLine(line.trimEnd());
      },
    );
  });
}

/** A Dockerfile layer from images/<dir>, its progress lines filtered by `show`; one place for every layer the harness builds. */
export async function buildLayer(
  docker: Docker,
  x: {
    tag: string;
    dir: string;
    buildargs: Record<string, string>;
    labels?: Record<string, string>;
    show: RegExp;
    prefix: string;
    say: (line: string) => void;
    context?: { cwd: string; files: string[] };
    /** Ends the build: its stream is closed, and the engine cancels a build whose client went away. */
    signal?: AbortSignal;
    /** The build's CPU weight against other containers (the engine's default is 1024): a layer built beside the cells yields to them. */
    cpuShares?: number;
  },
): Promise<BuiltImage> {
  const t0 = Date.now();
  const ctx = x.context ?? { cwd: join(IMAGES_DIR, x.dir), files: ['Dockerfile'] };
  const context = tar.c({ cwd: ctx.cwd, portable: true }, ctx.files);
  // The build's own last lines: the engine's error is only "exit code 1", these say why.
  const last: string[] = [];
  const stream = await docker.buildImage(
    Readable.from(context) as unknown as NodeJS.ReadableStream,
    {
      t: x.tag,
      buildargs: x.buildargs,
      labels: { ...x.labels, [LABEL]: x.tag },
      rm: true,
      forcerm: true,
      pull: false,
      ...(x.cpuShares ? { cpushares: x.cpuShares } : {}),
    } as Docker.ImageBuildOptions,
  );
  const stop = () => (stream as unknown as Readable).destroy(new InfraError(`building ${x.tag} was stopped: the run ended`));
  if (x.signal?.aborted) stop();
  x.signal?.addEventListener('abort', stop, { once: true });
  try {
    await follow(docker, stream, (line) => {
      last.push(line);
      if (last.length > 15) last.shift();
      if (x.show.test(line)) x.say(`  [${x.prefix} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
    });
  } catch (e) {
    for (const line of last) if (!x.show.test(line)) x.say(`  [${x.prefix}] ${line}`);
    // The engine's message repeats the whole RUN script on one line; the build's own E: line says what failed.
    const said = last.filter((l) => /^E: /.test(l)).pop();
    const code = /returned a non-zero code: (\d+)/.exec((e as Error).message)?.[1];
    if (said && code) throw new InfraError(`building ${x.tag} failed: ${said} (exit code ${code})`);
    throw e;
  } finally {
    x.signal?.removeEventListener('abort', stop);
  }
  const id = await imageId(docker, x.tag);
  if (!id) throw new InfraError(`building ${x.tag} finished but the engine has no such image`);
  const seconds = (Date.now() - t0) / 1000;
  x.say(`  ${x.tag} ready in ${seconds.toFixed(0)} s`);
  return { tag: x.tag, id, built: true, seconds };
}

export async function ensureGoImage(
  docker: Docker,
  base: BuiltImage,
  go: GoToolchain,
  say: (line: string) => void,
  opts: { rebuild?: boolean } = {},
): Promise<BuiltImage> {
  const tag = goImageTag(go, base.tag);
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild && !base.built) return { tag, id: existing, built: false, seconds: 0 };
  say(`building ${tag}: golang-${go.version}-go from ${go.suite}`);
  const buildargs = { BASE: base.tag, GO: go.version, SUITE: go.suite, MIRROR: debianMirror().uri };
  return buildLayer(docker, {
    tag,
    dir: 'go',
    buildargs,
    show: /^(Step |Setting up golang|go version|Successfully|E: )/,
    prefix: `go ${go.version}`,
    say,
  });
}

/**
 * A user row's packages (and dpkg architecture, and qemu binary) the base
 * lacks, in a layer of its own on the Go image: adding a row never rebuilds
 * the base, and rows that need the same things share the layer.
 */
export async function ensureRowImage(
  docker: Docker,
  goImage: BuiltImage,
  layer: RowLayer,
  say: (line: string) => void,
  opts: { rebuild?: boolean } = {},
): Promise<BuiltImage> {
  const tag = rowImageTag(goImage.tag, layer);
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild && !goImage.built) return { tag, id: existing, built: false, seconds: 0 };
  say(`building ${tag}: ${[...layer.packages, ...(layer.runner ? [layer.runner] : [])].join(' ')} on ${goImage.tag}`);
  const dir = mkdtempSync(join(tmpdir(), 'csm-row-'));
  try {
    const files = { Dockerfile: readFileSync(join(IMAGES_DIR, 'row', 'Dockerfile'), 'utf8'), ...rowLayerFiles(layer) };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const context = { cwd: dir, files: Object.keys(files) };
    return await buildLayer(docker, {
      tag,
      dir: 'row',
      buildargs: { FROM: goImage.tag },
      show: /^(Step |Setting up |Successfully|E: |wine prefix )/,
      prefix: 'row',
      say,
      context,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A user's root filesystem tarball as an image, tagged by the hash of its bytes. */
export async function ensureRootfsImage(docker: Docker, tarball: string, say: (line: string) => void): Promise<BuiltImage> {
  if (!existsSync(tarball))
    throw new UsageError(`--rootfs ${tarball}: no such file (give a root filesystem tarball, e.g. an Alpine minirootfs)`);
  const h = createHash('sha256');
  for await (const chunk of createReadStream(tarball)) h.update(chunk as Buffer);
  const tag = `cshared-matrix-rootfs:${h.digest('hex').slice(0, 16)}`;
  const existing = await imageId(docker, tag);
  if (existing) return { tag, id: existing, built: false, seconds: 0 };
  say(`importing ${tarball} as ${tag}`);
  return importRootfs(docker, tarball, tag);
}

/** A root filesystem tarball imported as the image `tag` (a user's --rootfs, an older Debian userland's libc). */
export async function importRootfs(docker: Docker, tarball: string, tag: string): Promise<BuiltImage> {
  const t0 = Date.now();
  const [repo, version] = tag.split(':') as [string, string];
  // The tarball may be compressed; the engine's import detects gzip/xz itself.
  const stream = await docker.importImage(
    createReadStream(tarball) as unknown as string,
    { repo, tag: version, changes: [`LABEL ${LABEL}=${tag}`] } as object,
  );
  await follow(docker, stream, () => undefined);
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`importing ${tarball} did not produce an image`);
  return { tag, id, built: true, seconds: (Date.now() - t0) / 1000 };
}
