import { createHash } from 'node:crypto';
import type { CaseSpec, GoLibrarySpec, Platform, ProcessEnd } from '../core/types.js';
import { SH_FIRST, shellWord } from '../core/shell.js';
import { signalName } from '../core/classify.js';
import { goLabel } from '../core/matrix.js';
import { BUILD_GID, buildUid, CACHE_DIR, CALIB_SOURCE, CSM_DIR, HOST_SCRATCH, HOST_USER, laneHome, OUT_ROOT, PROBE_SOURCE, SUPERVISOR, VOL, WRAPPER_TMP } from './layout.js';

export * from './layout.js';

/**
 * The commands of a run: go build, the host compiles, the cached-step wrapper,
 * the host's run line, and the paths of every artifact in the run volume.
 * Paths are keyed by content hash, so two cases with the same Go library
 * source share one build per platform and Go version. Where the volume, the
 * cache and the scratch space are mounted, and who runs as whom: layout.ts.
 */
export const srcDir = (c: CaseSpec): string => `${VOL}/src/${c.sourceOf ?? c.name}`;
const outRoot = (go: string, p: Platform) => `${OUT_ROOT}/${goLabel(go)}/${p.name}`;

export const libFile = (lib: GoLibrarySpec): string => lib.output ?? `lib${lib.name}.so`;

/**
 * Everything a case decides about one Go library's build: the row and the Go
 * release decide the rest, and they name its directory already. go build's
 * command and environment are made from this alone (goBuildCmd, goLibEnv), so
 * nothing can shape a build without changing its key.
 */
export interface GoBuildShape {
  /** The content hash of the library's directory. */
  sources: string;
  output: string;
  /** The library's own Go variables, over the row's. */
  goenv: Readonly<Record<string, string>>;
  /** cgo flags the case adds: a JVM host's <jni.h>. */
  cflags: readonly string[];
  /** What go build is given: ".", or the package's files. */
  targets: readonly string[];
}

export const goBuildShape = (c: CaseSpec, lib: GoLibrarySpec): GoBuildShape => ({
  sources: c.libraryHashes[lib.name]!,
  output: libFile(lib),
  goenv: lib.goenv ?? {},
  cflags: isJavaHost(c) ? JNI_CFLAGS : [],
  targets: c.goTargets[lib.name] ?? [],
});

/**
 * A library's build identity within a row and Go release: two cases share a
 * build (its memo key and its output directory) only when every part of the
 * shape is equal. Hashing the sources alone let a byte copy of a library with
 * another `output` take over the other case's directory.
 */
