/**
 * The version needs of an ELF file read from its bytes: its architecture, its
 * DT_NEEDED, its undefined dynamic symbols with the versions they bind to
 * (`.dynsym`, `.dynstr`, `.gnu.version`) and the versions `.gnu.version_r`
 * requires. What `cshared-matrix audit` reads, so that a file built anywhere, for
 * any architecture the rows know, is read without an engine or a host readelf.
 *
 * Pure: the bytes come from edge/. 32- and 64-bit, little- and big-endian; the
 * layouts are the System V gABI's and the GNU symbol-versioning extension's.
 */
import type { ImportedSymbol, VersionNeeds } from './glibc-floor.js';

/** The rows' architectures by their ELF machine, as the floor line and manylinux tags name them. */
export type ElfArch = 'x86-64' | 'i386' | 'aarch64' | 'arm' | 'riscv64' | 'ppc64le' | 'ppc64' | 's390x' | 'loong64' | string;

export interface ElfVersions extends VersionNeeds {
  arch: ElfArch;
  bits: 32 | 64;
  endian: 'little' | 'big';
  /** ET_DYN, ET_EXEC…, as readelf names them ("DYN", "EXEC"). */
  type: string;
  needed: string[];
  /** The dynamic symbols it defines (global or weak), in .dynsym order. */
  defines: string[];
  /** Whether the file has a dynamic symbol table at all (a static executable has none). */
  dynamic: boolean;
}

/** Input that is not an ELF file, or one too short or inconsistent to read: its message is the one line shown. */
export class ElfFormatError extends Error {}

const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const DT_NEEDED = 1;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const ET_NAMES = ['NONE', 'REL', 'EXEC', 'DYN', 'CORE'];

/** A bounds-checked view of the file in its own class and byte order. */
class Reader {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    readonly bits: 32 | 64,
    private readonly little: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(at: number, size: number): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > this.bytes.length)
      throw new ElfFormatError(`truncated or corrupt ELF file: reads ${size} bytes at offset ${at} of ${this.bytes.length}`);
  }
  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    this.check(at, 2);
    return this.view.getUint16(at, this.little);
  }
  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at, this.little);
  }
  /** A word of the file's class (Elf32_Addr/Off or Elf64_Addr/Off/Xword). */
  word(at: number): number {
    if (this.bits === 32) return this.u32(at);
    this.check(at, 8);
    return Number(this.view.getBigUint64(at, this.little));
  }
  /** A NUL-terminated string at `at` (within the section `[start, end)`). */
  string(at: number, end: number): string {
    let stop = at;
    while (stop < end && stop < this.bytes.length && this.bytes[stop] !== 0) stop++;
    this.check(at, stop - at);
    return new TextDecoder('latin1').decode(this.bytes.subarray(at, stop));
  }
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function archOf(machine: number, bits: 32 | 64, little: boolean): ElfArch {
  const names: Record<number, ElfArch> = {
    3: 'i386',
    62: 'x86-64',
    183: 'aarch64',
    40: 'arm',
    22: 's390x',
    258: 'loong64',
  };
  if (machine === 21) return little ? 'ppc64le' : 'ppc64';
  if (machine === 243) return bits === 64 ? 'riscv64' : 'riscv32';
  return names[machine] ?? `ELF machine ${machine}`;
}

function sections(r: Reader): Section[] {
  const b64 = r.bits === 64;
  const shoff = r.word(b64 ? 40 : 32);
  const shentsize = r.u16(b64 ? 58 : 46);
  const shnum = r.u16(b64 ? 60 : 48);
  const out: Section[] = [];
  for (let i = 0; i < shnum && shoff !== 0; i++) {
    const at = shoff + i * shentsize;
    out.push({
      type: r.u32(at + 4),
      offset: r.word(at + (b64 ? 24 : 16)),
      size: r.word(at + (b64 ? 32 : 20)),
      link: r.u32(at + (b64 ? 40 : 24)),
      entsize: r.word(at + (b64 ? 56 : 36)),
    });
  }
  return out;
}

