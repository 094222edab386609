/**
 * The glibc floor of an ELF file: the newest GLIBC_x.y it binds a symbol to (or
 * lists in `.gnu.version_r`), the symbols that force it, and where that loads.
 * glibc's loader refuses a file whose version needs its libc lacks
 * ("version `GLIBC_2.34' not found"), so this is where a library or host can load
 * at all, whatever its code does.
 *
 * Pure: its input is what core/elf.ts (readelf's text) or core/elf-versions.ts
 * (the file's bytes) read.
 */
import { compareVersions, DISTROS, type Distro, manylinuxTag, reachOf } from './distros.js';

/** An undefined dynamic symbol of the file, with the version it binds to (`free@GLIBC_2.2.5`). */
export interface ImportedSymbol {
  name: string;
  /** The version name ("GLIBC_2.34", "GCC_3.0"); absent when unversioned (musl, or glibc's weak hooks). */
  version?: string;
  /** A weak reference: the file loads without it (`__gmon_start__`, `_ITM_*`). */
  weak?: boolean;
}

/** What a file asks of its libraries' versions. */
export interface VersionNeeds {
  imports: ImportedSymbol[];
  /**
   * The version names `.gnu.version_r` requires (glibc checks each at load, even
   * one no symbol uses); absent when only the symbols are known (readelf text
   * without `--version-info`).
   */
  required?: string[];
}

/** One version and the undefined symbols bound to it, sorted. */
export interface VersionSymbols {
  version: string;
  symbols: string[];
}

export interface GlibcFloor {
  /** The newest glibc it needs ("2.34"); absent when it needs no numbered GLIBC version. */
  glibc?: string;
  /** Every GLIBC_x.y it needs (without the prefix), newest first, with its symbols. */
  needs: VersionSymbols[];
  /** Versions that are not glibc's numbered ones: GLIBC_PRIVATE, GCC_3.0, GLIBCXX_3.4.30, CXXABI_1.3… */
  other: VersionSymbols[];
}

const GLIBC_VERSION = /^GLIBC_(\d+(?:\.\d+)+)$/;
/**
 * glibc's ABI markers: version names a linker requires for a feature of the file,
 * not for a symbol; each is defined from the glibc that added it
 * (`-z pack-relative-relocs` adds GLIBC_ABI_DT_RELR, glibc 2.36).
 */
const GLIBC_ABI_MARKERS: Record<string, string> = { GLIBC_ABI_DT_RELR: '2.36' };

/** "2.34" for GLIBC_2.34 (or a marker), undefined for anything else. */
export function glibcVersionOf(versionName: string): string | undefined {
  return GLIBC_ABI_MARKERS[versionName] ?? GLIBC_VERSION.exec(versionName)?.[1];
}

export function glibcFloor(needs: VersionNeeds): GlibcFloor {
  const glibc = new Map<string, Set<string>>();
  const other = new Map<string, Set<string>>();
  const add = (version: string, symbol?: string): void => {
    const numbered = glibcVersionOf(version);
    const [map, key] = numbered ? [glibc, numbered] : [other, version];
    const set = map.get(key) ?? map.set(key, new Set()).get(key);
    if (symbol !== undefined) set?.add(symbol);
  };
  for (const s of needs.imports) if (s.version) add(s.version, s.name);
  for (const v of needs.required ?? []) add(v);
  const list = (m: Map<string, Set<string>>): VersionSymbols[] =>
    [...m].map(([version, symbols]) => ({ version, symbols: [...symbols].sort() }));
  const sorted = list(glibc).sort((a, b) => compareVersions(b.version, a.version));
  const floor: GlibcFloor = { needs: sorted, other: list(other).sort((a, b) => (a.version < b.version ? -1 : 1)) };
  if (sorted[0]) floor.glibc = sorted[0].version;
  return floor;
}

/** The versions (and their symbols) a floor needs above `than`: what stops it loading on a glibc of that version. */
export const needsAbove = (floor: GlibcFloor, than: string): VersionSymbols[] =>
  floor.needs.filter((n) => compareVersions(n.version, than) > 0);

