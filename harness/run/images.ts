import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { layersLine, type WantedLayer } from '../core/cell-images.js';
import { type FloorRelease, floorCoverage } from '../core/floor-toolchain.js';
import { describeLayer, type LangLayer, langLayerKey } from '../core/host-langs.js';
import { type BaseRecipe, rowLayer, rowLayerKey } from '../core/recipe.js';
import { goImageOf, withToolchain } from '../core/toolchains.js';
import type { GoToolchain, Platform } from '../core/types.js';
import { ensureBaseImage } from '../edge/base-image.js';
import { untilFileExists } from '../edge/files.js';
import { ensureFloorBase, ensureFloorGoImage, floorBase, floorGoTag } from '../edge/floor-images.js';
import { ImageCache } from '../edge/image-cache.js';
import {
  type BuiltImage,
  currentBaseTag,
  ensureGoImage,
  ensureRowImage,
  goImageTag,
  imageId,
  readBaseRecipe,
  rowImageTag,
} from '../edge/images.js';
import { ensureLangImage, isRootfsLayer, langContentDir, langImageTag, restoreLangImage } from '../edge/lang-images.js';

/**
 * Host-language layers built at once: a sysroot mostly waits on the mirror and
 * a CPython build on the CPU, so two overlap well on two cores (the langs test:
 * two sysroots beside a CPython); more would only contend for them.
 */
const LANG_BUILDS_AT_ONCE = 2;

export interface EnsureOptions {
  /** --rebuild-images: build every image anew (the cache is not loaded from, but saved to). */
  rebuild: boolean;
  /** --image-cache: the directory of image tarballs. */
  imageCache?: string;
  /** --base-image: the Debian image the base is built on when the engine lacks the base. */
  baseImage?: string;
  /** --glibc-floor: the release whose toolchain the glibc rows build in (core/floor-toolchain.ts). */
  floor?: FloorRelease;
  /** Test seam (CSM_TEST_LAYER_GATE, cli/options.ts): each layer waits until this file exists before it is looked for, a stand-in for a slow build. */
  layerGate?: string;
}

/** One image a run uses: its tag, known before anything is built; the tags a tarball of it holds (it first); how to build it. */
interface Wanted {
  tag: string;
  chain: string[];
  /** The image it sits on was built in this run: it is rebuilt too. */
  parentBuilt: boolean;
  build: () => Promise<BuiltImage>;
  /** A host-language layer: cached as its directory alone, restored onto the base (ImageCache.saveDir). */
  content?: { dir: string; restore: (tarball: string) => Promise<BuiltImage> };
}

/**
 * How a run has each image: the engine's if it has the tag, else loaded from
 * the cache's tarball, else built (the base first, once, only then). A built
 * image, and one the cache lacks, is saved. Saving is best effort: a failed
 * save is one line, never a failed run, since the image itself is in the
 * engine and a run's verdicts do not depend on the cache (the next run just
 * builds again).
 */
class Supplier {
  private base?: Promise<BuiltImage>;
  /** The base was built by this run: every layer on it is rebuilt too. */
  baseBuilt = false;
  readonly baseTag = currentBaseTag();
  private readonly cache: ImageCache | undefined;
  /** What to save once the run is over (savePending), by tag. */
  private readonly pending: { tag: string; save: (say: (l: string) => void) => Promise<void> }[] = [];

  constructor(
    readonly docker: Docker,
    readonly say: (l: string) => void,
    readonly opts: EnsureOptions,
  ) {
    this.cache = opts.imageCache ? new ImageCache(opts.imageCache) : undefined;
  }

  baseImage(): Promise<BuiltImage> {
    return (this.base ??= ensureBaseImage(this.docker, this.say, {
      rebuild: this.opts.rebuild,
      ...(this.opts.baseImage ? { baseImage: this.opts.baseImage } : {}),
    }).then((b) => ((this.baseBuilt ||= b.built), b)));
  }

