import { EXIT, UsageError } from '../../core/errors.js';
import { REPO_ROOT } from '../../edge/repo.js';
import { DEFAULT_REPORTERS, makeReporters } from '../../reporters/index.js';
import { reproduce } from '../../run/repro.js';
import { abortOnSignals, parseCommandLine } from '../common.js';
import { resolveRunConfig } from '../options.js';

const HELP = `usage: cshared-matrix repro <report> [options]     (in this repository: npm run repro -- …)

Turns a bug report into a reproduction: extracts the Go sources and the host
(Python or C) from a Markdown/text file with fenced code blocks, or from a
directory; builds on every platform; runs the host where it can run and the
generated load probes everywhere; and prints which cells show the reported
error, side by side with what each cell really printed. Each failing cell gets
a bundle that reruns it alone.

  --platform LIST   platforms (default: all)
  --go LIST         Go versions, or "all" (default: the newest)
  --rootfs TARBALL  run the hosts inside this root filesystem (e.g. an Alpine
                    minirootfs with Python); builds still use the toolchain image
  --jobs N, --timeout S, --results DIR   as for npm run matrix

Exit codes: 0 the reported error reproduced in at least one cell; 1 it did not;
2 bad usage or a report with no Go code; 3 infrastructure error; 130 interrupted.`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      platform: { type: 'string', multiple: true },
      go: { type: 'string', multiple: true },
      rootfs: { type: 'string' },
      jobs: { type: 'string' },
      timeout: { type: 'string' },
      results: { type: 'string' },
    },
    HELP,
    true,
  );
  if (!parsed) return EXIT.ok;
  const { values: o, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError('npm run repro -- <report>: give exactly one report (a .md/.txt file or a directory); see --help');
  const cfg = resolveRunConfig({ ...o, 'no-default-cases': true }, process.env, REPO_ROOT, process.cwd());
  const r = await reproduce(positionals[0]!, cfg, { reporters: makeReporters(DEFAULT_REPORTERS), argv, signal: abortOnSignals() });
  process.stdout.write(`\n${r.text}\n`);
  if (r.results.run.interrupted) return EXIT.interrupted;
  if (r.results.counts.error > 0 && r.outcome.reproducedIn === 0) return EXIT.infra;
  return r.outcome.reproducedIn > 0 ? EXIT.ok : EXIT.unexpected;
}
