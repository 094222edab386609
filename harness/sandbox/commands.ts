import { hostLimit } from '../core/hang-deadline.js';
import { hostKind } from '../core/host-kind.js';
import { shellWord } from '../core/shell.js';
import type { CaseSpec, GoLibrarySpec, Platform } from '../core/types.js';
import { hostSourcesOn, isWindows, WINE_PREFIX, windowsPath, wineEnv } from '../core/windows.js';
import { BUILD_GID, buildUid, CSM_DIR, HOST_SCRATCH, HOST_USER, laneHome, PROBE_SOURCE, SUPERVISOR } from './layout.js';
import {
  cLibDir,
  goBuildShape,
  goLibDir,
  hostPath,
  JAVA_HELPER,
  JDK_HOME,
  javaDir,
  javaMainClass,
  libFile,
  libFileIn,
  libFileName,
  libraryDirs,
  srcDir,
} from './paths.js';

/**
 * The command lines of a run and their environments: go build, the host
 * compiles, the host's run line under the supervisor, and how the harness runs
 * what a platform row names (asLane). The in-container shell programs are in
 * scripts.ts; where each artifact lives, in paths.ts.
 */

/** javac for a Java host and the harness's helper class, into javaDir. */
export const javaCompileCmd = (c: CaseSpec, go: string): string[] => [
  `${JDK_HOME}/bin/javac`,
  '-encoding',
  'UTF-8',
  '-Xlint:none',
  '-d',
  javaDir(c, go),
  c.host?.java ?? '',
  JAVA_HELPER,
];

export function buildEnv(p: Platform, goCache: string, cflags: readonly string[] = []): string[] {
  const cgoCflags = [...(p.cflags ?? []), ...cflags];
  return [
    'CGO_ENABLED=1',
    'GOTOOLCHAIN=local',
    'GOPROXY=off',
    'GOFLAGS=-buildvcs=false',
    `GOOS=${p.goos ?? 'linux'}`,
    `GOARCH=${p.goarch}`,
    ...(p.goarm ? [`GOARM=${p.goarm}`] : []),
    ...Object.entries(p.goenv ?? {}).map(([k, v]) => `${k}=${v}`),
    `CC=${p.cc}`,
    // Go's own default is "-O2 -g"; a row's flags (arm64 musl: -mno-outline-atomics) come after it.
    ...(cgoCflags.length ? [`CGO_CFLAGS=${['-O2', '-g', ...cgoCflags].join(' ')}`] : []),
    // A case's go.work or a go env file could change how the next case builds.
    'GOWORK=off',
    'GOENV=off',
    `GOCACHE=${goCache}`,
  ];
}

/**
 * go build for one library. Without a go.mod the package's files are named,
 * exactly as bug reports do (`go build -buildmode=c-shared main.go`).
 */
export function goBuildCmd(c: CaseSpec, lib: GoLibrarySpec, p: Platform, out: string, gccgo?: string): string[] {
  const shape = goBuildShape(c, lib, p);
  // "./" keeps a file named like a flag (-toolexec=x.go) a file.
  const targets = shape.targets.map((n) => (n === '.' ? n : `./${n}`));
  // gccgo: the go command drives the row's gccgo (GCCGO in the step's environment).
  return [
    'go',
    'build',
    ...(gccgo ? ['-compiler', 'gccgo'] : []),
    '-buildmode=c-shared',
    '-trimpath',
    '-o',
    `${out}/${shape.output}`,
    ...targets,
  ];
}

/** go build's environment for one library on a row: the row's, with the library's shape over it. */
export function goLibEnv(c: CaseSpec, lib: GoLibrarySpec, p: Platform, goCache: string): string[] {
  const shape = goBuildShape(c, lib, p);
  return buildEnv(Object.keys(shape.goenv).length ? { ...p, goenv: { ...p.goenv, ...shape.goenv } } : p, goCache, shape.cflags);
}