  async get(w: Wanted): Promise<BuiltImage> {
    if (!this.opts.rebuild && !w.parentBuilt) {
      const id = await imageId(this.docker, w.tag);
      if (id) {
        if (this.cache && !this.cache.has(w.tag)) this.later(w);
        return { tag: w.tag, id, built: false, seconds: 0 };
      }
      const t0 = Date.now();
      const restored = w.content ? await this.restore(w) : undefined;
      if (restored) return restored;
      if (!w.content && (await this.cache?.load(this.docker, w.tag, this.say, w.chain.slice(1)))) {
        const loaded = await imageId(this.docker, w.tag);
        if (loaded) return { tag: w.tag, id: loaded, built: false, seconds: (Date.now() - t0) / 1000 };
      }
    }
    const image = await w.build();
    if (this.cache) this.later(w);
    return image;
  }

  private later(w: Wanted): void {
    const cache = this.cache!;
    const content = w.content;
    this.pending.push({
      tag: w.tag,
      save: (say) => (content ? cache.saveDir(this.docker, w.tag, content.dir, say) : cache.save(this.docker, w.chain, say)),
    });
  }

  /** A host-language layer from its directory's tarball (ImageCache.restoreDir); undefined when it is to be built. */
  private async restore(w: Wanted): Promise<BuiltImage | undefined> {
    if (!this.cache?.has(w.tag) || !w.content) return undefined;
    const image = await this.cache.restoreDir(w.tag, w.content.restore, this.say);
    return image && { ...image, built: false };
  }

  /**
   * The saves are left for after the run: a save streams gigabytes through
   * zstd (about 60 s for a Go image here), which would otherwise delay the
   * first cell of exactly the run that has no cache yet, and compete with the
   * hosts for the CPU while their time limits run.
   */
  async savePending(say: (l: string) => void): Promise<void> {
    for (const p of this.pending.splice(0)) {
      try {
        await p.save(say);
      } catch (e) {
        say(`image cache: could not save ${p.tag} (${(e as Error).message.split('\n')[0]})`);
      }
    }
  }

  prune(keepTags: string[], say: (l: string) => void): void {
    try {
      this.cache?.prune(keepTags, say);
    } catch (e) {
      say(`image cache: could not prune ${this.cache?.dir} (${(e as Error).message.split('\n')[0]})`);
    }
  }
}

/**
 * The layers of host languages and older userlands (core/cell-images.ts):
 * each a promise from the start, built beside the cells; a cell awaits its
 * own, --images-only all of them.
 */
class RunLayers {
  /** On the base, by langLayerKey: the image, or why it could not be had. */
  private readonly langs = new Map<string, Promise<BuiltImage | { error: string }>>();
  /** The layers not settled yet: their labels by key. */
  private readonly building = new Map<string, string>();
  private readonly abort = new AbortController();

  /**
   * Each layer a promise in `langs` from the start (the cells look theirs up
   * at once), LANG_BUILDS_AT_ONCE built at a time once `go` says the base is
   * settled. The CPython builds (minutes) go first, so that the sysroots
   * (seconds) go beside them rather than before.
   */
  start(s: Supplier, layers: readonly WantedLayer[], go: Promise<boolean>): void {
    const limit = pLimit(LANG_BUILDS_AT_ONCE);
    const wanted = [...new Map(layers.map((l) => [l.key, l])).values()]
      .filter((l) => !this.langs.has(l.key))
      .sort((a, b) => Number(b.layer.kind === 'cpython') - Number(a.layer.kind === 'cpython'));
    for (const w of wanted) {
      this.building.set(w.key, w.label);
      const image = go.then((ok) =>
        ok ? limit(() => this.langImageOf(s, w.layer)) : { error: `${w.label}: not built, the toolchain images failed` },
      );
      this.langs.set(w.key, image);
      void image.then((i) => this.layerDone(s, w, i));
    }
  }

  /** A layer settled: the log says which, and which are still building (the live view's line). */
  private layerDone(s: Supplier, w: WantedLayer, image: BuiltImage | { error: string }): void {
    this.building.delete(w.key);
    if (this.abort.signal.aborted) return;
    s.say(`${w.label}: ${'error' in image ? 'could not be had' : 'ready'}; ${layersLine(this.stillBuilding())}`);
  }

  /** The labels of the layers not settled yet, in the order they were wanted. */
  stillBuilding(): string[] {
    return [...this.building.values()];
  }

