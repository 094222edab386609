import { LIBGO } from './toolchains.js';
import type { Platform } from './types.js';
import { NO_WINDOWS_LANG } from './windows.js';

/**
 * Host languages: where a row's Python or JVM comes from, and how a host
 * starts it. Pure data and decisions; the images are built in
 * edge/lang-images.ts from the layers named here.
 *
 * - In the toolchain image: a row with `python` / `java` (amd64-glibc; the
 *   amd64 Nehalem row runs the same binaries under qemu-x86_64).
 * - A sysroot: Debian's own packages of the row's architecture, extracted
 *   (no maintainer scripts: there is no binfmt_misc to run them), given to
 *   qemu as its -L. glibc rows only: Debian's Python and OpenJDK are glibc
 *   programs.
 * - CPython built from Debian's python3.13 and libffi source packages with the
 *   row's musl compiler: Debian has no musl Python, and no registry is
 *   reachable to take one from.
 */
export type HostLang = 'python' | 'java';

export const HOST_LANGS: readonly HostLang[] = ['python', 'java'];

/** Debian's Python of every architecture: the binary and its standard library. */
export const PYTHON_PACKAGES = ['python3.13-minimal', 'libpython3.13-stdlib'];
export const PYTHON_BIN = 'python3.13';
/** Debian's OpenJDK release: its package names and its directory under /usr/lib/jvm say it. */
const OPENJDK = 21;
/** The JDK the toolchain image holds (amd64): javac compiles every Java host, its <jni.h> every JNI library. */
export const JDK_PACKAGE = `openjdk-${OPENJDK}-jdk-headless`;
/** The JRE (no javac: Java hosts are compiled once, natively; bytecode is portable). */
export const JAVA_PACKAGES = [`openjdk-${OPENJDK}-jre-headless`];
/** Where Debian installs an architecture's OpenJDK, under `root` (a sysroot) or /. */
export const jdkHome = (debArch: string, root = ''): string => `${root}/usr/lib/jvm/java-${OPENJDK}-openjdk-${debArch}`;

/** The suite a sysroot comes from when the row names none: the base's. */
export const DEFAULT_SUITE = 'trixie';

/** Debian's GNU triplet of each architecture, as its cross toolchains name it (their headers live under /usr/<triplet>). */
const GNU_TYPE: Readonly<Record<string, string>> = {
  amd64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  armhf: 'arm-linux-gnueabihf',
  armel: 'arm-linux-gnueabi',
  i386: 'i686-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  ppc64el: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  loong64: 'loongarch64-linux-gnu',
};

export interface SysrootLayer {
  kind: 'sysroot';
  /** What it is for: a host language, or an older userland's C library (core/userlands.ts). */
  lang: HostLang | 'libc';
  debArch: string;
  suite: string;
  packages: string[];
  /** Where the sysroot is in the image: "/" for a userland a native host runs in, as the image's whole root. */
  dir: string;
}

export interface CpythonLayer {
  kind: 'cpython';
  lang: 'python';
  /** configure --host: the musl triplet. */
  host: string;
  cc: string;
  cflags: string[];
  /** Linux's UAPI headers of the architecture (musl-gcc's specs leave /usr/include out): the include root and its asm directory. */
  kernelHeaders: { include: string; asm: string };
  /** Debian source packages the build unpacks, from the base's suite. */
  sources: { python: string; libffi: string; suite: string };
  /** The install prefix in the image. */
  prefix: string;
  /**
   * What links where configure asks for libatomic: absent, gcc's libatomic.a;
   * `atomic64-shim`, images/cpython/atomic64.c's 8-byte __atomic_* over
   * libgcc's __sync_*_8, on 32-bit ARM (ARMv5 and v6 have no ldrexd). ARM's
   * libatomic.a picks each function by IFUNC: linked in, it leaves
   * R_ARM_IRELATIVE (relocation type 160) in python, and musl's loader stops
   * there ("unsupported relocation type 160").
   */
  libatomic?: 'atomic64-shim';
}

export type LangLayer = SysrootLayer | CpythonLayer;

/** How a row runs a language: in its toolchain image, in a layer, or not at all (with the reason). */
export type LangSupport =
  | { kind: 'toolchain'; run: string[]; cmd: string[] }
  | { kind: 'layer'; layer: LangLayer; run: string[]; cmd: string[] }
  | { kind: 'none'; reason: string };

/** The musl triplet a row's compiler targets: musl-gcc is amd64's wrapper, the others say it in their names. */
const muslHost = (p: Platform): string | undefined =>
  p.cc === 'musl-gcc' ? 'x86_64-linux-musl' : /^([a-z0-9_]+-linux-musl[a-z]*)-gcc$/.exec(p.cc)?.[1];

