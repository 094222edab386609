/**
 * PE facts from a file's bytes: what a Windows row's DLL and host are (PE32 or
 * PE32+, machine, DLL or not), what they export, which DLLs and functions they
 * import (the C runtime among them), their TLS directory and its callbacks, and
 * whether the DLL has a DllMain. The Windows rows' counterpart of elf.ts's facts,
 * and what explainPeFailure reasons from.
 *
 * Pure: the bytes come from edge/pe-file.ts or a run's volume. Bounded: every
 * read is checked against the file, every table walk is capped, and a part that
 * cannot be read becomes a line in `problems` while the other parts still read,
 * so a truncated or hostile file gives a partial answer, never a throw or a loop.
 * The layouts are Microsoft's PE/COFF specification's.
 */

/** One export: its ordinal, its name unless exported by ordinal only, and where it forwards to if it does. */
export interface PeExport {
  ordinal: number;
  /** Absent for an export by ordinal only (NONAME in a .def file). */
  name?: string;
  /** "OTHER.Function" when the export forwards to another DLL. */
  forwarder?: string;
}

export interface PeImport {
  /** As the import directory spells it ("KERNEL32.dll"); Windows matches it case-insensitively. */
  dll: string;
  /** Each function by name, or "#<ordinal>" when imported by ordinal only. */
  functions: string[];
}

/**
 * Which C runtime the file imports: msvcrt.dll (what Debian's mingw-w64 links),
 * the UCRT (ucrtbase.dll or its api-ms-win-crt-* forwarders), a versioned MSVC
 * runtime (msvcr120.dll, vcruntime140.dll…), or none.
 */
export type PeCrt = 'msvcrt' | 'ucrt' | 'versioned' | 'none';

/**
 * own: a DllMain from the file's own sources; mingw-default: the CRT's stub
 * (mingw-w64's dllmain.c, linked in when the sources define none: a Go DLL's);
 * none: a symbol table without one; unknown: no COFF symbol table (stripped).
 */
export type PeDllMain = 'own' | 'mingw-default' | 'none' | 'unknown';

export interface PeSummary {
  format: 'PE32' | 'PE32+';
  /** i386, amd64, arm64, arm; else "machine 0x…". */
  machine: string;
  /** IMAGE_FILE_DLL. */
  dll: boolean;
  /** "Windows CUI", "Windows GUI"…, as objdump names them. */
  subsystem: string;
  /** AddressOfEntryPoint (an RVA; 0: none). */
  entryPoint: number;
  /** The entry's name, when the COFF symbol table or the exports name it (mingw: DllMainCRTStartup). */
  entryName?: string;
  /** The DLL's own name, from its export directory. */
  name?: string;
  exports: PeExport[];
  imports: PeImport[];
  crt: PeCrt;
  /** The C runtime DLLs among the imports, as spelled there. */
  crtDlls: string[];
  /** The TLS directory, when there is one: its callbacks run before DllMain on every thread attach and detach. */
  tls?: { callbacks: number };
  dllMain: PeDllMain;
  /** The source file the DllMain symbol belongs to (the COFF .file before it), when known. */
  dllMainFile?: string;
  /** Whether the file keeps a COFF symbol table (mingw does unless linked with -s). */
  symbols: boolean;
  /** What could not be read, one line each: the facts above are then partial. */
  problems: string[];
  /** One line: "PE32+ DLL amd64, 3 exports, needs KERNEL32.dll msvcrt.dll, TLS directory (2 callbacks), DllMain (mingw's default)". */
  summary: string;
}

/** A PE file's facts, or why the bytes are not a PE file at all (one line). */
export type PeRead = { pe: PeSummary } | { error: string };

/** A read outside the file (or a cap reached): caught per part, it becomes one of `problems`. */
class PeFormatError extends Error {}

/**
 * Caps on what a hostile file can make the reader walk: tables longer than any real
 * file's, and a budget of name bytes for the whole file (so that many entries naming
 * one long string are still bounded work).
 */
