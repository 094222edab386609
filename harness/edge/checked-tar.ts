// An image-cache tarball on its way into the engine: counted, parsed and
// re-packed entry by entry, so that the engine reads exactly the archive this
// module checked (no difference between node-tar's reading and the engine's
// can smuggle an entry past it), and no more than the bound. The rules are
// core/image-tarball.ts's.
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import * as tar from 'tar';
import {
  compressionOf,
  formatBytes,
  isManifest,
  MAGIC_BYTES,
  MAX_MANIFEST_BYTES,
  type ManifestName,
  manifestProblem,
  type Promised,
  TarEntries,
  tarPath,
} from '../core/image-tarball.js';

export interface CheckedTar {
  /** What the engine is given: the archive re-packed, ended only once every check passed. */
  stream: Readable;
  /** Why the archive was refused, or undefined; settles once `src` ended, failed or was refused, or `stop` was called. */
  verdict: Promise<string | undefined>;
  /** The reader gave up (the engine failed): `src` is destroyed, and what was found so far is the verdict. */
  stop: () => void;
}

export interface TarRules {
  /** Most bytes `src` may hold (core/image-tarball.ts decompressedBound). */
  bound: number;
  /** A `docker save` archive: the tags its manifests may name; its files must not be compressed either. */
  tags?: Promised;
  /** A directory's archive: every entry inside this top directory, re-packed under `prefix`. */
  under?: string;
  prefix?: string;
  /** The source's own end (zstd's exit): the archive is ended only after it succeeded. */
  sourceDone: Promise<void>;
}

/**
 * Where the archive would go on after a refusal, a header block of 0xff: its
 * checksum is wrong, so the engine's untar fails there and it loads, tags or
 * puts nothing. Just ending the stream would not do: Go's tar reader takes an
 * end at an entry boundary for the end of the archive.
 */
const POISON = Buffer.alloc(512, 0xff);
const BLOCK = 512;

const message = (m: unknown): string => (m instanceof Error ? m.message : String(m));

/** `src` checked against `rules` as it passes: see CheckedTar. */
export function checkedTar(src: Readable, rules: TarRules): CheckedTar {
  const out = new PassThrough();
  const entries = new TarEntries(rules.under);
  let settle!: (why: string | undefined) => void;
  const verdict = new Promise<string | undefined>((res) => (settle = res));
  let refused = false;
  let seen = 0;
  const refuse = (why: string): void => {
    if (refused) return;
    refused = true;
    out.end(POISON);
    src.destroy();
    settle(why);
  };
  const sink: Sink = { write: (b) => refused || out.write(b), drained: (go) => void out.once('drain', go) };
  const parser = new tar.Parser({
    // No tar at all (a few bytes of anything): nothing is passed on, and the engine says what an empty archive lacks.
    onwarn: (code, m) => void (code === 'TAR_BAD_ARCHIVE' && !seen ? undefined : refuse(`it is not a well-formed tar: ${message(m)}`)),
    onReadEntry: (e) => {
      seen++;
      const why = refused ? undefined : entries.problem(e.path, e.type, e.linkpath);
      if (why) refuse(why);
      if (refused) return void e.resume();
      repack(e, sink, rules.prefix, rules.tags && fileWatch(e, rules.tags, refuse, (name, text) => manifests.push([name, text])));
    },
  });
  const manifests: [ManifestName, string][] = [];
  // The whole archive read, its links known: a parent's layers are checked against the promised image's.
  const finalCheck = (): string | undefined =>
    rules.tags
      ? manifests.map(([name, text]) => manifestProblem(name, text, rules.tags!, (l) => entries.resolve(l))).find(Boolean)
      : undefined;
  const fed = feed(src, parser, rules.bound, refuse);
  parser.on('end', () => {
    void rules.sourceDone.then(
      () => {
        if (refused) return;
        // node-tar drops a last partial block that the engine's untar would fail on.
        const why = seen && fed() % BLOCK ? `it is not a well-formed tar: it ends ${fed() % BLOCK} bytes into a block` : finalCheck();
        if (why) return refuse(why);
        out.end(Buffer.alloc(2 * BLOCK));
        settle(undefined);
      },
      // zstd's own reason is the caller's to say (its exit says the file is not whole): the archive just does not end.
      () => refuse('the compressed file is not whole'),
    );
  });
  const stop = () => {
    src.destroy();
    settle(undefined);
  };
  return { stream: out, verdict, stop };
}

