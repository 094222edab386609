// npm run bench: the default matrix under four scenarios, measured in one
// invocation on this machine, against a naive sequential `docker run` script.
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { $ } from 'zx';
import { REPO_ROOT, loadCases } from './edge/case-files.js';
import { EXIT, UsageError } from './core/errors.js';
import { PLATFORMS } from './core/platforms.js';
import type { RunResults } from './core/results.js';
import { parseCommandLine, runCli } from './cli-common.js';
import { resolveRunConfig } from './options.js';
import { naiveScript } from './naive.js';
import { writeAtomic } from './edge/files.js';
import { readGoVersions } from './edge/images.js';
import { newestGo } from './core/matrix.js';

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
  verdicts?: string;
}

/** The default catalogue's five seed cases, from the 2013 thread: the matrix the 45 s target was sized for. */
const SEED_CASES = ['link', 'dlopen', 'tls', 'environ', 'multi'];

const sec = (ms: number | undefined) => Math.round((ms ?? 0) / 10) / 100;

async function main(argv: string[]): Promise<number> {
  const help =
    'usage: npm run bench -- [--skip-naive] [--scale N] [--jobs N]\n' +
    '  cold, warm, one-case-changed and naive runs of the default matrix, a cold run of the seed cases,\n' +
    '  and a warm run over N copies of the catalogue (default 10; 0 skips it)';
  const parsed = parseCommandLine(argv, { 'skip-naive': { type: 'boolean' }, scale: { type: 'string' }, jobs: { type: 'string' } }, help);
  if (!parsed) return EXIT.ok;
  const o = parsed.values;
  const cores = cpus().length;
  const { jobs } = resolveRunConfig({ ...(o.jobs !== undefined ? { jobs: o.jobs } : {}) }, process.env, REPO_ROOT);
  const scale = Number(o.scale ?? 10);
  if (!Number.isInteger(scale) || scale < 0) throw new UsageError(`--scale must be a whole number (0 skips the scaled runs), got "${o.scale}"`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = join(REPO_ROOT, 'results', 'bench', stamp);
  const casesDir = join(work, 'cases');
  const cacheDir = join(work, 'cache');
  const runsDir = join(work, 'runs');
  mkdirSync(runsDir, { recursive: true });
  // The benchmark edits a case; it does so on a private copy of the catalogue.
  cpSync(join(REPO_ROOT, 'cases'), casesDir, { recursive: true });
  const say = (l: string) => process.stderr.write(`bench: ${l}\n`);

  const harness = async (name: string, extra: string[] = [], dirs = [casesDir], cache = cacheDir): Promise<Scenario & { results: RunResults }> => {
    say(`${name}…`);
    const t0 = process.hrtime.bigint();
    const p = await $({ cwd: REPO_ROOT, nothrow: true, quiet: true, env: { ...process.env, CI: '1' } })`node --import tsx harness/cli.ts --no-default-cases ${dirs.flatMap((d) => ['--cases', d])} --cache ${cache} --results ${runsDir} --jobs ${jobs} ${extra}`;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.exitCode !== 0 && p.exitCode !== 1) throw new Error(`${name}: the harness exited ${p.exitCode}:\n${p.stderr.slice(-2000)}`);
    const r = JSON.parse(readFileSync(join(runsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
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
      verdicts: Object.entries(r.counts).filter(([k, v]) => k !== 'total' && v).map(([k, v]) => `${v} ${k}`).join(', '),
      results: r,
    };
  };

  // Images are built outside the measurement: every scenario has them.
  say('making sure the images exist (not measured)');
  await $({ cwd: REPO_ROOT, quiet: true })`node --import tsx harness/cli.ts --case link --platform amd64-glibc --results ${join(work, 'prime')}`;

  const scenarios: Scenario[] = [];
  const cold = await harness('cold Go cache, images present');
  scenarios.push(cold);
  const warm = await harness('warm re-run, no change');
  scenarios.push(warm);
  const hello = join(casesDir, 'link', 'golib', 'hello.go');
  appendFileSync(hello, `\n// bench edit ${stamp}\n`);
  scenarios.push(await harness('one case changed (link: Go source edited)'));
  scenarios.push(await harness(`cold Go cache, ${SEED_CASES.length} seed cases only`, ['--case', SEED_CASES.join(',')], [casesDir], join(work, 'cache-seed')));

  let scaled: { prime: Scenario; warm: Scenario } | undefined;
  if (scale > 1) {
    // N copies of every case under new names: N× the cells and hosts, the same
    // Go sources. Build work follows distinct sources, so the libraries are
    // shared; every host is compiled and every cell runs.
    const synth = join(work, 'synthetic');
    for (const c of loadCases([casesDir])) for (let i = 1; i <= scale; i++) cpSync(c.dir, join(synth, `${c.name}-x${i}`), { recursive: true });
    const prime = await harness(`first run, ${scale}× cases (hosts compiled, libraries shared)`, [], [synth]);
    const again = await harness(`warm re-run, ${scale}× cases`, [], [synth]);
    scenarios.push(prime, again);
    scaled = { prime, warm: again };
  }

  let naive: Scenario | undefined;
  if (!o['skip-naive']) {
    const go = newestGo(readGoVersions());
    const image = cold.results.images.find((i) => i.go === go.version)!;
    const script = naiveScript(loadCases([join(REPO_ROOT, 'cases')]), PLATFORMS, go.version, image.id, join(work, 'naive'));
    const file = join(work, 'naive.sh');
    writeFileSync(file, script);
    say(`naive: ${relative(REPO_ROOT, file)} (sequential docker run per step, no cache)…`);
    const t0 = process.hrtime.bigint();
    const p = await $({ nothrow: true, quiet: true })`bash ${file}`;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    naive = { name: 'naive: docker run per step, sequential, no cache', wallS: Math.round(wall * 100) / 100, cells: Number(/cells=(\d+)/.exec(p.stdout)?.[1] ?? 0) };
    scenarios.push(naive);
    rmSync(join(work, 'naive'), { recursive: true, force: true });
  }

  const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
  const ratios = naive ? { naiveOverWarm: ratio(naive.wallS, warm.wallS), naiveOverCold: ratio(naive.wallS, cold.wallS) } : undefined;
  const scaling = scaled
    ? {
        factor: scale,
        cells: ratio(scaled.warm.cells!, warm.cells!),
        wall: ratio(scaled.warm.wallS, warm.wallS),
        cellsPhase: ratio(scaled.warm.phases!.cells!, warm.phases!.cells!),
        runCpu: ratio(scaled.warm.runCpuS!, warm.runCpuS!),
        rssMiB: [warm.maxRssMiB!, scaled.warm.maxRssMiB!],
      }
    : undefined;
  const f2 = (n: number | undefined) => (n === undefined ? '' : n.toFixed(2));
  const rows = [
    ['scenario', 'cells', 'wall s', 'floor s', 'go build cpu s', 'compile cpu s', 'run cpu s', 'harness cpu s', 'rss MiB', 'cache', 'images s', 'prepare s', 'cells s'],
    ...scenarios.map((s) => [
      s.name,
      String(s.cells ?? ''),
      f2(s.wallS),
      f2(s.floorS),
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
  const table = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const notes = [
    `jobs ${jobs}, ${cores} cores. floor = CPU of the Go builds and C compiles the run had to do, plus every host run, divided by ${cores} cores: no schedule can beat it. wall − floor is the harness's overhead.`,
    ...(ratios ? [`naive/warm = ${ratios.naiveOverWarm}×, naive/cold = ${ratios.naiveOverCold}×`] : ['naive skipped']),
    ...(scaling
      ? [
          `${scale}× cases: cells ×${scaling.cells}, wall ×${scaling.wall}, cells phase ×${scaling.cellsPhase}, host-run CPU ×${scaling.runCpu}; peak RSS ${scaling.rssMiB[0]} → ${scaling.rssMiB[1]} MiB`,
        ]
      : []),
  ];
  process.stdout.write(`\n${table}\n\n${notes.join('\n')}\n`);
  const out = join(REPO_ROOT, 'results', `bench-${stamp}.json`);
  writeAtomic(out, `${JSON.stringify({ stamp, jobs, cores, scenarios: scenarios.map(({ ...s }) => ({ ...s, results: undefined })), ratios, scaling, table }, null, 2)}\n`);
  process.stdout.write(`written: ${relative(process.cwd(), out)}\n`);
  return EXIT.ok;
}

runCli(main);
