// A command's main(argv) run in the test's own process, as bin/cshared-matrix.js
// runs it (harness/cli/common.ts exitCodeOf), instead of a node process per call:
// the unit files stay fast, and what the command prints is captured, never
// written into the TAP stream that stdout carries under tap. The dispatch from
// the first word to a command (harness/cli/main.ts) is the integration files'.
import { exitCodeOf } from '../../harness/cli/common.js';

export interface CommandOutcome {
  status: number;
  stdout: string;
  stderr: string;
}

type Write = typeof process.stdout.write;

/** A stream's write that appends to `into` and keeps the stream's contract (a callback, true). */
function capturing(into: string[]): Write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    if (done) queueMicrotask(done);
    return true;
  }) as Write;
}

/** Set these variables (undefined unsets one) for the call; returns what restores them. */
export function setEnv(env: Record<string, string | undefined>): () => void {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (e: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(e))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  };
  set(env);
  return () => set(before);
}

/** Run `main(argv)` with `env` laid over process.env: its exit code and its two streams. */
export async function runCommand(
  main: (argv: string[]) => Promise<number>,
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<CommandOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const { stdout, stderr } = process;
  const writes = { out: stdout.write, err: stderr.write };
  const restoreEnv = setEnv(env);
  stdout.write = capturing(out);
  stderr.write = capturing(err);
  try {
    const status = await exitCodeOf(main, argv);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.write = writes.out;
    stderr.write = writes.err;
    restoreEnv();
  }
}
