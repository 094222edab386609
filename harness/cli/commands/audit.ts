import { type AuditLimits, auditFile, auditLines, type FileAudit } from '../../core/audit.js';
import { ElfFormatError, readElfVersions } from '../../core/elf-versions.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { terminalField } from '../../core/sanitize.js';
import { readElfFile } from '../../edge/elf-file.js';
import { parseCommandLine } from '../common.js';

const HELP = `usage: cshared-matrix audit [--glibc-floor X.Y] [--musl-libc LIBC.so] [--json] FILE.so…     (in this repository: npm run audit -- FILE.so…)

Reads each ELF file's version needs (.dynsym, .gnu.version, .gnu.version_r) as
the dynamic loader will, and prints where it loads: the newest GLIBC_x.y it
needs, the symbols that force it, the distributions whose glibc has it, and the
manylinux_2_NN tag (PEP 600) a Python wheel carrying it may use. Then every
glibc version it needs, with its symbols. Any architecture (x86-64, i386,
aarch64, arm, riscv64, ppc64le, ppc64, s390x, loong64), built anywhere: no
Docker, no readelf needed.

  --glibc-floor X.Y  exit 1 if a file needs a newer glibc than X.Y, naming
                     the symbols that do (one line per file)
  --musl-libc PATH   a musl libc.so (e.g. /usr/lib/aarch64-linux-musl/libc.so):
                     each musl file's undefined symbols it does not define
                     (musl has no symbol versions: the loader fails on the
                     first); exit 1 if a file needs any
  --json             one JSON array of the files' reports instead of text
  -h, --help         this text

Exit codes: 0 every file within the floor (or no floor given); 1 some file
needs more than --glibc-floor, or a symbol --musl-libc lacks; 2 bad usage, or a file that cannot be read or
is not an ELF file.`;

const GLIBC_VERSION = /^\d+\.\d+(\.\d+)?$/;

/** Each file's audit, or its one line of why it could not be read. */
function auditAll(files: string[], limits: AuditLimits): { audits: FileAudit[]; problems: string[] } {
  const audits: FileAudit[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const read = readElfFile(file);
    if ('error' in read) {
      problems.push(`${file}: cannot read it: ${read.error}`);
      continue;
    }
    try {
      audits.push(auditFile(file, readElfVersions(read.bytes), limits));
    } catch (e) {
      if (!(e instanceof ElfFormatError)) throw e;
      problems.push(`${file}: ${e.message}`);
    }
  }
  return { audits, problems };
}

/** The symbols a musl libc.so defines; a file that cannot be read, or is not ELF, is a usage error. */
function muslLimit(path: string): NonNullable<AuditLimits['musl']> {
  const read = readElfFile(path);
  if ('error' in read) throw new UsageError(`audit: --musl-libc ${path}: cannot read it: ${read.error}`);
  try {
    return { name: path, defines: new Set(readElfVersions(read.bytes).defines) };
  } catch (e) {
    if (e instanceof ElfFormatError) throw new UsageError(`audit: --musl-libc ${path}: ${e.message}`);
    throw e;
  }
}

/** "over the floor 2.31", "needing what /…/libc.so lacks", or both. */
const overHeading = (glibc: string | undefined, musl: string | undefined): string =>
  [glibc && `over the floor ${glibc}`, musl && `needing what ${musl} lacks`].filter(Boolean).join(', or ');

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    { 'glibc-floor': { type: 'string' }, 'musl-libc': { type: 'string' }, json: { type: 'boolean' } },
    HELP,
    true,
  );
  if (!parsed) return EXIT.ok;
  const limit = parsed.values['glibc-floor'];
  if (limit !== undefined && !GLIBC_VERSION.test(limit))
    throw new UsageError(`audit: --glibc-floor ${JSON.stringify(limit)} is not a glibc version: give one like 2.31`);
  if (!parsed.positionals.length) throw new UsageError('audit: name at least one ELF file (a .so or an executable); see --help');
  const muslLibc = parsed.values['musl-libc'];
  const musl = muslLibc === undefined ? undefined : muslLimit(muslLibc);
  const { audits, problems } = auditAll(parsed.positionals, { ...(limit ? { glibc: limit } : {}), ...(musl ? { musl } : {}) });
  if (parsed.values.json) process.stdout.write(`${JSON.stringify(audits, null, 2)}\n`);
  // Symbol and file names come from files built anywhere: each line is a terminal field.
  else process.stdout.write(audits.map((a) => `${auditLines(a).map(terminalField).join('\n')}\n`).join(''));
  const over = audits.filter((a) => a.over);
  if (over.length && !parsed.values.json)
    process.stdout.write(
      `\n${overHeading(limit, musl?.name)}:\n${over.map((a) => `  ${terminalField(`${a.file}: ${a.over}`)}\n`).join('')}`,
    );
  for (const p of problems) process.stderr.write(`cshared-matrix audit: ${terminalField(p)}\n`);
  return problems.length ? EXIT.usage : over.length ? EXIT.unexpected : EXIT.ok;
}
