import { type ElfFacts, parseReadelf, peBase64Of } from '../core/elf.js';
import { InfraError } from '../core/errors.js';
import type { PeSummary } from '../core/pe.js';
import type { BuildStats } from '../core/results.js';
import { Scheduler } from '../core/scheduler.js';
import { hasArtifact, markWarm, readArtifactRecord, warmGroups, withCacheFile } from '../edge/artifact-cache.js';
import { runBuildStep } from '../edge/build-step.js';
import { readPeSent } from '../edge/pe-file.js';
import type { ExecResult, Session } from '../edge/sandbox.js';
import { shellLine } from '../sandbox/commands.js';
import { CACHE_DIR, OUT_ROOT } from '../sandbox/layout.js';
import { RESTORE_SCRIPT } from '../sandbox/scripts.js';
import { ELF_BEGIN, type QuotaUse, splitCpuMark, splitQuotaMark } from '../sandbox/status.js';
import type { StepPlan } from '../sandbox/steps.js';
import type { RunLogs } from './run-logs.js';

export const BUILD_DEADLINE_MS = 15 * 60_000;

/**
 * How one build step ended. `failed` is the case's own doing (a compile
 * error): the cell's verdict. `infra` is the harness's or the engine's: the
 * cell is an error. `skipped`: --max-failures was reached before it started.
 */
export type BuildOutcome =
  | { kind: 'built'; log: string; logPath: string }
  | { kind: 'failed'; log: string; logPath: string; quota?: QuotaUse }
  | { kind: 'infra'; message: string }
  | { kind: 'skipped' };

export interface BuildsConfig {
  session: Session;
  logs: RunLogs;
  jobs: number;
  /** Artifact and Go build cache directory on this machine. */
  cacheDir: string;
  rebuild: boolean;
  /** The run's supervisor nonce: a host cannot forge the status it frames. */
  nonce: string;
  /** --max-failures reached: no new step starts. */
  stopped: () => boolean;
}

/**
 * Every build step of a run: memoized (cells that share a library share its
 * build), scheduled on the builders' lanes (see Scheduler), through the
 * artifact cache, with the Go build cache's warm groups marked for the next
 * run. It keeps each artifact's readelf facts and the run's build statistics.
 */
export class Builds {
  private readonly scheduler: Scheduler;
  /** Lanes of the builders: one per build the scheduler may run at once. */
  private readonly lanes: number[];
  private readonly marked: Set<string>;
  private readonly memo = new Map<string, Promise<BuildOutcome>>();
  private readonly elfByPath = new Map<string, ElfFacts>();
  /** A Windows row's files are PE: their facts by path, read from their bytes (core/pe.ts). */
  private readonly peByPath = new Map<string, PeSummary>();
  /** Host runs' CPU is HostRuns' to count; the run's BuildStats joins the two. */
  readonly stats: Required<Omit<BuildStats, 'runCpuMs'>> = {
    steps: 0,
    cacheHits: 0,
    ms: 0,
    goBuildMs: 0,
    compileMs: 0,
    goBuildCpuMs: 0,
    compileCpuMs: 0,
  };

  constructor(private readonly cfg: BuildsConfig) {
    this.lanes = Array.from({ length: Math.max(1, cfg.jobs) }, (_, i) => i);
    this.marked = new Set(cfg.rebuild ? [] : warmGroups(cfg.cacheDir));
    this.scheduler = new Scheduler(Math.max(1, cfg.jobs), this.marked);
  }

  /** readelf facts of a built file, by its path in the volume; best-effort, they never change a verdict. */
  facts(path: string): ElfFacts | undefined {
    return this.elfByPath.get(path);
  }

  /** PE facts of a built file (a Windows row's DLL or .exe); best-effort like facts(). */
  peFacts(path: string): PeSummary | undefined {
    return this.peByPath.get(path);
  }

  /** What ELF_SCRIPT said of a target: readelf's text, or a PE file's bytes. */
  private keepFacts(target: string, text: string): void {
    const sent = peBase64Of(text);
    if (sent === undefined) return void this.elfByPath.set(target, parseReadelf(text));
    const r = readPeSent(sent);
    if ('pe' in r) this.peByPath.set(target, r.pe);
  }

  /** One build step, memoized within the run; its log is written once and shared by every cell that needs it. */
  build(st: StepPlan, builderImage: string): Promise<BuildOutcome> {
    let b = this.memo.get(st.key);
    if (!b) {
      b = this.buildOnce(st, builderImage);
      this.memo.set(st.key, b);
    }
    return b;
  }

  /**
   * Restore every cached artifact the run needs in one exec that copies them
   * from the cache mount into the volume: no exec per step, and no bytes through
   * this process (a tar upload made the harness's memory grow with the cache).
   * The cache is a host directory, so hits are known without asking the engine.
   */
  async restore(steps: Iterable<StepPlan>, builderImage: string): Promise<void> {
    if (this.cfg.rebuild) return;
    const hits = new Map<string, StepPlan>();
    for (const st of steps) if (!hits.has(st.key) && hasArtifact(this.cfg.cacheDir, st.akey)) hits.set(st.key, st);
    if (!hits.size) return;
    await this.copyFromCache([...hits.values()], builderImage);
    for (const st of hits.values()) {
      const { log, elf } = readArtifactRecord(this.cfg.cacheDir, st.akey);
      this.keepFacts(st.target, elf);
      this.cfg.logs.write(st.logRel, `$ cd ${st.workdir} && ${shellLine(st.env, st.cmd)}\n${log}\n[artifact cache hit ${st.akey}]\n`);
      this.stats.steps++;
      this.stats.cacheHits++;
      this.memo.set(st.key, Promise.resolve({ kind: 'built', log, logPath: st.logRel }));
    }
  }

