import { join } from 'node:path';
import { artifactKey } from '../core/cache.js';
import { hostKind, isCompiledHost } from '../core/host-kind.js';
import { goLabel } from '../core/matrix.js';
import { gccgoOf, toolchainNa } from '../core/toolchains.js';
import type { CaseSpec, CellSpec } from '../core/types.js';
import { isWindows, rowNa } from '../core/windows.js';
import { cLibCmd, goBuildCmd, goLibEnv, hostCompileCmd, javaCompileCmd } from './commands.js';
import { CACHE_DIR } from './layout.js';
import {
  cLibDir,
  goCacheRel,
  goLibDir,
  goLibKey,
  hostDir,
  hostPath,
  javaDir,
  javaMainClass,
  libFile,
  libFileName,
  srcDir,
  stdGroup,
} from './paths.js';
import { windowsLinkProbeCmd } from './scripts.js';

/** One build step of a cell: a Go library, a C library or the host. */
export interface StepPlan {
  stage: 'build' | 'host-compile';
  /** Go builds that share one target's standard library in the Go build cache (see Scheduler). */
  group?: string;
  /** Memo key within the run: cells that need the same artifact share one step. */
  key: string;
  /** Artifact-cache key across runs. */
  akey: string;
  /** The step's log, relative to the run directory. */
  logRel: string;
  cmd: string[];
  env: string[];
  out: string;
  target: string;
  workdir: string;
  /** The artifact, in words ("libhello.so", "the host"). */
  what: string;
  /** The name of the step's log in the cell's result. */
  logName: string;
  /** Its output is bytecode, the same from any image: a cell built for a glibc floor compiles it where its host runs (today's javac). */
  bytecode?: true;
}

/** What a cell's steps depend on besides the cell: the image it builds in and the harness's own C sources. */
export interface StepInputs {
  imageId: string;
  /** One hash over harness/c: hosts compile against csm.h. */
  programsHash: string;
}

/** A cell's own logs, relative to the run directory. */
export const cellLogDir = (cell: CellSpec): string => join('logs', goLabel(cell.go.version), cell.platform.name, cell.caseName);

/**
 * The build steps of a cell, in order: its Go libraries, its C libraries, its
 * host. Pure: the same inputs always give the same steps and keys, which is
 * what lets a run restore every cached artifact before it starts, and lets
 * two cells (a case and its probes) share one library build.
 */
export function planSteps(cell: CellSpec, c: CaseSpec, inputs: StepInputs): StepPlan[] {
  const steps: StepPlan[] = [];
  // A case the row cannot hold, or a toolchain it has none of (gccgo on musl), builds nothing: the cell is n/a.
  if (rowNa(cell.platform, c) || toolchainNa(cell.platform, cell.go)) return steps;
  const add = (st: Omit<StepPlan, 'akey'> & { sources: string[]; deps?: string[] }): string => {
    const { sources, deps, ...rest } = st;
    const akey = artifactKey({ sources, imageId: inputs.imageId, env: st.env, cmd: st.cmd, deps: deps ?? [] });
    steps.push({ ...rest, akey });
    return akey;
  };
  const libKeys = goLibrarySteps(cell, c, inputs).map(add);
  const cKeys = cLibrarySteps(cell, c, inputs).map(add);
  // A host embeds its libraries' paths and types: it is rebuilt when they are.
  const kind = hostKind(c);
  if (kind === 'java') add(javaStep(cell, c, inputs));
  else if (isCompiledHost(kind)) add({ ...hostStep(cell, c, inputs), deps: [...libKeys, ...cKeys] });
  return steps;
}

type Unkeyed = Omit<StepPlan, 'akey'> & { sources: string[] };

/** The row's gccgo command for a gccgo cell (GCCGO), else undefined. */
function gccgoCommand(p: CellSpec['platform'], go: CellSpec['go']): string | undefined {
  const g = go.gccgo && gccgoOf(p, go.gccgo.gcc);
  return g && 'command' in g ? g.command : undefined;
}

