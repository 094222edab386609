import { isEmulated } from './platforms.js';
import type { Platform } from './types.js';

/**
 * How much slower a platform's emulator runs the same work than this machine
 * does natively, measured with harness/programs/csm-calib.c. Emulated hosts' timeouts
 * are scaled by it: a case's run.timeout is a native budget, and the factor
 * moves with the machine, the qemu release and the CPU model (arm926 is not
 * cortex-a7), which one number in the platform table cannot follow.
 */
export interface Slowdown {
  /** emulatedMs / nativeMs, one decimal. */
  factor: number;
  nativeMs: number;
  emulatedMs: number;
}

/**
 * The factor from repeated timings. The fastest of each is the one least
 * disturbed by whatever else the machine was doing.
 */
export function slowdownFrom(nativeMs: readonly number[], emulatedMs: readonly number[]): Slowdown | undefined {
  const native = Math.min(...nativeMs);
  const emulated = Math.min(...emulatedMs);
  if (!(native > 0) || !(emulated > 0) || !Number.isFinite(native) || !Number.isFinite(emulated)) return undefined;
  return { factor: Math.round((emulated / native) * 10) / 10, nativeMs: native, emulatedMs: emulated };
}

/**
 * The multiplier for a platform's host timeouts: 1 for native rows, the
 * measured slowdown for emulated rows (never below 1), and the row's own
 * timeoutScale only when nothing could be measured.
 */
export function timeoutScale(p: Platform, measured?: Slowdown): number {
  if (!isEmulated(p)) return 1;
  return measured ? Math.max(1, measured.factor) : p.timeoutScale;
}

/** Parse the calibration script's output: "<platform> <ms>" lines, "native" for the reference. */
export function parseCalibration(stdout: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), Number(m[2])]);
  }
  return out;
}
