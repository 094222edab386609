// npm run bench: the default matrix under four scenarios, measured in one
// invocation on this machine, against a naive sequential `docker run` script.
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { $ } from 'zx';
import { REPO_ROOT, loadCases } from './core/cases.js';
import { EXIT } from './core/errors.js';
import { PLATFORMS } from './core/platforms.js';
import type { RunResults } from './core/results.js';
import { parseCommandLine, runCli } from './cli-common.js';
import { naiveScript } from './naive.js';
import { writeAtomic } from './edge/files.js';
import { readGoVersions } from './edge/images.js';
import { newestGo } from './core/matrix.js';

interface Scenario {
  name: string;
  wallS: number;
  cpuS?: number;
  maxRssMiB?: number;
  cells?: number;
  phases?: Record<string, number>;
  goBuildS?: number;
  compileS?: number;
  runS?: number;
  cacheHits?: string;
  floorS?: number;
  verdicts?: string;
}

const sec = (ms: number | undefined) => Math.round((ms ?? 0) / 10) / 100;

async function main(argv: string[]): Promise<number> {
  const help = 'usage: npm run bench -- [--skip-naive] [--scale N] [--jobs N]\n  cold, warm, one-case-changed and naive runs of the default matrix; --scale N adds a warm run over N× generated cases';
  const parsed = parseCommandLine(argv, { 'skip-naive': { type: 'boolean' }, scale: { type: 'string' }, jobs: { type: 'string' } }, help);
  if (!parsed) return EXIT.ok;
  const o = parsed.values;
  const jobs = Number(o.jobs ?? cpus().length);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const work = join(REPO_ROOT, 'results', 'bench', stamp);
  const casesDir = join(work, 'cases');
  const cacheDir = join(work, 'cache');
  const runsDir = join(work, 'runs');
  mkdirSync(runsDir, { recursive: true });
  // The benchmark edits a case; it does so on a private copy of the catalogue.
  cpSync(join(REPO_ROOT, 'cases'), casesDir, { recursive: true });
  const say = (l: string) => process.stderr.write(`bench: ${l}\n`);

  const harness = async (name: string, extra: string[] = [], dirs = [casesDir]): Promise<Scenario & { results: RunResults }> => {
    say(`${name}…`);
    const t0 = process.hrtime.bigint();
    const p = await $({ cwd: REPO_ROOT, nothrow: true, quiet: true, env: { ...process.env, CI: '1' } })`node --import tsx harness/cli.ts --no-default-cases ${dirs.flatMap((d) => ['--cases', d])} --cache ${cacheDir} --results ${runsDir} --jobs ${jobs} ${extra}`;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.exitCode !== 0 && p.exitCode !== 1) throw new Error(`${name}: the harness exited ${p.exitCode}:\n${p.stderr.slice(-2000)}`);
    const r = JSON.parse(readFileSync(join(runsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
    const runMs = r.cells.reduce((s, c) => s + (c.durationMs ?? 0), 0);
    const b = r.run.builds!;
    // The floor: work no scheduler can avoid (the builds this run had to do, and every host run), spread over the jobs.
    const floorMs = (b.goBuildMs + b.compileMs + runMs) / jobs;
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
      cacheHits: `${b.cacheHits}/${b.steps}`,
      floorS: sec(floorMs),
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
  scenarios.push(await harness('warm re-run, no change'));
  const hello = join(casesDir, 'link', 'golib', 'hello.go');
  appendFileSync(hello, `\n// bench edit ${stamp}\n`);
  scenarios.push(await harness('one case changed (link: Go source edited)'));

  if (o.scale) {
    const n = Number(o.scale);
    const synth = join(work, 'synthetic');
    const base = loadCases([casesDir]).length;
    for (let i = 0; i < n * base; i++) {
      const d = join(synth, `synth${i}`);
      cpSync(join(REPO_ROOT, 'cases', 'link'), d, { recursive: true });
      appendFileSync(join(d, 'golib', 'hello.go'), `\n// synthetic ${i}\n`);
    }
    await harness(`prime ${n}× synthetic (not in the table)`, [], [synth]);
    scenarios.push(await harness(`warm re-run, ${n}× cases (${n * base} generated)`, [], [synth]));
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

  const warm = scenarios[1]!;
  const ratios = naive ? { naiveOverWarm: Math.round((naive.wallS / warm.wallS) * 10) / 10, naiveOverCold: Math.round((naive.wallS / cold.wallS) * 10) / 10 } : undefined;
  const rows = [
    ['scenario', 'cells', 'wall s', 'floor s', 'cpu s', 'rss MiB', 'go build s', 'compile s', 'runs s', 'cache', 'images s', 'prepare s', 'cells s'],
    ...scenarios.map((s) => [s.name, String(s.cells ?? ''), s.wallS.toFixed(2), s.floorS?.toFixed(2) ?? '', s.cpuS?.toFixed(2) ?? '', String(s.maxRssMiB ?? ''), s.goBuildS?.toFixed(2) ?? '', s.compileS?.toFixed(2) ?? '', s.runS?.toFixed(2) ?? '', s.cacheHits ?? '', sec(s.phases?.['engine+images']).toFixed(2), sec((s.phases?.prepare ?? 0) + (s.phases?.restore ?? 0)).toFixed(2), sec(s.phases?.cells).toFixed(2)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const notes = [
    `jobs ${jobs}, ${cpus().length} cores; floor = (Go builds + host compiles this run had to do + every host run) / jobs; go build/compile/runs are summed step times`,
    ...(ratios ? [`naive/warm = ${ratios.naiveOverWarm}×, naive/cold = ${ratios.naiveOverCold}×`] : ['naive skipped']),
  ];
  process.stdout.write(`\n${table}\n\n${notes.join('\n')}\n`);
  const out = join(REPO_ROOT, 'results', `bench-${stamp}.json`);
  writeAtomic(out, `${JSON.stringify({ stamp, jobs, cores: cpus().length, scenarios: scenarios.map(({ ...s }) => ({ ...s, results: undefined })), ratios, table }, null, 2)}\n`);
  process.stdout.write(`written: ${relative(process.cwd(), out)}\n`);
  return EXIT.ok;
}

runCli(main);
