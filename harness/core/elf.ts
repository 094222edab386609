import type { ImportedSymbol, VersionNeeds } from './glibc-floor.js';

/**
 * ELF facts from GNU readelf's text output (what explain-failure.ts reasons
 * from, and what a cell's detail shows).
 *
 * Pure: no Docker, no files. The harness runs ELF_COMMAND inside the toolchain
 * image (binutils readelf reads x86-64 and ARM ELF alike) and hands the combined
 * stdout+stderr to parseReadelf.
 *
 * The parser keys on readelf's own headings ("Dynamic section at offset",
 * "Relocation section '…'", "Symbol table '.dynsym'", "Attribute Section: aeabi"…),
 * so it reads both ELF_COMMAND's output and a plain
 * `readelf --wide --dynamic --relocs --dyn-syms --notes --program-headers --arch-specific`.
 */

/** The marker ELF_COMMAND prints before each readelf section ("@@csm-elf dynamic"). */
export const ELF_MARKER = '@@csm-elf';

/** The part of ELF_SCRIPT's output that is a PE file's bytes, in base64, instead of readelf's text. */
export const PE_SECTION = 'pe-base64';

/** A PE file's gzipped bytes in base64, when ELF_SCRIPT's output is one; undefined for readelf's text (edge/pe-file.ts reads them). */
export function peBase64Of(text: string): string | undefined {
  const head = `${ELF_MARKER} ${PE_SECTION}\n`;
  return text.startsWith(head) ? text.slice(head.length).trim() : undefined;
}

/**
 * One sh script, one readelf call per part, each after a marker line:
 *  - `--file-header` first, because it is the only part that names the machine and
 *    the ARM EABI float flags; if it fails (not an ELF file, no such file) the
 *    script stops with readelf's status and its error is in the text.
 *  - R_*_RELATIVE relocations are dropped: a Go c-shared library has ~6,000 of them
 *    (≈700 KB of text) and they say nothing about loading; the section headers still
 *    give the totals ("contains 6581 entries", RELACOUNT/RELCOUNT).
 *  - `--version-info` gives `.gnu.version_r`, the versions the loader checks (the glibc floor,
 *    core/glibc-floor.ts), even those no symbol binds to.
 *  - LC_ALL=C keeps readelf's words in English for the parser.
 */
export const ELF_SCRIPT = [
  'export LC_ALL=C',
  'f=$1',
  // A Windows row's DLL or .exe is PE, not ELF: its bytes go back whole (gzipped: a Go DLL's 2.7 MB are 1.7 MB of base64), for core/pe.ts to read.
  `if [ "$(head -c 2 -- "$f" 2>/dev/null)" = MZ ]; then echo "${ELF_MARKER} ${PE_SECTION}"; gzip -1 -c -- "$f" | base64 -w 0; echo; exit 0; fi`,
  `echo "${ELF_MARKER} file-header"`,
  'readelf --wide --file-header -- "$f" 2>&1 || exit $?',
  'for s in program-headers dynamic dyn-syms version-info notes arch-specific; do',
  `  echo "${ELF_MARKER} $s"`,
  '  readelf --wide "--$s" -- "$f" 2>&1',
  'done',
  `echo "${ELF_MARKER} relocs"`,
  `readelf --wide --relocs -- "$f" 2>&1 | sed -E '/^[0-9a-f]+ +[0-9a-f]+ +R_[A-Z0-9_]+_RELATIVE( |$)/d'`,
  `echo "${ELF_MARKER} end"`,
].join('\n');

/** The argv the harness runs (inside the image) for one ELF file. */
export const ELF_COMMAND = (path: string): string[] => ['sh', '-c', ELF_SCRIPT, 'csm-elf', path];

export type TlsModel = 'initial-exec' | 'general-dynamic' | 'local-dynamic' | 'local-exec';

