import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { judge } from './core/judge.js';
import { FailureTracker } from './core/failure-tracker.js';
import { loadCases, REPO_ROOT, validateAgainst } from './core/cases.js';
import { FatalError, InfraError, UsageError } from './core/errors.js';
import { findExpectation } from './core/expect.js';
import { expandMatrix, pick, pickGo } from './core/matrix.js';
import { isEmulated, parsePlatformRows, PLATFORMS } from './core/platforms.js';
import { probeCases, readProbeExpectations } from './core/probes.js';
import { countVerdicts, exitCodeFor, RESULTS_SCHEMA_VERSION, type BuildStats, type ImageInfo, type RunResults } from './core/results.js';
import { costsFrom, shardCells, type Shard } from './core/shard.js';
import { parseRunResults } from './core/merge.js';
import type { CaseSpec, CellObservation, CellResult, CellSpec, ElfSummary, GoToolchain, Platform, ProcessEnd, Stage } from './core/types.js';
import { ensureEngine } from './edge/engine.js';
import { pointLatest, writeAtomic } from './edge/files.js';
import { ensureBaseImage, ensureGoImage, ensureRootfsImage, pruneToolchainImages, readGoVersions, type BuiltImage } from './edge/images.js';
import { exportBundle } from './edge/bundle.js';
import { prepareVolume, runBuildStep, shareGoCache } from './edge/build-step.js';
import { DEFAULT_LIMITS, Session, sweepStale, type ExecResult } from './edge/sandbox.js';
import * as plan from './plan.js';
import { explainFailure, parseReadelf, summarizeFacts, userExports, type ElfFacts } from './core/elf.js';
import { artifactKey } from './core/cache.js';
import { Scheduler } from './core/scheduler.js';
import { parseCalibration, slowdownFrom, timeoutScale, type Slowdown } from './core/emulation.js';
import { multiplex, type Reporter } from './reporters/reporter.js';
import type { LineCounts } from './core/frames.js';

export interface RunOptions {
  caseDirs: string[];
  /** JSON files of extra platform rows. */
  platformFiles?: string[];
  cases: string[];
  platforms: string[];
  go: string[];
  jobs: number;
  /** Seconds; overrides every case's run.timeout (emulated platforms still scale it). */
  timeout?: number;
  resultsDir: string;
  rebuildImages: boolean;
  /** Remove toolchain images built from older recipes before the run. */
  pruneImages?: boolean;
  argv: string[];
  reporters: Reporter[];
  /** Add each case's generated dlopen and link-time load probes. */
  probes?: boolean;
  /** Keep a self-contained, rerunnable bundle for every cell that did not pass. */
  bundles?: boolean;
  /** A root filesystem tarball to run the hosts in (builds still use the toolchain image). */
  rootfs?: string;
  /** Artifact and Go build cache directory (default results/.cache). */
  cacheDir?: string;
  /** Ignore cached artifacts (they are rebuilt and stored again). */
  rebuild?: boolean;
  /** Run every host this many times; disagreeing repetitions make the cell "flaky". */
  repeat?: number;
  /** Stop starting cells after this many unexpected verdicts. */
  maxFailures?: number;
  /** Run only part k of n of the matrix (deterministic, balanced by cost). */
  shard?: Shard;
  /** A previous results.json whose durations balance the shards. */
  shardCosts?: string;
  /** Set by the CLI's signal handler. */
  signal?: AbortSignal;
}

const HARNESS_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The run's directory, or one line saying why --results cannot hold it (exit 2; a full disk is exit 3). */
function makeRunDir(runDir: string, given: string): void {
  try {
    mkdirSync(join(runDir, 'logs'), { recursive: true });
    accessSync(runDir, constants.W_OK);
  } catch (e) {
    let code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOSPC') throw new InfraError(`disk full while creating ${runDir}; free space and rerun`);
    // A recursive mkdir names the leaf (ENOENT); the reason is with the nearest directory that exists.
    if (code === 'ENOENT') code = whyNotWritable(dirname(runDir)) ?? code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'it is not a directory' : code === 'EROFS' ? 'it is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'it is not writable' : code || (e as Error).message;
    throw new UsageError(`--results ${given}: cannot create a run directory there (${why}); pass a writable directory`);
  }
}

