// npm run bench: the default matrix under four scenarios, measured in one
// invocation on this machine, against a naive sequential `docker run` script.
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { $ } from 'zx';
import { parseCommandLine, runCli } from '../../harness/cli/common.js';
import { resolveRunConfig } from '../../harness/cli/options.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { newestGo } from '../../harness/core/matrix.js';
import { defaultPlatforms, PLATFORMS } from '../../harness/core/platforms.js';
import type { RunResults } from '../../harness/core/results.js';
import { loadCases, REPO_ROOT } from '../../harness/edge/case-files.js';
import { writeAtomic } from '../../harness/edge/files.js';
import { readGoVersions } from '../../harness/edge/images.js';
import { benchImages, firstCellSeconds, removeEveryImage } from './bench-images.js';
import { naiveScript } from './naive.js';
import { checkTargets, SCENARIO, targetLines } from './targets.js';

interface Scenario {
  name: string;
  wallS: number;
  /** The harness process's own CPU. */
  cpuS?: number;
  maxRssMiB?: number;
  cells?: number;
  phases?: Record<string, number>;
  goBuildS?: number;
  compileS?: number;
  runS?: number;
  cacheHits?: string;
  /** CPU the steps' commands used: Go builds, C compiles and host runs. */
  goBuildCpuS?: number;
  compileCpuS?: number;
  runCpuS?: number;
  /** The physical floor: the steps' CPU over the machine's cores. */
  floorS?: number;
  /** Seconds from the command until its first cell was judged. */
  firstVerdictS?: number;
  verdicts?: string;
}

/** The default catalogue's five seed cases, from the 2013 thread: the matrix the 45 s target was sized for. */
const SEED_CASES = ['link', 'dlopen', 'tls', 'environ', 'multi'];

const sec = (ms: number | undefined) => Math.round((ms ?? 0) / 10) / 100;
const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;

/** Where one bench invocation works: a private copy of the catalogue, its own caches and runs. */
interface Bench {
  jobs: number;
  cores: number;
  stamp: string;
  work: string;
  casesDir: string;
  cacheDir: string;
  runsDir: string;
  say: (line: string) => void;
}

const HELP =
  'usage: npm run bench -- [--bare] [--skip-nightly] [--skip-seed] [--skip-naive] [--scale N] [--jobs N]\n' +
  '  the per-push tier (the default run) cold, warm and with one case changed; the nightly tier first and warm;\n' +
  '  a cold run of the seed cases; a first and a warm run over N copies of the catalogue (default 10; 0 skips it);\n' +
  '  a naive script; then the targets of issue 27 against what was measured\n' +
  '  --bare first removes every cshared-matrix image and times the per-push default from nothing:\n' +
  '  its first verdict and its whole run (destructive: the images are rebuilt by the run and the bench)\n' +
  '       npm run bench -- --images\n' +
  '  only the image cache: removes every cshared-matrix image, then times the first cell of a cold\n' +
  '  rebuild against a load from --image-cache (the images are back at the end)';

