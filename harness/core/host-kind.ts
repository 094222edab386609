import type { HostLang } from './host-langs.js';
import type { CaseFile } from './types.js';

/**
 * What a cell's host is, decided here alone: a C program of the case's, a
 * generated load probe (a C program of the harness's), or a Python or Java
 * program the row's interpreter runs. A case with none has no cells.
 */
export type HostKind = 'c' | 'probe' | HostLang;

export function hostKind(c: { host?: CaseFile['host']; probe?: string }): HostKind | undefined {
  if (c.probe) return 'probe';
  if (c.host?.python !== undefined) return 'python';
  if (c.host?.java !== undefined) return 'java';
  return c.host ? 'c' : undefined;
}

/** The language a host's interpreter runs, when it is not compiled for the row. */
export function hostLangOf(c: { host?: CaseFile['host']; probe?: string }): HostLang | undefined {
  const kind = hostKind(c);
  return kind === 'python' || kind === 'java' ? kind : undefined;
}

/** A host compiled for the row (the case's C program or a probe): it has a compile step, ELF facts, and may start with LD_PRELOAD. */
export const isCompiledHost = (kind: HostKind | undefined): boolean => kind === 'c' || kind === 'probe';
