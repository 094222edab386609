import type { Platform } from './types.js';
import { shellQuote } from './shell.js';
import { isEmulated } from './platforms.js';

/**
 * Strictness canaries. An emulated row is only as truthful as its CPU model:
 * a model that runs instructions above the row's baseline hides exactly the
 * bugs the row exists to find (a v7 model hides GOARM=5 bugs). Each row's
 * canary is one such instruction, built with the row's compiler and run under
 * its runner: it must die with SIGILL.
 */
export type CanaryOutcome =
  /** Died with SIGILL: the model refuses the instruction, as it must. */
  | 'trapped'
  /** Ran to the end: the model accepts code above the baseline. */
  | 'ran'
  /** Ended some other way (another signal, an exit code): the model's strictness is unknown. */
  | 'other'
  /** The canary did not compile: the row's compiler or the canary's text is broken. */
  | 'unbuilt'
  /** The row declares no canary, and says why. */
  | 'none';

export interface CanaryResult {
  outcome: CanaryOutcome;
  /** The level the canary's instruction needs, or the row's reason for having none. */
  level: string;
  /** How it ended, in words ("SIGILL", "exit 0", the compiler's first line). */
  detail: string;
  note?: string;
}

export const CANARY_MARK = '@@csm-canary';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** The C program: one basic asm statement (no operands: "%" is literal, as in a .s file). */
export const canarySource = (asm: string): string => `int main(void) {\n  __asm__ volatile(${JSON.stringify(asm)});\n  return 0;\n}\n`;

/**
 * One shell script for every row with a canary: write, compile, run, and print
 * "@@csm-canary <row> built|unbuilt <rc>" per row, in `streams` parallel streams.
 * The source travels as base64, so a row's asm text is never shell syntax.
 */
export function canaryScript(rows: readonly Platform[], dir: string, streams = 1): string {
  const withCanary = rows.filter((p) => isEmulated(p) && p.canary);
  const n = Math.max(1, Math.min(streams, withCanary.length));
  const one = (p: Platform, i: number) => {
    const f = `"$d/c${i}"`;
    const cc = [p.cc, ...(p.cflags ?? [])].map(shellQuote).join(' ');
    return [
      `echo ${b64(canarySource(p.canary!.asm))} | base64 -d > ${f}.c`,
      `if ${cc} -O0 -o ${f} ${f}.c 2>${f}.err; then ${p.run.map(shellQuote).join(' ')} ${f} >/dev/null 2>&1; echo "${CANARY_MARK} ${p.name} built $?";`,
      `else echo "${CANARY_MARK} ${p.name} unbuilt $(head -n 1 ${f}.err | tr -d '\\r')"; fi`,
    ].join('\n');
  };
  const lines = withCanary.map((p, i) => ({ k: i % n, line: one(p, i) }));
  return [
    'set -u',
    `d=${dir}; rm -rf "$d"; mkdir -p "$d"`,
    ...Array.from({ length: n }, (_, k) => `( ${lines.filter((l) => l.k === k).map((l) => l.line).join('\n') || 'true'}\n) &`),
    'wait',
    '',
  ].join('\n');
}

/** The outcome of one row from its exit status (the shell's 128+N for a signal N; qemu re-raises the guest's). */
export function outcomeOf(rc: number): { outcome: CanaryOutcome; detail: string } {
  if (rc === 128 + 4) return { outcome: 'trapped', detail: 'SIGILL' };
  if (rc === 0) return { outcome: 'ran', detail: 'exit 0: the instruction ran' };
  return { outcome: 'other', detail: rc > 128 ? `signal ${rc - 128}` : `exit ${rc}` };
}

/** Every emulated row's result: parsed from the script's output, or 'none' with the row's reason. */
export function parseCanaries(stdout: string, rows: readonly Platform[]): Map<string, CanaryResult> {
  const seen = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${CANARY_MARK} `)) continue;
    const [, name, kind, ...rest] = line.split(' ');
    seen.set(name!, [kind!, rest.join(' ')]);
  }
  const out = new Map<string, CanaryResult>();
  for (const p of rows.filter(isEmulated)) {
    const note = p.canary?.note ? { note: p.canary.note } : {};
    if (!p.canary) {
      out.set(p.name, { outcome: 'none', level: p.noCanary ?? 'no canary declared', detail: '' });
      continue;
    }
    const [kind, rest] = seen.get(p.name) ?? ['unbuilt', 'the canary script did not report this row'];
    const r = kind === 'built' ? outcomeOf(Number(rest)) : { outcome: 'unbuilt' as const, detail: rest ?? '' };
    out.set(p.name, { ...r, level: p.canary.level, ...note });
  }
  return out;
}

/** The rows whose canary did not trap: their CPU model may hide bugs, and the run must say so (exit 3). */
export function laxRows(results: ReadonlyMap<string, CanaryResult> | Record<string, CanaryResult>): string[] {
  const entries = results instanceof Map ? [...results] : Object.entries(results);
  return entries.filter(([, r]) => r.outcome !== 'trapped' && r.outcome !== 'none').map(([name]) => name);
}

/** One line per lax row, for the log and the report. */
export const laxLine = (name: string, r: CanaryResult): string =>
  `${name}: its CPU model did not refuse ${r.level} (${r.detail}): this row may hide bugs that real hardware shows`;
