import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { InfraError } from '../core/errors.js';
import {
  type CpythonLayer,
  describeLayer,
  HOST_LANGS,
  type LangLayer,
  langLayerKey,
  layersOf,
  type SysrootLayer,
  sysrootMmdebstrapArgs,
} from '../core/host-langs.js';
import { familyTag } from '../core/image-families.js';
import { decompressedBound } from '../core/image-tarball.js';
import { PLATFORMS } from '../core/platforms.js';
import { USERLANDS, userlandLayersOf } from '../core/userlands.js';
import { checkedTar } from './checked-tar.js';
import { debianMirror } from './host-apt.js';
import {
  type BuiltImage,
  buildLayer,
  currentBaseTag,
  ensureFreeSpace,
  IMAGES_DIR,
  imageId,
  importRootfs,
  readBaseRecipe,
  scratchDir,
} from './images.js';
import { mmdebstrapFailure } from './mmdebstrap.js';
import { IMAGE_CACHE_RUN, ownerLabels } from './sandbox.js';
import { decompress, ensureZstd, zstdFault } from './zstd.js';

/**
 * A sysroot's mmdebstrap runs in a container of the base, not on this host:
 * the base is Debian with apt, so a sysroot needs neither mmdebstrap nor root
 * here, whatever the host. Its arguments come as argv, never as script text;
 * only the native architecture's lists are fetched (the base has every row's).
 */
const SYSROOT_SCRIPT = `set -eu
mkdir -p /csm
printf 'deb %s %s main\\n' "$CSM_MIRROR" "$CSM_SUITE" > /etc/apt/sources.list
rm -f /etc/apt/sources.list.d/*
arch="$(dpkg --print-architecture)"
apt-get update -q -o APT::Architectures="$arch" >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o APT::Architectures="$arch" mmdebstrap >/dev/null
exec mmdebstrap "$@"
`;
const SYSROOT_TAR = '/csm/sysroot.tar';

/**
 * A host language's layer as an image on the base (core/host-langs.ts): not
 * on a Go image, because no Go is needed to run a host, and so one layer
 * serves every Go version. Tagged by a hash of the base, the recipe files and
 * the layer, like every image here.
 */

const CPYTHON_FILES = ['Dockerfile', 'build-cpython.sh', 'atomic64.c'];

// A sysroot's recipe is the script and mmdebstrap command that make it too (hooks included), with the mirror left out as for the base.
const recipeText = (l: LangLayer): string =>
  l.kind === 'sysroot'
    ? [
        readFileSync(join(IMAGES_DIR, 'sysroot', 'Dockerfile'), 'utf8'),
        SYSROOT_SCRIPT,
        ...sysrootMmdebstrapArgs(l, '{mirror}', SYSROOT_TAR),
      ].join('\0')
    : CPYTHON_FILES.map((f) => readFileSync(join(IMAGES_DIR, 'cpython', f), 'utf8')).join('\0');

export const langImageTag = (baseTag: string, l: LangLayer): string =>
  familyTag('lang', [baseTag, recipeText(l), langLayerKey(l)], {
    name:
      l.kind === 'cpython'
        ? `musl-${l.host.split('-')[0]}-python`
        : l.lang === 'libc'
          ? `${l.debArch}-${l.suite}-${l.packages.join('-')}`
          : `${l.debArch}-${l.lang}`,
  });

/** Every host-language layer the built-in rows may need, on the current base: what --prune-images keeps. */
export const currentLangTags = (base: string = currentBaseTag()): string[] =>
  [
    ...layersOf(PLATFORMS.flatMap((platform) => HOST_LANGS.map((lang) => ({ platform, lang })))).values(),
    ...userlandLayersOf(PLATFORMS.flatMap((platform) => USERLANDS.map((u) => ({ platform, userland: u.name })))),
  ].map((l) => langImageTag(base, l));

