import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { type BaseFacts, type BaseWay, chooseBaseWay, defaultBaseImage, describeBaseWay } from '../core/base-way.js';
import { describeMirror, type MirrorChoice } from '../core/debian-mirror.js';
import { InfraError } from '../core/errors.js';
import { type BaseRecipe, baseRecipeFiles } from '../core/recipe.js';
import { debianMirror } from './host-apt.js';
import { BASE_FROM_LABEL, type BuiltImage, baseTag, buildLayer, follow, IMAGES_DIR, imageId, readBaseRecipe } from './images.js';
import { buildBaseWithMmdebstrap } from './mmdebstrap.js';

/**
 * The toolchain base image, by the first way that works on this host
 * (core/base-way.ts): the engine has its tag (a tarball of --image-cache is
 * loaded before this is asked: run/images.ts); else images/base/Dockerfile on
 * a Debian image the engine has or pulls (`debian:trixie`, or --base-image),
 * which needs neither root nor a Debian host; else mmdebstrap on this host,
 * for an engine that can pull nothing. Both builds take the same recipe and
 * give the same tag.
 */
export interface BaseOptions {
  rebuild?: boolean;
  /** --base-image / config baseImage: the Debian image the registry path builds on. */
  baseImage?: string;
}

export async function ensureBaseImage(docker: Docker, say: (line: string) => void, opts: BaseOptions = {}): Promise<BuiltImage> {
  const { recipe, text } = readBaseRecipe();
  return ensureDebianImage(docker, say, { recipe, tag: baseTag(text) }, opts);
}

/**
 * An image of a Debian recipe (the base, or an older release's floor toolchain:
 * core/floor-toolchain.ts), the base's ways: on `debian:<suite>` (or
 * --base-image) through images/base/Dockerfile, else mmdebstrap.
 */
export async function ensureDebianImage(
  docker: Docker,
  say: (line: string) => void,
  want: { recipe: BaseRecipe; tag: string },
  opts: BaseOptions = {},
): Promise<BuiltImage> {
  const { recipe, tag } = want;
  const existing = await imageId(docker, tag);
  if (existing && !opts.rebuild) return { tag, id: existing, built: false, seconds: 0 };
  const t0 = Date.now();
  const chosen = chooseBaseWay(
    await registryFacts(docker, opts.baseImage ?? defaultBaseImage(recipe.suite), opts.baseImage !== undefined, { tag, say }),
  );
  if ('fail' in chosen) throw new InfraError(chosen.fail);
  const mirror = debianMirror();
  say(describeBaseWay(tag, chosen, describeMirror(mirror)));
  await build(docker, chosen, recipe, tag, mirror, say);
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`the engine did not keep the image ${tag}`);
  const seconds = (Date.now() - t0) / 1000;
  // The registry path's build says it itself (buildLayer).
  if (chosen.way === 'mmdebstrap') say(`  ${tag} ready in ${seconds.toFixed(0)} s`);
  return { tag, id, built: true, seconds };
}

async function build(
  docker: Docker,
  w: BaseWay,
  recipe: BaseRecipe,
  tag: string,
  mirror: MirrorChoice,
  say: (line: string) => void,
): Promise<void> {
  if (w.way === 'registry') {
    await buildBaseOnImage(docker, w.from, recipe, tag, mirror, say);
    return;
  }
  try {
    await buildBaseWithMmdebstrap(docker, recipe, tag, mirror, say);
  } catch (e) {
    // mmdebstrap's own line says what failed; the run's says why this path was taken at all.
    if (e instanceof InfraError) throw new InfraError(`base image, mmdebstrap path (${w.because}): ${e.message}`);
    throw e;
  }
}

/** Whether the engine has the registry path's Debian image, or can pull it (one line while it does). */
async function registryFacts(
  docker: Docker,
  from: string,
  named: boolean,
  x: { tag: string; say: (line: string) => void },
): Promise<BaseFacts> {
  if (await imageId(docker, from)) return { from, named, inEngine: true };
  x.say(`pulling ${from} to build ${x.tag} on`);
  try {
    // The toolchains are amd64's: an arm64 engine (Docker Desktop on Apple silicon) gets the amd64 image, run under its emulation.
    const stream = await docker.pull(from, { platform: 'linux/amd64' });
    await follow(docker, stream, () => undefined, `pulling ${from} failed`);
    return { from, named, inEngine: false, pull: { ok: true } };
  } catch (e) {
    return {
      from,
      named,
      inEngine: false,
      pull: {
        ok: false,
        error: (e as Error).message
          .split('\n')[0]!
          .replace(/^\(HTTP code \d+\) [\w ]+ - /, '')
          .trim(),
      },
    };
  }
}

/** images/base/Dockerfile on `from`, the recipe as files of its build context (core/recipe.ts baseRecipeFiles). */
async function buildBaseOnImage(
  docker: Docker,
  from: string,
  recipe: BaseRecipe,
  tag: string,
  mirror: MirrorChoice,
  say: (line: string) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csm-base-'));
  try {
    const files = { Dockerfile: readFileSync(join(IMAGES_DIR, 'base', 'Dockerfile'), 'utf8'), ...baseRecipeFiles(recipe, mirror.uri) };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    const labels = { [BASE_FROM_LABEL]: `${from}@${(await imageId(docker, from)) ?? '?'}` };
    await buildLayer(docker, {
      tag,
      dir: 'base',
      buildargs: { FROM: from },
      labels,
      show: /^(Step |Get:1 |Fetched |Setting up (gcc|openjdk|qemu-user)[: ]|E: )/,
      prefix: 'base',
      say,
      context: { cwd: dir, files: Object.keys(files) },
    });
  } catch (e) {
    if (e instanceof InfraError) throw new InfraError(`base image, registry path (on ${from}): ${e.message}`);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
