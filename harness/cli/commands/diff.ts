import { join } from 'node:path';
import { diffRuns, renderDiffMarkdown } from '../../core/diff.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { writeAtomic } from '../../edge/files.js';
import { readRun } from '../../edge/runs.js';
import { parseCommandLine } from '../common.js';

const HELP = `usage: cshared-matrix diff <old> <new>     (in this repository: npm run diff -- <old> <new>)

Compares two runs cell by cell (each a run directory, e.g. results/latest, or a
results.json), prints the changes as Markdown and writes diff.md and diff.json
into the new run's directory.

  regressions    was pass or xfail, now fail, timeout or error
  fixes          xfail → xpass (an upstream fix probably landed: update the
                 expectation), fail or timeout → pass
  other changes  any other change of verdict
  added/removed  cells in only one of the runs

  -h, --help     this text

Exit codes: 0 no regression; 1 some regression; 2 bad usage or unreadable
results; 3 the diff could not be written.`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, {}, HELP, true);
  if (!parsed) return EXIT.ok;
  if (parsed.positionals.length !== 2)
    throw new UsageError('diff: give exactly two runs, <old> <new> (run directories or results.json files); see --help');
  const [oldArg, newArg] = parsed.positionals as [string, string];
  const before = readRun(oldArg);
  const after = readRun(newArg);
  const diff = diffRuns(before.results, after.results);
  const md = renderDiffMarkdown(diff);
  writeAtomic(join(after.dir, 'diff.json'), `${JSON.stringify(diff, null, 2)}\n`);
  writeAtomic(join(after.dir, 'diff.md'), md);
  process.stdout.write(md);
  return diff.regressions.length ? EXIT.unexpected : EXIT.ok;
}
