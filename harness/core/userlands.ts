import { compareVersions } from './distros.js';
import { type SysrootLayer, withSysroot } from './host-langs.js';
import { DEFAULT_USERLAND, pick } from './matrix.js';
import type { Platform } from './types.js';

/**
 * The userland axis: the same build loaded on an older Debian's own C
 * library. A library built in trixie that needs a newer glibc than the user's
 * machine has does not load there at all (golang/go#58550); this axis shows
 * it. The default userland is the toolchain image's own: its cells, ids and
 * run are exactly those without the axis.
 */
export interface Userland {
  name: string;
  /** The Debian suite its libc is extracted from. */
  suite: string;
  glibc: string;
  musl: string;
  /** Debian's architectures of the release (its main archive; ports such as loong64 and ppc64 are none of them). */
  arches: readonly string[];
}

export const USERLANDS: readonly Userland[] = [
  {
    name: 'debian11',
    suite: 'bullseye',
    glibc: '2.31',
    musl: '1.2.2',
    arches: ['amd64', 'arm64', 'armel', 'armhf', 'i386', 'mips64el', 'mipsel', 'ppc64el', 's390x'],
  },
  {
    name: 'debian12',
    suite: 'bookworm',
    glibc: '2.36',
    musl: '1.2.3',
    arches: ['amd64', 'arm64', 'armel', 'armhf', 'i386', 'mips64el', 'mipsel', 'ppc64el', 's390x'],
  },
  {
    name: 'debian13',
    suite: 'trixie',
    glibc: '2.41',
    musl: '1.2.5',
    arches: ['amd64', 'arm64', 'armel', 'armhf', 'i386', 'ppc64el', 'riscv64', 's390x'],
  },
];

/**
 * --userland / config "userlands": the named ones (globs too), in table order.
 * Nothing named, or the default alone, is no axis at all: [] (the cells are
 * those of a run without it, ids and results.json unchanged).
 */
export function pickUserlands(wanted: string[]): string[] {
  if (!wanted.length) return [];
  const names = pick('userland', USERLANDS, (u) => u.name, wanted).map((u) => u.name);
  return names.length === 1 && names[0] === DEFAULT_USERLAND ? [] : names;
}

export const userlandNamed = (name: string | undefined): Userland =>
  USERLANDS.find((u) => u.name === (name ?? DEFAULT_USERLAND)) ?? USERLANDS.find((u) => u.name === DEFAULT_USERLAND)!;

export const isDefaultUserland = (name: string | undefined): boolean => name === undefined || name === DEFAULT_USERLAND;

/**
 * How a host runs on a userland:
 * - `image`: as today, in the cell's own image (the default userland);
 * - `layer`: Debian's libc of the row's architecture from that release,
 *   extracted like a host language's sysroot; emulated rows give it to qemu
 *   as -L; a native row runs inside a container whose root is that userland
 *   (`rootfs`: qemu-x86_64 -L at an older userland is not faithful: ld.so
 *   asserts, the stack protector fires);
 * - `none`: the row has no such userland, with the reason.
 */
export type UserlandSupport =
  | { kind: 'image' }
  | { kind: 'layer'; layer: SysrootLayer; rootfs: boolean; run: string[] }
  | { kind: 'none'; reason: string };

const PACKAGE = { glibc: 'libc6', musl: 'musl' } as const;
/** Debian's essential tools a native host's userland has (dash's /bin/sh link is its maintainer script's: the extraction adds it). */
const ROOTFS_TOOLS = ['coreutils', 'dash'];