/** `src` into `parser`, counted: past `bound`, or a compressed stream inside, it is refused. Returns the count so far. */
function feed(src: Readable, parser: tar.Parser, bound: number, refuse: (why: string) => void): () => number {
  let bytes = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  src.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > bound) return refuse(`it decompresses to more than ${formatBytes(bound)}, the most its size and kind allow`);
    if (head) {
      head = Buffer.concat([head, chunk]);
      const z = compressionOf(head);
      if (z) return refuse(`it holds a ${z} stream, not a tar`);
      if (head.length >= MAGIC_BYTES) head = undefined;
    }
    if (!parser.write(chunk)) {
      src.pause();
      parser.once('drain', () => src.resume());
    }
  });
  src.on('end', () => parser.end());
  // A failed source is settled by sourceDone.
  src.on('error', () => parser.end());
  return () => bytes;
}

interface Sink {
  /** False when the reader wants a pause (then `drained`); after a refusal, nothing is written. */
  write: (b: Buffer) => boolean;
  drained: (go: () => void) => void;
}

interface Watch {
  data: (c: Buffer) => void;
  end: () => void;
}

/** One entry written anew into `out`: its header from what node-tar read (a pax header first when the path needs one), its body, its padding. */
function repack(e: tar.ReadEntry, out: Sink, prefix: string | undefined, watch: Watch | undefined): void {
  const at = (p: string) => (prefix ? posix.join(tarPath(prefix), tarPath(p)) : tarPath(p));
  const fields = {
    path: (at(e.path) || '.') + (e.type === 'Directory' ? '/' : ''),
    linkpath: e.type === 'Link' && e.linkpath ? at(e.linkpath) : e.linkpath,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    uname: e.uname,
    gname: e.gname,
    size: e.size,
    mtime: e.mtime,
    type: e.type === 'OldFile' ? 'File' : e.type,
  };
  const header = new tar.Header(fields);
  if (header.encode()) out.write(new tar.Pax(fields).encode());
  out.write(header.block!);
  e.on('data', (c: Buffer) => {
    watch?.data(c);
    if (!out.write(c)) {
      e.pause();
      out.drained(() => e.resume());
    }
  });
  e.on('end', () => {
    if (e.size % BLOCK) out.write(Buffer.alloc(BLOCK - (e.size % BLOCK)));
    watch?.end();
  });
}

/**
 * A file of a `docker save` archive: a manifest is read (up to
 * MAX_MANIFEST_BYTES), checked against the promised tags at once and kept for
 * the final check; no file may start compressed (the engine would decompress a
 * layer past the bound).
 */
function fileWatch(
  e: tar.ReadEntry,
  tags: Promised,
  refuse: (why: string) => void,
  keep: (name: ManifestName, text: string) => void,
): Watch {
  const path = tarPath(e.path);
  let head = Buffer.alloc(0);
  let text: Buffer[] | undefined = isManifest(path) ? [] : undefined;
  let size = 0;
  const compressed = () => {
    const z = compressionOf(head);
    if (z) refuse(`its entry ${JSON.stringify(e.path)} is ${z}-compressed`);
  };
  return {
    data: (c) => {
      if (head.length < MAGIC_BYTES && (head = Buffer.concat([head, c]).subarray(0, MAGIC_BYTES)).length === MAGIC_BYTES) compressed();
      size += c.length;
      if (text && size > MAX_MANIFEST_BYTES) (text = undefined), refuse(`its ${path} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      text?.push(c);
    },
    end: () => {
      if (head.length < MAGIC_BYTES) compressed();
      if (!text || !isManifest(path)) return;
      const json = Buffer.concat(text).toString('utf8');
      const why = manifestProblem(path, json, tags);
      if (why) refuse(why);
      else keep(path, json);
    },
  };
}