function shapeId(c: CaseSpec, lib: GoLibrarySpec): string {
  const s = goBuildShape(c, lib);
  const parts = [s.sources, s.output, ...Object.entries(s.goenv).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`), '', ...s.cflags, '', ...s.targets];
  return `${lib.name}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;
}

export const goLibKey = (c: CaseSpec, lib: GoLibrarySpec, p: Platform, go: string): string => `${goLabel(go)}/${p.name}/${shapeId(c, lib)}`;
export const goLibDir = (c: CaseSpec, lib: GoLibrarySpec, p: Platform, go: string): string => `${outRoot(go, p)}/golib/${shapeId(c, lib)}`;
export const cLibDir = (c: CaseSpec, name: string, p: Platform, go: string): string => `${outRoot(go, p)}/case/${c.name}/clib/${name}`;
export const hostDir = (c: CaseSpec, p: Platform, go: string): string => `${outRoot(go, p)}/host/${c.name}`;
export const hostPath = (c: CaseSpec, p: Platform, go: string): string => `${hostDir(c, p, go)}/host`;
/** A Java host's classes: bytecode is portable, so one directory per case and Go image, not per row. */
export const javaDir = (c: CaseSpec, go: string): string => `${OUT_ROOT}/${goLabel(go)}/java/${c.name}`;
/** A Java host's main class: its file's name (Host.java holds the public class Host). */
export const javaMainClass = (c: CaseSpec): string => (c.host?.java ?? '').replace(/^.*\//, '').replace(/\.java$/, '');
export const JAVA_HELPER = `${CSM_DIR}/Csm.java`;

/** javac for a Java host and the harness's helper class, into javaDir. */
export const javaCompileCmd = (c: CaseSpec, go: string): string[] => [`${JDK_HOME}/bin/javac`, '-encoding', 'UTF-8', '-Xlint:none', '-d', javaDir(c, go), c.host?.java ?? '', JAVA_HELPER];

/** Directory of every library of the case by name, Go and C alike. */
export function libraryDirs(c: CaseSpec, p: Platform, go: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of c.libraries) m.set(l.name, goLibDir(c, l, p, go));
  for (const l of c.cLibraries ?? []) m.set(l.name, cLibDir(c, l.name, p, go));
  return m;
}

/** The toolchain image's JDK (amd64-glibc's openjdk-21-jdk-headless): javac compiles Java hosts, its headers serve JNI libraries. */
export const JDK_HOME = '/usr/lib/jvm/java-21-openjdk-amd64';
/** <jni.h> and <jni_md.h>: the same for every Linux target (jni_md.h picks jlong's type from the compiler). */
export const JNI_CFLAGS = [`-I${JDK_HOME}/include`, `-I${JDK_HOME}/include/linux`];

export function buildEnv(p: Platform, goCache: string, cflags: readonly string[] = []): string[] {
  const cgoCflags = [...(p.cflags ?? []), ...cflags];
  return [
    'CGO_ENABLED=1',
    'GOTOOLCHAIN=local',
    'GOPROXY=off',
    'GOFLAGS=-buildvcs=false',
    'GOOS=linux',
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


const imageShort = (imageId: string): string => imageId.replace(/^sha256:/, '').slice(0, 16);
/** One Go build cache per toolchain image, relative to the cache directory. */
export const goCacheRel = (imageId: string): string => `go-build/${imageShort(imageId)}`;
/**
 * Go builds for one target (image, GOARCH, GOARM) share its compiled standard
 * library; the C compiler only changes runtime/cgo, which c-shared builds
 * recompile every time anyway (go#29132).
 */
export const stdGroup = (imageId: string, p: Platform): string =>
  [`${imageShort(imageId)}-${p.goarch}${p.goarm ? `-v${p.goarm}` : ''}`, ...Object.entries(p.goenv ?? {}).map(([k, v]) => `${k}=${v}`)].join('-');
/** Marks a group whose standard library is already in the Go build cache, so a later run need not warm it up. */
export const WARM_MARK = '.warm-';
export const ELF_BEGIN = '@@csm-elf-begin';
/** Last line of a build step that ran: "@@csm-cpu 0m1.23s 0m0.45s", the user and system CPU its command used. */
export const CPU_MARK = '@@csm-cpu';

/** Second-to-last line of a build step that ran: "@@csm-quota <bytes written> <quota bytes> <1 if it reached the quota>". */
export const QUOTA_MARK = '@@csm-quota';

/** What a step wrote against its quota, from the wrapper's line at the end of its output (after splitCpuMark). */
export interface QuotaUse {
  wroteBytes: number;
  quotaBytes: number;
  exceeded: boolean;
}

/**
 * Split a build step's output (CPU mark already split off) into its log and its
 * quota line. Only the very last line counts: the wrapper writes it after the
 * step's log, and always, so a log that prints one mid-way is only log.
 */
export function splitQuotaMark(out: string): { out: string; quota?: QuotaUse } {
  const m = new RegExp(`(^|\\n)${QUOTA_MARK} (\\d+) (\\d+) ([01])\\n?$`).exec(out);
  if (!m) return { out };
  return { out: out.slice(0, m.index + m[1]!.length), quota: { wroteBytes: Number(m[2]), quotaBytes: Number(m[3]), exceeded: m[4] === '1' } };
}

/** Split a build step's stdout into its output and the CPU milliseconds of its command (0 for a cache hit). */
export function splitCpuMark(stdout: string): { out: string; cpuMs: number } {
  const m = new RegExp(`(^|\\n)${CPU_MARK} (\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s\\n?$`).exec(stdout);
  if (!m) return { out: stdout, cpuMs: 0 };
  const cpuMs = Math.round((Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) * 60 + Number(m[5])) * 1000);
  return { out: stdout.slice(0, m.index + m[1]!.length), cpuMs };
}

/**
 * One build step through the artifact cache, in a single exec: on a hit, copy
 * the cached outputs into place; on a miss, run the command, then store the
 * outputs with their log and readelf facts. Either way the log comes first on
 * stdout, then ELF_BEGIN and readelf's output for `target`. A command that ran
 * ends stdout with QUOTA_MARK (what it wrote) and CPU_MARK (its CPU time),
 * whether it succeeded or not.
 *
 * The script is the harness's, and runs as root with BUILD_CAPS; the command
 * is the case's, and runs as its lane's user (csm-run --run-as), which owns
 * only the fresh output directory and the lane's home. When the command
 * returns, every process of that user is dead; the script takes the outputs
 * back (root-owned, not writable by any lane), refuses anything but plain
 * files, and only then reads them and publishes them to the cache.
 *
 * Disk: what a step writes outside its lane's tmpfs (its outputs in the volume,
 * its entries in the shared Go build cache on this machine) is bounded while it
 * runs, by the kernel (RLIMIT_FSIZE: no file of the step grows past the quota)
 * and by a watchdog that kills the step's user once the total reaches it;
 * a step over its quota has its outputs and its Go build cache entries removed,
 * and only a step within it is published to the artifact cache.
 * argv: key out target rebuild uid gid home quota-bytes cmd…; needs CSM_ELF_SCRIPT in the environment.
 */
const CACHED_STEP = `set -u
key=$1 out=$2 target=$3 rebuild=$4 uid=$5 gid=$6 home=$7 quota=$8; shift 8
c=${CACHE_DIR}/artifacts/$key
if [ "$rebuild" != 1 ] && [ -f "$c/.ok" ]; then
  mkdir -p "$out" && cp -a "$c/." "$out/" && rm -f "$out/.ok" "$out/.log" "$out/.elf" || exit 125
  cat "$c/.log"
  echo "[cshared-matrix: artifact cache hit $key]"
  echo ${ELF_BEGIN}
  cat "$c/.elf"
  exit 0
fi
rm -rf "$out" && mkdir -p "$out" && chown "$uid:$gid" "$out" || exit 125
log=$(mktemp -p ${WRAPPER_TMP}) elf=$(mktemp -p ${WRAPPER_TMP}) stamp=$(mktemp -p ${WRAPPER_TMP})
over=$stamp.over
# Bytes the step wrote: its outputs, and the Go build cache files of its user it made or changed
# (by ctime, which, unlike mtime, the step cannot set back).
written() { { find "$out" -type f -printf '%s\\n'; [ -z "\${GOCACHE:-}" ] || find "$GOCACHE" -type f -user "$uid" -cnewer "$stamp" -printf '%s\\n'; } 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\\n", s }'; }
( while sleep 1; do [ "$(written)" -lt "$quota" ] || { : >"$over"; ${SUPERVISOR} --run-as "$uid:$gid" -- /bin/sh -c 'kill -KILL -1'; exit 0; }; done ) >/dev/null 2>&1 &
watchdog=$!
HOME=$home TMPDIR=$home GOPATH=$home/go prlimit --fsize="$quota" -- ${SUPERVISOR} --run-as "$uid:$gid" --fresh "$home" -- "$@" >"$log" 2>&1
rc=$?
# times' second line: the user and system CPU of the shell's children so far, i.e.
# the command (times must run in this shell, not in a pipeline's subshell, and
# before the watchdog is reaped).
times >"$elf"
cpu=$(sed -n 2p "$elf")
kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
# EFBIG ("file too large") and SIGXFSZ come only from the RLIMIT_FSIZE above: a full tmpfs says ENOSPC.
if [ $rc -ne 0 ] && grep -qi -e 'file too large' -e 'file size limit exceeded' "$log"; then : >"$over"; fi
wrote=$(written)
if [ -e "$over" ] || [ "$wrote" -ge "$quota" ]; then
  echo "[cshared-matrix: the step reached its disk quota of $((quota >> 20)) MiB (its outputs and the Go build cache entries it wrote; no file may be larger); its outputs and those entries are removed. --build-quota MIB sets the quota]" >>"$log"
  rm -rf "$out"; [ -z "\${GOCACHE:-}" ] || find "$GOCACHE" -type f -user "$uid" -cnewer "$stamp" -delete 2>/dev/null
  rc=123 over=1
else
  over=0
fi
rm -f "$stamp" "$stamp.over"
if [ $over = 0 ]; then
  chown -R -h 0:0 "$out" && chmod -R u+rwX,go=rX "$out" || { echo "[cshared-matrix: cannot take back the step's outputs]"; rc=125; }
  odd=$(find "$out" '(' ! -type f ! -type d ')' -o '(' -type f -links +1 ')' | head -n 1)
  if [ -n "$odd" ]; then echo "[cshared-matrix: the step left \${odd#$out/}, which is not a plain file of its own; its outputs are refused]" >>"$log"; rm -rf "$out"; rc=126; fi
fi
cat "$log"
if [ $rc -ne 0 ]; then echo "${QUOTA_MARK} $wrote $quota $over"; echo "${CPU_MARK} $cpu"; rm -f "$log" "$elf"; exit $rc; fi
sh -c "$CSM_ELF_SCRIPT" csm-elf "$target" >"$elf" 2>&1
# Publish atomically: a concurrent run sees the old entry or the whole new one.
tmp="$c.tmp.$$"
if mkdir -p "$tmp" && cp -a "$out/." "$tmp/" && cp "$log" "$tmp/.log" && cp "$elf" "$tmp/.elf" && touch "$tmp/.ok"; then
  rm -rf "$c" && mv "$tmp" "$c" || rm -rf "$tmp"
else
  rm -rf "$tmp"
fi
echo ${ELF_BEGIN}
cat "$elf"
echo "${QUOTA_MARK} $wrote $quota $over"
echo "${CPU_MARK} $cpu"
rm -f "$log" "$elf"
`;

/**
 * Copy cached artifacts into the volume. argv: a list file of "key<TAB>out"
 * lines, the volume's output root, and how many streams to copy in. One
 * process per artifact (a copy of its directory), with every parent made first
 * in one mkdir, the list dealt round-robin to the streams (a copy is CPU: one
 * fork and exec, then memcpy), then the cache's own bookkeeping files removed
 * in one find: a large matrix restores thousands.
 */
export const RESTORE_SCRIPT = `set -u
tab=$(printf '\\t')
streams=\${3:-1}
cut -f2 "$1" | xargs -r -d '\\n' dirname | sort -u | xargs -r -d '\\n' mkdir -p || exit 1
copy() {
  awk -v k="$1" -v n="$streams" '(NR - 1) % n == k' "$2" | while IFS=$tab read -r key out; do
    # cp -a into an existing directory would nest the copy inside it.
    if [ -e "$out" ]; then rm -rf "$out" || exit 1; fi
    cp -a "${CACHE_DIR}/artifacts/$key" "$out" || exit 1
  done
}
pids=""
k=0
while [ $k -lt "$streams" ]; do copy $k "$1" & pids="$pids $!"; k=$((k + 1)); done
for p in $pids; do wait $p || exit 1; done
find "$2" \\( -name .ok -o -name .log -o -name .elf \\) -type f -delete
`;

export const cachedStep = (key: string, out: string, target: string, rebuild: boolean, lane: number, quotaBytes: number, cmd: string[]): string[] => [
  '/bin/sh',
  '-c',
  CACHED_STEP,
  'csm-step',
  key,
  out,
  target,
  rebuild ? '1' : '0',
  String(buildUid(lane)),
  String(BUILD_GID),
  laneHome(lane),
  String(quotaBytes),
  ...cmd,
];

/**
 * Make an image's Go build cache shareable by the lanes: their group, writable
 * by it, new entries inheriting it. Once per cache directory (a mark says so);
 * a cache an earlier version left root-only is converted the first time.
 * First, a cache over its budget (KiB) is emptied and "csm-trimmed <KiB>"
 * printed: each step's writes are bounded by its quota, and this bounds what
 * many runs leave (Go itself only trims entries unused for five days).
 */
export const shareGoCache = (dir: string, budgetKiB: number): string[] => [
  '/bin/sh',
  '-c',
  // The lanes must pass through the cache directory (a --cache made by mktemp is 0700) to reach it.
  `set -e; d=$1 budget=$2; mkdir -p "$d"; chmod go+x ${CACHE_DIR} "$(dirname "$d")"
kb=$(du -sk "$d" | cut -f1); if [ "$kb" -gt "$budget" ]; then find "$d" -mindepth 1 -delete; echo "csm-trimmed $kb"; fi
[ -e "$d/.csm-shared" ] && exit 0
chgrp -R ${BUILD_GID} "$d"; chmod -R g+rwX "$d"; find "$d" -type d -exec chmod g+s {} +; touch "$d/.csm-shared"`,
  'csm-share',
  dir,
  String(budgetKiB),
];

/** The warm marks (WARM_MARK) of an image's groups, by the prefix of their file names: stdGroup starts with the image. */
export const warmMarkPrefix = (imageId: string): string => `${WARM_MARK}${imageShort(imageId)}-`;

/**
 * go build for one library. Without a go.mod the package's files are named,
 * exactly as bug reports do (`go build -buildmode=c-shared main.go`).
 */
export function goBuildCmd(c: CaseSpec, lib: GoLibrarySpec, out: string, gccgo?: string): string[] {
  const shape = goBuildShape(c, lib);
  // "./" keeps a file named like a flag (-toolexec=x.go) a file.
  const targets = shape.targets.map((n) => (n === '.' ? n : `./${n}`));
  // gccgo: the go command drives the row's gccgo (GCCGO in the step's environment).
  return ['go', 'build', ...(gccgo ? ['-compiler', 'gccgo'] : []), '-buildmode=c-shared', '-trimpath', '-o', `${out}/${shape.output}`, ...targets];
}

/** go build's environment for one library on a row: the row's, with the library's shape over it. */
export function goLibEnv(c: CaseSpec, lib: GoLibrarySpec, p: Platform, goCache: string): string[] {
  const shape = goBuildShape(c, lib);
  return buildEnv(Object.keys(shape.goenv).length ? { ...p, goenv: { ...p.goenv, ...shape.goenv } } : p, goCache, shape.cflags);
}

export function cLibCmd(p: Platform, sources: string[], cflags: string[], out: string, name: string): string[] {
  return [p.cc, '-shared', '-fPIC', '-O2', ...(p.cflags ?? []), '-o', `${out}/lib${name}.so`, ...sources, `-I${CSM_DIR}`, ...cflags];
}

export function hostCompileCmd(c: CaseSpec, p: Platform, go: string): string[] {
  const dirs = libraryDirs(c, p, go);
  const out = hostPath(c, p, go);
  const includes = [`-I${CSM_DIR}`, '-I.', ...c.libraries.map((l) => `-I${dirs.get(l.name)!}`)];
  const files = new Map(c.libraries.map((l) => [l.name, libFile(l)]));
  // An rpath per linked library: linked hosts need no LD_LIBRARY_PATH. A library
  // named like a bug report's (cc.so) is linked by file name.
  const link = (c.host?.link ?? []).flatMap((n) => {
    const file = files.get(n) ?? `lib${n}.so`;
    return [`-L${dirs.get(n)!}`, file === `lib${n}.so` ? `-l${n}` : `-l:${file}`, `-Wl,-rpath,${dirs.get(n)!}`];
  });
  // The probe references no symbol at link time; keep the NEEDED entries anyway.
  const asNeeded = c.probe === 'link' ? ['-Wl,--no-as-needed'] : [];
  const sources = c.probe ? [PROBE_SOURCE] : (c.host?.sources ?? []);
  return [p.cc, '-O1', '-g', ...(p.cflags ?? []), '-o', out, ...sources, ...includes, ...(c.host?.cflags ?? []), ...asNeeded, ...link, '-ldl', '-lpthread', ...(c.host?.ldflags ?? [])];
}

/**
 * The environment a host sees: the case's own, plus CSM_LIB_<NAME> for every
 * library, and CSM_TIMEOUT_MS, its own time limit on this row (emulation
 * included): a host with deadlines of its own (a child that may hang) sizes
 * them from it instead of guessing at the row's speed.
 */
export function hostEnv(c: CaseSpec, p: Platform, go: string, timeoutMs: number): string[] {
  const env = Object.entries(c.run?.env ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const l of c.libraries) env.push(`CSM_LIB_${l.name.toUpperCase()}=${goLibDir(c, l, p, go)}/${libFile(l)}`);
  for (const l of c.cLibraries ?? []) env.push(`CSM_LIB_${l.name.toUpperCase()}=${cLibDir(c, l.name, p, go)}/lib${l.name}.so`);
  env.push(`CSM_PLATFORM=${p.name}`, `CSM_CASE=${c.name}`, `CSM_GO=${go}`, `CSM_TIMEOUT_MS=${timeoutMs}`);
  if (c.host?.python) env.push(`PYTHONPATH=${CSM_DIR}`, 'PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1');
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
  if (c.host?.python) return [...(lang?.run ?? p.run), ...(lang?.cmd ?? p.python ?? ['python3']), `${srcDir(c)}/${c.host.python}`];
  if (c.host?.java) return [...(lang?.run ?? p.run), ...(lang?.cmd ?? p.java ?? ['java']), '-cp', javaDir(c, go), javaMainClass(c)];
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
  const files = new Map(c.libraries.map((l) => [l.name, libFile(l)]));
  const value = `LD_PRELOAD=${libs.map((n) => `${dirs.get(n)!}/${files.get(n) ?? `lib${n}.so`}`).join(':')}`;
  return p.run.length ? [p.run[0]!, '-E', value, ...p.run.slice(1)] : ['/usr/bin/env', value];
}

/** Every path in the volume a cell's run needs: its libraries, its host, the supervisor. */
export function artifactPaths(c: CaseSpec, p: Platform, go: string): string[] {
  const host = c.host?.python ? srcDir(c) : c.host?.java ? javaDir(c, go) : hostDir(c, p, go);
  return [...new Set([...libraryDirs(c, p, go).values(), host, CSM_DIR])];
}

/** A Python host runs only where the platform has a Python; a C host needs compiling first. */
export const isPythonHost = (c: CaseSpec): boolean => c.host?.python !== undefined;
export const isJavaHost = (c: CaseSpec): boolean => c.host?.java !== undefined;

/** The directory the host runs in: /tmp, or a library's output directory (`run.cwd`). */
export function hostCwd(c: CaseSpec, p: Platform, go: string): string {
  const lib = c.run?.cwd ? c.libraries.find((l) => l.name === c.run?.cwd) : undefined;
  if (lib) return goLibDir(c, lib, p, go);
  const clib = c.run?.cwd ? (c.cLibraries ?? []).find((l) => l.name === c.run?.cwd) : undefined;
  return clib ? cLibDir(c, clib.name, p, go) : '/tmp';
}

/** A host's time limit: --timeout, else the case's run.timeout, else 30 s; emulated rows scale it. */
export const hostTimeoutMs = (c: CaseSpec, p: Platform, override?: number, scale = p.timeoutScale): number => Math.round((override ?? c.run?.timeout ?? 30) * scale * 1000);

/**
 * Run argv as build lane `lane`'s user, its home emptied before and after, and
 * every process of that user killed when it returns: how the harness runs what
 * a platform row names (its compiler, runner, canary), exactly as a case's
 * build step runs, with no capability and no write access to the artifact cache.
 */
export const asLane = (lane: number, argv: readonly string[]): string[] => [SUPERVISOR, '--run-as', `${buildUid(lane)}:${BUILD_GID}`, '--fresh', laneHome(lane), '--', ...argv];
/** The environment of a command run asLane: its home and temporary directory are the lane's tmpfs. */
export const laneEnv = (lane: number): string[] => [`HOME=${laneHome(lane)}`, `TMPDIR=${laneHome(lane)}`];

/**
 * Time harness/programs/csm-calib.c under one row's runner (or natively: "native"),
 * printing "<name> <ms>" once per repetition (see core/emulation.ts). The row's
 * compiler, flags and runner are the script's arguments, never its text:
 * argv: name repetitions binary N <N words: the compile> <runner...>.
 */
export const CALIBRATION_SCRIPT = `set -u
name=$1 reps=$2 bin=$3 n=$4; shift 4
${SH_FIRST}
t() { s=$(date +%s%N); "$@" >/dev/null 2>&1 || return 0; e=$(date +%s%N); printf '%s %s\\n' "$name" "$(( (e - s) / 1000000 ))"; }
first "$n" "$@" >/dev/null 2>&1 || exit 1
shift "$n"
i=0
while [ "$i" -lt "$reps" ]; do t "$@" "$bin"; i=$((i + 1)); done
`;

/**
 * One calibration on lane `lane`, as that lane's user: row `p`'s, or without
 * one the native reference (the image's own gcc, three times; a row twice).
 */
export function calibrationCmd(lane: number, p?: Platform): string[] {
  const bin = `${laneHome(lane)}/csm-calib`;
  const compile = [...(p ? [p.cc, ...(p.cflags ?? [])] : ['gcc']), '-O1', '-o', bin, CALIB_SOURCE];
  return asLane(lane, ['/bin/sh', '-c', CALIBRATION_SCRIPT, 'csm-calib', p?.name ?? 'native', p ? '2' : '3', bin, String(compile.length), ...compile, ...(p?.run ?? [])]);
}

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

export const runCmd = (c: CaseSpec, p: Platform, go: string, timeoutMs: number, nonce: string, lang?: LangCommand): string[] =>
  supervisedCmd(timeoutMs, nonce, [
    ...hostArgv(c, p, go, lang),
    ...(c.probe ? [c.probe, ...c.libraries.map((l) => `${goLibDir(c, l, p, go)}/${libFile(l)}`)] : (c.run?.args ?? [])),
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

export interface Status {
  end?: ProcessEnd;
  ms: number;
  cpuMs: number;
  /** False when the supervisor could not empty the host's scratch directories: the slot is not reused. */
  clean?: boolean;
  /** The supervisor's own failure (it could not start the host). */
  error?: string;
}

function parseStatusJson(json: string): Status | undefined {
  let s: { exit?: number; signal?: number; timeout?: boolean; ms?: number; cpuMs?: number; error?: string; clean?: boolean };
  try {
    s = JSON.parse(json) as typeof s;
  } catch {
    return undefined;
  }
  const base: Status = { ms: s.ms ?? 0, cpuMs: s.cpuMs ?? 0, ...(s.clean !== undefined ? { clean: s.clean } : {}), ...(s.error ? { error: s.error } : {}) };
  if (s.timeout) return { ...base, end: { kind: 'timeout', afterMs: base.ms } };
  if (s.signal !== undefined) return { ...base, end: { kind: 'signal', signal: s.signal, name: signalName(s.signal) } };
  if (s.exit !== undefined) return { ...base, end: { kind: 'exit', code: s.exit } };
  return base;
}

/**
 * How the supervised command ended (see csm-run.c): its status line, which a
 * host server sends on the supervisor's own channel, where the host cannot
 * write. Only a last line counts; none, and there is no `end`. (Run directly,
 * as a bundle's rerun.sh does, the supervisor prints the same line last on
 * stderr, for a person.)
 */
export function readStatus(channel: string): Status {
  const m = /@@csm-status \S+ (\{.*\})\s*$/.exec(channel);
  return (m && parseStatusJson(m[1]!)) || { ms: 0, cpuMs: 0, ...(channel.trim() ? { error: `unreadable status: ${channel.trim().slice(0, 200)}` } : {}) };
}