export function cLibCmd(p: Platform, sources: string[], cflags: string[], out: string, name: string): string[] {
  // A DLL's code is position-independent by its relocations: mingw's gcc takes no -fPIC; its emulated
  // __thread data would import libgcc_s_seh-1.dll (libgcc_s_dw2-1.dll on i386), which no host ships beside it.
  const pic = isWindows(p) ? ['-static-libgcc'] : ['-fPIC'];
  return [
    p.cc,
    '-shared',
    ...pic,
    '-O2',
    ...(p.cflags ?? []),
    '-o',
    `${out}/${libFileName(p, name)}`,
    ...sources,
    `-I${CSM_DIR}`,
    ...cflags,
  ];
}

/**
 * How a host links its libraries: an rpath per library on Linux (linked hosts
 * need no LD_LIBRARY_PATH), on Windows the DLL itself (mingw's ld links
 * against a DLL directly; Windows finds it at run time on PATH: wineEnv).
 * A library named like a bug report's (cc.so) is linked by file name.
 */
function linkFlags(c: CaseSpec, p: Platform, dirs: Map<string, string>): string[] {
  return (c.host?.link ?? []).flatMap((n) => {
    const file = libFileIn(p, c, n);
    const l = file === libFileName(p, n) ? `-l${n}` : `-l:${file}`;
    return [`-L${dirs.get(n)!}`, l, ...(isWindows(p) ? [] : [`-Wl,-rpath,${dirs.get(n)!}`])];
  });
}

export function hostCompileCmd(c: CaseSpec, p: Platform, go: string): string[] {
  const dirs = libraryDirs(c, p, go);
  const includes = [`-I${CSM_DIR}`, '-I.', ...c.libraries.map((l) => `-I${dirs.get(l.name)!}`)];
  const own = hostSourcesOn(p, c);
  // The probe references no symbol at link time; keep the NEEDED entries anyway.
  const asNeeded = c.probe === 'link' && !isWindows(p) ? ['-Wl,--no-as-needed'] : [];
  const sources = hostKind(c) === 'probe' ? [PROBE_SOURCE] : own.sources;
  const system = isWindows(p) ? [] : ['-ldl', '-lpthread'];
  return [
    p.cc,
    '-O1',
    '-g',
    ...(p.cflags ?? []),
    '-o',
    hostPath(c, p, go),
    ...sources,
    ...includes,
    ...own.cflags,
    ...asNeeded,
    ...linkFlags(c, p, dirs),
    ...system,
    ...own.ldflags,
  ];
}

/**
 * The environment a host sees: the case's own, plus CSM_LIB_<NAME> for every
 * library, and CSM_TIMEOUT_MS, its own time limit on this row (emulation
 * included): a host with deadlines of its own (a child that may hang) sizes
 * them from it instead of guessing at the row's speed.
 */
export function hostEnv(c: CaseSpec, p: Platform, go: string, timeoutMs: number): string[] {
  const env = Object.entries(c.run?.env ?? {}).map(([k, v]) => `${k}=${v}`);
  // A Windows host is given its libraries' paths as Windows sees them (Z:\work\…).
  const path = isWindows(p) ? windowsPath : (f: string) => f;
  for (const l of c.libraries) env.push(`CSM_LIB_${l.name.toUpperCase()}=${path(`${goLibDir(c, l, p, go)}/${libFile(p, l)}`)}`);
  for (const l of c.cLibraries ?? [])
    env.push(`CSM_LIB_${l.name.toUpperCase()}=${path(`${cLibDir(c, l.name, p, go)}/${libFileName(p, l.name)}`)}`);
  if (isWindows(p)) env.push(...wineEnv(WINE_PREFIX, [...libraryDirs(c, p, go).values()]));
  env.push(`CSM_PLATFORM=${p.name}`, `CSM_CASE=${c.name}`, `CSM_GO=${go}`, `CSM_TIMEOUT_MS=${timeoutMs}`);
  if (hostKind(c) === 'python') env.push(`PYTHONPATH=${CSM_DIR}`, 'PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1');
  return env;
}

/** How a host language starts on a row: its emulator prefix (with the sysroot as -L) and its interpreter. */
export interface LangCommand {
  run: string[];
  cmd: string[];
}

