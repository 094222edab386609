import { readFileSync, statSync } from 'node:fs';

/** Larger than any library or host the rows build by far; a bound so that a wrong path (a disk image) is refused, not read. */
const MAX_ELF_BYTES = 2 * 1024 ** 3;

/** A file's bytes for core/elf-versions.ts, or why it cannot be read (one line, no stack). */
export function readElfFile(path: string): { bytes: Uint8Array } | { error: string } {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { error: 'not a regular file' };
    if (st.size > MAX_ELF_BYTES) return { error: `${st.size} bytes: larger than any ELF file audit reads (2 GiB)` };
    return { bytes: readFileSync(path) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message };
  }
}
