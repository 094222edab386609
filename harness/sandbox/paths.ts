import { createHash } from 'node:crypto';
import { hostKind } from '../core/host-kind.js';
import { jdkHome } from '../core/host-langs.js';
import { goLabel } from '../core/matrix.js';
import type { CaseSpec, GoLibrarySpec, Platform } from '../core/types.js';
import { hostFileOn, libFileOn } from '../core/windows.js';
import { CSM_DIR, OUT_ROOT, VOL } from './layout.js';

/**
 * Where every artifact of a run lives in the run volume, and how the Go build
 * cache is divided. Paths are keyed by content hash, so two cases with the same
 * Go library source share one build per platform and Go version. Where the
 * volume and the cache are mounted: layout.ts.
 */
export const srcDir = (c: CaseSpec): string => `${VOL}/src/${c.sourceOf ?? c.name}`;
const outRoot = (go: string, p: Platform) => `${OUT_ROOT}/${goLabel(go)}/${p.name}`;

/**
 * The file a library is built as on row p: a Go library's `output` when it
 * names one, else lib<name>.so, the file `-l<name>` finds (a C library's only
 * name); on Windows the same with .dll (core/windows.ts libFileOn).
 */
export const libFileName = (p: Pick<Platform, 'goos'>, name: string, output?: string): string => libFileOn(p, output ?? `lib${name}.so`);
export const libFile = (p: Pick<Platform, 'goos'>, lib: GoLibrarySpec): string => libFileName(p, lib.name, lib.output);
/** The file of the case's library `name`, Go or C: what a host links or preloads by that name. */
export const libFileIn = (p: Pick<Platform, 'goos'>, c: CaseSpec, name: string): string =>
  libFileName(p, name, c.libraries.find((l) => l.name === name)?.output);

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

export const goBuildShape = (c: CaseSpec, lib: GoLibrarySpec, p: Pick<Platform, 'goos'>): GoBuildShape => ({
  sources: c.libraryHashes[lib.name]!,
  output: libFile(p, lib),
  goenv: lib.goenv ?? {},
  // The probes of a JVM host's case build its libraries as it does (with <jni.h>), so they share the build.
  cflags: hostKind(c) === 'java' || c.probedJava ? JNI_CFLAGS : [],
  targets: c.goTargets[lib.name] ?? [],
});

/**
 * A library's build identity within a row and Go release: two cases share a
 * build (its memo key and its output directory) only when every part of the
 * shape is equal. Hashing the sources alone let a byte copy of a library with
 * another `output` take over the other case's directory.
 */
function shapeId(c: CaseSpec, lib: GoLibrarySpec, p: Platform): string {
  const s = goBuildShape(c, lib, p);
  const parts = [
    s.sources,
    s.output,
    ...Object.entries(s.goenv)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`),
    '',
    ...s.cflags,
    '',
    ...s.targets,
  ];
  return `${lib.name}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;
}

export const goLibKey = (c: CaseSpec, lib: GoLibrarySpec, p: Platform, go: string): string =>
  `${goLabel(go)}/${p.name}/${shapeId(c, lib, p)}`;
export const goLibDir = (c: CaseSpec, lib: GoLibrarySpec, p: Platform, go: string): string =>
  `${outRoot(go, p)}/golib/${shapeId(c, lib, p)}`;
export const cLibDir = (c: CaseSpec, name: string, p: Platform, go: string): string => `${outRoot(go, p)}/case/${c.name}/clib/${name}`;
export const hostDir = (c: CaseSpec, p: Platform, go: string): string => `${outRoot(go, p)}/host/${c.name}`;
export const hostPath = (c: CaseSpec, p: Platform, go: string): string => `${hostDir(c, p, go)}/${hostFileOn(p)}`;
/** A Java host's classes: bytecode is portable, so one directory per case and Go image, not per row. */
export const javaDir = (c: CaseSpec, go: string): string => `${OUT_ROOT}/${goLabel(go)}/java/${c.name}`;
/** A Java host's main class: its file's name (Host.java holds the public class Host). */
export const javaMainClass = (c: CaseSpec): string => (c.host?.java ?? '').replace(/^.*\//, '').replace(/\.java$/, '');
export const JAVA_HELPER = `${CSM_DIR}/Csm.java`;

/** Directory of every library of the case by name, Go and C alike. */
export function libraryDirs(c: CaseSpec, p: Platform, go: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of c.libraries) m.set(l.name, goLibDir(c, l, p, go));
  for (const l of c.cLibraries ?? []) m.set(l.name, cLibDir(c, l.name, p, go));
  return m;
}

/** The toolchain image's JDK (core/host-langs.ts JDK_PACKAGE, in amd64-glibc's row): javac compiles Java hosts, its headers serve JNI libraries. */
export const JDK_HOME = jdkHome('amd64');
/** <jni.h> and <jni_md.h>: the same for every Linux target (jni_md.h picks jlong's type from the compiler). */
export const JNI_CFLAGS = [`-I${JDK_HOME}/include`, `-I${JDK_HOME}/include/linux`];

/** Every path in the volume a cell's run needs: its libraries, its host, the supervisor. */
export function artifactPaths(c: CaseSpec, p: Platform, go: string): string[] {
  const kind = hostKind(c);
  const host = kind === 'python' ? srcDir(c) : kind === 'java' ? javaDir(c, go) : hostDir(c, p, go);
  return [...new Set([...libraryDirs(c, p, go).values(), host, CSM_DIR])];
}

/** The directory the host runs in: /tmp, or a library's output directory (`run.cwd`). */
export function hostCwd(c: CaseSpec, p: Platform, go: string): string {
  const lib = c.run?.cwd ? c.libraries.find((l) => l.name === c.run?.cwd) : undefined;
  if (lib) return goLibDir(c, lib, p, go);
  const clib = c.run?.cwd ? (c.cLibraries ?? []).find((l) => l.name === c.run?.cwd) : undefined;
  return clib ? cLibDir(c, clib.name, p, go) : '/tmp';
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
  [
    `${imageShort(imageId)}-${p.goarch}${p.goarm ? `-v${p.goarm}` : ''}`,
    ...Object.entries(p.goenv ?? {}).map(([k, v]) => `${k}=${v}`),
  ].join('-');
/** Marks a group whose standard library is already in the Go build cache, so a later run need not warm it up. */
export const WARM_MARK = '.warm-';
/** The warm marks (WARM_MARK) of an image's groups, by the prefix of their file names: stdGroup starts with the image. */
export const warmMarkPrefix = (imageId: string): string => `${WARM_MARK}${imageShort(imageId)}-`;
