// The vocabulary shared by the pure core, the edges and the reporters.

import type { GlibcFloor } from './glibc-floor.js';
import type { HangDeadline } from './hang-deadline.js';
import type { PeSummary } from './pe.js';

/** msvcrt: a Windows row's C runtime (mingw-w64 links msvcrt.dll, measured on trixie's 14.2). */
export type Libc = 'glibc' | 'musl' | 'msvcrt';
/** The operating system a row's binaries are for: absent is linux. */
export type Goos = 'linux' | 'windows';

/** One row of the platform table: everything needed to build for and run on a target. */
export interface Platform {
  name: string;
  goarch: string;
  /** GOARM, only for GOARCH=arm. */
  goarm?: string;
  /** More of Go's target variables for this row (GO386, GOAMD64, GORISCV64, …). */
  goenv?: Record<string, string>;
  libc: Libc;
  /** GOOS; absent: linux. A windows row builds DLLs with mingw-w64 and runs its hosts under Wine (core/windows.ts). */
  goos?: Goos;
  /** C compiler inside the toolchain image; also cgo's CC. */
  cc: string;
  /** Flags every C compile for this row gets: cgo's (CGO_CFLAGS), the hosts' and the C libraries'. */
  cflags?: string[];
  /** Runner prefix: empty for native, or the qemu-user command with its CPU model and sysroot. */
  run: string[];
  /** Emulated platforms are slower; a case's timeout is multiplied by this when no slowdown could be measured. */
  timeoutScale: number;
  /** The CPU model the host runs on, for the results (qemu -cpu, or the build machine's own). */
  cpu: string;
  /** How to start this row's Python in the toolchain image, after the runner prefix; absent: one from a host-language layer (core/host-langs.ts), or none. */
  python?: string[];
  /** How to start this row's JVM in the toolchain image, after the runner prefix; absent: as for python. */
  java?: string[];
  /** The Debian architecture of the row's userland: a Python or JVM that is not in the toolchain image comes from Debian's packages of it. */
  debArch?: string;
  /** The suite those packages come from (default: the base's, trixie); loong64 is only in sid. */
  debSuite?: string;
  /** Debian packages this row needs in the toolchain image: compiler, cross libc, musl, runner. */
  packages?: string[];
  /** The dpkg architecture of those packages ("arm64" for musl:arm64), when it is not the image's own. */
  dpkgArch?: string;
  /** Emulated rows: an instruction above the row's baseline that its CPU model must refuse (SIGILL). */
  canary?: Canary;
  /** Emulated rows without a canary say why here. */
  noCanary?: string;
  /** false: only when asked for by name or glob (--platform), not in the default matrix. */
  default?: boolean;
  /** Expectations for every case on this row, after the case's own (a target where nothing can build). */
  expect?: RowExpectation[];
  /**
   * gccgo for this row (the toolchain axis, core/toolchains.ts): "native" for
   * Debian's gccgo-<gcc>, or the triplet of its cross gccgo-<gcc>-<triplet>.
   * Absent: the row has none, and its gccgo cells are n/a (noGccgo says why).
   */
  gccgo?: string;
  noGccgo?: string;
  /**
   * false: the row's packages are not in the base image but a layer of their
   * own on the Go image, built only when the row is selected (the Windows
   * rows: mingw-w64 and Wine, 2.9 GB).
   */
  inBase?: boolean;
  /** Every cell of the row is n/a, with this reason (a target nothing here can build or run). */
  na?: string;
}

/**
 * A strictness canary: `asm` is put in a tiny C program built with the row's
 * compiler and run under the row's runner. It must die with SIGILL: if it runs,
 * the CPU model accepts code above the row's baseline and would hide such bugs.
 */
export interface Canary {
  /** What the instruction needs, in words ("ARMv7: movw"). */
  level: string;
  /** GNU as text for a basic asm statement (no operands, so "%" is literal). */
  asm: string;
  /** What the canary does not cover, when the CPU model is laxer than Go's baseline in ways no model here fixes. */
  note?: string;
}

/** An expectation a row gives every case; its selector may be left out (the row is the selector). */
export type RowExpectation = Omit<ExpectationRule, 'when'> & { when?: ExpectationRule['when'] };

export const STAGES = ['build', 'host-compile', 'load', 'run', 'checks'] as const;
export type Stage = (typeof STAGES)[number];

