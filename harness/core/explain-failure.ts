import { type ElfFacts, isGoLibrary, versionNeedsOf } from './elf.js';
import { floorLine, glibcFloor } from './glibc-floor.js';

/**
 * A one-sentence explanation of a failed cell, from its failure text and the
 * ELF facts of its library and host (elf.ts). Pure. The explanation sits under
 * the cell; it never changes a verdict.
 */

export interface FailureInput {
  libc: 'glibc' | 'musl';
  /** The stage that failed (see STAGES in types.ts). */
  stage: string;
  failureText: string;
  library?: ElfFacts;
  host?: ElfFacts;
  /** The CPU model the host ran on ("arm926", "cortex-a7", "native"). */
  cpu: string;
  goarm?: string;
}

/** ARM architecture version of a qemu CPU model; undefined when unknown (or "native"). */
const CPU_LEVELS: [RegExp, number][] = [
  [/^(max|any)$/, 9],
  [/^(arm926|arm946|arm1026|pxa2\d\d|pxa25\d|pxa26\d|pxa27\d)/, 5],
  [/^(arm1136|arm1176|arm11mpcore)/, 6],
  [/^cortex-(a5|a7|a8|a9|a15|r5)\b/, 7],
  [/^cortex-a\d/, 8],
  [/^(ti925t|sa1100|sa1110)/, 4],
];
const cpuLevel = (cpu: string): number | undefined => CPU_LEVELS.find(([re]) => re.test(cpu))?.[1];
const archLevel = (arch: string | undefined): number | undefined => {
  const m = /^v(\d+)/.exec(arch ?? '');
  return m ? Number(m[1]) : undefined;
};

const SIGSEGV = /\bsignal 11\b|SIGSEGV|Segmentation fault/;
const SIGILL = /\bsignal 4\b|SIGILL|Illegal instruction/;
const RUNNING = ['load', 'run', 'checks'];
const LIBC_SONAMES = /^(libc\.so(\.\d+)?|libc\.musl-.*|ld-.*|libdl\.so.*|libpthread\.so.*|libm\.so.*)$/;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What made the cell's binaries need a newer CPU than the one it ran on, if anything. */
function archMismatch(x: FailureInput): { who: string; level: number; why: string; cpuLevel: number } | undefined {
  const have = cpuLevel(x.cpu);
  if (have === undefined) return undefined;
  const goarm = x.goarm ? Number(x.goarm) : undefined;
  const candidates = [
    { who: 'library', facts: x.library, goarm },
    { who: 'host', facts: x.host, goarm: undefined },
  ];
  for (const c of candidates) {
    const tag = c.facts?.arm?.cpuArch;
    const levels = [archLevel(tag), c.goarm].filter((n): n is number => n !== undefined && !Number.isNaN(n));
    if (!levels.length) continue;
    const level = Math.max(...levels);
    if (level <= have) continue;
    // Name only what asks for that level: a GOARM=7 library built with an armel gcc says v5TE.
    const why = [archLevel(tag) === level ? `Tag_CPU_arch ${tag}` : '', c.goarm === level ? `GOARM=${c.goarm}` : '']
      .filter(Boolean)
      .join(', ');
    return { who: c.who, level, why, cpuLevel: have };
  }
  return undefined;
}