function goLibrarySteps(cell: CellSpec, c: CaseSpec, inputs: StepInputs): Unkeyed[] {
  const { platform: p } = cell;
  const go = cell.go.version;
  const goCache = `${CACHE_DIR}/${goCacheRel(inputs.imageId)}`;
  const gccgo = gccgoCommand(p, cell.go);
  return c.libraries.map((lib) => {
    const out = goLibDir(c, lib, p, go);
    const key = goLibKey(c, lib, p, go);
    return {
      stage: 'build',
      key,
      logRel: join('logs', 'builds', `${key}.log`),
      cmd: goBuildCmd(c, lib, p, out, gccgo),
      // A library a JVM loads includes <jni.h>: the toolchain's JDK headers are on its include path.
      env: [...goLibEnv(c, lib, p, goCache), ...(gccgo ? [`GCCGO=${gccgo}`] : [])],
      out,
      target: `${out}/${libFile(p, lib)}`,
      workdir: `${srcDir(c)}/${lib.dir}`,
      sources: [c.libraryHashes[lib.name]!],
      what: libFile(p, lib),
      logName: `build-${lib.name}`,
      group: stdGroup(inputs.imageId, p),
    };
  });
}

function cLibrarySteps(cell: CellSpec, c: CaseSpec, inputs: StepInputs): Unkeyed[] {
  const { platform: p } = cell;
  const go = cell.go.version;
  return (c.cLibraries ?? []).map((cl) => {
    const out = cLibDir(c, cl.name, p, go);
    return {
      stage: 'host-compile',
      key: `clib:${go}/${p.name}/${c.name}/${cl.name}`,
      logRel: join(cellLogDir(cell), `compile-lib${cl.name}.log`),
      cmd: cLibCmd(p, cl.sources, cl.cflags ?? [], out, cl.name),
      env: [],
      out,
      target: `${out}/${libFileName(p, cl.name)}`,
      workdir: srcDir(c),
      sources: [c.sourceHash, inputs.programsHash],
      what: libFileName(p, cl.name),
      logName: `compile-${cl.name}`,
    };
  });
}

/** javac, once per case and Go image: bytecode runs on every row's JVM. */
function javaStep(cell: CellSpec, c: CaseSpec, inputs: StepInputs): Unkeyed {
  const go = cell.go.version;
  return {
    stage: 'host-compile',
    key: `java:${go}/${c.name}`,
    logRel: join('logs', 'builds', `java-${goLabel(go)}-${c.name}.log`),
    cmd: javaCompileCmd(c, go),
    env: [],
    out: javaDir(c, go),
    target: `${javaDir(c, go)}/${javaMainClass(c)}.class`,
    workdir: srcDir(c),
    sources: [c.sourceHash, inputs.programsHash],
    what: 'the Java host',
    logName: 'compile',
    bytecode: true,
  };
}

/** The host's compile: a Windows row's link probe names one export of each DLL, so its import is kept (scripts.ts). */
function hostCompile(c: CaseSpec, p: CellSpec['platform'], go: string): string[] {
  const cc = hostCompileCmd(c, p, go);
  if (c.probe !== 'link' || !isWindows(p)) return cc;
  const headers = c.libraries.map((l) => `${goLibDir(c, l, p, go)}/${libFile(p, l).replace(/\.dll$/, '.h')}`);
  return windowsLinkProbeCmd(p.goarch === '386' ? '_' : '', headers, cc);
}

function hostStep(cell: CellSpec, c: CaseSpec, inputs: StepInputs): Unkeyed {
  const { platform: p } = cell;
  const go = cell.go.version;
  return {
    stage: 'host-compile',
    key: `host:${go}/${p.name}/${c.name}`,
    logRel: join(cellLogDir(cell), 'compile.log'),
    cmd: hostCompile(c, p, go),
    env: [],
    out: hostDir(c, p, go),
    target: hostPath(c, p, go),
    workdir: srcDir(c),
    sources: [c.sourceHash, inputs.programsHash],
    what: 'the host',
    logName: 'compile',
  };
}