export interface ElfFacts {
  /** readelf's Machine: line, verbatim ("ARM", "Advanced Micro Devices X86-64"). */
  machine?: string;
  /** ELF type: "DYN", "EXEC". */
  type?: string;
  /** DT_FLAGS names (SYMBOLIC, BIND_NOW, STATIC_TLS…), in readelf's order. */
  flags: string[];
  /** DT_FLAGS_1 names (NOW, NODELETE, PIE…). */
  flags1: string[];
  /** DT_NEEDED, in order. */
  needed: string[];
  soname?: string;
  runpath?: string;
  rpath?: string;
  /** PT_INTERP (executables). */
  interpreter?: string;
  /**
   * Every function a host can dlsym: defined (not UND), GLOBAL or WEAK, FUNC or IFUNC
   * symbols of .dynsym with default or protected visibility, version suffix removed,
   * sorted and unique. Nothing is filtered: a Go library also lists cgo's plumbing
   * (crosscall2, _cgo_*, x_cgo_*, _cgoexp_*, threadentry, fatalf); see userExports.
   */
  exports: string[];
  /** The undefined dynamic symbols, each with the version it binds to (`pthread_create@GLIBC_2.34`), in .dynsym order. */
  imports: ImportedSymbol[];
  /** The version names `.gnu.version_r` requires; absent when readelf's text has no version-info part. */
  versionsRequired?: string[];
  /** Whether a Go build-id note (.note.go.buildid) is present. */
  go: boolean;
  tls: {
    /**
     * Static-TLS (thread-pointer relative) relocations: x86-64 TPOFF64/TPOFF32,
     * i386 TLS_TPOFF/TLS_TPOFF32, ARM TLS_TPOFF32, AArch64 TLS_TPREL64, RISC-V
     * TLS_TPREL64, ppc64 TPREL64, s390x TLS_TPOFF, LoongArch TLS_TPREL64. Each one
     * needs the module in the static TLS block, which only the startup loader or
     * glibc's surplus can give.
     */
    initialExec: number;
    /** Module-relative relocations naming a symbol (DTPMOD/DTPOFF/TLSDESC against a variable): general-dynamic. */
    dynamic: number;
    /**
     * Module-relative relocations naming no symbol (a DTPMOD for the module itself):
     * local-dynamic, or general-dynamic on a variable the linker bound locally.
     */
    local: number;
    /**
     * The access models seen, in this order. Approximate by nature: executables and
     * relaxed accesses leave no dynamic relocation. x86-64 TPOFF32 (a local-exec
     * access kept as a text relocation) counts in initialExec but shows as 'local-exec'.
     */
    models: TlsModel[];
    /** PT_TLS, when present: the module's TLS block (memSize is what static TLS must fit). */
    segment?: { fileSize: number; memSize: number; align: number };
  };
  /** ARM build attributes (aeabi File Attributes) and EABI float flags; absent off ARM. */
  arm?: {
    /**
     * Tag_CPU_arch: "v7", "v5TE", "v6KZ"… In a Go library it comes from the C objects
     * (runtime/cgo, built by CC), not from Go's code: GOARM leaves no attribute, so a
     * GOARM=7 library linked by an armel gcc says v5TE.
     */
    cpuArch?: string;
    /** Tag_CPU_name without quotes: "7-A", "5TE". */
    cpuName?: string;
    /**
     * hard: FP arguments in VFP registers (Tag_ABI_VFP_args, or the EABI hard-float flag);
     * softfp: FP instructions (Tag_FP_arch) but arguments in core registers;
     * soft: neither.
     */
    floatAbi?: 'hard' | 'soft' | 'softfp';
    /** Tag_FP_arch: "VFPv3-D16"… */
    fpArch?: string;
    /** The e_flags words: "Version5 EABI, hard-float ABI". */
    eabi?: string;
  };
  /** readelf's own "readelf: Error: …" / "readelf: Warning: …" lines. */
  errors: string[];
}

/** cgo's plumbing among a Go library's exports. */
export const CGO_INTERNAL = /^(_cgo_|x_cgo_|_cgoexp_|crosscall[12]$|threadentry$|fatalf$)/;
/** The C runtime's _init/_fini, which musl's crt files leave global (glibc's are hidden). */
export const CRT_EXPORTS = /^_(init|fini)$/;