  private async copyFromCache(hits: StepPlan[], builderImage: string): Promise<void> {
    const list = hits.map((st) => `${st.akey}\t${st.out}\n`).join('');
    await withCacheFile(this.cfg.cacheDir, 'restore', list, async (name) => {
      const builder = await this.cfg.session.builder(builderImage);
      const r = await this.cfg.session.exec(
        builder,
        ['/bin/sh', '-c', RESTORE_SCRIPT, 'csm-restore', `${CACHE_DIR}/${name}`, OUT_ROOT, String(this.cfg.jobs)],
        { deadlineMs: 10 * 60_000 },
      );
      if (r.exitCode !== 0)
        throw new InfraError(
          `restoring cached artifacts failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}; rerun with --rebuild to bypass the cache`,
        );
    });
  }

  private async buildOnce(st: StepPlan, builderImage: string): Promise<BuildOutcome> {
    let ran: { r: ExecResult; ms: number } | 'skipped';
    try {
      ran = await this.schedule(st, builderImage);
    } catch (e) {
      return { kind: 'infra', message: (e as Error).message };
    }
    if (ran === 'skipped') return { kind: 'skipped' };
    const { r, ms } = ran;
    if (r.deadlineHit)
      return { kind: 'infra', message: `build step did not finish within ${BUILD_DEADLINE_MS / 60_000} minutes: ${st.cmd.join(' ')}` };
    const { out, cpuMs, quota } = this.takeFacts(st, r.stdout);
    const hit = out.includes('[cshared-matrix: artifact cache hit ');
    if (st.group && !hit && r.exitCode === 0) this.markWarm(st.group);
    this.count(st, { ms, cpuMs, hit });
    this.cfg.logs.write(
      st.logRel,
      `$ cd ${st.workdir} && ${shellLine(st.env, st.cmd)}\n${out}${r.stderr}\n[exit ${r.exitCode}, ${(ms / 1000).toFixed(2)} s${hit ? ', from the artifact cache' : ''}]\n`,
    );
    if (r.exitCode === 0) return { kind: 'built', log: `${out}${r.stderr}`, logPath: st.logRel };
    return { kind: 'failed', log: `${out}${r.stderr}`, logPath: st.logRel, ...(quota?.exceeded ? { quota } : {}) };
  }

  /** Wait for the scheduler, then run the step on a free lane. */
  private async schedule(st: StepPlan, builderImage: string): Promise<{ r: ExecResult; ms: number } | 'skipped'> {
    const builder = await this.cfg.session.builder(builderImage);
    // Host compiles first among ready steps: each is a fraction of a second and unblocks a run.
    return this.scheduler.run({ ...(st.group ? { group: st.group } : {}), priority: st.stage === 'host-compile' ? 1 : 0 }, async () => {
      if (this.cfg.stopped()) return 'skipped' as const;
      const t0 = Date.now();
      // The scheduler never runs more steps than lanes, so one is always free.
      const lane = this.lanes.pop()!;
      try {
        const r = await runBuildStep(this.cfg.session, builder, lane, st, {
          nonce: this.cfg.nonce,
          rebuild: this.cfg.rebuild,
          deadlineMs: BUILD_DEADLINE_MS,
        });
        return { r, ms: Date.now() - t0 };
      } finally {
        this.lanes.push(lane);
      }
    });
  }

  /** The step's output without the wrapper's marks and the ELF facts it appended (they are kept by target path). */
  private takeFacts(st: StepPlan, raw: string): { out: string; cpuMs: number; quota?: QuotaUse } {
    const { out: marked, cpuMs } = splitCpuMark(raw);
    const { out: stdout, quota } = splitQuotaMark(marked);
    const used = { cpuMs, ...(quota ? { quota } : {}) };
    // The marker opens a line; a silent build puts it on the very first one.
    const m = new RegExp(`(^|\\n)${ELF_BEGIN}\\n`).exec(stdout);
    if (!m) return { out: stdout, ...used };
    this.keepFacts(st.target, stdout.slice(m.index + m[0].length));
    return { out: stdout.slice(0, m.index + m[1]!.length), ...used };
  }

  private count(st: StepPlan, t: { ms: number; cpuMs: number; hit: boolean }): void {
    this.stats.steps++;
    if (t.hit) this.stats.cacheHits++;
    this.stats.ms += t.ms;
    if (st.stage === 'build') {
      this.stats.goBuildMs += t.ms;
      this.stats.goBuildCpuMs += t.cpuMs;
    } else {
      this.stats.compileMs += t.ms;
      this.stats.compileCpuMs += t.cpuMs;
    }
  }

  private markWarm(group: string): void {
    if (this.marked.has(group)) return;
    this.marked.add(group);
    markWarm(this.cfg.cacheDir, group);
  }
}
