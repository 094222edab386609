import type Docker from 'dockerode';
import { rowLayer, rowLayerKey, type BaseRecipe } from '../core/recipe.js';
import type { GoToolchain, Platform } from '../core/types.js';
import { ensureBaseImage, ensureGoImage, ensureRowImage, readBaseRecipe, type BuiltImage } from '../edge/images.js';

/**
 * The images one run builds in: one per Go version, and for a user row whose
 * packages the base lacks, that Go image plus the row's own layer. A cell's
 * image is `imageOf(go, platform)`; the key says which, so cells of rows that
 * need the same layer share it.
 */
export class RunImages {
  private readonly recipe: BaseRecipe = readBaseRecipe().recipe;
  private readonly byKey = new Map<string, { go: string; image: BuiltImage }>();

  /** "1.27" for a built-in row; "1.27+<layer>" for a row with a layer of its own. */
  keyOf(go: string, p: Platform): string {
    const layer = rowLayer(this.recipe, p);
    return layer ? `${go}+${rowLayerKey(layer)}` : go;
  }

  async ensure(docker: Docker, gos: readonly GoToolchain[], platforms: readonly Platform[], say: (l: string) => void, rebuild: boolean): Promise<void> {
    const base = await ensureBaseImage(docker, say, { rebuild });
    for (const go of gos) {
      const goImage = await ensureGoImage(docker, base, go, say, { rebuild });
      this.byKey.set(go.version, { go: go.version, image: goImage });
      for (const p of platforms) {
        const layer = rowLayer(this.recipe, p);
        const key = this.keyOf(go.version, p);
        if (layer && !this.byKey.has(key)) this.byKey.set(key, { go: go.version, image: await ensureRowImage(docker, goImage, layer, say, { rebuild }) });
      }
    }
  }

  /** Every image of the run, each once: its key, the Go series it carries, the image. */
  entries(): { key: string; go: string; image: BuiltImage }[] {
    return [...this.byKey].map(([key, v]) => ({ key, ...v }));
  }

  get(key: string): BuiltImage {
    const v = this.byKey.get(key);
    if (!v) throw new Error(`internal: no image for ${key}`);
    return v.image;
  }

  imageOf(go: string, p: Platform): BuiltImage {
    return this.get(this.keyOf(go, p));
  }
}
