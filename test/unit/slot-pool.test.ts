import t from 'tap';
import { SlotPool } from '../../harness/core/slot-pool.js';

/**
 * A pool of numbered slots whose making the test controls: each make waits
 * until the test settles it (`made`, `failMake`), so the order of events is
 * the test's, not the event loop's.
 */
function pool(size: number) {
  let next = 1;
  const makes: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  const dropped: number[] = [];
  const p = new SlotPool<number>(
    size,
    () => new Promise<number>((resolve, reject) => makes.push({ resolve, reject })),
    async (n) => void dropped.push(n),
  );
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  /** Settle the oldest pending make with the next slot number. */
  const made = async (): Promise<number> => {
    const m = makes.shift();
    if (!m) throw new Error('no make is pending');
    const n = next++;
    m.resolve(n);
    await settle();
    return n;
  };
  const failMake = async (message: string): Promise<void> => {
    const m = makes.shift();
    if (!m) throw new Error('no make is pending');
    m.reject(new Error(message));
    await settle();
  };
  /** Whether a promise has settled yet, and how. */
  const state = async <T>(x: Promise<T>): Promise<{ value?: T; error?: string } | 'pending'> => {
    let s: { value?: T; error?: string } | 'pending' = 'pending';
    x.then(
      (value) => (s = { value }),
      (e: Error) => (s = { error: e.message }),
    );
    await settle();
    return s;
  };
  return { p, makes, dropped, made, failMake, state, settle };
}

t.test('makes a slot only when none is idle, and never more than its size', async (t) => {
  const h = pool(2);
  const a = h.p.acquire();
  const b = h.p.acquire();
  const c = h.p.acquire();
  t.equal(h.makes.length, 2, 'two makes for a pool of two; the third caller waits');
  await h.made();
  await h.made();
  t.same(await h.state(a), { value: 1 });
  t.same(await h.state(b), { value: 2 });
  t.equal(await h.state(c), 'pending', 'waits while both slots are in use');
  h.p.release(1);
  t.same(await h.state(c), { value: 1 }, 'the released slot goes to the waiter');
  t.equal(h.makes.length, 0, 'no slot made for it');
});

t.test('a released slot is reused by the next caller, without a make', async (t) => {
  const h = pool(3);
  const a = h.p.acquire();
  await h.made();
  t.same(await h.state(a), { value: 1 });
  h.p.release(1);
  t.same(await h.state(h.p.acquire()), { value: 1 });
  t.equal(h.makes.length, 0);
});

t.test('waiters are served in the order they came', async (t) => {
  const h = pool(1);
  const first = h.p.acquire();
  await h.made();
  t.same(await h.state(first), { value: 1 });
  const waiting = ['x', 'y', 'z'].map(() => h.p.acquire());
  h.p.release(1);
  t.same(await h.state(waiting[0]!), { value: 1 });
  t.equal(await h.state(waiting[1]!), 'pending');
  h.p.release(1);
  t.same(await h.state(waiting[1]!), { value: 1 });
  t.equal(await h.state(waiting[2]!), 'pending');
});

t.test('a replaced slot is dropped and never handed out again; a waiter gets a fresh one', async (t) => {
  const h = pool(1);
  const a = h.p.acquire();
  await h.made();
  t.same(await h.state(a), { value: 1 });
  const waiter = h.p.acquire();
  await h.p.replace(1);
  t.same(h.dropped, [1]);
  t.equal(h.makes.length, 1, 'a fresh slot is being made for the waiter');
  await h.made();
  t.same(await h.state(waiter), { value: 2 });
  h.p.release(2);
  t.same(await h.state(h.p.acquire()), { value: 2 }, 'only the fresh slot is reused');
});

t.test('a replaced slot with nobody waiting frees its place: the next caller gets a new slot', async (t) => {
  const h = pool(1);
  const a = h.p.acquire();
  await h.made();
  t.same(await h.state(a), { value: 1 });
  await h.p.replace(1);
  t.equal(h.makes.length, 0, 'nothing made before anyone asks');
  const b = h.p.acquire();
  t.equal(h.makes.length, 1);
  await h.made();
  t.same(await h.state(b), { value: 2 });
});

t.test("a slot that cannot be made is the caller's error, and frees its place", async (t) => {
  const h = pool(1);
  const a = h.p.acquire();
  await h.failMake('engine gone');
  t.same(await h.state(a), { error: 'engine gone' });
  const b = h.p.acquire();
  t.equal(h.makes.length, 1, 'the next caller may make one');
  await h.made();
  t.same(await h.state(b), { value: 1 });
});

t.test('a caller waiting behind a make that fails gets a make of its own, not a wait for ever', async (t) => {
  const h = pool(1);
  const a = h.p.acquire();
  const b = h.p.acquire();
  t.equal(h.makes.length, 1);
  await h.failMake('engine gone');
  t.same(await h.state(a), { error: 'engine gone' });
  t.equal(h.makes.length, 1, "b's own make");
  await h.made();
  t.same(await h.state(b), { value: 1 });
});

t.test("a replacement that cannot be made is the waiter's error; the next waiter tries again", async (t) => {
  const h = pool(1);
  const a = h.p.acquire();
  await h.made();
  t.same(await h.state(a), { value: 1 });
  const w1 = h.p.acquire();
  const w2 = h.p.acquire();
  await h.p.replace(1);
  await h.failMake('cannot create');
  t.same(await h.state(w1), { error: 'cannot create' });
  t.equal(h.makes.length, 1, "the second waiter's own make");
  await h.made();
  t.same(await h.state(w2), { value: 2 });
  t.same(h.dropped, [1]);
});