const FLAGS = {
  bare: { type: 'boolean' },
  'skip-nightly': { type: 'boolean' },
  'skip-seed': { type: 'boolean' },
  'skip-naive': { type: 'boolean' },
  scale: { type: 'string' },
  jobs: { type: 'string' },
  images: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, FLAGS, HELP);
  if (!parsed) return EXIT.ok;
  const o = parsed.values;
  if (o.images) {
    await benchImages(new Date().toISOString().replace(/[:.]/g, '-'), (l) => process.stderr.write(`bench: ${l}\n`));
    return EXIT.ok;
  }
  const { jobs } = resolveRunConfig({ ...(o.jobs !== undefined ? { jobs: o.jobs } : {}) }, process.env, REPO_ROOT);
  const scale = Number(o.scale ?? 10);
  if (!Number.isInteger(scale) || scale < 0)
    throw new UsageError(`--scale must be a whole number (0 skips the scaled runs), got "${o.scale}"`);
  const b = setUp(jobs);
  const scenarios: Scenario[] = [];
  if (o.bare) scenarios.push(await measureBare(b));
  await primeImages(b, !o['skip-nightly']);
  const push = await measurePush(b);
  scenarios.push(...push.scenarios);
  if (!o['skip-nightly']) scenarios.push(...(await measureNightly(b)));
  if (!o['skip-seed'])
    scenarios.push(
      await measure(
        b,
        `cold Go cache, ${SEED_CASES.length} seed cases only`,
        ['--case', SEED_CASES.join(',')],
        [b.casesDir],
        join(b.work, 'cache-seed'),
      ),
    );
  const scaled = scale > 1 ? await measureScaled(b, scale) : undefined;
  if (scaled) scenarios.push(scaled.prime, scaled.warm);
  const naive = o['skip-naive'] ? undefined : await measureNaive(b, push.cold.results);
  if (naive) scenarios.push(naive);
  const ratios = naive
    ? { naiveOverWarm: ratio(naive.wallS, push.warm.wallS), naiveOverCold: ratio(naive.wallS, push.cold.wallS) }
    : undefined;
  writeBench(b, scenarios, ratios, scaled ? scalingOf(scale, push.warm, scaled.warm) : undefined);
  return EXIT.ok;
}

function writeBench(b: Bench, scenarios: Scenario[], ratios: Ratios | undefined, scaling: Scaling | undefined): void {
  const table = renderTable(scenarios);
  const targets = checkTargets(scenarios);
  const lines = [...notes(b, ratios, scaling), '', 'targets (issue 27):', ...targetLines(targets)];
  process.stdout.write(`\n${table}\n\n${lines.join('\n')}\n`);
  const out = join(REPO_ROOT, 'results', `bench-${b.stamp}.json`);
  const stripped = scenarios.map((s) => ({ ...s, results: undefined }));
  const record = { stamp: b.stamp, jobs: b.jobs, cores: b.cores, scenarios: stripped, ratios, scaling, targets, table };
  writeAtomic(out, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`written: ${relative(process.cwd(), out)}\n`);
}

type Ratios = { naiveOverWarm: number; naiveOverCold: number };

/** Images are built outside the measurement: every scenario but the bare one has them (the nightly tier's layers too). */
async function primeImages(b: Bench, nightly: boolean): Promise<void> {
  b.say('making sure the images exist (not measured)');
  const tier = nightly ? ['--tier', 'nightly'] : [];
  const p = await $({
    cwd: REPO_ROOT,
    quiet: true,
    nothrow: true,
  })`node --max-semi-space-size=4 --import tsx harness/cli/main.ts --images-only ${tier}`;
  // Exit 3: layers the mirror cannot serve (this machine's lacks trixie's libc6 for armel, ppc64el, s390x): their cells are errors alike in every scenario.
  if (p.exitCode === 3) b.say(p.stderr.trim().split('\n').at(-1) ?? 'some layers could not be built');
  else if (p.exitCode !== 0) throw new Error(`the images: the harness exited ${p.exitCode}:\n${p.stderr.slice(-2000)}`);
}

/** The per-push tier, the default run: cold Go cache, warm, and after one edit. */
async function measurePush(b: Bench): Promise<{ scenarios: Scenario[]; cold: Scenario & { results: RunResults }; warm: Scenario }> {
  const cold = await measure(b, SCENARIO.pushCold);
  const warm = await measure(b, SCENARIO.pushWarm);
  appendFileSync(join(b.casesDir, 'link', 'golib', 'hello.go'), `\n// bench edit ${b.stamp}\n`);
  const changed = await measure(b, SCENARIO.pushChanged);
  return { scenarios: [cold, warm, changed], cold, warm };
}

/** The nightly tier on the push runs' cache: its first run builds only what the push tier did not, then warm. */
async function measureNightly(b: Bench): Promise<Scenario[]> {
  const first = await measure(b, SCENARIO.nightlyFirst, ['--tier', 'nightly']);
  const warm = await measure(b, SCENARIO.nightlyWarm, ['--tier', 'nightly']);
  return [first, warm];
}

