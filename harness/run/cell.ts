import { join } from 'node:path';
import { InfraError } from '../core/errors.js';
import { findExpectation, rulesFor } from '../core/expect.js';
import type { FailureTracker } from '../core/failure-tracker.js';
import { aboveFloor, builtForFloor, type FloorRelease, floorNote } from '../core/floor-toolchain.js';
import type { HostLimit } from '../core/hang-deadline.js';
import { hostLangOf } from '../core/host-kind.js';
import type { SysrootLayer } from '../core/host-langs.js';
import { judge } from '../core/judge.js';
import { userlandIdSuffix } from '../core/matrix.js';
import { type MuslLibc, muslLibcPath } from '../core/musl-libc.js';
import { gccgoOf, toolchainNa, toolchainOf } from '../core/toolchains.js';
import type {
  CaseSpec,
  CellObservation,
  CellResult,
  CellSpec,
  Classification,
  ExpectationRule,
  Platform,
  ProcessEnd,
  Stage,
} from '../core/types.js';
import { onUserland, userlandNa, userlandNamed, userlandSupport } from '../core/userlands.js';
import { isWindows, rowNa } from '../core/windows.js';
import { exportBundle } from '../edge/bundle.js';
import type { BuiltImage } from '../edge/images.js';
import type { Session } from '../edge/sandbox.js';
import type { Reporter } from '../reporters/reporter.js';
import { hostEnv, runCmd } from '../sandbox/commands.js';
import { artifactPaths, hostCwd, hostPath } from '../sandbox/paths.js';
import { cellLogDir, planSteps, type StepInputs, type StepPlan } from '../sandbox/steps.js';
import type { BuildOutcome, Builds } from './builds.js';
import { cellFacts, elfOfCell, explanationOf, peExplanationOf, peOfCell } from './cell-facts.js';
import type { EngineWatch } from './engine-watch.js';
import type { HostRuns } from './host-runs.js';
import type { LangOutcome } from './langs.js';

/** What one image of the run gives its cells. */
export interface ImageOfRun {
  /** The toolchain image: builds run in it. */
  build: BuiltImage;
  /** Hosts run here: the toolchain image, or the user's rootfs. */
  run: BuiltImage;
  /** Under a glibc floor, today's toolchain image: a Java host compiles there (javac is today's; bytecode is the same from any image). */
  bytecode?: BuiltImage;
  /** The exact Go version the image reported (the expectations match on it). */
  goVersion: string;
  tools: Record<string, string>;
}

export interface CellRunnerConfig {
  session: Session;
  runDir: string;
  cases: ReadonlyMap<string, CaseSpec>;
  /** The run's images by key (a Go version, or a Go version and a row's own layer). */
  images: ReadonlyMap<string, ImageOfRun>;
  imageKey: (cell: CellSpec) => string;
  /** --glibc-floor: the release the glibc rows build in; each built file is held to its glibc. */
  floor?: FloorRelease;
  programsHash: string;
  builds: Builds;
  hosts: HostRuns;
  failures: FailureTracker;
  engine: EngineWatch;
  rep: Required<Reporter>;
  /** The host's time limit on its platform (the case's budget, or its expected hang's declared deadline, times the measured slowdown, plus its language's start). */
  hostLimit: (c: CaseSpec, p: Platform, rule: ExpectationRule | undefined, lang: LangOutcome | undefined) => HostLimit;
  /** A Python or Java host's language on the row, once its layer is had and it started (run/langs.ts); undefined for a C host or in a user's rootfs. */
  lang: (c: CaseSpec, p: Platform) => Promise<LangOutcome> | undefined;
  repeat: number;
  /** An older userland's layer (core/userlands.ts), once it is had: its image, or why the run has none. */
  userlandImage: (layer: SysrootLayer) => Promise<BuiltImage | { error: string }>;
  /** Hosts run in a user-supplied rootfs (no qemu there). */
  rootfs: boolean;
  bundles: boolean;
}

/** A cell's progress: what it observed, the logs it wrote, how far it got. */
interface CellWork {
  obs: CellObservation;
  logs: Record<string, string>;
  reached: Stage;
  repetitions: CellObservation[];
  end?: ProcessEnd;
  /** A musl row's libc.so as the host loads it (core/musl-libc.ts). */
  musl?: MuslLibc;
}

/** undefined: the cell was cut short by --max-failures and is left out of the results. */
type Cut = undefined;

/** One cell: its steps through the builds, its host once per repetition, then the verdict and the result. */
export class CellRunner {
  constructor(private readonly cfg: CellRunnerConfig) {}

