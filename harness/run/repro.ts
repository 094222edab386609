import { basename, join, relative, resolve } from 'node:path';
import type { RunConfig } from '../cli/options.js';
import { UsageError } from '../core/errors.js';
import { axesGo, goLabel } from '../core/matrix.js';
import {
  actualErrorLine,
  findReproduction,
  type GeneratedCase,
  type ParsedReport,
  parseDirectoryReport,
  parseMarkdownReport,
  reportToCase,
} from '../core/report.js';
import type { RunResults } from '../core/results.js';
import { markdownFence, markdownText, terminalField } from '../core/sanitize.js';
import { userlandsReproducing } from '../core/userlands.js';
import { readBugReport, writeCaseFiles } from '../edge/bug-report.js';
import { writeAtomic } from '../edge/files.js';
import { type RunIO, runMatrix } from './runner.js';

export interface ReproCell {
  id: string;
  platform: string;
  go: string;
  /** The userland it loaded on, when the reproduction chose userlands (a report of a glibc too old). */
  userland?: string;
  kind: 'host' | 'dlopen-probe' | 'link-probe';
  verdict: string;
  reproduces: boolean;
  actual: string;
  bundle?: string;
}

export interface ReproOutcome {
  reported: string[];
  cells: ReproCell[];
  reproducedIn: number;
}

function readReport(path: string): { name: string; report: ParsedReport } {
  const stem = basename(resolve(path)).replace(/\.[^.]+$/, '');
  const name = `repro-${
    stem
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[-.]+/, '') || 'report'
  }`.slice(0, 60);
  const given = readBugReport(path);
  return { name, report: 'files' in given ? parseDirectoryReport(given.files) : parseMarkdownReport(given.text) };
}

/** Judge every cell of the reproduction run against the reported error. Pure over the results. */
export function analyse(results: RunResults, reported: string[], caseName: string): ReproOutcome {
  const cells = results.cells.map((c): ReproCell => {
    const kind = c.axes.case === caseName ? 'host' : c.axes.case.endsWith('+dlopen-probe') ? 'dlopen-probe' : 'link-probe';
    const hit = c.failureText ? findReproduction(reported, c.failureText, { sameException: kind === 'host' }) : undefined;
    return {
      id: c.id,
      platform: c.axes.platform,
      go: axesGo(c.axes),
      ...(c.axes.userland ? { userland: c.axes.userland } : {}),
      kind,
      verdict: c.verdict,
      reproduces: !!hit,
      actual:
        c.verdict === 'pass'
          ? `loads and runs (${c.summary})`
          : c.verdict === 'na'
            ? c.summary
            : (hit?.line ?? actualErrorLine(c.failureText)),
      ...(c.logs.bundle ? { bundle: c.logs.bundle } : {}),
    };
  });
  return { reported, cells, reproducedIn: cells.filter((c) => c.reproduces).length };
}

/** The reproduction as terminal text: the report's and the hosts' words are terminal fields (no escape sequence reaches the reader's terminal). */
export function renderRepro(o: ReproOutcome, runDir: string): string {
  const lines = [`reported: ${o.reported[0] === undefined ? '(the report gives no error text)' : terminalField(o.reported[0])}`, ''];
  const rows = [
    ['cell', 'host', 'verdict', 'reproduces', 'actual'],
    ...o.cells.map((c) =>
      [`${c.platform} ${goLabel(c.go)}${c.userland ? ` ${c.userland}` : ''}`, c.kind, c.verdict, c.reproduces ? 'YES' : 'no', c.actual].map(
        terminalField,
      ),
    ),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(r.map((s, i) => (i < 4 ? s.padEnd(widths[i]!) : s)).join('  '));
  const where = o.cells
    .filter((c) => c.reproduces)
    .map((c) => terminalField(`${c.platform}${c.userland ? ` ${c.userland}` : ''} (${c.kind})`));
  lines.push(
    '',
    o.reproducedIn
      ? `reproduced in ${o.reproducedIn} of ${o.cells.length} cells: ${where.join(', ')}`
      : `not reproduced in any of ${o.cells.length} cells`,
  );
  const byHost = o.cells.filter((c) => c.reproduces && c.kind === 'host').map((c) => c.platform);
  if (byHost.length)
    lines.push(
      `the report's own host fails the reported way (the same exception and text) on ${terminalField([...new Set(byHost)].join(', '))}`,
    );
  const bundles = o.cells.filter((c) => c.bundle);
  if (bundles.length)
    lines.push(
      '',
      'rerun a failing cell alone:',
      ...bundles.map(
        (c) => `  sh ${terminalField(join(relative(process.cwd(), runDir) || '.', c.bundle!, 'rerun.sh'))}   # ${terminalField(c.id)}`,
      ),
    );
  return lines.join('\n');
}

export async function reproduce(
  path: string,
  opts: RunConfig,
  io: RunIO,
): Promise<{ outcome: ReproOutcome; results: RunResults; runDir: string; text: string }> {
  const { name, report } = readReport(path);
  let gen: GeneratedCase;
  try {
    gen = reportToCase(name, report);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  // The generated case is kept beside the results, so the reproduction can be rerun or edited.
  const casesDir = join(resolve(opts.resultsDir), '.repro', `${Date.now()}-${process.pid}`);
  const caseDir = join(casesDir, gen.name);
  writeCaseFiles(caseDir, [
    ...gen.files,
    { path: 'case.json', content: `${JSON.stringify(gen.caseFile, null, 2)}\n` },
    { path: 'report.txt', content: `${report.reportedErrors.join('\n')}\n` },
  ]);
  // The loader's "version `GLIBC_2.34' not found" shows only on an older glibc: load on the userland below it, and today's.
  const userlands = opts.userlands?.length ? opts.userlands : userlandsReproducing(report.reportedErrors);
  for (const r of io.reporters)
    r.onLog?.(
      `reproducing ${path}: Go ${report.goFiles.map((f) => f.path).join(', ')} → ${gen.output}; host: ${report.pythonHost ? 'python' : report.cHost ? 'C' : 'none (probes only)'}${userlands.length ? `; userlands ${userlands.join(', ')}` : ''}; case in ${relative(process.cwd(), caseDir)}`,
    );

  const results = await runMatrix({ ...opts, userlands, caseDirs: [casesDir], cases: [], probes: true, bundles: true }, io);
  const runDir = join(resolve(opts.resultsDir), results.run.id);
  const outcome = analyse(results, report.reportedErrors, gen.name);
  const text = renderRepro(outcome, runDir);
  writeAtomic(join(runDir, 'repro.json'), `${JSON.stringify({ source: resolve(path), case: caseDir, ...outcome }, null, 2)}\n`);
  writeAtomic(join(runDir, 'repro.md'), `# Reproduction of ${markdownText(basename(path))}\n\n${markdownFence(text)}\n`);
  return { outcome, results, runDir, text };
}