/** A bare machine's first push: every image removed, caches empty; the clock starts at the command. */
async function measureBare(b: Bench): Promise<Scenario> {
  await removeEveryImage(b.say);
  return measure(b, SCENARIO.bare, [], [b.casesDir], join(b.work, 'cache-bare'));
}

function setUp(jobs: number): Bench {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = join(REPO_ROOT, 'results', 'bench', stamp);
  const b: Bench = {
    jobs,
    cores: cpus().length,
    stamp,
    work,
    casesDir: join(work, 'cases'),
    cacheDir: join(work, 'cache'),
    runsDir: join(work, 'runs'),
    say: (l) => process.stderr.write(`bench: ${l}\n`),
  };
  mkdirSync(b.runsDir, { recursive: true });
  // The benchmark edits a case; it does so on a private copy of the catalogue.
  cpSync(join(REPO_ROOT, 'cases'), b.casesDir, { recursive: true });
  return b;
}

/** One harness run, timed from outside, with what its results.json says of itself. */
async function measure(
  b: Bench,
  name: string,
  extra: string[] = [],
  dirs = [b.casesDir],
  cache = b.cacheDir,
): Promise<Scenario & { results: RunResults }> {
  b.say(`${name}…`);
  const t0ms = Date.now();
  const t0 = process.hrtime.bigint();
  const p = await $({
    cwd: REPO_ROOT,
    nothrow: true,
    quiet: true,
    env: { ...process.env, CI: '1' },
  })`node --max-semi-space-size=4 --import tsx harness/cli/main.ts --no-default-cases ${dirs.flatMap((d) => ['--cases', d])} --cache ${cache} --results ${b.runsDir} --jobs ${b.jobs} ${extra}`;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // Exit 3 with results: cells in error (layers this mirror cannot serve), shown in the verdicts column; anything else stops the bench.
  if (![0, 1, 3].includes(p.exitCode ?? -1)) throw new Error(`${name}: the harness exited ${p.exitCode}:\n${p.stderr.slice(-2000)}`);
  const r = JSON.parse(readFileSync(join(b.runsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  return { ...scenarioOf(name, wall, r, b.cores), firstVerdictS: Math.round(firstCellSeconds(r, t0ms) * 10) / 10, results: r };
}

function scenarioOf(name: string, wall: number, r: RunResults, cores: number): Scenario {
  const runMs = r.cells.reduce((s, c) => s + (c.durationMs ?? 0), 0);
  const b = r.run.builds!;
  // The floor: the CPU of the work no scheduler can avoid (the builds this run
  // had to do, and every host run), spread over every core of the machine.
  const workCpuMs = (b.goBuildCpuMs ?? 0) + (b.compileCpuMs ?? 0) + (b.runCpuMs ?? 0);
  return {
    name,
    wallS: Math.round(wall * 100) / 100,
    cpuS: sec((r.run.resources?.userMs ?? 0) + (r.run.resources?.systemMs ?? 0)),
    maxRssMiB: r.run.resources?.maxRssMiB ?? 0,
    cells: r.cells.length,
    phases: r.run.phases ?? {},
    goBuildS: sec(b.goBuildMs),
    compileS: sec(b.compileMs),
    runS: sec(runMs),
    goBuildCpuS: sec(b.goBuildCpuMs),
    compileCpuS: sec(b.compileCpuMs),
    runCpuS: sec(b.runCpuMs),
    cacheHits: `${b.cacheHits}/${b.steps}`,
    floorS: sec(workCpuMs / cores),
    verdicts: Object.entries(r.counts)
      .filter(([k, v]) => k !== 'total' && v)
      .map(([k, v]) => `${v} ${k}`)
      .join(', '),
  };
}

/**
 * N copies of every case under new names: N× the cells and hosts, the same
 * Go sources. Build work follows distinct sources, so the libraries are
 * shared; every host is compiled and every cell runs.
 */
async function measureScaled(b: Bench, scale: number): Promise<{ prime: Scenario; warm: Scenario }> {
  const synth = join(b.work, 'synthetic');
  for (const c of loadCases([b.casesDir]))
    for (let i = 1; i <= scale; i++) cpSync(c.dir, join(synth, `${c.name}-x${i}`), { recursive: true });
  const prime = await measure(b, `first run, ${scale}× cases (hosts compiled, libraries shared)`, [], [synth]);
  const warm = await measure(b, `warm re-run, ${scale}× cases`, [], [synth]);
  return { prime, warm };
}

async function measureNaive(b: Bench, cold: RunResults): Promise<Scenario> {
  const go = newestGo(readGoVersions());
  const image = cold.images.find((i) => i.go === go.version)!;
  const script = naiveScript(
    loadCases([join(REPO_ROOT, 'cases')]),
    defaultPlatforms(PLATFORMS),
    go.version,
    image.id,
    join(b.work, 'naive'),
  );
  const file = join(b.work, 'naive.sh');
  writeFileSync(file, script);
  b.say(`naive: ${relative(REPO_ROOT, file)} (sequential docker run per step, no cache)…`);
  const t0 = process.hrtime.bigint();
  const p = await $({ nothrow: true, quiet: true })`bash ${file}`;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(join(b.work, 'naive'), { recursive: true, force: true });
  return {
    name: 'naive: docker run per step, sequential, no cache',
    wallS: Math.round(wall * 100) / 100,
    cells: Number(/cells=(\d+)/.exec(p.stdout)?.[1] ?? 0),
  };
}

interface Scaling {
  factor: number;
  cells: number;
  wall: number;
  cellsPhase: number;
  runCpu: number;
  rssMiB: number[];
}

function scalingOf(scale: number, warm: Scenario, scaled: Scenario): Scaling {
  return {
    factor: scale,
    cells: ratio(scaled.cells!, warm.cells!),
    wall: ratio(scaled.wallS, warm.wallS),
    cellsPhase: ratio(scaled.phases!.cells!, warm.phases!.cells!),
    runCpu: ratio(scaled.runCpuS!, warm.runCpuS!),
    rssMiB: [warm.maxRssMiB!, scaled.maxRssMiB!],
  };
}

function renderTable(scenarios: Scenario[]): string {
  const f2 = (n: number | undefined) => (n === undefined ? '' : n.toFixed(2));
  const rows = [
    [
      'scenario',
      'cells',
      'wall s',
      'floor s',
      'first verdict s',
      'go build cpu s',
      'compile cpu s',
      'run cpu s',
      'harness cpu s',
      'rss MiB',
      'cache',
      'images s',
      'prepare s',
      'cells s',
    ],
    ...scenarios.map((s) => [
      s.name,
      String(s.cells ?? ''),
      f2(s.wallS),
      f2(s.floorS),
      s.firstVerdictS === undefined ? '' : s.firstVerdictS.toFixed(1),
      f2(s.goBuildCpuS),
      f2(s.compileCpuS),
      f2(s.runCpuS),
      f2(s.cpuS),
      String(s.maxRssMiB ?? ''),
      s.cacheHits ?? '',
      s.phases ? f2(sec(s.phases['engine+images'])) : '',
      s.phases ? f2(sec((s.phases.prepare ?? 0) + (s.phases.calibrate ?? 0) + (s.phases.restore ?? 0))) : '',
      s.phases ? f2(sec(s.phases.cells)) : '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function notes(b: Bench, ratios: { naiveOverWarm: number; naiveOverCold: number } | undefined, scaling: Scaling | undefined): string[] {
  return [
    `jobs ${b.jobs}, ${b.cores} cores. floor = CPU of the Go builds and C compiles the run had to do, plus every host run, divided by ${b.cores} cores: no schedule can beat it. wall − floor is the harness's overhead.`,
    ...(ratios ? [`naive/warm = ${ratios.naiveOverWarm}×, naive/cold = ${ratios.naiveOverCold}×`] : ['naive skipped']),
    ...(scaling
      ? [
          `${scaling.factor}× cases: cells ×${scaling.cells}, wall ×${scaling.wall}, cells phase ×${scaling.cellsPhase}, host-run CPU ×${scaling.runCpu}; peak RSS ${scaling.rssMiB[0]} → ${scaling.rssMiB[1]} MiB`,
        ]
      : []),
  ];
}

runCli(main);
