import { UsageError } from './errors.js';
import { newestGo, pick, pickGo } from './matrix.js';
import type { GoToolchain, Platform } from './types.js';

/**
 * The toolchain axis. gc is Go's own compiler: one column per Go release.
 * gccgo is GCC's Go front end, driven by a gc release's go command
 * (`go build -compiler gccgo`, GCCGO naming the row's gccgo); its standard
 * library and runtime are GCC's libgo, a shared library every gccgo c-shared
 * library links (NEEDED libgo.so.N), so two such libraries in one process
 * share one runtime, which is the 2013 thread's question. A gccgo column is
 * the Go axis value "gccgo-<gcc>": every key, path and label a Go version
 * makes works for it unchanged.
 */
export const TOOLCHAINS = ['gc', 'gccgo'] as const;
export type ToolchainName = (typeof TOOLCHAINS)[number];

/** What images/go/versions.json says of gccgo: the GCC series the base's suite ships gccgo for. */
export interface GccgoSeries {
  gcc: string;
}

/**
 * The Debian package of each GCC series' Go runtime (libgo.so.N): what a
 * gccgo c-shared library NEEDs on the target. A host-language sysroot of a row
 * with a gccgo includes it (core/host-langs.ts); the toolchain image has it
 * with its gccgo.
 */
export const LIBGO: Readonly<Record<string, string>> = { '14': 'libgo23' };

export const toolchainOf = (go: GoToolchain): ToolchainName => (go.gccgo ? 'gccgo' : 'gc');

/** The gccgo column: the GCC series, driven by the go command of the gc release `driver`. */
export const gccgoToolchain = (series: GccgoSeries, driver: GoToolchain): GoToolchain => ({
  version: `gccgo-${series.gcc}`,
  suite: driver.suite,
  gccgo: { gcc: series.gcc, driver: { version: driver.version, suite: driver.suite } },
});

/** The Go image a toolchain builds in: its own release for gc, its driver's for gccgo. */
export const goImageOf = (go: GoToolchain): GoToolchain => go.gccgo?.driver ?? go;

/**
 * --go and --toolchain together: gc gives one column per Go release picked;
 * gccgo one more, driven by the newest of them (the go command only drives
 * gccgo; the compiler and the standard library are GCC's).
 */
export function pickToolchains(
  table: readonly GoToolchain[],
  goWanted: string[],
  toolchainsWanted: string[],
  series: GccgoSeries | undefined,
): GoToolchain[] {
  const names = pick('toolchain', TOOLCHAINS, (t) => t, toolchainsWanted.length ? toolchainsWanted : ['gc']);
  const gcs = pickGo(table, goWanted);
  if (!names.includes('gccgo')) return gcs;
  if (!series)
    throw new UsageError(
      'images/go/versions.json names no gccgo series ("gccgo": {"gcc": "14"}): --toolchain gccgo has nothing to build with',
    );
  return [...(names.includes('gc') ? gcs : []), gccgoToolchain(series, newestGo(gcs))];
}

/** The row's gccgo: the Debian package to install and the command GCCGO names; or why the row has none. */
export type RowGccgo = { package: string; command: string } | { reason: string };

export function gccgoOf(p: Platform, gcc: string): RowGccgo {
  if (p.libc === 'musl')
    return { reason: `gccgo's runtime, libgo, is built for glibc only: Debian ships no gccgo for musl, so ${p.name} has none` };
  if (!p.gccgo)
    return {
      reason: p.noGccgo ?? `${p.name} names no gccgo (a row's "gccgo": "native", or the triplet of Debian's gccgo-${gcc}-<triplet>)`,
    };
  if (p.gccgo === 'native') return { package: `gccgo-${gcc}`, command: `gccgo-${gcc}` };
  return { package: `gccgo-${gcc}-${p.gccgo}`, command: `${p.gccgo}-gccgo-${gcc}` };
}

/** Why a cell of this toolchain cannot exist on the row; undefined when it can. */
export function toolchainNa(p: Platform, go: GoToolchain): string | undefined {
  if (!go.gccgo) return undefined;
  if (go.gccgo.na) return go.gccgo.na;
  const g = gccgoOf(p, go.gccgo.gcc);
  return 'reason' in g ? g.reason : undefined;
}

/** The row as a gccgo cell builds on it: its packages plus its gccgo (a layer on the driver's Go image, core/recipe.ts rowLayer). */
export function withToolchain(p: Platform, go: GoToolchain): Platform {
  if (!go.gccgo) return p;
  const g = gccgoOf(p, go.gccgo.gcc);
  return 'package' in g ? { ...p, packages: [...(p.packages ?? []), g.package] } : p;
}