/** qemu's sysroot (-L) replaced by `dir`, or added after the emulator when the row has none. */
export function withSysroot(run: readonly string[], dir: string): string[] {
  const i = run.indexOf('-L');
  if (i >= 0) return [...run.slice(0, i + 1), dir, ...run.slice(i + 2)];
  return run.length ? [run[0]!, '-L', dir, ...run.slice(1)] : [];
}

export function langSupport(p: Platform, lang: HostLang): LangSupport {
  const own = lang === 'python' ? p.python : p.java;
  if (own) return { kind: 'toolchain', run: [...p.run], cmd: [...own] };
  if (p.goos === 'windows') return { kind: 'none', reason: NO_WINDOWS_LANG[lang] };
  if (!p.run.length && p.libc === 'glibc')
    return { kind: 'none', reason: `${p.name} names no ${lang === 'python' ? 'Python' : 'JVM'} of its own ("${lang}" in its row)` };
  if (p.libc === 'musl')
    return lang === 'python' ? muslPython(p) : { kind: 'none', reason: 'no JVM for musl: Debian builds OpenJDK for glibc only' };
  if (!p.debArch || !GNU_TYPE[p.debArch])
    return {
      kind: 'none',
      reason: `no Debian ${lang === 'python' ? 'Python' : 'JVM'} for ${p.name}: the Debian mirror has no packages of its architecture`,
    };
  const suite = p.debSuite ?? DEFAULT_SUITE;
  const dir = `/opt/csm/sysroot/${p.debArch}-${suite}-${lang}`;
  // A gccgo library NEEDs its libgo: a target with gccgo's runtime installed, as the row's gccgo cells need.
  const packages = [...(lang === 'python' ? PYTHON_PACKAGES : JAVA_PACKAGES), ...(p.gccgo ? Object.values(LIBGO) : [])];
  const layer: SysrootLayer = { kind: 'sysroot', lang, debArch: p.debArch, suite, packages, dir };
  const cmd = lang === 'python' ? [`${dir}/usr/bin/${PYTHON_BIN}`] : [`${jdkHome(p.debArch, dir)}/bin/java`];
  return { kind: 'layer', layer, run: withSysroot(p.run, dir), cmd };
}

function muslPython(p: Platform): LangSupport {
  const host = muslHost(p);
  const gnu = p.debArch ? GNU_TYPE[p.debArch] : undefined;
  if (!host || !gnu)
    return {
      kind: 'none',
      reason: `cannot build a musl Python for ${p.name}: its compiler ${p.cc} names no musl triplet, or its debArch no Debian architecture`,
    };
  // The cross gcc of the same architecture carries the kernel headers; amd64's are the image's own.
  const kernelHeaders =
    p.debArch === 'amd64'
      ? { include: '/usr/include', asm: '/usr/include/x86_64-linux-gnu/asm' }
      : { include: `/usr/${gnu}/include`, asm: `/usr/${gnu}/include/asm` };
  const prefix = `/opt/csm/python/${host}`;
  const layer: CpythonLayer = {
    kind: 'cpython',
    lang: 'python',
    host,
    cc: p.cc,
    cflags: [...(p.cflags ?? [])],
    kernelHeaders,
    sources: { python: 'python3.13', libffi: 'libffi', suite: DEFAULT_SUITE },
    prefix,
    ...(host.startsWith('arm-') ? { libatomic: 'atomic64-shim' as const } : {}),
  };
  return { kind: 'layer', layer, run: [...p.run], cmd: [`${prefix}/bin/${PYTHON_BIN}`] };
}

/** What a layer's image is keyed on (with its Dockerfile and script, in edge/lang-images.ts): rows that need the same layer share it. */
export const langLayerKey = (l: LangLayer): string => JSON.stringify(l);

/** A layer in words, for progress lines and the run's tool versions. */
export function describeLayer(l: LangLayer): string {
  if (l.kind === 'sysroot') return `Debian ${l.packages.join(', ')} (${l.suite}, ${l.debArch}), extracted into ${l.dir}`;
  const atomics = l.libatomic ? ', 8-byte atomics from images/cpython/atomic64.c (not libatomic.a),' : '';
  return `CPython from Debian's ${l.sources.python} source package with libffi from ${l.sources.libffi}'s (${l.sources.suite}), built by ${[l.cc, ...l.cflags].join(' ')}${atomics} into ${l.prefix}`;
}