/** The exports a person wrote (//export, or C code): exports minus cgo's plumbing and _init/_fini. */
export const userExports = (f: ElfFacts): string[] => f.exports.filter((n) => !CGO_INTERNAL.test(n) && !CRT_EXPORTS.test(n));

/** What the facts say of the file's version needs, for core/glibc-floor.ts. */
export const versionNeedsOf = (f: ElfFacts): VersionNeeds => ({
  imports: f.imports,
  ...(f.versionsRequired ? { required: f.versionsRequired } : {}),
});

/** Whether the facts are a Go library's: a Go build-id note or cgo's entry point. */
export const isGoLibrary = (f: ElfFacts): boolean => f.go || f.exports.includes('crosscall2');

type Section = 'other' | 'header' | 'phdrs' | 'dynamic' | 'relocs' | 'dynsym' | 'verneed' | 'notes' | 'attrs';

const HEADINGS: [RegExp, (m: RegExpExecArray) => Section][] = [
  [/^ELF Header:/, () => 'header'],
  [/^Program Headers:/, () => 'phdrs'],
  [/^ Section to Segment mapping:/, () => 'other'],
  [/^Dynamic section at offset/, () => 'dynamic'],
  [/^Relocation section '/, () => 'relocs'],
  [/^Symbol table '([^']*)'/, (m) => (m[1] === '.dynsym' ? 'dynsym' : 'other')],
  [/^Version needs section '/, () => 'verneed'],
  [/^Version (symbols|definition) section '/, () => 'other'],
  [/^Displaying notes found in/, () => 'notes'],
  [/^Attribute Section: aeabi/, () => 'attrs'],
  [/^Attribute Section:/, () => 'other'],
  [new RegExp(`^${ELF_MARKER}\\b`), () => 'other'],
];

/** TLS relocation types by what they demand of the loader. Names are readelf's. */
const STATIC_TLS_RELOCS =
  /^R_(X86_64_TPOFF(64|32)|386_TLS_TPOFF(32)?|ARM_TLS_TPOFF32|AARCH64_TLS_TPREL(64)?|RISCV_TLS_TPREL64|PPC64_TPREL64|390_TLS_TPOFF|LARCH_TLS_TPREL64)$/;
const LOCAL_EXEC_RELOCS = /^R_X86_64_TPOFF32$/;
const DYNAMIC_TLS_RELOCS =
  /^R_(X86_64_(DTPMOD64|DTPOFF64|TLSDESC)|386_TLS_(DTPMOD32|DTPOFF32|DESC)|ARM_TLS_(DTPMOD32|DTPOFF32|DESC)|AARCH64_TLS_(DTPMOD(64)?|DTPREL(64)?|TLSDESC)|RISCV_TLS_(DTPMOD64|DTPREL64|TLSDESC)|PPC64_(DTPMOD64|DTPREL64)|390_TLS_(DTPMOD|DTPOFF)|LARCH_TLS_(DTPMOD64|DTPREL64|DESC64))$/;

const num = (s: string | undefined): number => (s === undefined ? NaN : s.startsWith('0x') ? parseInt(s, 16) : parseInt(s, 10));
/** "free@GLIBC_2.2.5 (2)" → free, GLIBC_2.2.5. */
function importOf(field: string, weak: boolean): ImportedSymbol {
  const [name = '', version] = field.replace(/\s*\(\d+\)$/, '').split('@');
  return { name, ...(version ? { version } : {}), ...(weak ? { weak } : {}) };
}
const bare = (sym: string): string => sym.replace(/\s*\(\d+\)$/, '').replace(/@.*$/, '');

/** What parseReadelf gathers while it reads, before the facts are final. */
interface Reading {
  f: ElfFacts;
  exports: Set<string>;
  models: Set<TlsModel>;
  attrs: Map<string, string>;
  eflags?: string;
}

/** One reader per section of readelf's output: each takes one line of its section. */
const READERS: Record<Section, (line: string, r: Reading) => void> = {
  header: (line, r) => {
    let m: RegExpExecArray | null;
    if ((m = /^\s*Machine:\s+(.*?)\s*$/.exec(line))) r.f.machine = m[1];
    else if ((m = /^\s*Type:\s+(\S+)/.exec(line))) r.f.type = m[1];
    else if ((m = /^\s*Flags:\s+0x[0-9a-f]+,\s*(.*?)\s*$/.exec(line))) r.eflags = m[1];
  },
  phdrs: (line, r) => {
    const m = /^\s*\[Requesting program interpreter: (.*)\]\s*$/.exec(line);
    if (m) r.f.interpreter = m[1];
    else if (/^\s*TLS\s+0x/.test(line)) {
      // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg… Align (Flg may be "R E": several words).
      const w = line.trim().split(/\s+/);
      r.f.tls.segment = { fileSize: num(w[4]), memSize: num(w[5]), align: num(w[w.length - 1]) };
    }
  },
  dynamic: (line, { f }) => {
    const m = /^\s*0x[0-9a-f]+\s+\((\w+)\)\s+(.*?)\s*$/.exec(line);
    if (!m) return;
    const [, tag, value = ''] = m;
    const bracket = /\[(.*)\]/.exec(value)?.[1];
    if (tag === 'NEEDED' && bracket !== undefined) f.needed.push(bracket);
    else if (tag === 'SONAME') f.soname = bracket;
    else if (tag === 'RUNPATH') f.runpath = bracket;
    else if (tag === 'RPATH') f.rpath = bracket;
    else if (tag === 'FLAGS') f.flags.push(...value.split(/\s+/).filter(Boolean));
    else if (tag === 'FLAGS_1')
      f.flags1.push(
        ...value
          .replace(/^Flags:\s*/, '')
          .split(/\s+/)
          .filter(Boolean),
      );
  },
  relocs: (line, { f, models }) => {
    // Offset Info Type [SymValue Name [+ addend]] | [addend]: a symbol-less
    // relocation has at most one word (RELA's addend) after its type.
    const m = /^\s*[0-9a-f]+\s+[0-9a-f]+\s+(R_\w+)\s*(.*?)\s*$/.exec(line);
    if (!m) return;
    const type = m[1] ?? '';
    const hasSymbol = /^[0-9a-f]+\s+\S/.test(m[2] ?? '');
    if (STATIC_TLS_RELOCS.test(type)) {
      f.tls.initialExec++;
      models.add(LOCAL_EXEC_RELOCS.test(type) ? 'local-exec' : 'initial-exec');
    } else if (DYNAMIC_TLS_RELOCS.test(type) && hasSymbol) {
      f.tls.dynamic++;
      models.add('general-dynamic');
    } else if (DYNAMIC_TLS_RELOCS.test(type)) {
      f.tls.local++;
      models.add('local-dynamic');
    }
  },
  dynsym: (line, r) => {
    // Num: Value Size Type Bind Vis [other] Ndx Name
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(?:\[[^\]]*\]\s+)?(\S+)\s*(.*)$/.exec(line);
    if (!m) return;
    const [, type, bind, vis, ndx, name = ''] = m;
    if (ndx === 'UND' && name) r.f.imports.push(importOf(name, bind === 'WEAK'));
    if (
      (type === 'FUNC' || type === 'IFUNC') &&
      (bind === 'GLOBAL' || bind === 'WEAK') &&
      (vis === 'DEFAULT' || vis === 'PROTECTED') &&
      ndx !== 'UND' &&
      name
    )
      r.exports.add(bare(name));
  },
  verneed: (line, { f }) => {
    // "  0x0010:   Name: GLIBC_2.34  Flags: none  Version: 5"
    const m = /^\s*0x[0-9a-f]+:\s+Name:\s+(\S+)\s+Flags:/.exec(line);
    if (m?.[1]) (f.versionsRequired ??= []).push(m[1]);
  },
  notes: (line, r) => {
    if (/^\s+Go\s+0x[0-9a-f]+\s/.test(line)) r.f.go = true;
  },
  attrs: (line, { attrs }) => {
    const m = /^\s*(Tag_\w+):\s*(.*?)\s*$/.exec(line);
    if (m?.[1] && !attrs.has(m[1])) attrs.set(m[1], m[2] ?? '');
  },
  other: () => undefined,
};

const TLS_MODEL_ORDER: TlsModel[] = ['initial-exec', 'local-exec', 'general-dynamic', 'local-dynamic'];

export function parseReadelf(text: string): ElfFacts {
  const f: ElfFacts = {
    flags: [],
    flags1: [],
    needed: [],
    exports: [],
    imports: [],
    go: false,
    tls: { initialExec: 0, dynamic: 0, local: 0, models: [] },
    errors: [],
  };
  const r: Reading = { f, exports: new Set(), models: new Set(), attrs: new Map() };
  let section: Section = 'other';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const err = /^readelf: (Error|Warning): (.*)$/.exec(line);
    if (err) {
      f.errors.push(`${err[1]}: ${err[2]}`);
      continue;
    }
    const heading = HEADINGS.find(([re]) => re.test(line));
    if (heading) section = heading[1](heading[0].exec(line) as RegExpExecArray);
    else READERS[section](line, r);
  }
  f.exports = [...r.exports].sort();
  f.tls.models = TLS_MODEL_ORDER.filter((x) => r.models.has(x));
  if (f.machine === 'ARM' || r.attrs.size) f.arm = armFacts(r.attrs, r.eflags);
  return f;
}

