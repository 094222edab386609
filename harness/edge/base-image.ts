import type Docker from 'dockerode';
import { InfraError } from '../core/errors.js';
import { describeMirror } from '../core/debian-mirror.js';
import { baseTag, imageId, readBaseRecipe, type BuiltImage } from './images.js';
import { debianMirror } from './host-apt.js';
import { buildBaseWithMmdebstrap } from './mmdebstrap.js';

/**
 * The toolchain base image, by the first way that works on this host:
 *  1. the engine has its tag (a tarball of --image-cache is loaded before
 *     this is asked: run/images.ts);
 *  2. the registry path: images/base/Dockerfile on a Debian trixie image the
 *     engine has or can pull (`debian:trixie`, or --base-image / config
 *     baseImage): no root and no Debian on the host;
 *  3. mmdebstrap on this host, imported: an engine that can pull nothing.
 * Both builds take the same recipe and give the same tag (its hash).
 */
export interface BaseOptions {
  rebuild?: boolean;
  /** --base-image / config baseImage: the registry path's Debian trixie image, named by the user (no fallback when it cannot be had). */
  baseImage?: string;
}

export async function ensureBaseImage(docker: Docker, say: (line: string) => void, opts: BaseOptions = {}): Promise<BuiltImage> {
  const { recipe, text } = readBaseRecipe();
  const tag = baseTag(text);
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild) return { tag, id: existing, built: false, seconds: 0 };
  const t0 = Date.now();
  const mirror = debianMirror();
  say(`building ${tag} with mmdebstrap on this host, from ${describeMirror(mirror)}; a few minutes`);
  await buildBaseWithMmdebstrap(docker, recipe, tag, mirror, say);
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`the engine did not keep the image ${tag}`);
  const seconds = (Date.now() - t0) / 1000;
  say(`  ${tag} ready in ${seconds.toFixed(0)} s`);
  return { tag, id, built: true, seconds };
}