  private get stopped(): boolean {
    return this.cfg.failures.hasReachedMaxFailures();
  }

  caseOf(cell: CellSpec): CaseSpec {
    return this.cfg.cases.get(cell.caseName)!;
  }

  private readonly planned = new Map<string, StepPlan[]>();

  private imageOf(cell: CellSpec): ImageOfRun {
    return this.cfg.images.get(this.cfg.imageKey(cell))!;
  }

  /** The cell's steps, planned once: the restore task and the cell's own build read the same list. */
  steps(cell: CellSpec): StepPlan[] {
    let steps = this.planned.get(cell.id);
    if (!steps) {
      const inputs: StepInputs = { imageId: this.imageOf(cell).build.id, programsHash: this.cfg.programsHash };
      steps = planSteps(cell, this.caseOf(cell), inputs);
      this.planned.set(cell.id, steps);
    }
    return steps;
  }

  async run(cell: CellSpec): Promise<CellResult | Cut> {
    if (this.stopped) return undefined;
    const c = this.caseOf(cell);
    const w: CellWork = { obs: {}, logs: {}, reached: 'build', repetitions: [] };
    // A case the row cannot hold (a Python host on Windows), a toolchain it has none of (gccgo on musl), or a userland it has none of (riscv64 on Debian 11), builds and runs nothing.
    const na =
      rowNa(cell.platform, c) ??
      toolchainNa(cell.platform, cell.go) ??
      userlandNa(cell.platform, cell.userland, { lang: hostLangOf(c), gccgo: !!cell.go.gccgo });
    try {
      if (na) w.obs = { notApplicable: na };
      else if ((await this.buildAndRun(cell, c, w)) === 'cut') return undefined;
    } catch (e) {
      w.obs = { infraError: { stage: w.reached, message: (e as Error).message } };
    }
    if (w.obs.infraError)
      w.obs = { infraError: { ...w.obs.infraError, message: (await this.cfg.engine.check()) ?? w.obs.infraError.message } };
    const { verdict, repeats } = judge(w.obs, w.repetitions, c.pass, this.ruleOf(cell, c));
    this.cfg.failures.onCellEnd(verdict.verdict);
    if (this.cfg.bundles && w.obs.run && verdict.verdict !== 'pass') await this.keepBundle(cell, c, verdict, w);
    return this.result(cell, c, verdict, w, repeats);
  }

  /** The expectation that applies to the cell: known before its host runs, so it also sets the host's limit. */
  private ruleOf(cell: CellSpec, c: CaseSpec): ExpectationRule | undefined {
    return findExpectation(rulesFor(c.expect, cell.platform), {
      platform: cell.platform,
      go: cell.go.gccgo ? cell.go.version : this.imageOf(cell).goVersion,
      toolchain: toolchainOf(cell.go),
      ...(cell.userland ? { userland: cell.userland } : {}),
    });
  }

  private async buildAndRun(cell: CellSpec, c: CaseSpec, w: CellWork): Promise<'cut' | undefined> {
    if (this.cfg.engine.lost) throw new InfraError(this.cfg.engine.lost);
    if ((await this.buildAll(cell, w)) === 'cut' || this.stopped) return 'cut';
    if (!w.obs.buildFailure && !w.obs.infraError) return this.runHost(cell, c, w);
  }

  /** The cell's steps in order; the first that fails ends the cell's building. */
  private async buildAll(cell: CellSpec, w: CellWork): Promise<'cut' | undefined> {
    const img = this.imageOf(cell);
    const floored = builtForFloor(this.cfg.floor, cell);
    for (const st of this.steps(cell)) {
      const image = st.bytecode && img.bytecode ? img.bytecode.tag : img.build.tag;
      if (this.stopped) return 'cut';
      w.reached = st.stage;
      this.cfg.rep.onStep(cell, st.stage);
      const b = await this.cfg.builds.build(st, image);
      if (b.kind === 'skipped') return 'cut';
      if (b.kind === 'infra') {
        w.obs = { infraError: { stage: st.stage, message: b.message } };
        return;
      }
      w.logs[st.logName] = b.logPath;
      const above = b.kind === 'built' ? aboveFloor(this.cfg.floor, cell, st.what, this.cfg.builds.facts(st.target)) : undefined;
      if (above) return void (w.obs = { buildFailure: { stage: st.stage, what: st.what, log: b.log, floor: above } });
      if (b.kind === 'failed') return void (w.obs = { buildFailure: failedStep(st, b, floored) });
    }
  }