const CAP = {
  sections: 96,
  exports: 65_536,
  importDlls: 1_024,
  functions: 65_536,
  callbacks: 1_024,
  name: 4_096,
  nameBytes: 32 * 1024 ** 2,
};
/** IMAGE_FILE_MACHINE_* by the names the rows use (GOARCH's, i386 for 386). */
const MACHINES = new Map([
  [0x14c, 'i386'],
  [0x8664, 'amd64'],
  [0xaa64, 'arm64'],
  [0x1c4, 'arm'],
]);
const SUBSYSTEMS: Record<number, string> = {
  1: 'native',
  2: 'Windows GUI',
  3: 'Windows CUI',
  7: 'POSIX CUI',
  9: 'Windows CE GUI',
  10: 'EFI application',
};
const IMAGE_FILE_DLL = 0x2000;
const DIR = { export: 0, import: 1, tls: 9 };

/** A bounds-checked little-endian view of the file. */
class Bytes {
  private readonly view: DataView;
  private scanned = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(at: number, size: number): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > this.bytes.length)
      throw new PeFormatError(`reads ${size} bytes at offset ${at} of ${this.bytes.length}`);
  }
  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    this.check(at, 2);
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at, true);
  }
  u64(at: number): bigint {
    this.check(at, 8);
    return this.view.getBigUint64(at, true);
  }
  /** A NUL-terminated string of at most CAP.name bytes (or `max`), as latin1. */
  string(at: number, max = CAP.name): string {
    this.check(at, 1);
    let stop = at;
    while (stop < this.bytes.length && stop - at < max && this.bytes[stop] !== 0) stop++;
    this.scanned += stop - at + 1;
    if (this.scanned > CAP.nameBytes) throw new PeFormatError(`names longer than ${CAP.nameBytes} bytes in all`);
    return new TextDecoder('latin1').decode(this.bytes.subarray(at, stop));
  }
}

interface Section {
  name: string;
  va: number;
  vsize: number;
  raw: number;
  rawSize: number;
}

/** What the headers say: enough to find every directory and map an RVA to the file. */
interface Image {
  b: Bytes;
  plus: boolean;
  machine: string;
  characteristics: number;
  subsystem: number;
  entryPoint: number;
  imageBase: bigint;
  headersSize: number;
  dirs: { rva: number; size: number }[];
  sections: Section[];
  symbolTable: number;
  symbolCount: number;
}

function headers(b: Bytes): Image {
  if (b.bytes.length < 64 || b.u16(0) !== 0x5a4d) throw new PeFormatError('not a PE file (no MZ header)');
  const pe = b.u32(0x3c);
  if (pe + 24 > b.bytes.length || b.u32(pe) !== 0x4550)
    throw new PeFormatError('not a PE file (no PE signature where the MZ header points)');
  const coff = pe + 4;
  const opt = coff + 20;
  const magic = b.u16(opt);
  if (magic !== 0x10b && magic !== 0x20b) throw new PeFormatError(`unknown optional header magic 0x${magic.toString(16)}`);
  const plus = magic === 0x20b;
  const dirCount = Math.min(b.u32(opt + (plus ? 108 : 92)), 16);
  const dirAt = opt + (plus ? 112 : 96);
  const dirs = Array.from({ length: dirCount }, (_, i) => ({ rva: b.u32(dirAt + i * 8), size: b.u32(dirAt + i * 8 + 4) }));
  const machine = b.u16(coff);
  return {
    b,
    plus,
    machine: MACHINES.get(machine) ?? `machine 0x${machine.toString(16)}`,
    characteristics: b.u16(coff + 18),
    subsystem: b.u16(opt + 68),
    entryPoint: b.u32(opt + 16),
    imageBase: plus ? b.u64(opt + 24) : BigInt(b.u32(opt + 28)),
    headersSize: b.u32(opt + 60),
    dirs,
    sections: sectionTable(b, opt + b.u16(coff + 16), Math.min(b.u16(coff + 2), CAP.sections)),
    symbolTable: b.u32(coff + 8),
    symbolCount: b.u32(coff + 12),
  };
}