export const VERDICTS = ['pass', 'fail', 'xfail', 'xpass', 'timeout', 'error', 'flaky', 'na'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A selector value: one string or any of several. */
export type OneOrMany = string | string[];

export interface ExpectationRule {
  when: {
    platform?: OneOrMany;
    /** "linux" or "windows". */
    os?: OneOrMany;
    libc?: OneOrMany;
    goarch?: OneOrMany;
    goarm?: OneOrMany;
    emulated?: boolean;
    /** semver range over the Go version; it selects gc cells only (a gccgo cell has no gc release). */
    go?: string;
    /** "gc" or "gccgo" (core/toolchains.ts). */
    toolchain?: OneOrMany;
    /** The userland the host loads on: "debian11", "debian12", "debian13" (core/userlands.ts). */
    userland?: OneOrMany;
  };
  /** Either, as a list: a race that sometimes hangs and sometimes throws. */
  verdict: 'fail' | 'timeout' | ('fail' | 'timeout')[];
  stage?: Stage;
  match: string;
  link: string;
  label: string;
  reason?: string;
  /**
   * A race by nature: the failure shows in some runs and not in others. A run
   * where it did not show is a pass (not an xpass), and repetitions that mix
   * the two are the expected failure (not flaky); anything else is judged as
   * always. Declared with `--repeat` evidence in the case's README.
   */
  race?: boolean;
  /**
   * Only with `verdict: "timeout"`: the native seconds the expected hang is
   * given instead of the case's run.timeout, scaled like it on emulated rows
   * (core/hang-deadline.ts).
   */
  deadline?: number;
}

export interface GoLibrarySpec {
  name: string;
  dir: string;
  /** File name of the built library; default lib<name>.so. */
  output?: string;
  /** Go's CPU-level variables for this build over the row's (GOAMD64=v3, …): the schema allows only those. */
  goenv?: Record<string, string>;
}

export interface CLibrarySpec {
  name: string;
  sources: string[];
  cflags?: string[];
}

/** A case as written in case.json (after validation). */
export interface CaseFile {
  description: string;
  libraries: GoLibrarySpec[];
  cLibraries?: CLibrarySpec[];
  /** Absent: the case has only its generated probes. */
  host?: {
    /** C sources; or else a Python script in `python`, or one Java source file in `java`. */
    sources?: string[];
    python?: string;
    /** Compiled once with javac, run with the row's JVM; its main class is the file's name. */
    java?: string;
    link?: string[];
    dlopen?: string[];
    cflags?: string[];
    ldflags?: string[];
  };
  run?: {
    /** Run in the output directory of this library (so `./libx.so` works), instead of /tmp. */
    cwd?: string;
    /** Libraries (by name) in the host's LD_PRELOAD, for the host alone (sandbox/commands.ts hostArgv). */
    preload?: string[];
    args?: string[];
    env?: Record<string, string>;
    timeout?: number;
  };
  pass?: { stdout?: string[] };
  /**
   * Its host on Windows rows: other C sources (and flags) than host's, or why
   * the case cannot exist there. Absent: a C host's sources as they are.
   */
  windows?: WindowsHost;
  /** When its cells run (core/tiers.ts): absent, "push". */
  tier?: CaseTier;
  expect?: ExpectationRule[];
}

export type WindowsHost = { sources: string[]; cflags?: string[]; ldflags?: string[] } | { na: string };

/** push: every run (the default); nightly: only a --tier nightly run, which runs every cell. */
export type Tier = 'push' | 'nightly';
/** A case's tier: one for every cell, or rules with an expectation's `when`, the first that selects a cell deciding (none: push). */
export type CaseTier = Tier | { when?: ExpectationRule['when']; tier: Tier }[];

/** A loaded case: its file plus where it lives and fingerprints of its sources. */
export interface CaseSpec extends CaseFile {
  name: string;
  /** Absolute directory of the case on the machine running the harness. */
  dir: string;
  /** sha256 of each Go library's directory contents, by library name. */
  libraryHashes: Record<string, string>;
  /**
   * What go build is given for each Go library, by name: ["."] for a module
   * (it has a go.mod), else its .go files (not tests), sorted. Read when the case
   * is loaded, so the steps are planned without touching the disk.
   */
  goTargets: Record<string, string[]>;
  /** sha256 of the host's and C libraries' sources (everything in the case dir). */
  sourceHash: string;
  /** For a generated case (a probe): the case whose uploaded sources and library builds it shares. */
  sourceOf?: string;
  /** Set on generated probe cases: the host is harness/programs/csm-probe.c in this mode. */
  probe?: 'dlopen' | 'link';
  /** A probe's case had a JVM host: its libraries include <jni.h>, and the probe builds them as the case does. */
  probedJava?: boolean;
  /** A user's Go package given as a PATH (zero-config): `dir` is the package, copied without what go build ignores. */
  goPackage?: boolean;
}

export interface GoToolchain {
  /**
   * The matrix's Go axis: the Debian package series of gc ("1.27"), or
   * "gccgo-14" for GCC's Go front end (core/toolchains.ts).
   */
  version: string;
  /** Debian suite that ships golang-<version>-go (for gccgo: its driver's). */
  suite: string;
  /** gccgo: GCC's series, and the gc release whose go command drives it (go build -compiler gccgo). */
  gccgo?: {
    gcc: string;
    driver: { version: string; suite: string } /** Why every cell of it is n/a in this run (a glibc floor). */;
    na?: string;
  };
}

/** One cell of the matrix before it runs. */
export interface CellSpec {
  id: string;
  caseName: string;
  platform: Platform;
  go: GoToolchain;
  /** The userland its host loads on (core/userlands.ts); absent: the toolchain image's own, and a run without the axis. */
  userland?: string;
}

/** How a host process ended, as reported by the in-container supervisor. */
export type ProcessEnd =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number; name: string }
  /** deadline: the host was an expected hang, killed at its expectation's declared deadline. */
  | { kind: 'timeout'; afterMs: number; deadline?: HangDeadline };