/** The ARM attributes that decide whether a library runs on a CPU: architecture, float ABI, FPU. */
function armFacts(attrs: ReadonlyMap<string, string>, eflags: string | undefined): NonNullable<ElfFacts['arm']> {
  const vfpArgs = attrs.get('Tag_ABI_VFP_args');
  const fpArch = attrs.get('Tag_FP_arch');
  const floatAbi: 'hard' | 'soft' | 'softfp' =
    vfpArgs === 'VFP registers' || (vfpArgs !== 'AAPCS' && /hard-float/.test(eflags ?? ''))
      ? 'hard'
      : fpArch !== undefined
        ? 'softfp'
        : 'soft';
  const arm: NonNullable<ElfFacts['arm']> = { floatAbi };
  const cpuArch = attrs.get('Tag_CPU_arch');
  const cpuName = attrs.get('Tag_CPU_name')?.replace(/^"(.*)"$/, '$1');
  if (cpuArch !== undefined) arm.cpuArch = cpuArch;
  if (cpuName !== undefined) arm.cpuName = cpuName;
  if (fpArch !== undefined) arm.fpArch = fpArch;
  if (eflags !== undefined) arm.eabi = eflags;
  return arm;
}

/** One compact line for a matrix cell's detail. */
export function summarizeFacts(f: ElfFacts): string {
  const { tls } = f;
  const counts = [tls.initialExec && `IE×${tls.initialExec}`, tls.dynamic && `GD×${tls.dynamic}`, tls.local && `LD×${tls.local}`].filter(
    Boolean,
  );
  const size = tls.segment ? `${tls.segment.memSize} B` : '';
  const tlsPart = counts.length ? `TLS ${counts.join(' ')}${size ? ` (${size})` : ''}` : size ? `TLS ${size}` : '';
  const arm =
    f.arm &&
    [f.arm.cpuArch, f.arm.floatAbi && (f.arm.floatAbi === 'softfp' ? 'softfp' : `${f.arm.floatAbi}-float`)].filter(Boolean).join(' ');
  return [
    f.flags.length ? `FLAGS ${f.flags.join(' ')}` : '',
    f.flags1.length ? `FLAGS_1 ${f.flags1.join(' ')}` : '',
    tlsPart,
    f.needed.length ? `NEEDED ${f.needed.join(' ')}` : '',
    f.interpreter ? `INTERP ${f.interpreter}` : '',
    arm ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
}
