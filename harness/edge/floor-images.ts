import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { deriveFloorRecipe, type FloorRecipeFile, type FloorRelease, floorRelease } from '../core/floor-toolchain.js';
import { jdkHome } from '../core/host-langs.js';
import { familyTag } from '../core/image-families.js';
import { PLATFORMS } from '../core/platforms.js';
import type { BaseRecipe } from '../core/recipe.js';
import type { GoToolchain } from '../core/types.js';
import { ensureDebianImage } from './base-image.js';
import { type BuiltImage, buildLayer, goImageTag, IMAGES_DIR, imageId, readGoVersions } from './images.js';
import { readJsonFile } from './repo.js';

/**
 * The images a run builds for a glibc floor (core/floor-toolchain.ts): an
 * older Debian's toolchain, built as the base is (edge/base-image.ts), and on
 * it the Go tree of the run's Go image (images/floor/Dockerfile).
 */

export function readFloorRecipe(): FloorRecipeFile {
  const file = readJsonFile(join(IMAGES_DIR, 'floor', 'recipe.json')) as FloorRecipeFile & { $comment?: string };
  const { $comment: _comment, ...recipe } = file;
  return recipe;
}

/** The release --glibc-floor builds in (exit 2 below the oldest). */
export const releaseForFloor = (floor: string, field?: string): FloorRelease => floorRelease(readFloorRecipe().releases, floor, field);

const text = (name: string): string => readFileSync(join(IMAGES_DIR, ...name.split('/')), 'utf8');

/** A release's toolchain recipe, and its tag: the recipe and the Dockerfile of the registry path, as the base's. */
export function floorBase(release: FloorRelease): { recipe: BaseRecipe; tag: string } {
  const recipe = deriveFloorRecipe(readFloorRecipe(), release, PLATFORMS);
  return { recipe, tag: familyTag('floor', [JSON.stringify(recipe), text('base/Dockerfile')], { name: release.suite }) };
}

/** The floor toolchain with `goImage`'s Go tree: its tag hashes both, so a new Go image is a new floor image. */
export const floorGoTag = (floorTag: string, goImage: string, go: GoToolchain): string =>
  familyTag('floor-go', [floorTag, goImage, text('floor/Dockerfile'), go.version], { name: go.version });

/** Every floor image the current recipes name, on each Go image of versions.json (--prune-images keeps them). */
export function currentFloorTags(): string[] {
  const goImages = readGoVersions().map((go) => ({ go, tag: goImageTag(go) }));
  return readFloorRecipe()
    .releases.filter((r) => !r.today)
    .flatMap((r) => {
      const base = floorBase(r).tag;
      return [base, ...goImages.map((g) => floorGoTag(base, g.tag, g.go))];
    });
}

export const ensureFloorBase = (docker: Docker, release: FloorRelease, say: (l: string) => void, rebuild: boolean): Promise<BuiltImage> =>
  ensureDebianImage(docker, say, floorBase(release), { rebuild });

export async function ensureFloorGoImage(
  docker: Docker,
  x: { floor: BuiltImage; goImage: BuiltImage; go: GoToolchain; release: FloorRelease },
  say: (l: string) => void,
  rebuild: boolean,
): Promise<BuiltImage> {
  const tag = floorGoTag(x.floor.tag, x.goImage.tag, x.go);
  const existing = await imageId(docker, tag);
  if (existing && !rebuild && !x.floor.built && !x.goImage.built) return { tag, id: existing, built: false, seconds: 0 };
  say(`building ${tag}: Go ${x.go.version} from ${x.goImage.tag} on Debian ${x.release.suite}'s toolchain (glibc ${x.release.glibc})`);
  return buildLayer(docker, {
    tag,
    dir: 'floor',
    buildargs: { FLOOR: x.floor.tag, GO_IMAGE: x.goImage.tag, GO: x.go.version, JDK: jdkHome('amd64') },
    show: /^(Step |go version|gcc |ldd |Successfully|E: )/,
    prefix: `floor ${x.release.suite} ${x.go.version}`,
    say,
  });
}
