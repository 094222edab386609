import { type ElfFacts, summarizeFacts, userExports, versionNeedsOf } from '../core/elf.js';
import { explainFailure } from '../core/explain-failure.js';
import { cellFloor } from '../core/glibc-floor.js';
import { hostKind, isCompiledHost } from '../core/host-kind.js';
import { type MuslLibc, muslFit } from '../core/musl-libc.js';
import { explainPeFailure, type PeSummary } from '../core/pe.js';
import type { CaseSpec, CellResult, Classification, ElfSummary, Platform } from '../core/types.js';
import { goLibDir, hostPath, libFile } from '../sandbox/paths.js';

/** A cell's artifacts' facts (readelf's, or a Windows file's PE facts): its Go libraries by name, and its C host (a Python host has none). */
export interface CellFacts<F = ElfFacts> {
  libs: Map<string, F>;
  host?: F;
}

/** The facts the build steps gathered for one cell's artifacts, looked up by their paths in the volume. */
export function cellFacts<F = ElfFacts>(c: CaseSpec, p: Platform, go: string, lookup: (path: string) => F | undefined): CellFacts<F> {
  const libs = new Map<string, F>();
  for (const l of c.libraries) {
    const f = lookup(`${goLibDir(c, l, p, go)}/${libFile(p, l)}`);
    if (f) libs.set(l.name, f);
  }
  const host = isCompiledHost(hostKind(c)) ? lookup(hostPath(c, p, go)) : undefined;
  return { libs, ...(host ? { host } : {}) };
}

/**
 * What results.json keeps of the facts; on glibc rows, each file's glibc floor;
 * on musl rows, what the row's musl (when it was read) does not define.
 */
export function elfOfCell(facts: CellFacts, p: Platform, musl?: MuslLibc): NonNullable<CellResult['elf']> {
  const provided = new Set([...facts.libs.values()].flatMap((f) => f.exports));
  const withFloor = (f: ElfFacts, library: boolean): ElfSummary => ({
    ...trimFacts(f, library),
    ...(p.libc === 'glibc' ? { glibcFloor: cellFloor(versionNeedsOf(f), p.goarch) } : {}),
    ...(p.libc === 'musl' && musl ? muslFit(f.imports, musl, provided) : {}),
  });
  return {
    libraries: Object.fromEntries([...facts.libs].map(([n, f]) => [n, withFloor(f, true)])),
    ...(facts.host ? { host: withFloor(facts.host, false) } : {}),
  };
}

/** Why a cell that did not pass failed, from its facts (e.g. initial-exec TLS under musl); undefined when nothing explains it. */
export function explanationOf(facts: CellFacts, p: Platform, verdict: Classification): string | undefined {
  if (verdict.verdict === 'pass' || verdict.verdict === 'na' || p.libc === 'msvcrt') return undefined;
  return explainFailure({
    libc: p.libc,
    stage: verdict.stage,
    failureText: verdict.failureText ?? '',
    ...(facts.libs.size ? { library: [...facts.libs.values()][0]! } : {}),
    ...(facts.host ? { host: facts.host } : {}),
    cpu: p.cpu,
    ...(p.goarm ? { goarm: p.goarm } : {}),
  });
}

function trimFacts(f: ElfFacts, library: boolean): ElfSummary {
  return {
    summary: summarizeFacts(f),
    flags: f.flags,
    flags1: f.flags1,
    needed: f.needed,
    ...(f.soname ? { soname: f.soname } : {}),
    ...(f.interpreter ? { interpreter: f.interpreter } : {}),
    tls: { initialExec: f.tls.initialExec, dynamic: f.tls.dynamic, local: f.tls.local, models: [...f.tls.models] },
    ...(library ? { exports: userExports(f) } : {}),
    ...(f.arm
      ? {
          arm: {
            ...(f.arm.cpuArch ? { cpuArch: f.arm.cpuArch } : {}),
            ...(f.arm.floatAbi ? { floatAbi: f.arm.floatAbi } : {}),
            ...(f.arm.fpArch ? { fpArch: f.arm.fpArch } : {}),
          },
        }
      : {}),
  };
}

/** A Windows cell's PE facts, as results.json keeps them: its Go libraries by name, and its host. */
export function peOfCell(facts: CellFacts<PeSummary>): NonNullable<CellResult['pe']> | undefined {
  if (!facts.libs.size && !facts.host) return undefined;
  return { libraries: Object.fromEntries(facts.libs), ...(facts.host ? { host: facts.host } : {}) };
}

/** Why a Windows cell that did not pass failed, from its PE facts (a DLL Wine could not find, a machine that differs). */
export function peExplanationOf(pe: NonNullable<CellResult['pe']>, verdict: Classification): string | undefined {
  if (verdict.verdict === 'pass' || verdict.verdict === 'na') return undefined;
  return explainPeFailure({ failureText: verdict.failureText ?? '', libraries: pe.libraries, ...(pe.host ? { host: pe.host } : {}) });
}
