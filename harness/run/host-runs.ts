import pLimit from 'p-limit';
import { readElfVersions } from '../core/elf-versions.js';
import type { LineCounts } from '../core/frames.js';
import type { ProcessEnd } from '../core/types.js';
import type { ExecResult, Session } from '../edge/sandbox.js';
import { shellLine } from '../sandbox/commands.js';
import { readStatus, type Status } from '../sandbox/status.js';
import type { RunLogs } from './run-logs.js';

/** Beyond the supervisor's own deadline: the harness steps in only if the supervisor itself is stuck. */
const GRACE_MS = 20_000;
/** What the harness keeps of a host's stdout and stderr (head and tail, see csm-run.c). */
const MAX_OUTPUT = 256 << 10;
/** Reading a libc.so's bytes out of a run container (under a megabyte). */
const LIBC_READ_MS = 60_000;

/** One host run to do: the command line, where, and its time limit. */
export interface HostRun {
  image: string;
  cmd: string[];
  env: string[];
  workdir: string;
  timeoutMs: number;
  /** The log's path relative to the run directory. */
  logPath: string;
}

/**
 * How one host run ended. `ran`: the supervisor reported an end (exit, signal
 * or timeout): the case's verdict. `infra`: the engine or the supervisor
 * failed. `skipped`: --max-failures was reached while it waited for a slot.
 */
export type HostOutcome =
  | { kind: 'ran'; end: ProcessEnd; stdout: string; stderr: string; ms: number; logPath: string; lines?: LineCounts }
  | { kind: 'infra'; message: string; logPath: string }
  | { kind: 'skipped' };

/**
 * The run pool: hosts run in long-lived run containers, at most `jobs` at
 * once, the moment their libraries exist, instead of queueing behind every
 * pending build (a run is milliseconds of one thread, a Go build uses all cores).
 */
export class HostRuns {
  private readonly limit;
  private readonly libcs = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  /** CPU the hosts used, as their supervisor measured it. */
  cpuMs = 0;

  constructor(private readonly cfg: { session: Session; logs: RunLogs; jobs: number; nonce: string; stopped: () => boolean }) {
    this.limit = pLimit(Math.max(1, cfg.jobs));
  }

  get nonce(): string {
    return this.cfg.nonce;
  }

  async run(h: HostRun): Promise<HostOutcome> {
    let ran: { r: ExecResult; st: Status } | undefined;
    try {
      ran = await this.limit(() => this.inSlot(h));
      if (!ran) return { kind: 'skipped' };
    } catch (e) {
      const message = `running the host failed in the engine: ${(e as Error).message}`;
      this.cfg.logs.write(h.logPath, message);
      return { kind: 'infra', message, logPath: h.logPath };
    }
    const { r, st } = ran;
    this.cpuMs += st.cpuMs;
    const end: ProcessEnd | undefined = st.end ?? (r.deadlineHit ? { kind: 'timeout', afterMs: h.timeoutMs + GRACE_MS } : undefined);
    this.cfg.logs.write(h.logPath, runLog(h, r, end));
    if (!end)
      return {
        kind: 'infra',
        message: `the run supervisor reported nothing${st.error ? `: ${st.error}` : ''} (exec exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`,
        logPath: h.logPath,
      };
    return { kind: 'ran', end, stdout: r.stdout, stderr: r.stderr, ms: st.ms, logPath: h.logPath, ...(r.lines ? { lines: r.lines } : {}) };
  }

  /**
   * The dynamic symbols a libc.so in `image` defines (a musl row's, core/musl-libc.ts),
   * read once per image and path: its bytes through base64(1), which the toolchain
   * images and a userland's own root both have, parsed here. Best-effort: undefined
   * when it cannot be read; it never changes a verdict.
   */
  libcDefines(image: string, path: string): Promise<ReadonlySet<string> | undefined> {
    const key = `${image}\0${path}`;
    let read = this.libcs.get(key);
    if (!read) {
      read = this.limit(() => this.readLibc(image, path)).catch(() => undefined);
      this.libcs.set(key, read);
    }
    return read;
  }

  private async readLibc(image: string, path: string): Promise<ReadonlySet<string> | undefined> {
    const pool = this.cfg.session.pool(image, Math.max(1, this.cfg.jobs));
    const slot = await pool.acquire();
    try {
      const r = await this.cfg.session.exec(slot, ['base64', '-w0', path], {
        deadlineMs: LIBC_READ_MS,
        maxOutput: 16 << 20,
        // Nobody's: the path comes from a row and a built host's PT_INTERP, data that reads no file root alone may.
        user: '65534:65534',
      });
      if (r.exitCode !== 0 || r.truncated) return undefined;
      return new Set(readElfVersions(Buffer.from(r.stdout, 'base64')).defines);
    } finally {
      pool.release(slot);
    }
  }

  /** One run in a slot of the image's pool; a slot that may hold leftovers is replaced, never reused. */
  private async inSlot(h: HostRun): Promise<{ r: ExecResult; st: Status } | undefined> {
    // --max-failures: a cell waiting for a slot when the limit is reached never starts.
    if (this.cfg.stopped()) return undefined;
    const pool = this.cfg.session.pool(h.image, Math.max(1, this.cfg.jobs));
    const slot = await pool.acquire();
    let healthy = false;
    try {
      const r = await this.cfg.session.runSupervised(slot, h.cmd, {
        env: h.env,
        workdir: h.workdir,
        deadlineMs: h.timeoutMs + GRACE_MS,
        maxOutput: MAX_OUTPUT,
      });
      // A timed-out host may have left processes the supervisor could not see, and a
      // scratch directory it could not empty would reach the next cell.
      const st = readStatus(r.status ?? '');
      healthy = !r.deadlineHit && st.end?.kind !== 'timeout' && st.clean !== false;
      return { r, st };
    } finally {
      if (healthy) pool.release(slot);
      else await pool.replace(slot);
    }
  }
}

function runLog(h: HostRun, r: ExecResult, end: ProcessEnd | undefined): string {
  return [
    `$ ${shellLine(h.env, h.cmd)}`,
    `[${end ? JSON.stringify(end) : `no status from the supervisor (exec exit ${r.exitCode})`}]`,
    '--- stdout',
    r.stdout,
    '--- stderr',
    r.stderr,
    '',
  ].join('\n');
}