/** At most `max` names, then "…". */
export function someNames(names: readonly string[], max = 5): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, …` : names.join(', ');
}

/**
 * The one line a person reads: "needs glibc ≥ 2.34 (pthread_create, … from
 * GLIBC_2.34): loads on Debian 12+, Ubuntu 22.04+, RHEL 9+; not on Debian 11,
 * Ubuntu 20.04, RHEL 8; manylinux_2_34_x86_64", with what it needs beyond glibc.
 */
export function floorLine(floor: GlibcFloor, arch?: string, distros: readonly Distro[] = DISTROS): string {
  const beyond = floor.other.length
    ? `; also needs ${floor.other.map((o) => (o.symbols.length ? `${o.version} (${someNames(o.symbols, 3)})` : o.version)).join(', ')}`
    : '';
  const top = floor.needs[0];
  if (floor.glibc === undefined || !top) return `needs no versioned glibc symbol: loads on any glibc${beyond}`;
  const reach = reachOf(floor.glibc, distros);
  const why = top.symbols.length ? ` (${someNames(top.symbols)} from GLIBC_${top.version})` : ` (GLIBC_${top.version})`;
  const where = [
    reach.loads.length ? `loads on ${reach.loads.join(', ')}` : 'loads on none of the distributions known',
    reach.not.length ? `not on ${reach.not.join(', ')}` : '',
    manylinuxTag(floor.glibc, arch),
  ].filter(Boolean);
  return `needs glibc ≥ ${floor.glibc}${why}: ${where.join('; ')}${beyond}`;
}

/**
 * Whether a file loads on a glibc of version `limit`, and if not, one line naming
 * the symbols that need more: "needs glibc 2.34 > 2.31: pthread_create, … (GLIBC_2.34);
 * pthread_sigmask, … (GLIBC_2.32)".
 */
export function beyondLimit(floor: GlibcFloor, limit: string): string | undefined {
  const above = needsAbove(floor, limit);
  if (!above.length || floor.glibc === undefined) return undefined;
  // Every symbol: this is the list to act on (few are above any floor a distribution still ships).
  const parts = above.map((n) => (n.symbols.length ? `${n.symbols.join(', ')} (GLIBC_${n.version})` : `GLIBC_${n.version}`));
  return `needs glibc ${floor.glibc} > ${limit}: ${parts.join('; ')}`;
}

/**
 * What a musl libc cannot give: the file's strong undefined symbols its `libc.so`
 * does not define (musl has no symbol versions, so the loader fails on the first
 * one at relocation: "Error relocating …: __nanosleep64: symbol not found").
 * `defined` is the dynamic symbols the musl libc.so defines; symbols the file's
 * other libraries provide are the caller's to leave out.
 */
export function muslMissing(imports: readonly ImportedSymbol[], defined: ReadonlySet<string>): string[] {
  return [...new Set(imports.filter((s) => !s.weak && !defined.has(s.name)).map((s) => s.name))].sort();
}

/** The line for a musl file: what its libc (named as the caller knows it: "musl 1.2.5's libc.so", a path) lacks, or that it lacks nothing. */
export function muslLine(missing: readonly string[], libc = "musl's libc.so"): string {
  return missing.length
    ? `${libc} does not define ${missing.length} symbol${missing.length === 1 ? '' : 's'} it needs: ${someNames(missing, 8)}`
    : `${libc} defines every symbol it needs`;
}

/** The ELF architecture (core/elf-versions.ts `ElfArch`) of each GOARCH the rows build. */
const ELF_ARCH_OF_GOARCH: Record<string, string> = {
  amd64: 'x86-64',
  '386': 'i386',
  arm64: 'aarch64',
  arm: 'arm',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  loong64: 'loong64',
};

/** A built file's floor with its line, as a glibc cell's results carry it; the GOARCH names the manylinux tag's architecture. */
export function cellFloor(needs: VersionNeeds, goarch?: string): GlibcFloor & { line: string } {
  const floor = glibcFloor(needs);
  return { ...floor, line: floorLine(floor, goarch === undefined ? undefined : ELF_ARCH_OF_GOARCH[goarch]) };
}