/**
 * An absolute symlink in a sysroot points out of it, into the image qemu runs
 * in: bookworm's ppc64el libc6 has /lib64/ld64.so.2 -> /lib/powerpc64le-linux-gnu/ld64.so.2,
 * which qemu -L then cannot open. Each is made relative, so it stays inside.
 * Only the userlands' layers (core/userlands.ts) carry this hook: the language
 * sysroots' recipes, and so their tags, stay as they were.
 */
const RELATIVE_LINKS_HOOK = `--extract-hook=cd "$1" && find . -type l -lname '/*' | while read -r f; do ln -sfn "$(realpath -ms --relative-to="$(dirname "$f")" ".$(readlink "$f")")" "$f"; done`;

/** A userland a native host runs in has /bin/sh, as dash's maintainer script (which the extract variant does not run) would make it. */
const SHELL_LINK_HOOK = '--extract-hook=[ -e "$1/usr/bin/sh" ] || ln -s dash "$1/usr/bin/sh"';

/**
 * mmdebstrap's arguments for a sysroot: the packages and what they depend on,
 * extracted only. The merged-/usr links are what base-files' maintainer script
 * would have made; without /lib the loader qemu looks for (/lib/ld-*.so) is
 * not found. The extract hook (the extract variant runs no customize hooks) lists the .debs taken, with versions, before
 * mmdebstrap cleans its cache: the run records them.
 */
export function sysrootMmdebstrapArgs(l: SysrootLayer, mirror: string, out: string): string[] {
  return [
    '--variant=extract',
    // Device nodes would need mknod in the image build; nothing here opens one from the sysroot.
    '--skip=output/dev',
    `--architectures=${l.debArch}`,
    `--include=${l.packages.join(',')}`,
    ...['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*', '/usr/share/info/*'].map((p) => `--dpkgopt=path-exclude=${p}`),
    '--setup-hook=mkdir -p "$1/usr/bin" "$1/usr/lib"; ln -s usr/bin "$1/bin"; ln -s usr/bin "$1/sbin"; ln -s usr/lib "$1/lib"; ln -s usr/lib64 "$1/lib64"',
    `--extract-hook=for d in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb -W --showformat='\${Package} \${Version} \${Architecture}\\n' "$d"; done > "$1/csm-packages.txt"`,
    ...(l.lang === 'libc' ? [l.dir === '/' ? SHELL_LINK_HOOK : RELATIVE_LINKS_HOOK] : []),
    // sid's Release carries a Valid-Until (trixie's does not): a mirror that is a snapshot would otherwise be refused as expired once it is a week old. Signatures are still checked.
    ...(l.suite === 'sid' || l.suite === 'unstable' ? ['--aptopt=Acquire::Check-Valid-Until "false"'] : []),
    l.suite,
    out,
    `deb ${mirror} ${l.suite} main`,
  ];
}

/** The languages of a run's cells, each once per row: the layers the run must have. */
export function layersOf(cells: readonly { platform: Platform; lang?: HostLang }[]): Map<string, LangLayer> {
  const out = new Map<string, LangLayer>();
  for (const { platform, lang } of cells) {
    if (!lang) continue;
    const s = langSupport(platform, lang);
    if (s.kind === 'layer') out.set(langLayerKey(s.layer), s.layer);
  }
  return out;
}

/** The probe a language's start is measured with: it must import what hosts use (ctypes, threads) or start the VM. */
export const langProbeArgs = (lang: HostLang): string[] =>
  lang === 'python' ? ['-c', 'import ctypes, threading, sys; print("csm-lang", sys.version.split()[0])'] : ['-version'];

/** The version a probe printed: Python's "csm-lang 3.13.5", or the JVM's `openjdk version "21.0.13"` and its build line. */
export function parseLangVersion(lang: HostLang, stdout: string, stderr: string): string | undefined {
  if (lang === 'python') return /^csm-lang (\S+)$/m.exec(stdout)?.[1];
  const v = /version "([^"]+)"/.exec(stderr + stdout)?.[1];
  const build = /Runtime Environment \(build ([^)]+)\)/.exec(stderr + stdout)?.[1];
  return v ? (build ? `${v} (${build})` : v) : undefined;
}

/** The n/a reason of a language that did not start: what it printed last, and how it was started. */
export function langStartFailure(lang: HostLang, run: readonly string[], how: string, output: string): string {
  const last = output
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim()
    .slice(0, 200);
  const under = run.length ? ` under ${run[0]} -cpu ${run[run.indexOf('-cpu') + 1] ?? '?'}` : '';
  return `${lang === 'python' ? 'Python' : 'the JVM'} does not start${under}: ${how}${last ? `: ${last}` : ''}`;
}
