import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** A log as read for a report: the whole file or its head and tail (`omitted` bytes between), or why it was not read. */
export type LogRead = { text: string; bytes: number; omitted?: number } | { missing: string };

/**
 * Read a log under the run directory, at most `cap` bytes of it: the whole file,
 * or its first `headBytes` and its last `cap - headBytes` joined by a line end,
 * without reading all of a huge file. Paths that leave the run directory are
 * refused: results.json is data, not instructions.
 */
export function readLogHeadTail(runDir: string, rel: string, cap: number, headBytes: number): LogRead {
  const root = resolve(runDir);
  const abs = resolve(root, rel);
  if (!abs.startsWith(root + sep)) return { missing: 'outside the run directory; not read' };
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (e) {
    return {
      missing: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found in the run directory' : `cannot read: ${(e as Error).message}`,
    };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { missing: 'not a regular file' };
    const read = (pos: number, len: number): string => {
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.subarray(0, n).toString('utf8');
    };
    if (st.size <= cap) return { text: read(0, st.size), bytes: st.size };
    const tailLen = cap - headBytes;
    return { text: `${read(0, headBytes)}\n${read(st.size - tailLen, tailLen)}`, bytes: st.size, omitted: st.size - cap };
  } finally {
    closeSync(fd);
  }
}
