import { DEFAULT_HOST_TIMEOUT_S } from './host-timeout.js';
import type { ExpectationRule } from './types.js';

/**
 * An expected hang is killed at a short deadline its expectation declares,
 * not at the case's whole run.timeout: waiting longer for a process known to
 * hang tells nothing more, and on an emulated row it cost up to a minute a
 * cell. The deadline is a native budget like run.timeout, scaled by the row's
 * measured slowdown, so a run that would pass (the bug fixed upstream) still
 * finishes within it and is an xpass, never an xfail.
 */

/** A declared deadline as it was applied to one cell. */
export interface HangDeadline {
  /** What the expectation declares, in native seconds. */
  seconds: number;
  /** The row's multiplier (core/emulation.ts timeoutScale): 1 on a native row. */
  scale: number;
}

/** A host's time limit, and the declared deadline it is when it is one. */
export interface HostLimit {
  ms: number;
  deadline?: HangDeadline;
}

/** The deadline of the cell's expectation: only a rule that expects a timeout and nothing else has one. */
export function declaredDeadline(rule: ExpectationRule | undefined): number | undefined {
  return rule?.verdict === 'timeout' ? rule.deadline : undefined;
}

/**
 * A host's limit: `override` (--timeout, a config's timeout: the user's word
 * for every host) wins; else the cell's expectation's declared deadline when
 * it expects a hang; else the case's run.timeout; else the default. `rule` is
 * the expectation that applies to the cell (core/expect.ts findExpectation),
 * known before the host runs.
 */
export function hostLimit(o: { override?: number; caseTimeout?: number; rule?: ExpectationRule; scale: number }): HostLimit {
  const deadline = o.override === undefined ? declaredDeadline(o.rule) : undefined;
  const seconds = o.override ?? deadline ?? o.caseTimeout ?? DEFAULT_HOST_TIMEOUT_S;
  return {
    ms: Math.round(seconds * o.scale * 1000),
    ...(deadline !== undefined ? { deadline: { seconds: deadline, scale: o.scale } } : {}),
  };
}

/** "its declared 1 s deadline (×6.1 emulation)": what a killed expected hang was given, for its summary. */
export function describeDeadline(d: HangDeadline): string {
  return `its declared ${d.seconds} s deadline${d.scale === 1 ? '' : ` (×${d.scale} emulation)`}`;
}
