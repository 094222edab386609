/**
 * The host server's wire format (harness/c/csm-run.c, --serve), kept pure so it
 * is tested without an engine.
 *
 * Request: NUL-terminated fields: cwd, max-output, env count, env..., argc, argv...
 * Answer:  "@@csm-frame <out> <err> <out-dropped> <err-dropped>\n", then exactly
 *          <out> bytes of stdout and <err> bytes of stderr. Lengths, not markers,
 *          delimit the output, so a host may print anything.
 */

export interface HostRequest {
  cwd: string;
  maxOutput: number;
  env: readonly string[];
  /** The supervisor's arguments: <timeout-ms> <nonce> -- <command> [args...]. */
  args: readonly string[];
}

export interface Frame {
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
}

export function encodeRequest(r: HostRequest): Buffer {
  const fields = [r.cwd, String(r.maxOutput), String(r.env.length), ...r.env, String(r.args.length), ...r.args];
  const bad = fields.find((f) => f.includes('\0'));
  if (bad !== undefined) throw new Error(`a host argument or environment value contains a NUL byte: ${JSON.stringify(bad.slice(0, 60))}`);
  return Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
}

const HEADER = /^@@csm-frame (\d+) (\d+) (\d+) (\d+)$/;

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
        if (this.buf.length > 200) throw new Error(`not a frame header: ${JSON.stringify(this.buf.subarray(0, 80).toString())}`);
        return frames;
      }
      const m = HEADER.exec(this.buf.subarray(0, nl).toString('latin1'));
      if (!m) throw new Error(`not a frame header: ${JSON.stringify(this.buf.subarray(0, Math.min(nl, 80)).toString())}`);
      const [o, e, od, ed] = m.slice(1).map(Number) as [number, number, number, number];
      const start = nl + 1;
      if (this.buf.length < start + o + e) return frames;
      frames.push({
        stdout: this.buf.subarray(start, start + o).toString('utf8'),
        stderr: this.buf.subarray(start + o, start + o + e).toString('utf8'),
        stdoutDropped: od,
        stderrDropped: ed,
      });
      this.buf = this.buf.subarray(start + o + e);
    }
  }

  /** Bytes received that do not yet make a frame. */
  get buffered(): number {
    return this.buf.length;
  }
}