function whyNotWritable(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) {
      try {
        accessSync(d, constants.W_OK);
        return undefined;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

export const newRunId = (now = new Date()): string => `${now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;

const TOOLS_SCRIPT = `
v() { dpkg-query -W -f='\${Version}' "$1" 2>/dev/null || echo missing; }
echo "go=$(go version | cut -d' ' -f3 | sed 's/^go//')"
echo "gcc=$(gcc -dumpfullversion)"
echo "glibc=$(v libc6:amd64)"
echo "musl=$(v musl:amd64)"
echo "qemu=$(qemu-arm --version | head -1 | sed 's/^qemu-arm version //')"
echo "gcc-armhf=$(arm-linux-gnueabihf-gcc -dumpfullversion)"
echo "gcc-armel=$(arm-linux-gnueabi-gcc -dumpfullversion)"
echo "glibc-armhf=$(v libc6-armhf-cross)"
echo "musl-armhf=$(v musl:armhf)"
echo "musl-armel=$(v musl:armel)"
`;

/** Run the matrix end to end. Throws FatalError for problems that stop the run before any cell. */
export async function runMatrix(opts: RunOptions): Promise<RunResults> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const rep = multiplex(opts.reporters);
  const say = (l: string) => rep.onLog(l);

  // Pure part first: bad input is reported before anything touches the engine.
  if (!opts.caseDirs.length) throw new UsageError('no case directories: drop --no-default-cases or add --cases DIR');
  const allCases = loadCases(opts.caseDirs);
  const picked = pick('case', allCases, (c) => c.name, opts.cases);
  const probeRules = opts.probes ? readProbeExpectations() : undefined;
  const cases = probeRules ? picked.flatMap((c) => [c, ...probeCases(c, probeRules)]) : picked;
  const table = [...PLATFORMS, ...(opts.platformFiles ?? []).flatMap((f) => parsePlatformRows(f, readText(f), validateAgainst))];
  const platforms = pick('platform', table, (p) => p.name, opts.platforms);
  const gos = pickGo(readGoVersions(), opts.go);
  // A case without a host contributes only its probes.
  let cells = expandMatrix(cases.filter((c) => c.host || c.probe), platforms, gos);
  const allCells = cells;
  if (!allCells.length) throw new UsageError('nothing to run: the selected cases have no host (add --probes to load their libraries with the generic probe)');
  if (opts.shard) {
    const costs = opts.shardCosts ? costsFrom(parseRunResults(readText(opts.shardCosts), opts.shardCosts)) : undefined;
    cells = shardCells(allCells, opts.shard, costs);
  }
  const caseByName = new Map(cases.map((c) => [c.name, c]));

  const runId = newRunId();
  const resultsDir = resolve(opts.resultsDir);
  const runDir = join(resultsDir, runId);
  makeRunDir(runDir, opts.resultsDir);

  const phases: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    const now = Date.now();
    phases[name] = (phases[name] ?? 0) + (now - mark);
    mark = now;
  };
  phase('load');
  const docker = await ensureEngine(say);
  const swept = await sweepStale(docker);
  if (swept) say(`removed ${swept} containers/volumes left by earlier runs that died`);

  if (opts.pruneImages) await pruneToolchainImages(docker, say);
  const base = await ensureBaseImage(docker, say, { rebuild: opts.rebuildImages });
  const images = new Map<string, BuiltImage>();
  for (const go of gos) images.set(go.version, await ensureGoImage(docker, base, go, say, { rebuild: opts.rebuildImages }));
  phase('engine+images');

  const rootfs = opts.rootfs ? await ensureRootfsImage(docker, opts.rootfs, say) : undefined;

  const cacheDir = resolve(opts.cacheDir ?? join(REPO_ROOT, 'results', '.cache'));
  mkdirSync(join(cacheDir, 'artifacts'), { recursive: true });
  const session = new Session(docker, runId, DEFAULT_LIMITS, cacheDir, Math.max(1, opts.jobs));
  const results: CellResult[] = [];
  const imageInfos: ImageInfo[] = [];
  let interrupted = false;
  let stoppedEarly = false;
  let ctxStats: () => BuildStats = () => ({ steps: 0, cacheHits: 0, ms: 0, goBuildMs: 0, compileMs: 0 });
  let ctxSlowdowns: () => Map<string, Slowdown> = () => new Map();
  const onAbort = () => {
    interrupted = true;
    void session.close();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    if (opts.signal?.aborted) throw new FatalError('interrupted before the run started', 130);
    await session.open();
    const ctx = new RunContext(session, runDir, { ...opts, cacheDir }, caseByName, images, rep, rootfs);
    ctxStats = () => ctx.stats;
    ctxSlowdowns = () => ctx.slowdowns;
    for (const go of gos) imageInfos.push(await ctx.prepare(go));
    phase('prepare');
    // Emulated platforms are n/a in a user's rootfs (no qemu there): nothing to time.
    if (!rootfs) await ctx.calibrate(platforms, gos[0]!);
    phase('calibrate');
    await ctx.restoreCached(cells);
    phase('restore');
    rep.onBegin({ runId, runDir, cells, jobs: opts.jobs });
    await Promise.all(
      cells.map(async (cell) => {
        const r = await ctx.runCell(cell);
        // Cells cut short by Ctrl-C, or never started after --max-failures, are not results.
        if (interrupted || !r) return;
        results.push(r);
        rep.onCellEnd(r);
      }),
    );
    stoppedEarly = ctx.stopped;
    phase('cells');
  } catch (e) {
    if (!interrupted) throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await session.close();
    phase('cleanup');
  }

  const order = new Map(cells.map((c, i) => [c.id, i]));
  results.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const counts = countVerdicts(results);
  const out: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    harness: { name: 'cshared-matrix', version: HARNESS_VERSION },
    run: {
      id: runId,
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - t0,
      command: ['npm run matrix --', ...opts.argv].join(' '),
      argv: opts.argv,
      jobs: opts.jobs,
      interrupted,
      node: process.version,
      ...(stoppedEarly ? { stoppedEarly } : {}),
      ...(opts.shard ? { shard: { ...opts.shard, of: allCells.length } } : {}),
      builds: ctxStats(),
      ...(ctxSlowdowns().size ? { emulation: Object.fromEntries(ctxSlowdowns()) } : {}),
      phases,
      resources: resources(),
      ...(rootfs && opts.rootfs ? { rootfs: { path: resolve(opts.rootfs), tag: rootfs.tag, id: rootfs.id } } : {}),
    },
    images: imageInfos,
    platforms,
    cases: cases.map((c) => ({ name: c.name, dir: c.dir, description: c.description })),
    cells: results,
    counts,
    exitCode: exitCodeFor(counts, interrupted),
  };
  try {
    await rep.onEnd(out, runDir);
  } catch (e) {
    // latest moves only to a run whose results.json was written.
    if (existsSync(join(runDir, 'results.json'))) pointLatest(resultsDir, runId);
    throw e;
  }
  pointLatest(resultsDir, runId);
  phase('report');
  return out;
}

const BUILD_DEADLINE_MS = 15 * 60_000;

interface StepPlan {
  stage: 'build' | 'host-compile';
  /** Go builds that share one target's standard library in the Go build cache (see Scheduler). */
  group?: string;
  /** Memo key within the run. */
  key: string;
  /** Artifact-cache key across runs. */
  akey: string;
  logRel: string;
  cmd: string[];
  env: string[];
  out: string;
  target: string;
  workdir: string;
  what: string;
  logName: string;
}

/** Everything one run shares: the session, memoized builds, the job limit. */
class RunContext {
  private readonly scheduler: Scheduler;
  /** Host-server lanes of the builders: one per build the scheduler may run at once. */
  private readonly lanes: number[];
  /** Warm groups with a mark in the cache directory. */
  private readonly marked: Set<string>;
  private readonly runLimit;
  private readonly builds = new Map<string, Promise<{ ok: boolean; log: string; logPath: string } | { infra: string }>>();
  /** readelf facts of every built file, by its path in the volume. */
  private readonly elfByPath = new Map<string, ElfFacts>();
  /** The artifact-cache key of every build step, by its memo key (hosts depend on their libraries'). */
  private readonly harnessCHash = hashFiles(join(REPO_ROOT, 'harness', 'c'));
  readonly stats: Required<BuildStats> = { steps: 0, cacheHits: 0, ms: 0, goBuildMs: 0, compileMs: 0, goBuildCpuMs: 0, compileCpuMs: 0, runCpuMs: 0 };
  private readonly failures: FailureTracker;
  /** --max-failures reached: no new cell, build or host run starts. */
  get stopped(): boolean {
    return this.failures.hasReachedMaxFailures();
  }
  private readonly nonce = randomBytes(8).toString('hex');
  private readonly goVersions = new Map<string, string>();
  private uploaded?: Promise<void>;

  constructor(
    private readonly session: Session,
    private readonly runDir: string,
    private readonly opts: RunOptions,
    private readonly cases: Map<string, CaseSpec>,
    private readonly images: Map<string, BuiltImage>,
    private readonly rep: Required<Reporter>,
    private readonly rootfs?: BuiltImage,
  ) {
    this.lanes = Array.from({ length: Math.max(1, opts.jobs) }, (_, i) => i);
    this.marked = new Set(this.warmGroups());
    this.scheduler = new Scheduler(Math.max(1, opts.jobs), this.marked);
    // Hosts run the moment their libraries exist instead of queueing behind every
    // pending build: a run is milliseconds of one thread, a Go build uses all cores.
    this.runLimit = pLimit(Math.max(1, opts.jobs));
    this.failures = new FailureTracker(opts.maxFailures);
  }

  /** Groups an earlier run left warm in this cache directory. */
  private warmGroups(): string[] {
    const dir = this.opts.cacheDir ? join(this.opts.cacheDir, 'go-build') : undefined;
    if (!dir || this.opts.rebuild || !existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.startsWith(plan.WARM_MARK)).map((f) => f.slice(plan.WARM_MARK.length));
  }

  private markWarm(group: string): void {
    if (!this.opts.cacheDir || this.marked.has(group)) return;
    this.marked.add(group);
    try {
      writeFileSync(join(this.opts.cacheDir, 'go-build', `${plan.WARM_MARK}${group}`), '');
    } catch {
      // Only scheduling depends on it: a missing mark costs one serial build next run.
    }
  }

  private image(go: string): BuiltImage {
    return this.images.get(go)!;
  }

  /** Hosts run in the user's rootfs when one is given, else in the toolchain image. */
  private runImage(go: string): BuiltImage {
    return this.rootfs ?? this.image(go);
  }

  readonly tools = new Map<string, Record<string, string>>();

  /** Sources go into the shared volume once; every image's builder sees them. */
  async prepare(go: GoToolchain): Promise<ImageInfo> {
    const img = this.image(go.version);
    const builder = await this.session.builder(img.tag);
    // One upload for everything: a request per case cost the engine seconds on large catalogues.
    this.uploaded ??= prepareVolume(this.session, builder, [...this.cases.values()].filter((c) => !c.sourceOf));
    await this.uploaded;
    if (this.opts.cacheDir) await shareGoCache(this.session, builder, img.id);
    const t = await this.session.exec(builder, ['/bin/sh', '-c', TOOLS_SCRIPT], { deadlineMs: 60_000 });
    const tools = Object.fromEntries(
      t.stdout
        .split('\n')
        .map((l) => l.split('='))
        .filter((kv): kv is [string, string] => kv.length >= 2 && !!kv[0])
        .map(([k, ...v]) => [k, v.join('=').trim()]),
    );
    this.goVersions.set(go.version, tools.go ?? go.version);
    this.tools.set(go.version, tools);
    return { go: go.version, tag: img.tag, id: img.id, tools };
  }

  /** Measured emulation slowdown per emulated platform of this run. */
  readonly slowdowns = new Map<string, Slowdown>();

  /**
   * Measure each emulated platform's slowdown on this machine, before any build
   * competes for the CPU. Kept in the cache directory per machine, image and row,
   * so only the first run pays for it (about a second for the four ARM rows).
   */
  async calibrate(platforms: readonly Platform[], go: GoToolchain): Promise<void> {
    const rows = platforms.filter(isEmulated);
    if (!rows.length) return;
    const img = this.image(go.version);
    const file = this.opts.cacheDir ? join(this.opts.cacheDir, 'emulation.json') : undefined;
    let known: Record<string, Slowdown> = {};
    try {
      // --rebuild measures again too: a factor taken on a busy machine is not kept forever.
      if (file && existsSync(file) && !this.opts.rebuild) known = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Slowdown>;
    } catch {
      known = {};
    }
    const keyOf = (p: Platform) =>
      createHash('sha256').update(JSON.stringify([img.id, p.cc, p.run, this.harnessCHash, cpus()[0]?.model ?? '', cpus().length])).digest('hex').slice(0, 24);
    const missing = rows.filter((p) => !known[keyOf(p)]);
    if (missing.length) {
      const builder = await this.session.builder(img.tag);
      const r = await this.session.exec(builder, ['/bin/sh', '-c', plan.calibrationScript(missing, Math.min(this.opts.jobs, cpus().length))], { deadlineMs: 5 * 60_000 });
      const times = parseCalibration(r.stdout);
      for (const p of missing) {
        const s = slowdownFrom(times.get('native') ?? [], times.get(p.name) ?? []);
        if (s) known[keyOf(p)] = s;
        else this.rep.onLog(`could not measure ${p.name}'s emulation slowdown; its timeouts use the table's timeoutScale ${p.timeoutScale}`);
      }
      if (file)
        try {
          writeAtomic(file, `${JSON.stringify(known, null, 2)}\n`);
        } catch {
          // Measured again next run.
        }
    }
    for (const p of rows) {
      const s = known[keyOf(p)];
      if (s) this.slowdowns.set(p.name, s);
    }
  }

  /** A host's time limit on its platform: the case's budget times the platform's measured slowdown. */
  private timeoutMs(c: CaseSpec, p: Platform): number {
    return plan.hostTimeoutMs(c, p, this.opts.timeout, timeoutScale(p, this.slowdowns.get(p.name)));
  }

  private logPath(...parts: string[]): string {
    return join('logs', ...parts);
  }

  private writeLog(rel: string, text: string): void {
    writeAtomic(join(this.runDir, rel), text);
  }

  /**
   * The build steps of a cell, in order: its Go libraries, its C libraries, its
   * host. Pure given the run: the same inputs always give the same steps and keys,
   * which is what lets a run restore every cached artifact before it starts.
   */
  planSteps(cell: CellSpec): StepPlan[] {
    const c = this.cases.get(cell.caseName)!;
    const p = cell.platform;
    const go = cell.go.version;
    const imageId = this.image(go).id;
    const cellLogs = this.logPath(`go${go}`, p.name, c.name);
    const goCache = `${plan.CACHE_DIR}/${plan.goCacheRel(imageId)}`;
    const steps: StepPlan[] = [];
    const add = (st: Omit<StepPlan, 'akey'> & { sources: string[]; deps?: string[] }) => {
      const akey = artifactKey({ sources: st.sources, imageId, env: st.env, cmd: st.cmd, deps: st.deps ?? [] });
      steps.push({ ...st, akey });
      return akey;
    };
    const libKeys = c.libraries.map((lib) => {
      const out = plan.goLibDir(c, lib, p, go);
      const key = plan.goLibKey(c, lib, p, go);
      return add({
        stage: 'build',
        key,
        logRel: this.logPath('builds', `${key}.log`),
        cmd: plan.goBuildCmd(c, lib, out),
        env: plan.buildEnv(p, goCache),
        out,
        target: `${out}/${plan.libFile(lib)}`,
        workdir: `${plan.srcDir(c)}/${lib.dir}`,
        sources: [c.libraryHashes[lib.name]!],
        what: `lib${lib.name}.so`,
        logName: `build-${lib.name}`,
        group: plan.stdGroup(imageId, p),
      });
    });
    const cKeys = (c.cLibraries ?? []).map((cl) => {
      const out = plan.cLibDir(c, cl.name, p, go);
      return add({
        stage: 'host-compile',
        key: `clib:${go}/${p.name}/${c.name}/${cl.name}`,
        logRel: join(cellLogs, `compile-lib${cl.name}.log`),
        cmd: plan.cLibCmd(p, cl.sources, cl.cflags ?? [], out, cl.name),
        env: [],
        out,
        target: `${out}/lib${cl.name}.so`,
        workdir: plan.srcDir(c),
        sources: [c.sourceHash, this.harnessCHash],
        what: `lib${cl.name}.so`,
        logName: `compile-${cl.name}`,
      });
    });
    if (!plan.isPythonHost(c))
      add({
        stage: 'host-compile',
        key: `host:${go}/${p.name}/${c.name}`,
        logRel: join(cellLogs, 'compile.log'),
        cmd: plan.hostCompileCmd(c, p, go),
        env: [],
        out: plan.hostDir(c, p, go),
        target: plan.hostPath(c, p, go),
        workdir: plan.srcDir(c),
        sources: [c.sourceHash, this.harnessCHash],
        // A host embeds its libraries' paths and types: it is rebuilt when they are.
        deps: [...libKeys, ...cKeys],
        what: 'the host',
        logName: 'compile',
      });
    return steps;
  }

  /**
   * Restore every cached artifact the run needs in one exec that copies them
   * from the cache mount into the volume: no exec per step, and no bytes through
   * this process (a tar upload made the harness's memory grow with the cache).
   * The cache is a host directory, so hits are known without asking the engine.
   */
  async restoreCached(cells: readonly CellSpec[]): Promise<void> {
    if (this.opts.rebuild || !this.opts.cacheDir) return;
    const entries = join(this.opts.cacheDir, 'artifacts');
    const hits = new Map<string, StepPlan>();
    for (const cell of cells)
      for (const st of this.planSteps(cell)) if (!hits.has(st.key) && existsSync(join(entries, st.akey, '.ok'))) hits.set(st.key, st);
    if (!hits.size) return;
    // The list goes through the cache mount too: it grows with the matrix, argv does not.
    const list = `restore-${randomBytes(6).toString('hex')}.list`;
    writeFileSync(join(this.opts.cacheDir, list), [...hits.values()].map((st) => `${st.akey}\t${st.out}\n`).join(''));
    try {
      const builder = await this.session.builder(this.image(cells[0]!.go.version).tag);
      const r = await this.session.exec(builder, ['/bin/sh', '-c', plan.RESTORE_SCRIPT, 'csm-restore', `${plan.CACHE_DIR}/${list}`, plan.OUT_ROOT], { deadlineMs: 10 * 60_000 });
      if (r.exitCode !== 0) throw new InfraError(`restoring cached artifacts failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}; rerun with --rebuild to bypass the cache`);
    } finally {
      rmSync(join(this.opts.cacheDir, list), { force: true });
    }
    for (const st of hits.values()) {
      const dir = join(entries, st.akey);
      const log = readFileSync(join(dir, '.log'), 'utf8');
      this.elfByPath.set(st.target, parseReadelf(readFileSync(join(dir, '.elf'), 'utf8')));
      this.writeLog(st.logRel, `$ cd ${st.workdir} && ${plan.shellLine(st.env, st.cmd)}\n${log}\n[artifact cache hit ${st.akey}]\n`);
      this.stats.steps++;
      this.stats.cacheHits++;
      this.builds.set(st.key, Promise.resolve({ ok: true, log, logPath: st.logRel }));
    }
  }

  /** One build step, memoized within the run; its log is written once and shared by every cell that needs it. */
  private build(st: StepPlan, go: string): ReturnType<RunContext['buildOnce']> {
    let b = this.builds.get(st.key);
    if (!b) {
      b = this.buildOnce(st, go);
      this.builds.set(st.key, b);
    }
    return b;
  }

  private async buildOnce(st: StepPlan, go: string): Promise<{ ok: boolean; log: string; logPath: string } | { infra: string }> {
    let r: ExecResult;
    let ms = 0;
    try {
      const builder = await this.session.builder(this.image(go).tag);
      // Host compiles first among ready steps: each is a fraction of a second and unblocks a run.
      r = await this.scheduler.run({ ...(st.group ? { group: st.group } : {}), priority: st.stage === 'host-compile' ? 1 : 0 }, async () => {
        if (this.stopped) return { exitCode: -1, stdout: '', stderr: 'not started: --max-failures reached', deadlineHit: false, truncated: false };
        const t0 = Date.now();
        // The scheduler never runs more steps than lanes, so one is always free.
        const lane = this.lanes.pop()!;
        try {
          return await runBuildStep(this.session, builder, lane, st, { nonce: this.nonce, rebuild: !!this.opts.rebuild, deadlineMs: BUILD_DEADLINE_MS });
        } finally {
          this.lanes.push(lane);
          ms = Date.now() - t0;
        }
      });
    } catch (e) {
      return { infra: (e as Error).message };
    }
    if (r.deadlineHit) return { infra: `build step did not finish within ${BUILD_DEADLINE_MS / 60_000} minutes: ${st.cmd.join(' ')}` };
    const { out: stdout, cpuMs } = plan.splitCpuMark(r.stdout);
    // The marker opens a line; a silent build puts it on the very first one.
    const m = new RegExp(`(^|\\n)${plan.ELF_BEGIN}\\n`).exec(stdout);
    const out = m ? stdout.slice(0, m.index + m[1]!.length) : stdout;
    if (m) this.elfByPath.set(st.target, parseReadelf(stdout.slice(m.index + m[0].length)));
    const hit = out.includes('[cshared-matrix: artifact cache hit ');
    if (st.group && !hit && r.exitCode === 0) this.markWarm(st.group);
    this.stats.steps++;
    if (hit) this.stats.cacheHits++;
    this.stats.ms += ms;
    if (st.stage === 'build') {
      this.stats.goBuildMs += ms;
      this.stats.goBuildCpuMs += cpuMs;
    } else {
      this.stats.compileMs += ms;
      this.stats.compileCpuMs += cpuMs;
    }
    const log = `$ cd ${st.workdir} && ${plan.shellLine(st.env, st.cmd)}\n${out}${r.stderr}\n[exit ${r.exitCode}, ${(ms / 1000).toFixed(2)} s${hit ? ', from the artifact cache' : ''}]\n`;
    this.writeLog(st.logRel, log);
    return { ok: r.exitCode === 0, log: `${out}${r.stderr}`, logPath: st.logRel };
  }

  /** readelf facts gathered by the build steps; best-effort, they never change a verdict. */
  private cellElf(c: CaseSpec, p: CellSpec['platform'], go: string): { libs: Map<string, ElfFacts>; host?: ElfFacts } {
    const libs = new Map<string, ElfFacts>();
    for (const l of c.libraries) {
      const f = this.elfByPath.get(`${plan.goLibDir(c, l, p, go)}/${plan.libFile(l)}`);
      if (f) libs.set(l.name, f);
    }
    const host = plan.isPythonHost(c) ? undefined : this.elfByPath.get(plan.hostPath(c, p, go));
    return { libs, ...(host ? { host } : {}) };
  }

  async runCell(cell: CellSpec): Promise<CellResult | undefined> {
    if (this.stopped) return undefined;
    const c = this.cases.get(cell.caseName)!;
    const p = cell.platform;
    const go = cell.go.version;
    const logs: Record<string, string> = {};
    let obs: CellObservation = {};
    let end: ProcessEnd | undefined;
    let reached: Stage = 'build';
    const repetitions: CellObservation[] = [];

    try {
      if (this.lostWhy) throw new InfraError(this.lostWhy);
      let ok = true;
      for (const st of this.planSteps(cell)) {
        if (!ok) break;
        if (this.stopped) return undefined;
        reached = st.stage;
        this.rep.onStep(cell, st.stage);
        const b = await this.build(st, go);
        if ('infra' in b) {
          obs = { infraError: { stage: st.stage, message: b.infra } };
          ok = false;
          break;
        }
        logs[st.logName] = b.logPath;
        if (!b.ok) obs = { buildFailure: { stage: st.stage, what: st.what, log: b.log } };
        ok = b.ok;
      }
      if (this.stopped) return undefined;
      if (ok && this.rootfs && p.run.length) obs = { notApplicable: `${p.name} runs under qemu-user, which the supplied rootfs does not provide` };
      else if (ok && plan.isPythonHost(c) && !p.python && !this.rootfs) obs = { notApplicable: `no Python for ${p.name} in the image` };
      else if (ok) {
        if (this.stopped) return undefined;
        reached = 'load';
        this.rep.onStep(cell, 'run');
        for (let i = 0; i < Math.max(1, this.opts.repeat ?? 1); i++) {
          const run = await this.runHost(c, cell, i);
          if ('stopped' in run) return undefined;
          logs[i ? `run-${i + 1}` : 'run'] = run.logPath;
          if ('infra' in run) obs = { infraError: { stage: 'run', message: run.infra } };
          else {
            end = run.end;
            obs = { run: { end: run.end, stdout: run.stdout, stderr: run.stderr, durationMs: run.ms, ...(run.lines ? { lines: run.lines } : {}) } };
          }
          repetitions.push(obs);
        }
      }
    } catch (e) {
      obs = { infraError: { stage: reached, message: (e as Error).message } };
    }
    if (obs.infraError) obs = { infraError: { ...obs.infraError, message: (await this.engineLoss()) ?? obs.infraError.message } };

    const goVersion = this.goVersions.get(go) ?? go;
    const rule = findExpectation(c.expect, { platform: p, go: goVersion });
    const { verdict, repeats } = judge(obs, repetitions, c.pass, rule);
    this.failures.onCellEnd(verdict.verdict);
    let elf: CellResult['elf'];
    let explanation: string | undefined;
    if (obs.run) {
      const facts = this.cellElf(c, p, go);
      elf = { libraries: Object.fromEntries([...facts.libs].map(([n, f]) => [n, trimFacts(f, true)])), ...(facts.host ? { host: trimFacts(facts.host, false) } : {}) };
      if (verdict.verdict !== 'pass' && verdict.verdict !== 'na')
        explanation = explainFailure({
          libc: p.libc,
          stage: verdict.stage,
          failureText: verdict.failureText ?? '',
          ...(facts.libs.size ? { library: [...facts.libs.values()][0]! } : {}),
          ...(facts.host ? { host: facts.host } : {}),
          cpu: p.cpu,
          ...(p.goarm ? { goarm: p.goarm } : {}),
        });
    }
    if (this.opts.bundles && obs.run && verdict.verdict !== 'pass') {
      try {
        const builder = await this.session.builder(this.image(go).tag);
        const env = plan.hostEnv(c, p, go);
        const timeoutMs = this.timeoutMs(c, p);
        logs.bundle = await exportBundle({
          session: this.session,
          builder,
          runDir: this.runDir,
          cellId: cell.id,
          paths: plan.artifactPaths(c, p, go),
          image: this.runImage(go),
          tools: this.tools.get(go) ?? {},
          env,
          cmd: plan.runCmd(c, p, go, timeoutMs, 'bundle'),
          cwd: plan.hostCwd(c, p, go),
          verdict: verdict.verdict,
          failureText: verdict.failureText ?? '',
          limits: this.session.limits,
        });
      } catch (e) {
        this.rep.onLog(`could not keep a bundle for ${cell.id}: ${(e as Error).message}`);
      }
    }
    return {
      id: cell.id,
      axes: { case: c.name, platform: p.name, goarch: p.goarch, ...(p.goarm ? { goarm: p.goarm } : {}), libc: p.libc, cpu: p.cpu, go, goVersion },
      ...verdict,
      ...(end ? { exit: end.kind === 'exit' ? { code: end.code } : end.kind === 'signal' ? { signal: end.signal, signalName: end.name } : { timedOut: true } } : {}),
      // The host's own run time; a cell whose host never ran (n/a, build failure) has none.
      durationMs: obs.run?.durationMs ?? 0,
      logs,
      ...(elf ? { elf } : {}),
      ...(explanation ? { explanation } : {}),
      ...(repeats ? { repeats } : {}),
    };
  }

  private lost?: Promise<string | undefined>;
  /** Set once the engine is known to be gone: no cell starts anything after that. */
  private lostWhy?: string;

  /**
   * After an infrastructure error: did the engine itself go away? Then every
   * unfinished cell says so, in the same words, and the run says it once.
   * Asked once per run after the first loss; a healthy answer is asked again.
   */
  private async engineLoss(): Promise<string | undefined> {
    const known = await this.lost;
    if (known) return known;
    this.lost = this.session.engineLost();
    const why = await this.lost;
    if (why && !this.lostWhy) this.rep.onLog(why);
    if (why) this.lostWhy = why;
    else this.lost = undefined;
    return why;
  }

  private async runHost(c: CaseSpec, cell: CellSpec, repetition = 0): Promise<{ stopped: true } | { end: ProcessEnd; stdout: string; stderr: string; ms: number; logPath: string; lines?: LineCounts } | { infra: string; logPath: string }> {
    const p = cell.platform;
    const go = cell.go.version;
    const timeoutMs = this.timeoutMs(c, p);
    const env = plan.hostEnv(c, p, go);
    const cmd = plan.runCmd(c, p, go, timeoutMs, this.nonce);
    const logPath = this.logPath(`go${go}`, p.name, c.name, repetition ? `run-${repetition + 1}.log` : 'run.log');
    const pool = this.session.pool(this.runImage(go).tag, Math.max(1, this.opts.jobs));
    const attempt = async () => {
      // --max-failures: a cell waiting for a slot when the limit is reached never starts.
      if (this.stopped) return undefined;
      const slot = await pool.acquire();
      let healthy = false;
      try {
        // Grace beyond the supervisor's own deadline: the harness only steps in if the supervisor itself is stuck.
        const r = await this.session.runSupervised(slot, cmd, { env, workdir: plan.hostCwd(c, p, go), deadlineMs: timeoutMs + 20_000, maxOutput: 256 << 10 });
        // A timed-out host may have left processes the supervisor could not see, and a
        // scratch directory it could not empty would reach the next cell: never reuse such a container.
        const st = plan.readStatus(r.status ?? '');
        healthy = !r.deadlineHit && st.end?.kind !== 'timeout' && st.clean !== false;
        return { r, st };
      } finally {
        if (healthy) pool.release(slot);
        else await pool.replace(slot);
      }
    };
    let ran: { r: ExecResult; st: plan.Status } | undefined;
    try {
      ran = await this.runLimit(attempt);
      if (!ran) return { stopped: true };
    } catch (e) {
      const msg = `running the host failed in the engine: ${(e as Error).message}`;
      this.writeLog(logPath, msg);
      return { infra: msg, logPath };
    }
    const { r, st } = ran;
    const stderr = r.stderr;
    let end: ProcessEnd | undefined = st.end;
    const ms = st.ms;
    this.stats.runCpuMs += st.cpuMs;
    if (!end && r.deadlineHit) end = { kind: 'timeout', afterMs: timeoutMs + 20_000 };
    const log = [
      `$ ${plan.shellLine(env, cmd)}`,
      `[${end ? JSON.stringify(end) : `no status from the supervisor (exec exit ${r.exitCode})`}]`,
      '--- stdout', r.stdout, '--- stderr', stderr, '',
    ].join('\n');
    this.writeLog(logPath, log);
    if (!end) return { infra: `the run supervisor reported nothing${st.error ? `: ${st.error}` : ''} (exec exit ${r.exitCode}): ${stderr.trim().split('\n').pop() ?? ''}`, logPath };
    return { end, stdout: r.stdout, stderr, ms, logPath, ...(r.lines ? { lines: r.lines } : {}) };
  }
}

function resources(): { userMs: number; systemMs: number; maxRssMiB: number } {
  const u = process.resourceUsage();
  return { userMs: Math.round(u.userCPUTime / 1000), systemMs: Math.round(u.systemCPUTime / 1000), maxRssMiB: Math.round(u.maxRSS / 1024) };
}

/** One hash over every file of a directory (the harness's C sources: hosts compile against them). */
function hashFiles(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  return h.digest('hex');
}

function trimFacts(f: ElfFacts, library: boolean): ElfSummary {
  return {
    summary: summarizeFacts(f),
    flags: f.flags,
    flags1: f.flags1,
    needed: f.needed,
    ...(f.soname ? { soname: f.soname } : {}),
    ...(f.interpreter ? { interpreter: f.interpreter } : {}),
    tls: { initialExec: f.tls.initialExec, dynamic: f.tls.dynamic, local: f.tls.local, models: [...f.tls.models] },
    ...(library ? { exports: userExports(f) } : {}),
    ...(f.arm ? { arm: { ...(f.arm.cpuArch ? { cpuArch: f.arm.cpuArch } : {}), ...(f.arm.floatAbi ? { floatAbi: f.arm.floatAbi } : {}), ...(f.arm.fpArch ? { fpArch: f.arm.fpArch } : {}) } } : {}),
  };
}

export const defaultJobs = (): number => Math.max(1, cpus().length);