/** The host's command line after the supervisor: a C host's binary, or the row's interpreter with the script or main class. */
export function hostArgv(c: CaseSpec, p: Platform, go: string, lang?: LangCommand): string[] {
  // Without a resolved language (a user's rootfs: no qemu, no layers), the rootfs's own python3 or java.
  const kind = hostKind(c);
  if (kind === 'python') return [...(lang?.run ?? p.run), ...(lang?.cmd ?? p.python ?? ['python3']), `${srcDir(c)}/${c.host!.python}`];
  if (kind === 'java') return [...(lang?.run ?? p.run), ...(lang?.cmd ?? p.java ?? ['java']), '-cp', javaDir(c, go), javaMainClass(c)];
  return [...preloaded(c, p, go), hostPath(c, p, go)];
}

/**
 * The runner prefix with the case's LD_PRELOAD for the host alone: natively
 * through env(1), which the supervisor starts (an LD_PRELOAD in the
 * supervisor's own environment would load the library into it); under
 * qemu-user as -E, the guest's environment (qemu's own would try to load a
 * foreign library into qemu).
 */
function preloaded(c: CaseSpec, p: Platform, go: string): string[] {
  const libs = c.run?.preload ?? [];
  if (!libs.length) return [...p.run];
  const dirs = libraryDirs(c, p, go);
  const value = `LD_PRELOAD=${libs.map((n) => `${dirs.get(n)!}/${libFileIn(p, c, n)}`).join(':')}`;
  return p.run.length ? [p.run[0]!, '-E', value, ...p.run.slice(1)] : ['/usr/bin/env', value];
}

/** A host's time limit without its expectation (core/hang-deadline.ts adds that): --timeout, else the case's run.timeout, else the default; emulated rows scale it. */
export const hostTimeoutMs = (c: CaseSpec, p: Platform, override?: number, scale = p.timeoutScale): number =>
  hostLimit({ override, caseTimeout: c.run?.timeout, scale }).ms;

/**
 * Run argv as build lane `lane`'s user, its home emptied before and after, and
 * every process of that user killed when it returns: how the harness runs what
 * a platform row names (its compiler, runner, canary), exactly as a case's
 * build step runs, with no capability and no write access to the artifact cache.
 */
export const asLane = (lane: number, argv: readonly string[]): string[] => [
  SUPERVISOR,
  '--run-as',
  `${buildUid(lane)}:${BUILD_GID}`,
  '--fresh',
  laneHome(lane),
  '--',
  ...argv,
];
/** The environment of a command run asLane: its home and temporary directory are the lane's tmpfs. */
export const laneEnv = (lane: number): string[] => [`HOME=${laneHome(lane)}`, `TMPDIR=${laneHome(lane)}`];

/** argv run by the supervisor as nobody, its scratch directories emptied, within timeoutMs. */
export const supervisedCmd = (timeoutMs: number, nonce: string, argv: readonly string[]): string[] => [
  SUPERVISOR,
  '--as',
  HOST_USER,
  ...HOST_SCRATCH.flatMap((d) => ['--fresh', d]),
  String(timeoutMs),
  nonce,
  '--',
  ...argv,
];

/** The libraries a probe is given, as its row's programs name files. */
const probeLibs = (c: CaseSpec, p: Platform, go: string): string[] =>
  c.libraries.map((l) => `${goLibDir(c, l, p, go)}/${libFile(p, l)}`).map(isWindows(p) ? windowsPath : (f) => f);

export const runCmd = (c: CaseSpec, p: Platform, go: string, timeoutMs: number, nonce: string, lang?: LangCommand): string[] =>
  supervisedCmd(timeoutMs, nonce, [
    ...hostArgv(c, p, go, lang),
    ...(hostKind(c) === 'probe' ? [c.probe!, ...probeLibs(c, p, go)] : (c.run?.args ?? [])),
  ]);

/** The shell line a person can paste to redo a step by hand. */
export const shellLine = (env: string[], cmd: string[]): string =>
  [
    ...env.map((kv) => {
      const i = kv.indexOf('=');
      return `${kv.slice(0, i)}=${shellWord(kv.slice(i + 1))}`;
    }),
    ...cmd.map(shellWord),
  ].join(' ');
