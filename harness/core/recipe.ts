import type { Platform } from './types.js';
import { WINE_PREFIX } from './windows.js';

/** images/base/recipe.json: what every image has, before the rows add their toolchains. */
export interface BaseRecipe {
  suite: string;
  variant: string;
  architectures: string[];
  sources: string[];
  include: string[];
  dpkgopts?: string[];
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** The qemu-user binaries the rows run (qemu-arm, qemu-aarch64, …). */
const qemuRunners = (rows: readonly Platform[]): string[] => unique(rows.map((p) => p.run[0] ?? '').filter((r) => r.startsWith('qemu-')));

/**
 * The recipe the base image is built from: the file's own part, plus every
 * row's packages and dpkg architecture. Adding a row to the table adds its
 * toolchain; the tag, a hash of this, changes with it. qemu-user ships ~40
 * emulators (455 MB); only those a row runs are kept (dpkg's last matching
 * filter wins, so the includes after the exclude bring them back).
 */
export function deriveRecipe(file: BaseRecipe, all: readonly Platform[]): BaseRecipe {
  // A row whose toolchain is a layer of its own (the Windows rows' 2.9 GB) stays out of every run's base.
  const rows = all.filter((p) => p.inBase !== false);
  const runners = qemuRunners(rows);
  return {
    ...file,
    architectures: unique([...file.architectures, ...rows.flatMap((p) => (p.dpkgArch ? [p.dpkgArch] : []))]),
    include: unique([...file.include, ...rows.flatMap((p) => p.packages ?? [])]),
    dpkgopts: [
      ...(file.dpkgopts ?? []),
      ...(runners.length ? ['path-exclude=/usr/bin/qemu-*', ...runners.map((r) => `path-include=/usr/bin/${r}`)] : []),
    ],
  };
}

/** What a row needs that the base does not have: packages, its dpkg architecture, its runner. */
export interface RowLayer {
  packages: string[];
  dpkgArch?: string;
  /** A qemu binary the base's dpkg filter left out. */
  runner?: string;
  /** A row run under Wine: the prefix the layer prepares once, as the hosts' user (core/windows.ts WINE_PREFIX). */
  winePrefix?: string;
}

/** undefined when the base has everything the row needs (every built-in row). */
export function rowLayer(base: BaseRecipe, row: Platform): RowLayer | undefined {
  const have = new Set(base.include);
  const packages = (row.packages ?? []).filter((p) => !have.has(p));
  const dpkgArch = row.dpkgArch && !base.architectures.includes(row.dpkgArch) ? row.dpkgArch : undefined;
  const runner =
    row.run[0]?.startsWith('qemu-') && !base.dpkgopts?.includes(`path-include=/usr/bin/${row.run[0]}`) ? row.run[0] : undefined;
  const wine = row.run[0] === 'wine' ? { winePrefix: WINE_PREFIX } : {};
  if (!packages.length && !dpkgArch && !runner) return undefined;
  return { packages, ...(dpkgArch ? { dpkgArch } : {}), ...(runner ? { runner } : {}), ...wine };
}

/** The grammar images/row/Dockerfile checks each line of its files against again: Debian's names, a qemu binary. */
export const ROW_LAYER_LINES = {
  packages: /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+(-[a-z0-9]+)*)?$/,
  'dpkg-arch': /^[a-z0-9]+(-[a-z0-9]+)*$/,
  runner: /^qemu-[A-Za-z0-9_.+-]+$/,
  'wine-prefix': /^[/][a-z0-9/-]+$/,
} as const;

/**
 * A row layer as the files of its build context (row-layer/<name>: one word a
 * line, empty when absent): data the Dockerfile reads, never build arguments
 * its shell would expand. A word outside its grammar is a bug upstream (the
 * row schema refuses it at load), so it throws rather than build.
 */
export function rowLayerFiles(l: RowLayer): Record<string, string> {
  const words: Record<keyof typeof ROW_LAYER_LINES, string[]> = {
    packages: l.packages,
    'dpkg-arch': l.dpkgArch ? [l.dpkgArch] : [],
    runner: l.runner ? [l.runner] : [],
    'wine-prefix': l.winePrefix ? [l.winePrefix] : [],
  };
  return Object.fromEntries(
    Object.entries(words).map(([name, ws]) => {
      const bad = ws.find((w) => !ROW_LAYER_LINES[name as keyof typeof ROW_LAYER_LINES].test(w));
      if (bad !== undefined) throw new Error(`row layer: ${JSON.stringify(bad)} is not a valid ${name} line`);
      return [`row-layer/${name}`, ws.map((w) => `${w}\n`).join('')];
    }),
  );
}

/** One key per distinct layer: rows that need the same things share one image. */
export const rowLayerKey = (l: RowLayer): string =>
  JSON.stringify([[...l.packages].sort(), l.dpkgArch ?? '', l.runner ?? '', ...(l.winePrefix ? [l.winePrefix] : [])]);

/** The lines each file of the registry path's build context may hold (images/base/Dockerfile checks them again before apt or dpkg sees one). */
export const BASE_RECIPE_LINES = {
  suite: /^[a-z]+$/,
  architectures: ROW_LAYER_LINES['dpkg-arch'],
  include: ROW_LAYER_LINES.packages,
  'dpkg.cfg': /^(?:path-(?:ex|in)clude=\/[!-~]+|force-[a-z-]+)$/,
  'sources.list': /^deb(?:-src)? (?:\[[a-z0-9=,. -]+\] )?https?:\/\/[!-~]+ [a-z0-9-]+(?: [a-z0-9-]+)+$/,
} as const;

/**
 * The base recipe as the files of images/base/Dockerfile's build context
 * (base-recipe/<name>, one line each): the registry path's twin of
 * mmdebstrapArgs, so both paths install the same packages, with the same
 * dpkg filters and apt sources, into an image under the same tag. The
 * architectures file has the native one first, as mmdebstrap's list does.
 * A line outside its grammar is a bug in the recipe, so it throws.
 */
export function baseRecipeFiles(recipe: BaseRecipe, mirror: string): Record<string, string> {
  if (recipe.variant !== 'minbase')
    throw new Error(
      `base recipe: the registry path builds on a Debian image, debootstrap's minbase: variant minbase, not ${recipe.variant}`,
    );
  const lines: Record<keyof typeof BASE_RECIPE_LINES, string[]> = {
    suite: [recipe.suite],
    architectures: recipe.architectures,
    include: recipe.include,
    'dpkg.cfg': recipe.dpkgopts ?? [],
    'sources.list': recipe.sources.map((s) => s.replaceAll('{mirror}', mirror)),
  };
  return Object.fromEntries(
    Object.entries(lines).map(([name, ls]) => {
      const bad = ls.find((l) => !BASE_RECIPE_LINES[name as keyof typeof BASE_RECIPE_LINES].test(l));
      if (bad !== undefined) throw new Error(`base recipe: ${JSON.stringify(bad)} is not a valid ${name} line`);
      return [`base-recipe/${name}`, ls.map((l) => `${l}\n`).join('')];
    }),
  );
}