function sectionTable(b: Bytes, at: number, count: number): Section[] {
  return Array.from({ length: count }, (_, i) => {
    const s = at + i * 40;
    return {
      name: b.string(s, 8),
      vsize: b.u32(s + 8),
      va: b.u32(s + 12),
      rawSize: b.u32(s + 16),
      raw: b.u32(s + 20),
    };
  });
}

/** The file offset of an RVA: through the section that holds it, or the headers themselves. */
function offsetOf(img: Image, rva: number): number {
  if (rva < img.headersSize) return rva;
  const s = img.sections.find((x) => rva >= x.va && rva < x.va + Math.max(x.vsize, x.rawSize));
  if (!s) throw new PeFormatError(`RVA 0x${rva.toString(16)} is in no section`);
  if (rva - s.va >= s.rawSize) throw new PeFormatError(`RVA 0x${rva.toString(16)} is past ${s.name}'s data in the file`);
  return s.raw + (rva - s.va);
}

const rvaString = (img: Image, rva: number): string => img.b.string(offsetOf(img, rva));

/** The export directory: its exports appended to `out` as they are read (a bad table leaves those before it), and the DLL's name. */
function exportsOf(img: Image, out: PeExport[]): string | undefined {
  const dir = img.dirs[DIR.export];
  if (!dir?.rva) return undefined;
  const b = img.b;
  const at = offsetOf(img, dir.rva);
  const dllName = b.u32(at + 12) ? rvaString(img, b.u32(at + 12)) : undefined;
  const base = b.u32(at + 16);
  const nFunctions = b.u32(at + 20);
  const nNames = b.u32(at + 24);
  if (nFunctions > CAP.exports || nNames > CAP.exports)
    throw new PeFormatError(`${Math.max(nFunctions, nNames)} exports: more than ${CAP.exports}`);
  const functions = offsetOf(img, b.u32(at + 28));
  const names = new Map<number, string>();
  if (nNames) {
    const namePtrs = offsetOf(img, b.u32(at + 32));
    const ordinals = offsetOf(img, b.u32(at + 36));
    for (let i = 0; i < nNames; i++) names.set(b.u16(ordinals + i * 2), rvaString(img, b.u32(namePtrs + i * 4)));
  }
  for (let i = 0; i < nFunctions; i++) {
    const rva = b.u32(functions + i * 4);
    if (!rva) continue;
    const name = names.get(i);
    // An address inside the export directory itself is a forwarder string, not code.
    const forwarder = rva >= dir.rva && rva < dir.rva + dir.size ? rvaString(img, rva) : undefined;
    out.push({ ordinal: base + i, ...(name !== undefined ? { name } : {}), ...(forwarder ? { forwarder } : {}) });
  }
  return dllName;
}

/** One import lookup table: names ("#n" for ordinals), up to its zero entry; `before` functions were read already. */
function thunks(img: Image, rva: number, before: number): string[] {
  const b = img.b;
  const size = img.plus ? 8 : 4;
  const at = offsetOf(img, rva);
  const out: string[] = [];
  for (let i = 0; ; i++) {
    if (before + i >= CAP.functions) throw new PeFormatError(`more than ${CAP.functions} imported functions`);
    const entry = img.plus ? b.u64(at + i * size) : BigInt(b.u32(at + i * size));
    if (entry === 0n) return out;
    const byOrdinal = img.plus ? entry >> 63n === 1n : entry >> 31n === 1n;
    out.push(byOrdinal ? `#${Number(entry & 0xffffn)}` : rvaString(img, Number(entry & 0x7fffffffn) + 2));
  }
}

