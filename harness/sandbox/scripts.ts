import { SH_FIRST } from '../core/shell.js';
import type { Platform } from '../core/types.js';
import { asLane } from './commands.js';
import { BUILD_GID, buildUid, CACHE_DIR, CALIB_SOURCE, laneHome, SUPERVISOR, WRAPPER_TMP } from './layout.js';
import { CPU_MARK, ELF_BEGIN, QUOTA_MARK } from './status.js';

/**
 * The shell programs the harness runs in its containers, each with the argv
 * that calls it: its words are the program's arguments, never its text.
 */

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

export const cachedStep = (
  key: string,
  out: string,
  target: string,
  rebuild: boolean,
  lane: number,
  quotaBytes: number,
  cmd: string[],
): string[] => [
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
  return asLane(lane, [
    '/bin/sh',
    '-c',
    CALIBRATION_SCRIPT,
    'csm-calib',
    p?.name ?? 'native',
    p ? '2' : '3',
    bin,
    String(compile.length),
    ...compile,
    ...(p?.run ?? []),
  ]);
}

/**
 * The link probe's compile on a Windows row: mingw-w64's ld keeps a DLL's
 * import only when a symbol of it is referenced, and the probe references
 * none, so each linked DLL's first export (from the header cgo wrote beside
 * it, after its prologue) is named undefined (-Wl,-u), as a host calling it
 * would. An export is a C identifier or the compile stops, naming the header.
 * argv: symbol-prefix ("_" on i386) header... -- the compiler's argv.
 */
const WINDOWS_LINK_PROBE = `set -eu
prefix=$1; shift
flags=""
while [ "$1" != -- ]; do
  name=$(sed -n '/End of boilerplate cgo prologue/,$ s/^extern [^(]*[^A-Za-z0-9_(]\\([A-Za-z_][A-Za-z0-9_]*\\)[[:space:]]*(.*/\\1/p' "$1" | head -n 1)
  if [ -z "$name" ]; then echo "cshared-matrix: $1 declares no export: the link probe has nothing to link its DLL by" >&2; exit 1; fi
  flags="$flags -Wl,-u,$prefix$name"
  shift
done
shift
exec "$@" $flags
`;

/** `cc` (a link probe's compile on a Windows row) with one export of each header's DLL named undefined. */
export const windowsLinkProbeCmd = (symbolPrefix: string, headers: readonly string[], cc: readonly string[]): string[] => [
  '/bin/sh',
  '-c',
  WINDOWS_LINK_PROBE,
  'csm-link-probe',
  symbolPrefix,
  ...headers,
  '--',
  ...cc,
];
