/**
 * A run as a list of named tasks over one state, after Playwright Test's
 * runner/taskRunner.ts: each task is timed under its name (the phases of
 * results.json), a task may have a teardown, and teardowns run in reverse for
 * every task that started, whatever happened after it. Pure of Docker: the
 * tasks bring their own effects; unit-tested with fakes.
 */
export interface Task<S> {
  name: string;
  run(state: S): Promise<void>;
  /** Runs if `run` started, even if it threw or the run was interrupted. */
  teardown?(state: S): Promise<void>;
  /** Called once on Ctrl-C while this task or a later one runs: make in-flight work end soon. */
  abort?(state: S): void;
}

export interface TaskRunOutcome {
  /** interrupted: the signal fired; the task that was running ended (its error, if any, is the interruption) and the rest were skipped. */
  status: 'passed' | 'interrupted';
  /** Milliseconds per task name; teardowns add up under TEARDOWN_PHASE. */
  phases: Record<string, number>;
}

export const TEARDOWN_PHASE = 'cleanup';

export class TaskRunner<S> {
  private readonly phases: Record<string, number> = {};

  constructor(
    private readonly tasks: readonly Task<S>[],
    private readonly opts: { signal?: AbortSignal; now?: () => number } = {},
  ) {}

  /** Milliseconds so far, by task name (a report written after the run reads them). */
  get timings(): Readonly<Record<string, number>> {
    return this.phases;
  }

  /** Run every task in order. A task's error is rethrown after the teardowns, unless the run was interrupted. */
  async run(state: S): Promise<TaskRunOutcome> {
    const started: Task<S>[] = [];
    const signal = this.opts.signal;
    const onAbort = () => {
      for (const t of started) t.abort?.(state);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let failure: { error: unknown } | undefined;
    try {
      for (const task of this.tasks) {
        if (signal?.aborted) break;
        started.push(task);
        await this.timed(task.name, () => task.run(state));
      }
    } catch (error) {
      failure = { error };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const teardownError = await this.teardown(started, state);
    const interrupted = !!signal?.aborted;
    if (failure && !interrupted) throw failure.error;
    if (teardownError) throw teardownError.error;
    return { status: interrupted ? 'interrupted' : 'passed', phases: { ...this.phases } };
  }

  /** Every started task's teardown, last first; the first error is kept, the rest still run. */
  private async teardown(started: Task<S>[], state: S): Promise<{ error: unknown } | undefined> {
    let first: { error: unknown } | undefined;
    for (const task of [...started].reverse()) {
      if (!task.teardown) continue;
      try {
        await this.timed(TEARDOWN_PHASE, () => task.teardown!(state));
      } catch (error) {
        first ??= { error };
      }
    }
    return first;
  }

  private async timed(name: string, f: () => Promise<void>): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const t0 = now();
    try {
      await f();
    } finally {
      this.phases[name] = (this.phases[name] ?? 0) + (now() - t0);
    }
  }
}
