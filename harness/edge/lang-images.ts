import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { describeLayer, langLayerKey, sysrootMmdebstrapArgs, type CpythonLayer, type LangLayer, type SysrootLayer } from '../core/host-langs.js';
import { aptInstall, onPath } from './host-packages.js';
import { InfraError } from '../core/errors.js';
import { decompressedBound } from '../core/image-tarball.js';
import { checkedTar } from './checked-tar.js';
import { IMAGE_CACHE_RUN, ownerLabels } from './sandbox.js';
import { decompress, ensureZstd, zstdFault } from './zstd.js';
import { buildLayer, ensureFreeSpace, IMAGES_DIR, imageId, scratchDir, sha, type BuiltImage } from './images.js';
import { debianMirror } from './host-apt.js';
import { runMmdebstrap } from './mmdebstrap.js';

/**
 * A host language's layer as an image on the base (core/host-langs.ts): not
 * on a Go image, because no Go is needed to run a host, and so one layer
 * serves every Go version. Tagged by a hash of the base, the recipe files and
 * the layer, like every image here.
 */
// A sysroot's recipe is its mmdebstrap command too (hooks included), with the mirror left out as for the base.
const recipeText = (l: LangLayer): string =>
  l.kind === 'sysroot'
    ? [readFileSync(join(IMAGES_DIR, 'sysroot', 'Dockerfile'), 'utf8'), ...sysrootMmdebstrapArgs(l, '{mirror}', 'sysroot.tar')].join('\0')
    : ['Dockerfile', 'build-cpython.sh'].map((f) => readFileSync(join(IMAGES_DIR, 'cpython', f), 'utf8')).join('\0');

export const langImageTag = (baseTag: string, l: LangLayer): string => `cshared-matrix-lang:${l.kind === 'sysroot' ? `${l.debArch}-${l.lang}` : `musl-${l.host.split('-')[0]}-python`}-${sha('lang-v1', baseTag, recipeText(l), langLayerKey(l))}`;

export async function ensureLangImage(docker: Docker, base: BuiltImage, l: LangLayer, say: (line: string) => void, opts: { rebuild?: boolean } = {}): Promise<BuiltImage> {
  const tag = langImageTag(base.tag, l);
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild && !base.built) return { tag, id: existing, built: false, seconds: 0 };
  say(`building ${tag}: ${describeLayer(l)}`);
  const t0 = Date.now();
  const image = await (l.kind === 'sysroot' ? buildSysroot(docker, base, l, tag, say) : buildCpython(docker, base, l, tag, say));
  const seconds = (Date.now() - t0) / 1000;
  say(`  ${tag}: the layer took ${seconds.toFixed(0)} s in all`);
  return { ...image, seconds };
}

/** What a layer adds to the base: the one directory its hosts use. */
export const langContentDir = (l: LangLayer): string => (l.kind === 'sysroot' ? l.dir : l.prefix);

/**
 * A layer from its directory's tarball (ImageCache.saveDir) instead of its
 * recipe, in seconds where a CPython build takes minutes: the directory put
 * into a container of the base and committed, under the recipe's tag as for a
 * loaded toolchain image. The tarball streams from zstd through checkedTar
 * into the engine (nothing is written on this machine's disk): bounded by
 * decompressedBound, every entry inside the layer's directory, re-packed
 * under its parent. A tarball refused by those checks throws, with why.
 */
export async function restoreLangImage(docker: Docker, base: BuiltImage, l: LangLayer, tarball: string, say: (line: string) => void): Promise<BuiltImage> {
  const tag = langImageTag(base.tag, l);
  const t0 = Date.now();
  await ensureZstd(say);
  const baseCmd = (await docker.getImage(base.tag).inspect()).Config?.Cmd;
  const c = await docker.createContainer({ Image: base.tag, ...(baseCmd?.length ? {} : { Cmd: ['true'] }), Labels: { ...ownerLabels(IMAGE_CACHE_RUN), 'cshared-matrix.cache': 'restore' }, HostConfig: { NetworkMode: 'none' } });
  const z = decompress(tarball);
  const dir = langContentDir(l);
  const checked = checkedTar(z.stream, { bound: decompressedBound(tag, statSync(tarball).size), under: basename(dir), prefix: dirname(dir), sourceDone: z.done });
  try {
    const put = await c.putArchive(checked.stream, { path: '/' }).then(
      () => undefined,
      (e: Error) => (checked.stop(), e),
    );
    const why = (await zstdFault(z.done)) ?? (await checked.verdict) ?? put?.message;
    if (why) throw new InfraError(why);
    const [repo, version] = tag.split(':') as [string, string];
    await c.commit({ repo, tag: version, changes: [`LABEL org.cshared-matrix.lang=${dirname(dir)}`, `LABEL org.cshared-matrix.recipe=${tag}`] });
  } finally {
    z.stop();
    await c.remove({ force: true }).catch(() => undefined);
  }
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`committing ${tag} finished but the engine has no such image`);
  return { tag, id, built: true, seconds: (Date.now() - t0) / 1000 };
}

async function buildSysroot(docker: Docker, base: BuiltImage, l: SysrootLayer, tag: string, say: (line: string) => void): Promise<BuiltImage> {
  if (!(await onPath('mmdebstrap'))) await aptInstall(['mmdebstrap'], (line) => say(`  ${line}`));
  const work = scratchDir();
  ensureFreeSpace(work, 2);
  const dir = mkdtempSync(join(work, 'sysroot-'));
  const t0 = Date.now();
  try {
    cpSync(join(IMAGES_DIR, 'sysroot', 'Dockerfile'), join(dir, 'Dockerfile'));
    await runMmdebstrap(sysrootMmdebstrapArgs(l, debianMirror().uri, join(dir, 'sysroot.tar')), (line) => {
      if (/^[EW]:|^I: (downloading|extracting|success)/.test(line)) say(`  [sysroot ${l.debArch} ${l.lang} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
    });
    return await buildLayer(docker, { tag, dir: 'sysroot', buildargs: { BASE: base.tag, DIR: l.dir }, show: /^(Step |E: )/, prefix: `sysroot ${l.debArch} ${l.lang}`, say, context: { cwd: dir, files: ['Dockerfile', 'sysroot.tar'] } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildCpython(docker: Docker, base: BuiltImage, l: CpythonLayer, tag: string, say: (line: string) => void): Promise<BuiltImage> {
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
  };
  return buildLayer(docker, {
    tag,
    dir: 'cpython',
    buildargs,
    show: /^(\[cpython |Step |E: |Failed to build|Following modules)/,
    prefix: `python ${l.host}`,
    say,
    context: { cwd: join(IMAGES_DIR, 'cpython'), files: ['Dockerfile', 'build-cpython.sh'] },
  });
}
