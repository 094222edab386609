import { UsageError } from './errors.js';
import { hostLangOf } from './host-kind.js';
import { DEFAULT_HOST_TIMEOUT_S } from './host-timeout.js';
import type { CaseSpec, ExpectationRule } from './types.js';

export type ProbeMode = 'dlopen' | 'link';
export const PROBE_MODES: readonly ProbeMode[] = ['dlopen', 'link'];

export interface ProbeExpectations {
  dlopen: ExpectationRule[];
  link: ExpectationRule[];
}

/** cases/probe-expectations.json's contents, checked (edge/case-files.ts reads the file). */
export function checkProbeExpectations(file: string, json: unknown): ProbeExpectations {
  const data = json as Partial<ProbeExpectations>;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError(`${file}: must be an object with "dlopen" and "link" rule lists`);
  return { dlopen: data.dlopen ?? [], link: data.link ?? [] };
}

export const probeName = (caseName: string, mode: ProbeMode): string => `${caseName}+${mode}-probe`;

/** The case a probe's name was made from (probeName's inverse); any other name is its own. Probes build their case's libraries. */
export const probedCase = (caseName: string): string => caseName.replace(/\+(dlopen|link)-probe$/, '');

/**
 * The probe cells a case gets for free: its Go libraries loaded by the generic
 * probe host (harness/programs/csm-probe.c), once through dlopen and once linked at
 * build time. They reuse the case's library builds (same sources, same keys).
 */
export function probeCases(c: CaseSpec, expectations: ProbeExpectations): CaseSpec[] {
  // The probe is the harness's host, so the case's Windows host is not its; but a case that cannot exist on
  // Windows keeps its n/a there (sa-onstack's and signals' libraries use Linux's signals, and do not build for it).
  const { windows, ...probed } = c;
  return PROBE_MODES.map((mode) => ({
    ...probed,
    ...(windows && 'na' in windows ? { windows } : {}),
    name: probeName(c.name, mode),
    description: `${mode === 'dlopen' ? 'dlopen' : 'link-time'} load probe of ${c.name}'s Go libraries: load, then look up every export in the generated header`,
    sourceOf: c.sourceOf ?? c.name,
    probe: mode,
    ...(hostLangOf(c) === 'java' ? { probedJava: true } : {}),
    cLibraries: [],
    host: { sources: [], ...(mode === 'link' ? { link: c.libraries.map((l) => l.name) } : { dlopen: c.libraries.map((l) => l.name) }) },
    run: { timeout: c.run?.timeout ?? DEFAULT_HOST_TIMEOUT_S },
    pass: {},
    // Loading a library answers at once on every row: a probe is per-push whatever its case's tier.
    tier: 'push',
    expect: expectations[mode],
  }));
}
