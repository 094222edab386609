/**
 * What a musl row's libc gives a cell's files. musl has no symbol versions: a
 * file that needs a function its libc.so lacks loads until the loader
 * relocates that symbol ("Error relocating …: symbol not found"), so the
 * symbols the target libc.so defines are its floor. Read once per (image, row,
 * userland) by run/host-runs.ts; compared here.
 *
 * Pure.
 */
import { muslLine, muslMissing } from './glibc-floor.js';
import type { Platform } from './types.js';

/** A musl libc.so as a run read it: its name in lines ("musl 1.2.5") and the dynamic symbols it defines. */
export interface MuslLibc {
  name: string;
  defines: ReadonlySet<string>;
}

/** musl's loader name per GOARCH (`/lib/ld-musl-<arch>.so.1`); arm's depends on its float ABI (GOARM 7 is armhf). */
const LOADER_ARCH: Record<string, string> = {
  amd64: 'x86_64',
  '386': 'i386',
  arm64: 'aarch64',
  riscv64: 'riscv64',
  ppc64le: 'powerpc64le',
  s390x: 's390x',
  loong64: 'loongarch64',
};

/** A musl loader's path and nothing else: a host's PT_INTERP is the case's to set. */
const MUSL_LOADER = /^\/lib\/ld-musl-[a-z0-9_]+\.so\.1$/;

/**
 * Where the row's musl libc.so is in the host's image: its loader, which is
 * libc.so itself (a link to it, relative in Debian's package, so it resolves
 * inside an extracted userland too). The host's PT_INTERP names it when the
 * cell has a C host; else the row's architecture does. `root` is an older
 * userland's directory ('' when the image's own root is the userland).
 */
export function muslLibcPath(p: Platform, root: string, interpreter?: string): string | undefined {
  const arch = p.goarch === 'arm' ? (p.goarm === '7' ? 'armhf' : 'arm') : LOADER_ARCH[p.goarch];
  const loader = interpreter && MUSL_LOADER.test(interpreter) ? interpreter : arch && `/lib/ld-musl-${arch}.so.1`;
  return loader && `${root.replace(/\/+$/, '')}${loader}`;
}

/** What results.json keeps of a musl file: the strong undefined symbols the libc does not define, and the line saying so. */
export interface MuslFit {
  muslMissing: string[];
  muslLine: string;
}

/**
 * A file against the row's musl. Weak references are left out (the loader
 * binds them to 0 when absent: the file loads), and so are the symbols the
 * cell's own libraries define (a host's calls into its Go library).
 */
export function muslFit(imports: readonly { name: string; weak?: boolean }[], libc: MuslLibc, provided: ReadonlySet<string>): MuslFit {
  const missing = muslMissing(
    imports.filter((s) => !provided.has(s.name)),
    libc.defines,
  );
  return { muslMissing: missing, muslLine: muslLine(missing, libc.name) };
}
