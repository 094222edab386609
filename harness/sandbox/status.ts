import { signalName } from '../core/classify.js';
import type { ProcessEnd } from '../core/types.js';

/**
 * What the sandbox's programs say back, and how it is read: the marks a build
 * step prints after its log (scripts.ts CACHED_STEP), and the status line the
 * supervisor (programs/csm-run.c) sends when the command it ran has ended.
 */

/** The line between a build step's log and readelf's output for its target. */
export const ELF_BEGIN = '@@csm-elf-begin';
/** Last line of a build step that ran: "@@csm-cpu 0m1.23s 0m0.45s", the user and system CPU its command used. */
export const CPU_MARK = '@@csm-cpu';

/** Second-to-last line of a build step that ran: "@@csm-quota <bytes written> <quota bytes> <1 if it reached the quota>". */
export const QUOTA_MARK = '@@csm-quota';

/** What a step wrote against its quota, from the wrapper's line at the end of its output (after splitCpuMark). */
export interface QuotaUse {
  wroteBytes: number;
  quotaBytes: number;
  exceeded: boolean;
}

/**
 * Split a build step's output (CPU mark already split off) into its log and its
 * quota line. Only the very last line counts: the wrapper writes it after the
 * step's log, and always, so a log that prints one mid-way is only log.
 */
export function splitQuotaMark(out: string): { out: string; quota?: QuotaUse } {
  const m = new RegExp(`(^|\\n)${QUOTA_MARK} (\\d+) (\\d+) ([01])\\n?$`).exec(out);
  if (!m) return { out };
  return {
    out: out.slice(0, m.index + m[1]!.length),
    quota: { wroteBytes: Number(m[2]), quotaBytes: Number(m[3]), exceeded: m[4] === '1' },
  };
}

/** Split a build step's stdout into its output and the CPU milliseconds of its command (0 for a cache hit). */
export function splitCpuMark(stdout: string): { out: string; cpuMs: number } {
  const m = new RegExp(`(^|\\n)${CPU_MARK} (\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s\\n?$`).exec(stdout);
  if (!m) return { out: stdout, cpuMs: 0 };
  const cpuMs = Math.round((Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) * 60 + Number(m[5])) * 1000);
  return { out: stdout.slice(0, m.index + m[1]!.length), cpuMs };
}

export interface Status {
  end?: ProcessEnd;
  ms: number;
  cpuMs: number;
  /** False when the supervisor could not empty the host's scratch directories: the slot is not reused. */
  clean?: boolean;
  /** The supervisor's own failure (it could not start the host). */
  error?: string;
}

function parseStatusJson(json: string): Status | undefined {
  let s: { exit?: number; signal?: number; timeout?: boolean; ms?: number; cpuMs?: number; error?: string; clean?: boolean };
  try {
    s = JSON.parse(json) as typeof s;
  } catch {
    return undefined;
  }
  const base: Status = {
    ms: s.ms ?? 0,
    cpuMs: s.cpuMs ?? 0,
    ...(s.clean !== undefined ? { clean: s.clean } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
  if (s.timeout) return { ...base, end: { kind: 'timeout', afterMs: base.ms } };
  if (s.signal !== undefined) return { ...base, end: { kind: 'signal', signal: s.signal, name: signalName(s.signal) } };
  if (s.exit !== undefined) return { ...base, end: { kind: 'exit', code: s.exit } };
  return base;
}

/**
 * How the supervised command ended (see csm-run.c): its status line, which a
 * host server sends on the supervisor's own channel, where the host cannot
 * write. Only a last line counts; none, and there is no `end`. (Run directly,
 * as a bundle's rerun.sh does, the supervisor prints the same line last on
 * stderr, for a person.)
 */
export function readStatus(channel: string): Status {
  const m = /@@csm-status \S+ (\{.*\})\s*$/.exec(channel);
  return (
    (m && parseStatusJson(m[1]!)) || {
      ms: 0,
      cpuMs: 0,
      ...(channel.trim() ? { error: `unreadable status: ${channel.trim().slice(0, 200)}` } : {}),
    }
  );
}