/** The import directory, each DLL appended to `out` once its table is read (a bad one leaves those before it). */
function importsOf(img: Image, out: PeImport[]): void {
  const dir = img.dirs[DIR.import];
  if (!dir?.rva) return;
  const b = img.b;
  const at = offsetOf(img, dir.rva);
  let functions = 0;
  for (let i = 0; ; i++) {
    if (i >= CAP.importDlls) throw new PeFormatError(`an import directory longer than ${CAP.importDlls} DLLs`);
    const d = at + i * 20;
    const lookup = b.u32(d);
    const name = b.u32(d + 12);
    const iat = b.u32(d + 16);
    if (!lookup && !name && !iat) return;
    const imp = { dll: rvaString(img, name), functions: thunks(img, lookup || iat, functions) };
    out.push(imp);
    functions += imp.functions.length;
  }
}

/** The TLS directory's callback array (a VA, as are its entries), counted up to its zero entry. */
function tlsOf(img: Image): { callbacks: number } | undefined {
  const dir = img.dirs[DIR.tls];
  if (!dir?.rva) return undefined;
  const b = img.b;
  const at = offsetOf(img, dir.rva);
  const array = img.plus ? b.u64(at + 24) : BigInt(b.u32(at + 12));
  if (array === 0n) return { callbacks: 0 };
  const start = offsetOf(img, Number(array - img.imageBase));
  const size = img.plus ? 8 : 4;
  for (let n = 0; n < CAP.callbacks; n++) {
    const entry = img.plus ? b.u64(start + n * size) : BigInt(b.u32(start + n * size));
    if (entry === 0n) return { callbacks: n };
  }
  throw new PeFormatError(`a TLS callback array longer than ${CAP.callbacks}`);
}

interface Symbols {
  entryName?: string;
  dllMain: PeDllMain;
  dllMainFile?: string;
}

const C_EXT = 2;
const C_FILE = 103;
/** i386's stdcall decoration adds a leading underscore and the argument bytes. */
const DLLMAIN = /^_?DllMain(@12)?$/;

/** A COFF symbol's name: inline (8 bytes) or, when its first word is 0, an offset into the string table after the symbols. */
function symbolName(b: Bytes, at: number, strings: number): string {
  return b.u32(at) === 0 ? b.string(strings + b.u32(at + 4)) : b.string(at, 8);
}

/** DllMain and the entry's name from the COFF symbol table (mingw keeps one unless linked with -s). */
function symbolsOf(img: Image): Symbols {
  const b = img.b;
  const count = img.symbolCount;
  if (!img.symbolTable || !count) return { dllMain: 'unknown' };
  if (img.symbolTable + count * 18 > b.bytes.length) throw new PeFormatError(`${count} COFF symbols do not fit in the file`);
  const strings = img.symbolTable + count * 18;
  const found: Symbols = { dllMain: 'none' };
  let file = '';
  for (let i = 0; i < count; i += 1 + b.u8(img.symbolTable + i * 18 + 17)) {
    const at = img.symbolTable + i * 18;
    const cls = b.u8(at + 16);
    // A .file symbol's name is in its auxiliary records; the symbols after it are that object's.
    if (cls === C_FILE) file = b.u8(at + 17) && at + 36 <= b.bytes.length ? b.string(at + 18, 18 * b.u8(at + 17)) : '';
    const section = b.u16(at + 12);
    if (cls !== C_EXT || section === 0 || section > img.sections.length) continue;
    const name = symbolName(b, at, strings);
    const rva = (img.sections[section - 1]?.va ?? 0) + b.u32(at + 8);
    // mingw-w64 links its stub from dllmain.c only when no object defines DllMain (a source of one's own by that name would read the same).
    if (DLLMAIN.test(name) && found.dllMain === 'none')
      Object.assign(found, { dllMain: file === 'dllmain.c' ? 'mingw-default' : 'own', ...(file ? { dllMainFile: file } : {}) });
    if (rva === img.entryPoint && img.entryPoint && !found.entryName) found.entryName = name;
  }
  return found;
}