export function userlandSupport(p: Platform, u: Userland): UserlandSupport {
  if (isDefaultUserland(u.name)) return { kind: 'image' };
  if (!p.debArch)
    return { kind: 'none', reason: `${p.name} names no Debian architecture: it has no ${u.name} (${u.suite}) userland to load on` };
  if (!u.arches.includes(p.debArch) || p.debSuite)
    return {
      kind: 'none',
      reason: `Debian ${u.name.replace('debian', '')} (${u.suite}) has no ${p.debArch} port: ${p.name} has no ${u.name} userland`,
    };
  const libc = p.libc === 'musl' ? 'musl' : 'glibc';
  const rootfs = p.run.length === 0;
  const dir = rootfs ? '/' : `/opt/csm/userland/${p.debArch}-${u.suite}-${libc}`;
  // A root of its own must have what a host may exec: env(1), through which the supervisor sets LD_PRELOAD natively, and /bin/sh (os/exec's children).
  const packages = [PACKAGE[libc], ...(rootfs ? ROOTFS_TOOLS : [])];
  const layer: SysrootLayer = { kind: 'sysroot', lang: 'libc', debArch: p.debArch, suite: u.suite, packages, dir };
  return { kind: 'layer', layer, rootfs, run: rootfs ? [] : withSysroot(p.run, dir) };
}

/**
 * Why a cell has no host run on an older userland, beyond its row's port:
 * a Python or JVM host's interpreter is trixie's own (its sysroot or CPython
 * build), and a gccgo library NEEDs GCC 14's libgo, which no older release
 * ships. Undefined on the default userland, and where the cell can run.
 */
export function userlandNa(
  p: Platform,
  userland: string | undefined,
  cell: { lang: string | undefined; gccgo: boolean },
): string | undefined {
  if (isDefaultUserland(userland)) return undefined;
  const u = userlandNamed(userland);
  const s = userlandSupport(p, u);
  if (s.kind === 'none') return s.reason;
  if (cell.lang)
    return `a ${cell.lang === 'python' ? 'Python' : 'Java'} host on ${u.name} is not measured: its interpreter is trixie's, built for the toolchain's userland`;
  if (cell.gccgo) return `a gccgo library NEEDs GCC 14's libgo (libgo23), which ${u.name} (${u.suite}) does not ship`;
  return undefined;
}

/** The row as its host sees it on the userland: its emulator's -L at the userland's libc. */
export const onUserland = (p: Platform, s: UserlandSupport): Platform => (s.kind === 'layer' ? { ...p, run: s.run } : p);

/** The userland layers a run's cells need, each once (keyed as host-language layers are); a cell that is n/a there needs none. */
export function userlandLayersOf(
  cells: readonly { platform: Platform; userland?: string; lang?: string; gccgo?: boolean }[],
): SysrootLayer[] {
  const out = new Map<string, SysrootLayer>();
  for (const { platform, userland, lang, gccgo } of cells) {
    if (userlandNa(platform, userland, { lang, gccgo: !!gccgo })) continue;
    const s = userlandSupport(platform, userlandNamed(userland));
    if (s.kind === 'layer') out.set(JSON.stringify(s.layer), s.layer);
  }
  return [...out.values()];
}

/** The userland in words, for progress lines and reports: "debian11 (bullseye, glibc 2.31)". */
export const describeUserland = (u: Userland, libc: 'glibc' | 'musl' = 'glibc'): string =>
  `${u.name} (${u.suite}, ${libc} ${libc === 'musl' ? u.musl : u.glibc})`;

/** The loader's line for a glibc too old: "version `GLIBC_2.34' not found (required by ./libhello.so)". */
const GLIBC_NOT_FOUND = /version [`'‘]GLIBC_(\d+\.\d+(?:\.\d+)?)['’] not found/;

/**
 * Where a report quoting the loader's "version `GLIBC_2.34' not found" shows
 * it again: the loader says it only on a glibc older than that version, so
 * the newest userland below it, and today's (the default) for contrast. []
 * when the report quotes no such line, no userland here is older, or today's
 * is (the run without the axis shows it).
 */
export function userlandsReproducing(reported: readonly string[]): string[] {
  const needed = reported.map((l) => GLIBC_NOT_FOUND.exec(l)?.[1]).find((v) => v !== undefined);
  if (!needed) return [];
  const older = USERLANDS.filter((u) => compareVersions(u.glibc, needed) < 0).at(-1);
  // Newer than today's own glibc: today's userland shows it, and is the run without the axis.
  return older && older.name !== DEFAULT_USERLAND ? [older.name, DEFAULT_USERLAND] : [];
}
