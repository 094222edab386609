import t from 'tap';
import { Scheduler } from '../../harness/core/scheduler.js';

/** A job the test finishes by hand, recording when it started. */
function harness(s: Scheduler) {
  const started: string[] = [];
  const finish = new Map<string, (ok: boolean) => void>();
  const submit = (name: string, opts: { group?: string; priority?: number } = {}) =>
    s.run(opts, () => {
      started.push(name);
      return new Promise<string>((res, rej) => finish.set(name, (ok) => (ok ? res(name) : rej(new Error(name)))));
    });
  const done = async (name: string, ok = true) => {
    const f = finish.get(name);
    if (!f) throw new Error(`${name} has not started`);
    f(ok);
    // Let the settled promise's handlers run and the scheduler refill its slots.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, submit, done };
}

t.test('never more jobs at once than slots', async (t) => {
  const s = new Scheduler(2);
  const h = harness(s);
  const all = ['a', 'b', 'c', 'd'].map((n) => h.submit(n));
  t.same(h.started, ['a', 'b']);
  t.equal(s.active, 2);
  t.equal(s.pending, 2);
  await h.done('a');
  t.same(h.started, ['a', 'b', 'c']);
  await h.done('b');
  await h.done('c');
  await h.done('d');
  t.same(await Promise.all(all), ['a', 'b', 'c', 'd'], 'each caller gets its own result');
  t.equal(s.active, 0);
});

t.test('a cold group warms up alone; the free slot takes another group', async (t) => {
  const s = new Scheduler(2);
  const h = harness(s);
  h.submit('amd64-1', { group: 'amd64' });
  h.submit('amd64-2', { group: 'amd64' });
  h.submit('amd64-3', { group: 'amd64' });
  h.submit('arm7-1', { group: 'arm7' });
  h.submit('arm7-2', { group: 'arm7' });
  t.same(h.started, ['amd64-1', 'arm7-1'], 'one warm-up per target, two targets in parallel');
  await h.done('arm7-1');
  t.same(h.started, ['amd64-1', 'arm7-1', 'arm7-2'], 'arm7 is warm now; amd64 still waits for its warm-up');
  await h.done('arm7-2');
  t.same(h.started.length, 3, 'a slot stays idle rather than compile the amd64 standard library twice');
  await h.done('amd64-1');
  t.same(h.started, ['amd64-1', 'arm7-1', 'arm7-2', 'amd64-2', 'amd64-3'], 'after its warm-up the group fans out');
});

t.test('cold groups start before warm work, whatever the submission order', async (t) => {
  const s = new Scheduler(1);
  const h = harness(s);
  h.submit('blocker');
  h.submit('host-1', { priority: 1 });
  h.submit('arm5-1', { group: 'arm5' });
  h.submit('arm7-1', { group: 'arm7' });
  await h.done('blocker');
  t.same(h.started, ['blocker', 'arm5-1'], 'the long warm-up goes first; the short host compile fills the tail');
  await h.done('arm5-1');
  t.same(h.started.at(-1), 'arm7-1');
  await h.done('arm7-1');
  t.same(h.started.at(-1), 'host-1');
});

t.test('among ready jobs, priority first, then submission order', async (t) => {
  const s = new Scheduler(1, ['g']);
  const h = harness(s);
  h.submit('blocker');
  h.submit('low-1', { group: 'g' });
  h.submit('high', { priority: 2 });
  h.submit('low-2', { group: 'g' });
  t.ok(s.isWarm('g'), 'a group known from an earlier run starts warm');
  await h.done('blocker');
  await h.done('high');
  await h.done('low-1');
  t.same(h.started, ['blocker', 'high', 'low-1', 'low-2']);
});

t.test('a failed warm-up still warms its group and frees its slot', async (t) => {
  const s = new Scheduler(1);
  const h = harness(s);
  const first = h.submit('x-1', { group: 'x' });
  h.submit('x-2', { group: 'x' });
  await h.done('x-1', false);
  await t.rejects(first, /x-1/, 'the caller sees the failure');
  t.same(h.started, ['x-1', 'x-2']);
  t.ok(s.isWarm('x'));
});

t.test('a job that throws synchronously is a rejected job, not a stuck slot', async (t) => {
  const s = new Scheduler(1);
  await t.rejects(
    s.run({}, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  t.equal(await s.run({}, async () => 'next'), 'next');
});

t.test('slots must be a positive count', async (t) => {
  t.throws(() => new Scheduler(0), RangeError);
  t.throws(() => new Scheduler(Number.NaN), RangeError);
});
