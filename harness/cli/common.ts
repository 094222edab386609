import { randomBytes } from 'node:crypto';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EXIT, FatalError, UsageError } from '../core/errors.js';
import { terminalField, terminalText } from '../core/sanitize.js';

/**
 * First Ctrl-C (or SIGTERM): abort cleanly, so containers are removed and the
 * cells that finished are written. A second one only says that this is under
 * way: leaving then would strand the run's volume and its results. A third
 * leaves at once, and so does the process if the cleanup takes over 30 s.
 */
export function abortOnSignals(): AbortSignal {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 2) process.exit(EXIT.interrupted);
    if (signals === 2) {
      process.stderr.write(
        `\ncshared-matrix: ${sig}: still removing this run's containers and writing the finished cells (once more to quit at once and leave them)\n`,
      );
      return;
    }
    process.stderr.write(`\ncshared-matrix: ${sig}: stopping, removing this run's containers\n`);
    ac.abort();
    setTimeout(() => process.exit(EXIT.interrupted), 30_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac.signal;
}

/** A line of ours on stderr around a text that may quote a case, a host or a file: the text is one terminal field. */
export const sayLine = (text: string): void => void process.stderr.write(`cshared-matrix: ${terminalField(text)}\n`);

/**
 * In a GitHub Actions step, no workflow command runs while the harness does
 * (GitHub's documented guard for untrusted output): `::stop-commands::TOKEN`
 * first, on stdout and on stderr (the runner reads the two pipes apart, so each
 * needs its own), and `::TOKEN::` when the process exits, on stdout, which the
 * runner reads after stderr. The token is random, so no text a case prints can
 * end the pause. The sanitizers hold without it; this covers any line they miss.
 */
export function pauseWorkflowCommands(env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  const token = `csm-${randomBytes(16).toString('hex')}`;
  process.stdout.write(`::stop-commands::${token}\n`);
  process.stderr.write(`::stop-commands::${token}\n`);
  process.on('exit', () => process.stdout.write(`::${token}::\n`));
}

/** Run a command's main in this process: its number is the exit code; a FatalError is one line per problem. */
export async function exitCodeOf(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof FatalError) {
      for (const line of e.message.split('\n')) sayLine(line);
      return e.exitCode;
    }
    process.stderr.write(`cshared-matrix: internal error: ${terminalText((e as Error)?.stack ?? String(e))}\n`);
    return EXIT.infra;
  }
}

/** Run a command's main as the process: its exit code is the process's (tests call exitCodeOf, which leaves the process alone). */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  pauseWorkflowCommands();
  void exitCodeOf(main, process.argv.slice(2)).then((code) => process.exit(code));
}

/**
 * Every command's argument parsing: node's parseArgs, a bad flag as one usage
 * line (exit 2), and -h/--help printing the command's text. Returns undefined
 * when help was printed.
 */
type Options = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandLine<const O extends Options>(argv: string[], options: O, help: string, allowPositionals = false) {
  const config = { args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals, strict: true } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs<typeof config>(config);
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${help}\n`);
    return undefined;
  }
  return parsed;
}
