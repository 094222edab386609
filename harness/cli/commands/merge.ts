import { join } from 'node:path';
import { EXIT, InfraError, UsageError } from '../../core/errors.js';
import { splitList } from '../../core/matrix.js';
import { logDirFor, mergeablePart, mergeResults, shardGaps } from '../../core/merge.js';
import { EXIT_CODES_HELP, type RunResults } from '../../core/results.js';
import { makeDir, pointLatest, pointLatestIfResults } from '../../edge/files.js';
import { REPO_ROOT } from '../../edge/repo.js';
import { copyRunFile, RefusedRunFile, readRun } from '../../edge/runs.js';
import { DEFAULT_REPORTERS, makeReporters } from '../../reporters/index.js';
import { multiplex } from '../../reporters/reporter.js';
import { newRunId } from '../../run/run-dir.js';
import { parseCommandLine, sayLine } from '../common.js';
import { resolveRunConfig } from '../options.js';

const HELP = `usage: cshared-matrix merge [--results DIR] <run>...     (in this repository: npm run merge -- …)

Merges several runs — typically the shards of one matrix (npm run matrix --
--shard K/N on N machines) — into one new run directory: results.json with the
cells of every run in matrix order, counts and exit code recomputed, and every
report format written over it. Each run's log files are copied into the
merged run as logs/<run id>/<their path in the run>, so the merged run
directory stands alone; only regular files inside a run directory are read
(a symbolic link, or a path leading out, is left out with one line).
\`latest\` is pointed at the merged run.

  <run>           a run directory (or its results.json), or a results root (the --results
                  DIR of a run: its latest run is taken); a cell in two runs is an error
  --results DIR   where the merged run directory goes (default: results/)
  --partial       accept shards that are missing: the merged run still exits by its cells
  --reporter LIST report formats for the merged run (default: ${DEFAULT_REPORTERS.join(',')}; add junit
                  for a test-report action)
  -h, --help      this text

From the merged cells, as for npm run matrix; 2 also means unreadable results
or a log that was left out (a link, or outside its run), and 3 also a missing shard (without --partial) or a merged run that could not
be written.
${EXIT_CODES_HELP}`;

/** A directory name: the run id if it is short enough, else a fresh time-stamped one. */
const mergedRunId = (id: string): string => (id.length <= 200 ? id : `merged-${newRunId()}`);

interface CopyTally {
  missing: number;
  refused: number;
}

/**
 * Copy the log files a run's cells name into the merged run, under logDirFor(run). Only the
 * run's own regular files are copied (edge/runs.ts openRunFile): a link is refused with one
 * line, so the merged reports never inline what it points at.
 */
function copyLogs(run: { results: RunResults; dir: string }, runDir: string, tally: CopyTally): void {
  const dest = join(runDir, logDirFor(run.results));
  for (const rel of new Set(run.results.cells.flatMap((c) => Object.values(c.logs)))) {
    const to = join(dest, rel);
    try {
      // A directory is a repro cell's bundle: not carried over.
      if (copyRunFile(run.dir, rel, to) === 'missing') tally.missing++;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (e instanceof RefusedRunFile) {
        tally.refused++;
        sayLine(`merge: ${e.message}; left out of the merged run`);
      } else if (err.code === 'ENOSPC') throw new InfraError(`disk full while copying logs to ${dest}; free space and rerun`);
      else throw new InfraError(`cannot copy ${join(run.dir, rel)} to ${to}: ${err.message}`);
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    { results: { type: 'string' }, partial: { type: 'boolean' }, reporter: { type: 'string', multiple: true } },
    HELP,
    true,
  );
  if (!parsed) return EXIT.ok;
  const { values: o, positionals } = parsed;
  if (!positionals.length) throw new UsageError('merge: give the run directories to merge (e.g. one per shard); see --help');
  const reporters = makeReporters(o.reporter ? splitList(o.reporter) : DEFAULT_REPORTERS);
  const runs = positionals
    .map((p) => readRun(p, { root: true }))
    .map((r) => ({ ...r, results: mergeablePart(r.results, join(r.dir, 'results.json')) }));

  const { resultsDir } = resolveRunConfig(
    { ...(o.results !== undefined ? { results: o.results } : {}) },
    process.env,
    REPO_ROOT,
    process.cwd(),
  );
  const realResults = makeDir(resultsDir);
  const parts = runs.map((r) => r.results);
  const gaps = shardGaps(parts);
  // A missing shard is an incomplete run, not a green one: written, but exit 3 unless asked for.
  if (gaps)
    sayLine(
      o.partial
        ? `warning: ${gaps}; the merged run covers only the shards given`
        : `incomplete: ${gaps}; the merged run is written but covers only the shards given (merge every shard, or pass --partial)`,
    );
  const whole = mergeResults(parts, { command: ['cshared-matrix merge', ...argv].join(' '), argv });
  const runId = mergedRunId(whole.run.id);
  const runDir = join(realResults, runId);
  const merged = { ...whole, run: { ...whole.run, id: runId } };
  makeDir(runDir);
  const tally: CopyTally = { missing: 0, refused: 0 };
  for (const r of runs) copyLogs(r, runDir, tally);
  const { missing } = tally;
  if (missing)
    sayLine(
      `${missing} log file${missing > 1 ? 's' : ''} named in the runs' results ${missing > 1 ? 'are' : 'is'} missing; the reports say so`,
    );
  try {
    await multiplex(reporters).onEnd(merged, runDir);
  } catch (e) {
    pointLatestIfResults(realResults, runId);
    throw e;
  }
  pointLatest(realResults, runId);
  const byCells = merged.exitCode === EXIT.interrupted ? 0 : merged.exitCode;
  // A refused file is bad input: the merged run is written without it, and the exit says so.
  if (gaps && !o.partial) return Math.max(byCells, EXIT.infra);
  return tally.refused ? Math.max(byCells, EXIT.usage) : merged.exitCode;
}