  /** The host, once per repetition; or n/a where it cannot run. */
  private async runHost(cell: CellSpec, c: CaseSpec, w: CellWork): Promise<'cut' | undefined> {
    const p = cell.platform;
    if (this.cfg.rootfs && p.run.length)
      return void (w.obs = { notApplicable: `${p.name} runs under qemu-user, which the supplied rootfs does not provide` });
    // Here, after the builds and before a run slot: a cell waiting for its layer holds neither a build lane nor a slot.
    const lang = await this.cfg.lang(c, p);
    // --max-failures reached while it waited: the cell is not started (its language's start may have been skipped for it).
    if (this.stopped) return 'cut';
    if (lang && 'notApplicable' in lang) return void (w.obs = { notApplicable: lang.notApplicable });
    if (lang && 'infraError' in lang) return void (w.obs = { infraError: { stage: 'run', message: lang.infraError } });
    const host = await hostOf(cell, lang?.image ?? this.imageOf(cell).run, this.cfg.userlandImage);
    if (this.stopped) return 'cut';
    if ('error' in host) return void (w.obs = { infraError: { stage: 'run', message: host.error } });
    w.reached = 'load';
    this.cfg.rep.onStep(cell, 'run');
    const go = cell.go.version;
    if (p.libc === 'musl') w.musl = await muslLibcOf(this.cfg, cell, c, host.image);
    const limit = this.cfg.hostLimit(c, p, this.ruleOf(cell, c), lang);
    const timeoutMs = limit.ms;
    for (let i = 0; i < this.cfg.repeat; i++) {
      const logPath = join(runLogDir(cell), i ? `run-${i + 1}.log` : 'run.log');
      const cmd = runCmd(c, host.platform, go, timeoutMs, this.cfg.hosts.nonce, lang?.command);
      const run = await this.cfg.hosts.run({
        image: host.image.tag,
        cmd,
        env: hostEnv(c, p, go, timeoutMs),
        workdir: hostCwd(c, p, go),
        timeoutMs,
        logPath,
      });
      if (run.kind === 'skipped') return 'cut';
      w.logs[i ? `run-${i + 1}` : 'run'] = run.logPath;
      if (run.kind === 'infra') w.obs = { infraError: { stage: 'run', message: run.message } };
      else {
        w.end = run.end.kind === 'timeout' && limit.deadline ? { ...run.end, deadline: limit.deadline } : run.end;
        w.obs = {
          run: { end: w.end, stdout: run.stdout, stderr: run.stderr, durationMs: run.ms, ...(run.lines ? { lines: run.lines } : {}) },
        };
      }
      w.repetitions.push(w.obs);
    }
  }

  /** A directory that reruns the cell alone; a bundle that cannot be kept is said, never a verdict. */
  private async keepBundle(cell: CellSpec, c: CaseSpec, verdict: Classification, w: CellWork): Promise<void> {
    const p = cell.platform;
    const go = cell.go.version;
    const img = this.imageOf(cell);
    const l = await this.cfg.lang(c, p);
    const lang = l && 'command' in l ? l : undefined;
    const host = await hostOf(cell, lang?.image ?? img.run, this.cfg.userlandImage);
    if ('error' in host) return;
    const limitMs = this.cfg.hostLimit(c, p, this.ruleOf(cell, c), l).ms;
    try {
      w.logs.bundle = await exportBundle({
        session: this.cfg.session,
        builder: await this.cfg.session.builder(img.build.tag),
        runDir: this.cfg.runDir,
        cellId: cell.id,
        paths: artifactPaths(c, p, go),
        image: host.image,
        tools: img.tools,
        env: hostEnv(c, p, go, limitMs),
        cmd: runCmd(c, host.platform, go, limitMs, 'bundle', lang?.command),
        cwd: hostCwd(c, p, go),
        verdict: verdict.verdict,
        failureText: verdict.failureText ?? '',
        limits: this.cfg.session.limits,
      });
    } catch (e) {
      this.cfg.rep.onLog(`could not keep a bundle for ${cell.id}: ${(e as Error).message}`);
    }
  }