  private async langImageOf(s: Supplier, layer: LangLayer): Promise<BuiltImage | { error: string }> {
    const { docker, say } = s;
    const signal = this.abort.signal;
    const tag = langImageTag(s.baseTag, layer);
    const build = async () => ensureLangImage(docker, await s.baseImage(), layer, say, { rebuild: s.opts.rebuild, signal });
    const content = {
      dir: langContentDir(layer),
      restore: async (tarball: string) => restoreLangImage(docker, await s.baseImage(), layer, tarball, say),
    };
    // One row's layer that cannot be built (its packages missing from the mirror, say) is that row's cells' error, not the run's end.
    try {
      if (signal.aborted) throw new Error('the run ended before it was built');
      if (s.opts.layerGate) await untilFileExists(s.opts.layerGate, signal);
      return await s.get({ tag, chain: [tag], parentBuilt: s.baseBuilt, build, ...(isRootfsLayer(layer) ? {} : { content }) });
    } catch (e) {
      const error = `could not build ${tag} (${describeLayer(layer)}): ${(e as Error).message.split('\n')[0]}`;
      if (!signal.aborted) say(error);
      return { error };
    }
  }

  /** Every layer settled (built, found, loaded, or its error): what --images-only waits for. */
  async ready(): Promise<void> {
    await Promise.all(this.langs.values());
  }

  /** The run is over (Ctrl-C, or the teardown after --max-failures): layers still building stop, and are waited for. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.ready();
  }

  /** Why each host-language layer that failed has no image (after layersReady). */
  async errors(): Promise<string[]> {
    return (await Promise.all(this.langs.values())).flatMap((i) => ('error' in i ? [i.error] : []));
  }

  /** The layer's image once it is had, or why the run has none. */
  image(layer: LangLayer): Promise<BuiltImage | { error: string }> {
    const image = this.langs.get(langLayerKey(layer));
    if (!image) throw new Error(`internal: no image for the layer ${langLayerKey(layer)}`);
    return image;
  }

  /** The tags of the layers had (after the run, for the image cache's prune). */
  async tags(): Promise<string[]> {
    return (await Promise.all(this.langs.values())).flatMap((i) => ('tag' in i ? [i.tag] : []));
  }
}

/**
 * The images one run builds in: one per Go version, and for a user row whose
 * packages the base lacks, that Go image plus the row's own layer. A cell's
 * image is `imageOf(go, platform)`; the key says which, so cells of rows that
 * need the same layer share it.
 */
export class RunImages {
  private readonly recipe: BaseRecipe = readBaseRecipe().recipe;
  private readonly byKey = new Map<string, { go: string; image: BuiltImage; runKey?: string }>();
  private floor?: FloorRelease;
  /** Host-language and older userlands' layers: built beside the cells, each awaited by its own. */
  readonly layers = new RunLayers();
  private supplier?: Supplier;

  /**
   * "1.27" for a built-in row; "1.27+<layer>" for a row with a layer of its
   * own, and for every gccgo cell that can build ("gccgo-14+<layer>": its
   * gccgo on the driver's Go image).
   */
  keyOf(go: GoToolchain, p: Platform): string {
    const layer = rowLayer(this.recipe, withToolchain(p, go));
    return layer ? `${go.version}+${rowLayerKey(layer)}` : go.version;
  }

  /** Where a cell builds: its floor's toolchain image when the row has one of that age (its hosts still run in keyOf's), else keyOf's. */
  buildKeyOf(go: GoToolchain, p: Platform): string {
    const floored = this.floor && !go.gccgo && floorCoverage(this.floor, p).kind === 'floor';
    return floored ? `${go.version}@${this.floor!.suite}` : this.keyOf(go, p);
  }

  /**
   * The toolchain images (one per Go version, with the row layers and the
   * floor's), awaited: every cell and calibration needs them. The layers of
   * `layers` (host languages, older userlands) need only the base, so they start
   * as soon as the base is settled (found, loaded or built: a layer on a base
   * this run built is rebuilt too) but are not awaited here: a cell awaits its
   * own (`layers.image`), and `layers.ready` all of them. A Go layer waits on the
   * mirror while a CPython build uses the cores.
   */
  async ensure(
    docker: Docker,
    gos: readonly GoToolchain[],
    platforms: readonly Platform[],
    layers: readonly WantedLayer[],
    say: (l: string) => void,
    opts: EnsureOptions,
  ): Promise<void> {
    const s = (this.supplier = new Supplier(docker, say, opts));
    this.floor = opts.floor?.today ? undefined : opts.floor;
    let settle!: () => void;
    const baseSettled = new Promise<void>((resolve) => (settle = resolve));
    let failed = false;
    // After a toolchain failed before the base was settled, no layer starts: the run ends with that error alone.
    this.layers.start(
      s,
      layers,
      baseSettled.then(() => !failed),
    );
    await this.ensureToolchains(s, gos, platforms, settle)
      .catch((e: unknown) => Promise.reject(((failed = true), e)))
      .finally(settle);
  }