/** The C runtime among the imports. */
export function crtOf(imports: PeImport[]): { crt: PeCrt; crtDlls: string[] } {
  const kinds: [PeCrt, RegExp][] = [
    ['ucrt', /^(ucrtbased?\.dll|api-ms-win-crt-[\w-]+\.dll)$/i],
    ['msvcrt', /^msvcrt\.dll$/i],
    ['versioned', /^(msvcr\d+d?\.dll|vcruntime\d+d?\.dll)$/i],
  ];
  for (const [crt, re] of kinds) {
    const crtDlls = imports.map((i) => i.dll).filter((d) => re.test(d));
    if (crtDlls.length) return { crt, crtDlls };
  }
  return { crt: 'none', crtDlls: [] };
}

/** Runs one part of the reading; a failure becomes a problem line and the part's fallback. */
function part<T>(problems: string[], what: string, read: () => T, fallback: T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof PeFormatError)) throw e;
    problems.push(`${what}: ${e.message}`);
    return fallback;
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const DLLMAIN_WORDS: Record<PeDllMain, string> = {
  own: 'DllMain',
  'mingw-default': "DllMain (mingw's default)",
  none: 'no DllMain',
  unknown: 'DllMain unknown (stripped)',
};

/** The one-line summary results.json and the reports show. */
export function summarizePe(p: Omit<PeSummary, 'summary'>): string {
  const needs = p.imports.map((i) => i.dll);
  return [
    `${p.format} ${p.dll ? 'DLL' : 'executable'} ${p.machine}`,
    plural(p.exports.length, 'export'),
    needs.length ? `needs ${needs.join(' ')}` : 'imports nothing',
    p.tls ? `TLS directory (${plural(p.tls.callbacks, 'callback')})` : 'no TLS directory',
    // Only a DLL has a DllMain to speak of; an executable's entry is its CRT's mainCRTStartup.
    ...(!p.dll ? [] : [p.dllMain === 'own' && p.dllMainFile ? `DllMain (${p.dllMainFile})` : DLLMAIN_WORDS[p.dllMain]]),
    ...(p.problems.length ? [plural(p.problems.length, 'problem')] : []),
  ].join(', ');
}

/** Reads a PE file's facts from its bytes; never throws on bad input. */
export function readPe(bytes: Uint8Array): PeRead {
  const b = new Bytes(bytes);
  let img: Image;
  try {
    img = headers(b);
  } catch (e) {
    if (!(e instanceof PeFormatError)) throw e;
    return { error: e.message.startsWith('not a PE') ? e.message : `truncated or corrupt PE headers: ${e.message}` };
  }
  const problems: string[] = [];
  const exports: PeExport[] = [];
  const name = part(problems, 'exports', () => exportsOf(img, exports), undefined);
  const imports: PeImport[] = [];
  part(problems, 'imports', () => importsOf(img, imports), undefined);
  const tls = part(problems, 'TLS directory', () => tlsOf(img), undefined);
  const syms = part<Symbols>(problems, 'COFF symbols', () => symbolsOf(img), { dllMain: 'unknown' });
  const entryExport = exports.find((x) => !x.forwarder && x.name && exportRva(img, x) === img.entryPoint);
  const entryName = syms.entryName ?? entryExport?.name;
  const facts: Omit<PeSummary, 'summary'> = {
    format: img.plus ? 'PE32+' : 'PE32',
    machine: img.machine,
    dll: (img.characteristics & IMAGE_FILE_DLL) !== 0,
    subsystem: SUBSYSTEMS[img.subsystem] ?? `subsystem ${img.subsystem}`,
    entryPoint: img.entryPoint,
    ...(entryName ? { entryName } : {}),
    ...(name !== undefined ? { name } : {}),
    exports,
    imports,
    ...crtOf(imports),
    ...(tls ? { tls } : {}),
    dllMain: syms.dllMain,
    ...(syms.dllMainFile ? { dllMainFile: syms.dllMainFile } : {}),
    symbols: img.symbolTable !== 0 && img.symbolCount !== 0,
    problems,
  };
  return { pe: { ...facts, summary: summarizePe(facts) } };
}

