import { gunzipSync } from 'node:zlib';
import { type PeRead, readPe } from '../core/pe.js';
import { readElfFile } from './elf-file.js';

/** A PE file's facts (core/pe.ts) read from disk, or why it cannot be read (one line, no stack). */
export function readPeFile(path: string): PeRead {
  // The same bounded read as an ELF file's: a file's bytes, whatever their format.
  const r = readElfFile(path);
  return 'error' in r ? r : readPe(r.bytes);
}

/** A built file's bytes as the build step's ELF_SCRIPT sent them (gzip, base64) → its PE facts; a file over 64 MiB is not read. */
export function readPeSent(base64: string): PeRead {
  try {
    return readPe(Uint8Array.from(gunzipSync(Buffer.from(base64, 'base64'), { maxOutputLength: 64 * 2 ** 20 })));
  } catch (e) {
    return { error: `the built file's bytes could not be read back: ${(e as Error).message}` };
  }
}