  /** The Go images and row layers, in order; `baseSettled` is called once the base is known (the first Go image had, or its build has the base). */
  private async ensureToolchains(
    s: Supplier,
    gos: readonly GoToolchain[],
    platforms: readonly Platform[],
    baseSettled: () => void,
  ): Promise<void> {
    const { docker, say } = s;
    const rebuild = s.opts.rebuild;
    // gc 1.27 and gccgo (driven by 1.27's go command) share one Go image: had once.
    const goImages = new Map<string, Promise<BuiltImage>>();
    for (const go of gos) {
      const release = goImageOf(go);
      const tag = goImageTag(release, s.baseTag);
      const build = async () => {
        const base = await s.baseImage();
        baseSettled();
        return ensureGoImage(docker, base, release, say, { rebuild });
      };
      if (!goImages.has(tag)) goImages.set(tag, s.get({ tag, chain: [tag, s.baseTag], parentBuilt: false, build }));
      const goImage = await goImages.get(tag)!;
      baseSettled();
      this.byKey.set(go.version, { go: go.version, image: goImage });
      if (this.floor && !go.gccgo && platforms.some((p) => floorCoverage(this.floor!, p).kind === 'floor'))
        this.byKey.set(`${go.version}@${this.floor.suite}`, await this.floorImage(s, go, goImage, this.floor));
      for (const p of platforms) {
        const layer = rowLayer(this.recipe, withToolchain(p, go));
        const key = this.keyOf(go, p);
        if (!layer || this.byKey.has(key)) continue;
        const row = rowImageTag(goImage.tag, layer);
        const image = await s.get({
          tag: row,
          chain: [row, goImage.tag, s.baseTag],
          parentBuilt: goImage.built,
          build: () => ensureRowImage(docker, goImage, layer, say, { rebuild }),
        });
        this.byKey.set(key, { go: go.version, image });
      }
    }
  }

  /** The floor's toolchain (its base had once per run) with `goImage`'s Go tree; its cells' hosts run in the Go image. */
  private floorBase?: Promise<BuiltImage>;
  private async floorImage(s: Supplier, go: GoToolchain, goImage: BuiltImage, release: FloorRelease) {
    const { docker, say } = s;
    const rebuild = s.opts.rebuild;
    const { tag: baseTag } = floorBase(release);
    this.floorBase ??= s.get({
      tag: baseTag,
      chain: [baseTag],
      parentBuilt: false,
      build: () => ensureFloorBase(docker, release, say, rebuild),
    });
    const floor = await this.floorBase;
    const tag = floorGoTag(floor.tag, goImage.tag, go);
    const image = await s.get({
      tag,
      chain: [tag, floor.tag],
      parentBuilt: floor.built || goImage.built,
      build: () => ensureFloorGoImage(docker, { floor, goImage, go, release }, say, rebuild),
    });
    return { go: go.version, image, runKey: go.version };
  }

  /** After the run's reports: save the images the cache lacks, then prune it (no-op without --image-cache). */
  async saveToCache(say: (l: string) => void): Promise<void> {
    if (!this.supplier) return;
    await this.supplier.savePending(say);
    const layers = await this.layers.tags();
    this.supplier.prune([...this.entries().map((e) => e.image.tag), ...layers], say);
  }

  /** Every image of the run, each once: its key, the Go series it carries, the image (and a floor image's, where its hosts run). */
  entries(): { key: string; go: string; image: BuiltImage; runKey?: string }[] {
    return [...this.byKey].map(([key, v]) => ({ key, ...v }));
  }

  get(key: string): BuiltImage {
    const v = this.byKey.get(key);
    if (!v) throw new Error(`internal: no image for ${key}`);
    return v.image;
  }

  imageOf(go: GoToolchain, p: Platform): BuiltImage {
    return this.get(this.keyOf(go, p));
  }
}