/** An export's RVA (only to name the entry point when no symbol does). */
function exportRva(img: Image, x: PeExport): number | undefined {
  try {
    const at = offsetOf(img, img.dirs[DIR.export]?.rva ?? 0);
    return img.b.u32(offsetOf(img, img.b.u32(at + 28)) + (x.ordinal - img.b.u32(at + 16)) * 4);
  } catch {
    return undefined;
  }
}

/** What explainPeFailure reads: a failed Windows cell's text and the PE facts of its files. */
export interface PeFailureInput {
  /** What the host and Wine printed (stdout and stderr). */
  failureText: string;
  /** The cell's libraries by their case name ("hello": libhello.dll's facts). */
  libraries: Record<string, PeSummary>;
  host?: PeSummary;
}

/** One of the cell's files: its name as a person reads it and its facts. */
interface PeFile {
  file: string;
  pe: PeSummary;
  built: boolean;
}

const filesOf = (x: PeFailureInput): PeFile[] => [
  ...(x.host ? [{ file: 'host.exe', pe: x.host, built: true }] : []),
  ...Object.entries(x.libraries).map(([name, pe]) => ({ file: pe.name ?? `lib${name}.dll`, pe, built: true })),
];

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
/** The last component of a Windows path as Wine prints it (L"Z:\\t\\out\\host.exe", backslashes doubled). */
const baseName = (path: string): string => path.split(/\\+|\//).pop() ?? path;
const built = (x: PeFailureInput, dll: string): PeFile | undefined =>
  filesOf(x).find((f) => f.file !== 'host.exe' && sameName(f.file, dll));
/** The cell's files that import `dll`, with the functions they take from it. */
const importers = (x: PeFailureInput, dll: string): string[] =>
  filesOf(x).flatMap((f) => {
    const imp = f.pe.imports.find((i) => sameName(i.dll, dll));
    return imp ? [`${f.file} (${listed(imp.functions)})`] : [];
  });
const listed = (names: string[], max = 6): string =>
  names.length > max ? `${names.slice(0, max).join(', ')}, … ${names.length - max} more` : names.join(', ');
const exportNames = (pe: PeSummary): string[] => pe.exports.flatMap((e) => (e.name ? [e.name] : []));
/** mingw-w64's GCC runtime DLLs: imported when a file is linked without -static-libgcc (emulated TLS, C++, winpthreads). */
const MINGW_RUNTIME = /^(libgcc_s_[\w-]+|libstdc\+\+-\d+|libwinpthread-\d+)\.dll$/i;

/** Wine: `err:module:import_dll Library X (which is needed by L"…") not found`. */
function importNotFound(x: PeFailureInput, m: RegExpExecArray): string {
  const [, dll = '', neededBy = ''] = m;
  const who = importers(x, dll);
  const whoText = who.length ? who.join(' and ') : baseName(neededBy);
  if (built(x, dll))
    return `${whoText} imports ${dll}, a DLL this run built, which the loader did not find: its directory is neither the importer's nor on WINEPATH`;
  if (MINGW_RUNTIME.test(dll))
    return `${whoText} imports ${dll}, mingw-w64's GCC runtime DLL, which is not shipped beside it (link with -static-libgcc, or ship the DLL)`;
  if (!Object.keys(x.libraries).length)
    return `${whoText} imports ${dll}, which the loader found neither beside it, on WINEPATH, nor in the Wine prefix`;
  return `${whoText} imports ${dll}, which no library of this run builds and this Wine prefix does not provide`;
}

/** NTSTATUS values Wine prints for an import that would not load. */
const STATUS: Record<string, string> = {
  c000007b: 'STATUS_INVALID_IMAGE_FORMAT',
  c0000135: 'STATUS_DLL_NOT_FOUND',
  c0000139: 'STATUS_ENTRYPOINT_NOT_FOUND',
  c0000142: 'STATUS_DLL_INIT_FAILED',
};

/** Wine: `err:module:import_dll Loading library X (which is needed by L"…") failed (error c000007b).` */
function importLoadFailed(x: PeFailureInput, m: RegExpExecArray): string {
  const [, dll = '', neededBy = '', status = ''] = m;
  const name = STATUS[status.toLowerCase()] ?? `status 0x${status}`;
  const importer = filesOf(x).find((f) => sameName(f.file, baseName(neededBy)) || f.pe.imports.some((i) => sameName(i.dll, dll)));
  const target = built(x, dll);
  if (status.toLowerCase() === 'c000007b' && importer && target && importer.pe.machine !== target.pe.machine)
    return `${importer.file} (${importer.pe.format} ${importer.pe.machine}) imports ${dll}, which is ${target.pe.format} ${target.pe.machine}: a process loads only DLLs of its own machine (${name})`;
  return `${importer?.file ?? baseName(neededBy)} imports ${dll}, which was found but would not load (${name})`;
}

/** Wine: `wine: Call from … to unimplemented function libhello.dll.Missing, aborting`. */
function unimplemented(x: PeFailureInput, m: RegExpExecArray): string {
  const [, dll = '', fn = ''] = m;
  const target = built(x, dll);
  const who = filesOf(x).filter((f) => f.pe.imports.some((i) => sameName(i.dll, dll) && i.functions.includes(fn)));
  const whoText = who.length ? who.map((f) => f.file).join(' and ') : 'a file';
  const exported = target ? ` (it exports ${listed(exportNames(target.pe))})` : '';
  // Windows refuses to start the importer (STATUS_ENTRYPOINT_NOT_FOUND); Wine binds the import to a stub and goes on.
  return `${whoText} imports ${fn} from ${dll}, which ${dll} does not export${exported}; Wine loaded it anyway with a stub that aborts when called, where Windows refuses to load it`;
}

/** The library a LoadLibrary failure is about: the one whose file name the text names, else the only one. */
function namedLibrary(x: PeFailureInput): PeFile | undefined {
  const libs = filesOf(x).filter((f) => f.file !== 'host.exe');
  const text = x.failureText.toLowerCase();
  return libs.find((f) => text.includes(f.file.toLowerCase())) ?? (libs.length === 1 ? libs[0] : undefined);
}

/** LoadLibrary's ERROR_BAD_EXE_FORMAT (193): Wine's text is "Bad EXE format for %1.", Windows' "%1 is not a valid Win32 application.". */
function badFormat(x: PeFailureInput): string {
  const lib = namedLibrary(x);
  const host = x.host;
  if (lib && host && lib.pe.machine !== host.machine)
    return `LoadLibrary refused ${lib.file}: it is ${lib.pe.format} ${lib.pe.machine} and the host ${host.format} ${host.machine}, and a process loads only DLLs of its own machine (ERROR_BAD_EXE_FORMAT, 193)`;
  return `LoadLibrary refused ${lib?.file ?? 'the DLL'} as no valid image for this process (ERROR_BAD_EXE_FORMAT, 193)${lib ? `: it is ${lib.pe.format} ${lib.pe.machine}` : ''}`;
}

/** LoadLibrary's ERROR_MOD_NOT_FOUND (126) with no Wine line naming the missing import: the path, or one of its imports. */
function modNotFound(x: PeFailureInput): string {
  const lib = namedLibrary(x);
  if (!lib) return 'LoadLibrary found no DLL at the path, or not one of the DLLs it imports (ERROR_MOD_NOT_FOUND, 126)';
  return `LoadLibrary found no ${lib.file} at the path, or not one of the DLLs it imports: ${lib.pe.imports.map((i) => i.dll).join(' ')} (ERROR_MOD_NOT_FOUND, 126)`;
}

/** GetProcAddress of a name the DLL lacks (ERROR_PROC_NOT_FOUND, 127); i386 stdcall exports carry an @N suffix. */
function procNotFound(x: PeFailureInput, m: RegExpExecArray): string {
  const fn = m[1] ?? m[2] ?? '';
  const libs = filesOf(x).filter((f) => f.file !== 'host.exe');
  const lib = namedLibrary(x) ?? libs.find((f) => !exportNames(f.pe).includes(fn));
  if (!lib) return `GetProcAddress found no ${fn} (ERROR_PROC_NOT_FOUND, 127)`;
  const names = exportNames(lib.pe);
  if (names.includes(fn)) return `${lib.file} exports ${fn}, yet GetProcAddress did not find it: the handle was another module's`;
  const decorated = names.find((n) => new RegExp(`^_?${fn.replace(/\W/g, '')}@\\d+$`).test(n));
  const hint = decorated ? `; it exports ${decorated}, the stdcall-decorated name` : ` (it exports ${listed(names) || 'nothing by name'})`;
  return `${lib.file} does not export ${fn}${hint} (ERROR_PROC_NOT_FOUND, 127)`;
}

interface PeRule {
  id: string;
  text: RegExp;
  say: (x: PeFailureInput, m: RegExpExecArray) => string;
}

/**
 * The explanations, first match wins: Wine's own loader lines name the file and
 * the import, so they go before the LoadLibrary codes a host prints after them.
 */
export const PE_FAILURE_RULES: readonly PeRule[] = [
  {
    id: 'wine-import-not-found',
    text: /err:module:import_dll Library (\S+) \(which is needed by L"([^"]*)"\) not found/,
    say: importNotFound,
  },
  {
    id: 'wine-import-load-failed',
    text: /err:module:import_dll Loading library (\S+) \(which is needed by L"([^"]*)"\) failed \(error ([0-9a-f]{8})\)/i,
    say: importLoadFailed,
  },
  {
    id: 'wine-unimplemented-function',
    // At the first call; with WINEDEBUG=warn+module Wine also says so at load ("No implementation for X.F imported from …").
    text: /(?:unimplemented function|No implementation for) ([^\s.]+(?:\.[^\s.]+)*?\.dll)\.([^\s,]+)/i,
    say: unimplemented,
  },
  {
    id: 'proc-not-found',
    // A failed check naming the call, or the call with the error a host printed for it.
    text: /not ok \d+ - [^\n]*?GetProcAddress\(\s*(?:[^,()"]*,\s*)?"([^"]+)"|GetProcAddress\(\s*(?:[^,()"]*,\s*)?"([^"]+)"\)[^\n]*?(?:\b127\b|ERROR_PROC_NOT_FOUND|[Pp]rocedure (?:not found|could not be found))/,
    say: procNotFound,
  },
  {
    id: 'bad-exe-format',
    text: /\b(?:error|GetLastError\(\)\s*=?)\s*193\b|ERROR_BAD_EXE_FORMAT|Bad EXE format|not a valid Win32 application/,
    say: badFormat,
  },
  {
    id: 'mod-not-found',
    text: /\b(?:error|GetLastError\(\)\s*=?)\s*126\b|ERROR_MOD_NOT_FOUND|Module not found|specified module could not be found/,
    say: modNotFound,
  },
];

/** One sentence explaining a failed Windows cell from the PE facts, or undefined when no rule applies; it never changes a verdict. */
export function explainPeFailure(x: PeFailureInput): string | undefined {
  for (const rule of PE_FAILURE_RULES) {
    const m = rule.text.exec(x.failureText);
    if (m) return rule.say(x, m);
  }
  return undefined;
}
