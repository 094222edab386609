// The image cache's compression: Debian's zstd CLI, on every core. Here it
// compresses a `docker save` at ~250 MB/s against ~45 MB/s for Node's gzip (so
// a save runs at the engine's export speed, ~60 MB/s) and writes 15% less.
// The CLI because Node 20's zlib has no zstd, and the engine (docker.io 20.10)
// cannot read zstd itself: the harness decompresses what it loads.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { aptInstall, onPath } from './host-packages.js';

/** zstd on PATH, installed from the host's Debian like mmdebstrap when missing. */
export async function ensureZstd(say: (line: string) => void): Promise<void> {
  if (!(await onPath('zstd'))) await aptInstall(['zstd'], (l) => say(`  ${l}`), "the image cache's tarballs");
}

/** Resolves when zstd exits 0; rejects with its own first line of stderr otherwise. */
function exited(z: ChildProcess & { stderr: Readable }): Promise<void> {
  let err = '';
  z.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  return new Promise((res, rej) => {
    z.on('error', rej);
    z.on('close', (code, signal) =>
      code === 0 ? res() : rej(new Error(err.trim().split('\n')[0] || `zstd exited with ${code ?? signal}`)),
    );
  });
}

/** `src` through `zstd -3 -T0` into `file`. A write error keeps its code (ENOSPC); zstd and `src` never outlive a failure. */
export async function compressTo(src: NodeJS.ReadableStream, file: string): Promise<void> {
  const z = spawn('zstd', ['-3', '-T0', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await Promise.all([pipeline(src, z.stdin), pipeline(z.stdout, createWriteStream(file)), exited(z)]);
  } finally {
    if (z.exitCode === null) z.kill();
    (src as Partial<Readable>).destroy?.();
  }
}

/** `file` decompressed as a stream; `done` rejects with zstd's reason when the file is not a whole zstd stream. `stop` ends it early. */
export function decompress(file: string): { stream: Readable; done: Promise<void>; stop: () => void } {
  const z = spawn('zstd', ['-d', '-q', '-c', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = exited(z);
  done.catch(() => undefined);
  return { stream: z.stdout, done, stop: () => void (z.exitCode === null && z.kill()) };
}

/** Why the file itself could not be decompressed, if it could not; not when zstd only lost its reader (the engine failed, or the stream was refused and stopped). */
export async function zstdFault(done: Promise<void>): Promise<string | undefined> {
  const why = await done.then(
    () => undefined,
    (e: Error) => e.message,
  );
  return why && !/Broken pipe|Write error|exited with SIG/.test(why) ? `not a whole zstd file: ${why}` : undefined;
}
