import { isEmulated } from './platforms.js';
import { SH_FIRST } from './shell.js';
import type { Platform } from './types.js';

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

/** The C program: one basic asm statement (no operands: "%" is literal, as in a .s file). */
export const canarySource = (asm: string): string => `int main(void) {\n  __asm__ volatile(${JSON.stringify(asm)});\n  return 0;\n}\n`;

/**
 * One row's canary: write the source, compile it, run it under the runner, and
 * print "@@csm-canary <row> built <rc>" or "... unbuilt <the compiler's first line>".
 * Everything of the row (its name, the source, its compiler, flags and runner)
 * is an argument, never the script's text:
 * argv: name source binary N <N words: the compile, binary.c in it> <runner...>.
 */
export const CANARY_SCRIPT = `set -u
name=$1 src=$2 bin=$3 n=$4; shift 4
${SH_FIRST}
printf '%s' "$src" >"$bin.c" || exit 1
if first "$n" "$@" >"$bin.err" 2>&1; then
  shift "$n"
  "$@" "$bin" >/dev/null 2>&1
  printf '%s %s built %s\\n' ${CANARY_MARK} "$name" "$?"
else
  printf '%s %s unbuilt %s\\n' ${CANARY_MARK} "$name" "$(head -n 1 "$bin.err" | tr -d '\\r')"
fi
`;

/** argv of row `p`'s canary (it must have one), built and run in `dir`, a directory of the user who runs it. */
export function canaryArgv(p: Platform, dir: string): string[] {
  const bin = `${dir}/canary`;
  const compile = [p.cc, ...(p.cflags ?? []), '-O0', '-o', bin, `${bin}.c`];
  return [
    '/bin/sh',
    '-c',
    CANARY_SCRIPT,
    'csm-canary',
    p.name,
    canarySource(p.canary!.asm),
    bin,
    String(compile.length),
    ...compile,
    ...p.run,
  ];
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