/** `.gnu.version_r`: version index → name, and every name it requires (the loader checks each). */
function verneed(r: Reader, sec: Section | undefined, strtab: Section | undefined): { byIndex: Map<number, string>; names: string[] } {
  const byIndex = new Map<number, string>();
  const names: string[] = [];
  if (!sec || !strtab) return { byIndex, names };
  const strEnd = strtab.offset + strtab.size;
  let at = sec.offset;
  // Each Elf_Verneed (16 bytes in both classes) lists its Elf_Vernaux entries (16 bytes), chained by offsets.
  for (let guard = 0; guard < 10_000; guard++) {
    const count = r.u16(at + 2);
    let aux = at + r.u32(at + 8);
    for (let j = 0; j < count; j++) {
      const name = r.string(strtab.offset + r.u32(aux + 8), strEnd);
      byIndex.set(r.u16(aux + 6) & 0x7fff, name);
      names.push(name);
      aux += r.u32(aux + 12);
    }
    const next = r.u32(at + 12);
    if (next === 0) break;
    at += next;
  }
  return { byIndex, names };
}

/**
 * `.dynsym` (index 0, the null symbol, skipped): its undefined symbols with their
 * versions, and the names it defines for others (global or weak: what a musl
 * libc.so gives a library, core/glibc-floor.ts muslMissing).
 */
function dynamicSymbols(
  r: Reader,
  dynsym: Section,
  strtab: Section,
  versym: Section | undefined,
  byIndex: Map<number, string>,
): { imports: ImportedSymbol[]; defines: string[] } {
  const size = dynsym.entsize || (r.bits === 64 ? 24 : 16);
  const strEnd = strtab.offset + strtab.size;
  const imports: ImportedSymbol[] = [];
  const defines: string[] = [];
  for (let i = 1; i < Math.floor(dynsym.size / size); i++) {
    const at = dynsym.offset + i * size;
    const [info, shndx] = r.bits === 64 ? [r.u8(at + 4), r.u16(at + 6)] : [r.u8(at + 12), r.u16(at + 14)];
    const name = r.string(strtab.offset + r.u32(at), strEnd);
    if (!name) continue;
    if (shndx !== 0) {
      if (info >> 4 === STB_GLOBAL || info >> 4 === STB_WEAK) defines.push(name);
      continue;
    }
    const symbol: ImportedSymbol = { name };
    const version = versym ? byIndex.get(r.u16(versym.offset + i * 2) & 0x7fff) : undefined;
    if (version !== undefined) symbol.version = version;
    if (info >> 4 === STB_WEAK) symbol.weak = true;
    imports.push(symbol);
  }
  return { imports, defines };
}

function neededOf(r: Reader, dynamic: Section | undefined, all: Section[]): string[] {
  const strtab = dynamic && all[dynamic.link];
  if (!dynamic || !strtab) return [];
  const size = r.bits === 64 ? 16 : 8;
  const out: string[] = [];
  for (let at = dynamic.offset; at + size <= dynamic.offset + dynamic.size; at += size) {
    const tag = r.word(at);
    if (tag === 0) break;
    if (tag === DT_NEEDED) out.push(r.string(strtab.offset + r.word(at + size / 2), strtab.offset + strtab.size));
  }
  return out;
}

/** Reads an ELF file's version needs; throws ElfFormatError (one line) for anything else. */
export function readElfVersions(bytes: Uint8Array): ElfVersions {
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new ElfFormatError('not an ELF file (no \\x7fELF magic)');
  const bits = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : undefined;
  const little = bytes[5] === 1 ? true : bytes[5] === 2 ? false : undefined;
  if (bits === undefined || little === undefined) throw new ElfFormatError(`unknown ELF class ${bytes[4]} or byte order ${bytes[5]}`);
  const r = new Reader(bytes, bits, little);
  const all = sections(r);
  const find = (type: number): Section | undefined => all.find((s) => s.type === type);
  const dynsym = find(SHT_DYNSYM);
  const strtab = dynsym && all[dynsym.link];
  const vn = verneed(r, find(SHT_GNU_VERNEED), strtab);
  return {
    arch: archOf(r.u16(18), bits, little),
    bits,
    endian: little ? 'little' : 'big',
    type: ET_NAMES[r.u16(16)] ?? `type ${r.u16(16)}`,
    needed: neededOf(r, find(SHT_DYNAMIC), all),
    dynamic: dynsym !== undefined,
    ...(dynsym && strtab ? dynamicSymbols(r, dynsym, strtab, find(SHT_GNU_VERSYM), vn.byIndex) : { imports: [], defines: [] }),
    required: vn.names,
  };
}