/** The protocol lines the server counted over a host's whole stdout, however much of it was kept. */
export interface LineCounts {
  ok: number;
  notOk: number;
  /** Lines starting with "csm-": the host speaks the protocol. */
  csm: number;
  loaded: number;
  /** The last csm-done P/T line, if any. */
  done?: { passed: number; total: number };
}

/** What the edges observed for one cell; classification turns this into a verdict. */
export interface CellObservation {
  /** The cell cannot exist here (e.g. a Python host where the image has no Python for the platform). */
  notApplicable?: string;
  /** Set when the infrastructure (engine, image, exec) failed: the verdict is "error". */
  infraError?: { stage: Stage; message: string };
  /** A build step that failed: Go library build or host/C-library compile. */
  buildFailure?: {
    stage: 'build' | 'host-compile';
    what: string;
    log: string;
    /** The step reached its disk quota (MiB): what it wrote was removed. */
    quotaMiB?: number;
    /** It built, but needs more than --glibc-floor: the line naming the floor and the symbols. */
    floor?: string;
    /** It was built for a floor, in an older toolchain ("the glibc floor 2.31 (Debian 11 bullseye's toolchain)"): its failure may be the older libc's. */
    underFloor?: string;
  };
  run?: {
    end: ProcessEnd;
    /** What was kept of each stream: its head and its tail (see core/frames.ts). */
    stdout: string;
    stderr: string;
    durationMs: number;
    /** The protocol lines the supervisor counted over the whole of stdout; without them, stdout is parsed. */
    lines?: LineCounts;
  };
}

export interface Classification {
  verdict: Verdict;
  /** The furthest stage the cell reached. */
  stage: Stage;
  /** Whether that stage succeeded (true only for a pass, or an xpass). */
  stageOk: boolean;
  /** Short text for the matrix cell. */
  summary: string;
  /** The text expectations were matched against: how the host ended, then stderr and stdout. */
  failureText?: string;
  /** Check lines ("ok 1 - …") the host printed. */
  checks: { ok: boolean; text: string }[];
  expectation?: ExpectationRule & { matched: boolean; why?: string };
}

/** What readelf says about a built file, trimmed for results.json. */
export interface ElfSummary {
  summary: string;
  flags: string[];
  flags1: string[];
  needed: string[];
  soname?: string;
  interpreter?: string;
  tls: { initialExec: number; dynamic: number; local: number; models: string[] };
  exports?: string[];
  arm?: { cpuArch?: string; floatAbi?: string; fpArch?: string };
  /** glibc rows: the newest GLIBC_x.y it needs, the symbols per version, and the line saying where it loads (core/glibc-floor.ts). */
  glibcFloor?: GlibcFloor & { line: string };
  /** musl rows: its strong undefined symbols the row's musl libc.so does not define (weak ones load without it; its libraries' exports excluded), core/musl-libc.ts. */
  muslMissing?: string[];
  /** musl rows: "musl 1.2.5 defines every symbol it needs", or what it lacks. */
  muslLine?: string;
}

export interface CellResult extends Classification {
  id: string;
  axes: {
    case: string;
    platform: string;
    goarch: string;
    goarm?: string;
    libc: Libc;
    cpu: string;
    go: string;
    goVersion?: string;
    /** "gccgo" for a gccgo cell (absent: gc). */
    toolchain?: 'gccgo';
    /** A gccgo cell's compiler, as `<gccgo> --version` said it ("gccgo-14 (Debian 14.2.0-19) 14.2.0"). */
    gccgo?: string;
    /** The userland the host loaded on ("debian11"), when the run chose userlands (--userland); absent: the default, debian13. */
    userland?: string;
    /** "windows" on a Windows row (absent: linux). */
    os?: Goos;
    /** What ran a Windows row's host, as `wine --version` said it ("wine-10.0 (Debian 10.0~repack-6)"): Wine is not Windows. */
    wine?: string;
  };
  exit?: { code?: number; signal?: number; signalName?: string; timedOut?: boolean };
  durationMs: number;
  logs: Record<string, string>;
  /** ELF facts of the cell's Go libraries (by name) and of its host. */
  elf?: { libraries: Record<string, ElfSummary>; host?: ElfSummary };
  /** A Windows cell's PE facts (core/pe.ts): its Go DLLs (by name) and its host.exe. */
  pe?: { libraries: Record<string, PeSummary>; host?: PeSummary };
  /** Why it failed, in a sentence, from the ELF facts and the failure text. */
  explanation?: string;
  /** With --repeat: the verdict of each repetition, counted. */
  repeats?: Partial<Record<Verdict, number>>;
  /** --glibc-floor: the floor, and the toolchain the cell built in, or why it built as today. */
  floorBuild?: { floor: string; toolchain?: string; asToday?: string };
}