export async function ensureLangImage(
  docker: Docker,
  base: BuiltImage,
  l: LangLayer,
  say: (line: string) => void,
  opts: { rebuild?: boolean; signal?: AbortSignal } = {},
): Promise<BuiltImage> {
  const tag = langImageTag(base.tag, l);
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild && !base.built) return { tag, id: existing, built: false, seconds: 0 };
  say(`building ${tag}: ${describeLayer(l)}`);
  const t0 = Date.now();
  const image = await (l.kind === 'sysroot'
    ? buildSysroot(docker, base, l, tag, say, opts.signal)
    : buildCpython(docker, base, l, tag, say, opts.signal));
  const seconds = (Date.now() - t0) / 1000;
  say(`  ${tag}: the layer took ${seconds.toFixed(0)} s in all`);
  return { ...image, seconds };
}

/** What a layer adds to the base: the one directory its hosts use. */
export const langContentDir = (l: LangLayer): string => (l.kind === 'sysroot' ? l.dir : l.prefix);

/** A userland's root filesystem is an image of its own, not a directory on the base: the image cache saves it whole. */
export const isRootfsLayer = (l: LangLayer): boolean => l.kind === 'sysroot' && l.dir === '/';

/**
 * A layer from its directory's tarball (ImageCache.saveDir) instead of its
 * recipe, in seconds where a CPython build takes minutes: the directory put
 * into a container of the base and committed, under the recipe's tag as for a
 * loaded toolchain image. The tarball streams from zstd through checkedTar
 * into the engine (nothing is written on this machine's disk): bounded by
 * decompressedBound, every entry inside the layer's directory, re-packed
 * under its parent. A tarball refused by those checks throws, with why.
 */
export async function restoreLangImage(
  docker: Docker,
  base: BuiltImage,
  l: LangLayer,
  tarball: string,
  say: (line: string) => void,
): Promise<BuiltImage> {
  const tag = langImageTag(base.tag, l);
  const t0 = Date.now();
  await ensureZstd(say);
  const baseCmd = (await docker.getImage(base.tag).inspect()).Config?.Cmd;
  const c = await docker.createContainer({
    Image: base.tag,
    ...(baseCmd?.length ? {} : { Cmd: ['true'] }),
    Labels: { ...ownerLabels(IMAGE_CACHE_RUN), 'cshared-matrix.cache': 'restore' },
    HostConfig: { NetworkMode: 'none' },
  });
  const z = decompress(tarball);
  const dir = langContentDir(l);
  const checked = checkedTar(z.stream, {
    bound: decompressedBound(tag, statSync(tarball).size),
    under: basename(dir),
    prefix: dirname(dir),
    sourceDone: z.done,
  });
  try {
    const put = await c.putArchive(checked.stream, { path: '/' }).then(
      () => undefined,
      (e: Error) => (checked.stop(), e),
    );
    const why = (await zstdFault(z.done)) ?? (await checked.verdict) ?? put?.message;
    if (why) throw new InfraError(why);
    const [repo, version] = tag.split(':') as [string, string];
    await c.commit({
      repo,
      tag: version,
      changes: [`LABEL org.cshared-matrix.lang=${dirname(dir)}`, `LABEL org.cshared-matrix.recipe=${tag}`],
    });
  } finally {
    z.stop();
    await c.remove({ force: true }).catch(() => undefined);
  }
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`committing ${tag} finished but the engine has no such image`);
  return { tag, id, built: true, seconds: (Date.now() - t0) / 1000 };
}

