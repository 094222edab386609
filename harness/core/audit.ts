/**
 * `cshared-matrix audit`'s report of one file, from its version needs: what it is,
 * its glibc floor line, the symbols per version, and (with --glibc-floor) whether
 * it needs more than that. Pure: cli/commands/audit.ts reads the files.
 */
import type { ElfVersions } from './elf-versions.js';
import { beyondLimit, floorLine, type GlibcFloor, glibcFloor, muslLine, muslMissing } from './glibc-floor.js';

export interface FileAudit {
  file: string;
  arch: string;
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: string;
  needed: string[];
  /** What kind of floor applies: glibc versions, a musl libc (none), or a static file (none). */
  libc: 'glibc' | 'musl' | 'static' | 'none';
  floor: GlibcFloor;
  /** The floor line, or why there is none. */
  line: string;
  /** With a limit: the line naming what needs more than it; absent when the file is within it. */
  over?: string;
  /** A musl file audited against a musl libc.so (--musl-libc): its strong undefined symbols that libc does not define. */
  musl?: { missing: string[]; line: string };
}

/** What audit compares files with: a glibc version, and a musl libc.so's defined symbols. */
export interface AuditLimits {
  glibc?: string;
  musl?: { name: string; defines: ReadonlySet<string> };
}

/** musl's libc is DT_NEEDED as libc.so (Debian, musl-gcc) or libc.musl-<arch>.so.1 (Alpine). */
const MUSL_LIBC = /^(libc\.so|libc\.musl-[\w-]+\.so\.1)$/;

function libcOf(v: ElfVersions, floor: GlibcFloor): FileAudit['libc'] {
  if (floor.glibc !== undefined) return 'glibc';
  if (!v.dynamic) return 'static';
  return v.needed.some((n) => MUSL_LIBC.test(n)) ? 'musl' : 'none';
}

const NO_FLOOR: Record<Exclude<FileAudit['libc'], 'glibc'>, string> = {
  static: 'no dynamic symbols (static, or its section headers stripped): no glibc floor to read',
  musl: "linked against musl's libc.so: musl has no symbol versions, so no glibc floor (it does not load on glibc without a musl loader)",
  none: 'needs no versioned glibc symbol: loads on any glibc',
};

export function auditFile(file: string, v: ElfVersions, limits: AuditLimits = {}): FileAudit {
  const floor = glibcFloor(v);
  const libc = libcOf(v, floor);
  const audit: FileAudit = {
    file,
    arch: v.arch,
    bits: v.bits,
    endian: v.endian,
    type: v.type,
    needed: v.needed,
    libc,
    floor,
    line: libc === 'glibc' ? floorLine(floor, v.arch) : NO_FLOOR[libc],
  };
  const over = limits.glibc === undefined ? undefined : beyondLimit(floor, limits.glibc);
  if (over) audit.over = over;
  if (limits.musl && libc === 'musl') {
    const missing = muslMissing(v.imports, limits.musl.defines);
    audit.musl = { missing, line: muslLine(missing, limits.musl.name) };
    if (missing.length) audit.over = audit.musl.line;
  }
  return audit;
}

/** The text block of one file: a heading, its floor line, then every version it needs with its symbols. */
export function auditLines(a: FileAudit): string[] {
  const kind = `${a.arch}, ${a.bits}-bit ${a.endian}-endian, ${a.type}`;
  const lines = [`${a.file} (${kind}${a.needed.length ? `; NEEDED ${a.needed.join(' ')}` : ''})`, `  ${a.line}`];
  if (a.musl) lines.push(`  ${a.musl.line}`);
  for (const n of a.floor.needs) lines.push(`    GLIBC_${n.version}: ${n.symbols.join(', ') || '(required by .gnu.version_r, no symbol)'}`);
  for (const o of a.floor.other) lines.push(`    ${o.version}: ${o.symbols.join(', ') || '(required by .gnu.version_r, no symbol)'}`);
  return lines;
}
