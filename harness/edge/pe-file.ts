import { type PeRead, readPe } from '../core/pe.js';
import { readElfFile } from './elf-file.js';

/** A PE file's facts (core/pe.ts) read from disk, or why it cannot be read (one line, no stack). */
export function readPeFile(path: string): PeRead {
  // The same bounded read as an ELF file's: a file's bytes, whatever their format.
  const r = readElfFile(path);
  return 'error' in r ? r : readPe(r.bytes);
}
