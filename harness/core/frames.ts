/**
 * The host server's wire format (harness/programs/csm-run.c, --serve), kept pure so it
 * is tested without an engine.
 *
 * Request: NUL-terminated fields: cwd, max-output, env count, env..., argc, argv...
 * Answer:  "@@csm-frame <out> <err> <out-dropped> <err-dropped> <out-head> <err-head>
 *          <status> <ok> <not-ok> <csm> <loaded> <done-passed> <done-total>\n", then
 *          exactly <out> bytes of stdout, <err> bytes of stderr and <status> bytes
 *          of the supervisor's status line. Lengths, not markers, delimit them, so
 *          a host may print anything. Each stream keeps its first <x-head> bytes
 *          and its tail; the dropped bytes were between them. The counts are the
 *          protocol lines of csm.h over the whole of stdout (-1: no csm-done).
 */
import type { LineCounts } from './types.js';

// Defined beside the results' other types, which the report page's script is checked against without Node.
export type { LineCounts };

export interface HostRequest {
  cwd: string;
  maxOutput: number;
  env: readonly string[];
  /** The supervisor's arguments: <timeout-ms> <nonce> -- <command> [args...]. */
  args: readonly string[];
}

export interface Frame {
  /** Head and tail; where bytes were dropped between them, a line says how many. */
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
  /** The supervisor's status line, from a channel the host never holds. */
  status: string;
  lines: LineCounts;
}

/** The line that stands where a stream's middle was dropped. */
export const droppedLine = (n: number): string => `[cshared-matrix: ${n} bytes of output dropped here; the first and last parts are kept]`;

function joinKept(bytes: Buffer, head: number, dropped: number): string {
  if (!dropped) return bytes.toString('utf8');
  const h = bytes.subarray(0, head).toString('utf8');
  const t = bytes.subarray(head).toString('utf8');
  return `${h}${h.endsWith('\n') || !h ? '' : '\n'}${droppedLine(dropped)}\n${t}`;
}

export function encodeRequest(r: HostRequest): Buffer {
  const fields = [r.cwd, String(r.maxOutput), String(r.env.length), ...r.env, String(r.args.length), ...r.args];
  const bad = fields.find((f) => f.includes('\0'));
  if (bad !== undefined) throw new Error(`a host argument or environment value contains a NUL byte: ${JSON.stringify(bad.slice(0, 60))}`);
  return Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
}

const HEADER = /^@@csm-frame (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+) (-?\d+)$/;

/** Reassembles frames from a byte stream cut anywhere. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Add bytes; returns every frame they complete. Throws on anything that is not a frame. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 400) throw new Error(`not a frame header: ${JSON.stringify(this.buf.subarray(0, 80).toString())}`);
        return frames;
      }
      const m = HEADER.exec(this.buf.subarray(0, nl).toString('latin1'));
      if (!m) throw new Error(`not a frame header: ${JSON.stringify(this.buf.subarray(0, Math.min(nl, 80)).toString())}`);
      const [o, e, od, ed, oh, eh, sl, ok, notOk, csm, loaded, dp, dt] = m.slice(1).map(Number) as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const start = nl + 1;
      if (this.buf.length < start + o + e + sl) return frames;
      frames.push({
        stdout: joinKept(this.buf.subarray(start, start + o), oh, od),
        stderr: joinKept(this.buf.subarray(start + o, start + o + e), eh, ed),
        stdoutDropped: od,
        stderrDropped: ed,
        status: this.buf.subarray(start + o + e, start + o + e + sl).toString('utf8'),
        lines: { ok, notOk, csm, loaded, ...(dp >= 0 && dt >= 0 ? { done: { passed: dp, total: dt } } : {}) },
      });
      this.buf = this.buf.subarray(start + o + e + sl);
    }
  }

  /** Bytes received that do not yet make a frame. */
  get buffered(): number {
    return this.buf.length;
  }
}