  private result(cell: CellSpec, c: CaseSpec, verdict: Classification, w: CellWork, repeats: CellResult['repeats']): CellResult {
    const p = cell.platform;
    const go = cell.go.version;
    const facts = w.obs.run ? cellFacts(c, p, go, (path) => this.cfg.builds.facts(path)) : undefined;
    const pe = w.obs.run && isWindows(p) ? peOfCell(cellFacts(c, p, go, (path) => this.cfg.builds.peFacts(path))) : undefined;
    const explanation = pe ? peExplanationOf(pe, verdict) : facts && explanationOf(facts, p, verdict);
    const end = w.end;
    return {
      id: cell.id,
      axes: {
        case: c.name,
        platform: p.name,
        goarch: p.goarch,
        ...(p.goarm ? { goarm: p.goarm } : {}),
        libc: p.libc,
        cpu: p.cpu,
        go,
        goVersion: this.imageOf(cell).goVersion,
        ...gccgoAxes(cell, this.imageOf(cell).tools),
        ...(cell.userland ? { userland: cell.userland } : {}),
        ...windowsAxes(p, this.imageOf(cell).tools),
      },
      ...verdict,
      ...(end ? { exit: exitOf(end) } : {}),
      // The host's own run time; a cell whose host never ran (n/a, build failure) has none.
      durationMs: w.obs.run?.durationMs ?? 0,
      logs: w.logs,
      ...(facts && !isWindows(p) ? { elf: elfOfCell(facts, p, w.musl) } : {}),
      ...(pe ? { pe } : {}),
      ...(explanation ? { explanation } : {}),
      ...(repeats ? { repeats } : {}),
      ...(this.cfg.floor && !cell.go.gccgo ? { floorBuild: floorNote(this.cfg.floor, p) } : {}),
    };
  }
}

/** A Windows cell's OS, and the Wine that ran its host, as the image said it: Wine is not Windows. */
function windowsAxes(p: Platform, tools: Record<string, string>): { os?: 'windows'; wine?: string } {
  if (!isWindows(p)) return {};
  return { os: 'windows', ...(tools.wine ? { wine: tools.wine } : {}) };
}

/** A gccgo cell's toolchain and its compiler's exact version, as the image said it. */
function gccgoAxes(cell: CellSpec, tools: Record<string, string>): { toolchain?: 'gccgo'; gccgo?: string } {
  if (!cell.go.gccgo) return {};
  const g = gccgoOf(cell.platform, cell.go.gccgo.gcc);
  const version = 'command' in g ? tools[`gccgo ${g.command}`] : undefined;
  return { toolchain: 'gccgo', ...(version ? { gccgo: version } : {}) };
}

/**
 * Where and how the host runs: in `image` (its language's, a sysroot or a musl
 * CPython, else the cell's); on an older userland, in that userland's layer,
 * the row's emulator given it as -L (or, native, as the container's root).
 */
async function hostOf(
  cell: CellSpec,
  image: BuiltImage,
  userlandImage: CellRunnerConfig['userlandImage'],
): Promise<{ platform: Platform; image: BuiltImage } | { error: string }> {
  const s = userlandSupport(cell.platform, userlandNamed(cell.userland));
  if (s.kind !== 'layer') return { platform: cell.platform, image };
  const on = await userlandImage(s.layer);
  return 'error' in on ? on : { platform: onUserland(cell.platform, s), image: on };
}

/** A host's logs: the cell's own directory, and on an older userland a directory of that userland's in it (the builds are shared). */
const runLogDir = (cell: CellSpec): string => (userlandIdSuffix(cell.userland) ? join(cellLogDir(cell), cell.userland!) : cellLogDir(cell));

/** How the host ended, as results.json says it. */
function exitOf(end: NonNullable<CellWork['end']>): CellResult['exit'] {
  if (end.kind === 'exit') return { code: end.code };
  return end.kind === 'signal' ? { signal: end.signal, signalName: end.name } : { timedOut: true };
}

/** A step that failed, as the cell's observation: its log, the disk quota it reached, the floor it was built for. */
function failedStep(
  st: StepPlan,
  b: Extract<BuildOutcome, { kind: 'failed' }>,
  underFloor: string | undefined,
): NonNullable<CellObservation['buildFailure']> {
  return {
    stage: st.stage,
    what: st.what,
    log: b.log,
    ...(underFloor ? { underFloor } : {}),
    ...(b.quota ? { quotaMiB: Math.round(b.quota.quotaBytes / 2 ** 20) } : {}),
  };
}

/** The musl libc.so the cell's host loads: the image's own, or an older userland's (its version named in lines). */
async function muslLibcOf(cfg: CellRunnerConfig, cell: CellSpec, c: CaseSpec, image: BuiltImage): Promise<MuslLibc | undefined> {
  const p = cell.platform;
  const s = userlandSupport(p, userlandNamed(cell.userland));
  const root = s.kind === 'layer' && !s.rootfs ? s.layer.dir : '';
  const path = muslLibcPath(p, root, cfg.builds.facts(hostPath(c, p, cell.go.version))?.interpreter);
  const defines = path && (await cfg.hosts.libcDefines(image.tag, path));
  if (!defines) return undefined;
  return { name: cfg.rootfs ? "the rootfs's musl" : `musl ${userlandNamed(cell.userland).musl}`, defines };
}
