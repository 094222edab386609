import t from 'tap';
import { type Task, TaskRunner, TEARDOWN_PHASE } from '../../harness/core/task-runner.js';

/** A clock that moves only when a task says so. */
function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

type Log = string[];
const task = (name: string, over: Partial<Task<Log>> = {}): Task<Log> => ({
  name,
  run: async (l) => void l.push(`run ${name}`),
  teardown: async (l) => void l.push(`teardown ${name}`),
  ...over,
});

t.test('tasks run in order; teardowns in reverse; each is timed under its name', async (t) => {
  const clock = fakeClock();
  const log: Log = [];
  const tasks = ['load', 'prepare', 'cells'].map((n, i) =>
    task(n, { run: async (l) => (l.push(`run ${n}`), clock.advance(10 * (i + 1))) }),
  );
  const out = await new TaskRunner(tasks, { now: clock.now }).run(log);
  t.same(log, ['run load', 'run prepare', 'run cells', 'teardown cells', 'teardown prepare', 'teardown load']);
  t.equal(out.status, 'passed');
  t.same(out.phases, { load: 10, prepare: 20, cells: 30, [TEARDOWN_PHASE]: 0 });
});

t.test('a failing task: the rest are skipped, the started ones torn down, the error rethrown', async (t) => {
  const log: Log = [];
  const boom = new Error('boom');
  const tasks = [task('a'), task('b', { run: async () => Promise.reject(boom) }), task('c')];
  await t.rejects(new TaskRunner(tasks).run(log), boom);
  t.same(log, ['run a', 'teardown b', 'teardown a'], 'c never ran; b started, so it is torn down');
});

t.test("a failing teardown does not stop the others; its error is the run's", async (t) => {
  const log: Log = [];
  const bad = new Error('teardown failed');
  const tasks = [task('a'), task('b', { teardown: async () => Promise.reject(bad) })];
  await t.rejects(new TaskRunner(tasks).run(log), bad);
  t.same(log, ['run a', 'run b', 'teardown a']);
});

t.test('a task error wins over a teardown error', async (t) => {
  const first = new Error('task');
  const tasks: Task<Log>[] = [
    { name: 'a', run: async () => Promise.reject(first), teardown: async () => Promise.reject(new Error('teardown')) },
  ];
  await t.rejects(new TaskRunner(tasks).run([]), first);
});

t.test("interrupted: abort hooks of started tasks fire, the running task's error is the interruption, the rest are skipped", async (t) => {
  const log: Log = [];
  const ac = new AbortController();
  let release!: () => void;
  const tasks = [
    task('session', { abort: (l) => (l.push('abort session'), release()) }),
    task('cells', {
      run: async (l) => {
        l.push('run cells');
        await new Promise<void>((r) => (release = r));
        throw new Error('the run is shutting down');
      },
      abort: (l) => void l.push('abort cells'),
    }),
    task('after'),
  ];
  const running = new TaskRunner(tasks, { signal: ac.signal }).run(log);
  await new Promise((r) => setImmediate(r));
  ac.abort();
  const out = await running;
  t.equal(out.status, 'interrupted');
  t.same(log, ['run session', 'run cells', 'abort session', 'abort cells', 'teardown cells', 'teardown session']);
});

t.test('aborted before a task starts: it never starts', async (t) => {
  const log: Log = [];
  const ac = new AbortController();
  const tasks = [task('a', { run: async (l) => (l.push('run a'), ac.abort()) }), task('b')];
  const out = await new TaskRunner(tasks, { signal: ac.signal }).run(log);
  t.equal(out.status, 'interrupted');
  t.same(log, ['run a', 'teardown a']);
  t.same(Object.keys(out.phases).sort(), [TEARDOWN_PHASE, 'a'].sort(), 'b has no time');
});

t.test('a task that runs twice adds up; timings can be read during the run', async (t) => {
  const clock = fakeClock();
  let seen: Record<string, number> = {};
  const runner: TaskRunner<null> = new TaskRunner(
    [
      { name: 'x', run: async () => clock.advance(5) },
      { name: 'x', run: async () => clock.advance(7) },
      { name: 'y', run: async () => void (seen = { ...runner.timings }) },
    ],
    { now: clock.now },
  );
  const out = await runner.run(null);
  t.same(out.phases, { x: 12, y: 0 });
  t.same(seen, { x: 12 });
});