async function buildSysroot(
  docker: Docker,
  base: BuiltImage,
  l: SysrootLayer,
  tag: string,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<BuiltImage> {
  const work = scratchDir();
  ensureFreeSpace(work, 2);
  const dir = mkdtempSync(join(work, 'sysroot-'));
  try {
    await extractSysroot(docker, base, l, dir, say, signal);
    // An older userland a native host runs in (core/userlands.ts) is the image's whole root, imported as --rootfs is (the supervisor is static).
    if (isRootfsLayer(l)) return await importRootfs(docker, join(dir, 'sysroot.tar'), tag);
    cpSync(join(IMAGES_DIR, 'sysroot', 'Dockerfile'), join(dir, 'Dockerfile'));
    return await buildLayer(docker, {
      tag,
      dir: 'sysroot',
      buildargs: { BASE: base.tag, DIR: l.dir },
      show: /^(Step |E: )/,
      prefix: `sysroot ${l.debArch} ${l.lang}`,
      say,
      context: { cwd: dir, files: ['Dockerfile', 'sysroot.tar'] },
      ...(signal ? { signal } : {}),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The sysroot's tarball, made by mmdebstrap in a container of the base and
 * streamed out into `dir` as sysroot.tar. The container carries its owner's
 * labels, so Ctrl-C's teardown or a later run's sweep removes it if this
 * process cannot.
 */
async function extractSysroot(
  docker: Docker,
  base: BuiltImage,
  l: SysrootLayer,
  dir: string,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const t0 = Date.now();
  const mirror = debianMirror().uri;
  const c = await docker.createContainer({
    Image: base.tag,
    Cmd: ['/bin/sh', '-c', SYSROOT_SCRIPT, 'csm-sysroot', ...sysrootMmdebstrapArgs(l, mirror, SYSROOT_TAR)],
    Env: [`CSM_MIRROR=${mirror}`, `CSM_SUITE=${readBaseRecipe().recipe.suite}`],
    Labels: { ...ownerLabels(IMAGE_CACHE_RUN), 'cshared-matrix.layer': 'sysroot' },
  });
  try {
    // Not a TTY: mmdebstrap would draw progress bars.
    const attached = await c.attach({ stream: true, stdout: true, stderr: true });
    const output = new PassThrough();
    docker.modem.demuxStream(attached, output, output);
    attached.on('end', () => output.end());
    const lines: string[] = [];
    const ended = new Promise<void>((resolve) =>
      createInterface({ input: output })
        .on('line', (line) => {
          lines.push(line);
          if (lines.length > 40) lines.shift();
          // In a container without mount rights mmdebstrap warns of every mount it skips: nothing an extraction needs.
          if (/^[EW]:|^I: (downloading|extracting|success)/.test(line) && !/^W: skipping (bind-)?mount/.test(line))
            say(`  [sysroot ${l.debArch} ${l.lang} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
        })
        .on('close', resolve),
    );
    // Stopped by the run (its layers no longer wanted): the container goes, so its wait ends.
    const stop = () => void c.remove({ force: true }).catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    await c.start();
    const { StatusCode } = (await c.wait().finally(() => signal?.removeEventListener('abort', stop))) as { StatusCode: number };
    await ended;
    if (StatusCode !== 0)
      throw new InfraError(
        `sysroot ${l.debArch} ${l.lang} (mmdebstrap in a container of ${base.tag}): ${mmdebstrapFailure(lines, StatusCode)}`,
      );
    await pipeline(await c.getArchive({ path: SYSROOT_TAR }), tar.x({ cwd: dir, filter: (p) => p === 'sysroot.tar' }));
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * A CPython build takes minutes of both cores and goes on beside the cells
 * that need no layer: at an eighth of the default weight it takes only what
 * their builds and hosts leave (alone, as under --images-only, it has it all).
 */
const BESIDE_CELLS_CPU_SHARES = 128;

function buildCpython(
  docker: Docker,
  base: BuiltImage,
  l: CpythonLayer,
  tag: string,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<BuiltImage> {
  const buildargs = {
    BASE: base.tag,
    MIRROR: debianMirror().uri,
    SUITE: l.sources.suite,
    HOST: l.host,
    CC: l.cc,
    CFLAGS_EXTRA: l.cflags.join(' '),
    KINC: l.kernelHeaders.include,
    KASM: l.kernelHeaders.asm,
    PREFIX: l.prefix,
    LIBATOMIC: l.libatomic ?? '',
  };
  return buildLayer(docker, {
    tag,
    dir: 'cpython',
    buildargs,
    show: /^(\[cpython |Step |E: |Failed to build|Following modules)/,
    prefix: `python ${l.host}`,
    say,
    context: { cwd: join(IMAGES_DIR, 'cpython'), files: CPYTHON_FILES },
    cpuShares: BESIDE_CELLS_CPU_SHARES,
    ...(signal ? { signal } : {}),
  });
}