/** glibc's loader: "version `GLIBC_2.34' not found (required by ./libhello.so)". */
const GLIBC_NOT_FOUND = /version [`']GLIBC_(\d+(?:\.\d+)+)' not found/;

/** Which of the cell's files need the version the loader did not find, and the floor line of the first. */
function glibcTooOld(x: FailureInput): string {
  const missing = GLIBC_NOT_FOUND.exec(x.failureText)?.[1];
  const needing = (['library', 'host'] as const)
    .map((who) => ({ who, facts: x[who] }))
    .flatMap(({ who, facts }) => {
      const floor = facts && glibcFloor(versionNeedsOf(facts));
      return floor?.needs.some((n) => n.version === missing) ? [{ who, floor }] : [];
    });
  const first = needing[0];
  if (!first) return `a file needs GLIBC_${missing}, which this glibc does not have`;
  const who = needing.map((n) => n.who).join(' and ');
  return `${who} need${needing.length === 1 ? 's' : ''} GLIBC_${missing}, which this glibc does not have; ${first.who} ${floorLine(first.floor)}`;
}

interface Rule {
  id: string;
  libc?: FailureInput['libc'];
  stages: string[];
  /** Must match the failure text. */
  text: RegExp;
  /** Further conditions on the facts. */
  when?: (x: FailureInput) => boolean;
  say: (x: FailureInput) => string;
}

/**
 * The explanations, first match wins. Each is one sentence for a person reading
 * under a failed cell; the facts sharpen it when they are known.
 */
export const FAILURE_RULES: readonly Rule[] = [
  {
    id: 'glibc-version-not-found',
    libc: 'glibc',
    stages: RUNNING,
    text: GLIBC_NOT_FOUND,
    say: glibcTooOld,
  },
  {
    id: 'missing-interpreter',
    stages: RUNNING,
    text: /No such file or directory|not found/,
    when: (x) => !!x.host?.interpreter && x.failureText.includes(x.host.interpreter),
    say: (x) => `the host's interpreter ${x.host?.interpreter} is not installed where it runs`,
  },
  {
    id: 'musl-initial-exec-tls',
    libc: 'musl',
    stages: ['load'],
    text: /initial-exec TLS/i,
    say: (x) => {
      const l = x.library;
      if (!l) return "library uses initial-exec TLS; musl's dlopen cannot place it";
      const ie = l.tls.initialExec ? plural(l.tls.initialExec, 'IE relocation') : '';
      // Say what is there: arm64's linker sets no DF_STATIC_TLS, and musl refuses the relocation itself.
      if (l.flags.includes('STATIC_TLS'))
        return `library uses initial-exec TLS (DF_STATIC_TLS${ie ? `, ${ie}` : ''}); musl's dlopen cannot place it`;
      return `library uses initial-exec TLS (${ie || 'no IE relocation readelf shows'}; no DF_STATIC_TLS flag): musl's dlopen refuses the relocation when it resolves it`;
    },
  },
  {
    id: 'glibc-static-tls-surplus',
    libc: 'glibc',
    stages: RUNNING,
    text: /cannot allocate memory in static TLS block/,
    say: (x) => {
      const size = x.library?.tls.segment?.memSize;
      return size !== undefined
        ? `glibc's static TLS surplus is exhausted: the library needs ${size} bytes of initial-exec TLS (PT_TLS memsz)`
        : "glibc's static TLS surplus is exhausted: the library's initial-exec TLS does not fit";
    },
  },
  {
    id: 'arm-arch-mismatch',
    stages: RUNNING,
    text: SIGILL,
    when: (x) => archMismatch(x) !== undefined,
    say: (x) => {
      const m = archMismatch(x);
      return `${m?.who} built for ARM v${m?.level} (${m?.why}) run on a v${m?.cpuLevel} CPU model (${x.cpu}): illegal instruction`;
    },
  },
  {
    id: 'musl-go-init-args',
    libc: 'musl',
    stages: RUNNING,
    text: SIGSEGV,
    // A Go library (or unknown), linked in by the host (or unknown): not a dlopen host.
    when: (x) => (!x.library || isGoLibrary(x.library)) && (!x.host || x.host.needed.some((n) => !LIBC_SONAMES.test(n))),
    say: () =>
      "host linked against a Go library on musl: musl calls ELF init functions without argc/argv, which Go's runtime init reads (SIGSEGV)",
  },
];

/** One sentence explaining a failed cell from the ELF facts, or undefined when no rule applies. */
export function explainFailure(input: FailureInput): string | undefined {
  const rule = FAILURE_RULES.find(
    (r) =>
      (r.libc === undefined || r.libc === input.libc) &&
      r.stages.includes(input.stage) &&
      r.text.test(input.failureText) &&
      (r.when?.(input) ?? true),
  );
  return rule?.say(input);
}
