import { runCli } from './common.js';

/**
 * The one entry point (bin/cshared-matrix.js, npm run matrix/repro/merge/diff/audit):
 * `cshared-matrix [PATHS…]` runs the matrix; a first word naming a subcommand
 * runs that instead, as Playwright Test and vitest do. A directory that happens
 * to be called "repro" is given as ./repro.
 */
const SUBCOMMANDS = {
  repro: () => import('./commands/repro.js'),
  merge: () => import('./commands/merge.js'),
  diff: () => import('./commands/diff.js'),
  audit: () => import('./commands/audit.js'),
} as const;

type Subcommand = keyof typeof SUBCOMMANDS;
const isSubcommand = (s: string | undefined): s is Subcommand => s !== undefined && Object.hasOwn(SUBCOMMANDS, s);

runCli(async (argv) => {
  const [first, ...rest] = argv;
  if (isSubcommand(first)) return (await SUBCOMMANDS[first]()).main(rest);
  return (await import('./commands/matrix.js')).main(argv);
});
