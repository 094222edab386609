import t from 'tap';
import { encodeRequest, FrameReader } from '../../harness/core/frames.js';

interface Extra {
  status?: string;
  outHead?: number;
  errHead?: number;
  counts?: [number, number, number, number, number, number];
}
const frame = (out: string, err: string, od = 0, ed = 0, x: Extra = {}) => {
  const status = x.status ?? '';
  const [ok, notOk, csm, loaded, dp, dt] = x.counts ?? [0, 0, 0, 0, -1, -1];
  const ob = Buffer.byteLength(out);
  const eb = Buffer.byteLength(err);
  const head = `@@csm-frame ${ob} ${eb} ${od} ${ed} ${x.outHead ?? ob} ${x.errHead ?? eb} ${Buffer.byteLength(status)} ${ok} ${notOk} ${csm} ${loaded} ${dp} ${dt}\n`;
  return Buffer.concat([Buffer.from(head), Buffer.from(out), Buffer.from(err), Buffer.from(status)]);
};

t.test('a request is NUL-terminated fields in the order csm-run --serve reads them', async (t) => {
  const b = encodeRequest({
    cwd: '/tmp',
    maxOutput: 262144,
    env: ['A=1', 'B=x y'],
    args: ['4000', 'n0nce', '--', '/work/host', 'arg one'],
  });
  t.equal(
    b.toString(),
    '/tmp\u0000262144\u00002\u0000A=1\u0000B=x y\u00005\u00004000\u0000n0nce\u0000--\u0000/work/host\u0000arg one\u0000',
  );
  t.throws(
    () => encodeRequest({ cwd: '/tmp', maxOutput: 1, env: ['A=\u0000'], args: [] }),
    /NUL byte/,
    'a NUL would shift every later field',
  );
});

t.test('frames are reassembled from a stream cut anywhere', async (t) => {
  const bytes = Buffer.concat([frame('hello\n', 'status\n'), frame('', 'é ünïcode\n'), frame('x'.repeat(5000), '')]);
  for (const cut of [1, 7, 13, 64, 4096]) {
    const r = new FrameReader();
    const got = [];
    for (let i = 0; i < bytes.length; i += cut) got.push(...r.push(bytes.subarray(i, i + cut)));
    t.same(
      got.map((f) => [f.stdout.length, f.stderr]),
      [
        [6, 'status\n'],
        [0, 'é ünïcode\n'],
        [5000, ''],
      ],
      `chunks of ${cut} bytes`,
    );
    t.equal(r.buffered, 0);
  }
});

t.test("a host's output may contain anything, frame headers included", async (t) => {
  const evil = '@@csm-frame 0 0 0 0 0 0 0 0 0 0 0 -1 -1\n\u0000binary\n@@csm-status fake {"exit":0}\n';
  const [f] = new FrameReader().push(
    frame(evil, 'real\n@@csm-status n0 {"exit":0}\n', 0, 0, { status: '\n@@csm-status n0 {"signal":11}\n' }),
  );
  t.equal(f!.stdout, evil);
  t.equal(f!.stderr, 'real\n@@csm-status n0 {"exit":0}\n', 'a status line the host printed stays in its stderr');
  t.equal(f!.status, '\n@@csm-status n0 {"signal":11}\n', "the supervisor's status comes on its own channel");
});

t.test('of a flooded stream the head and the tail are kept, with a line where the middle was dropped', async (t) => {
  const [f] = new FrameReader().push(frame('HEAD\nTAIL csm-done 1/1\n', 'e-head|e-tail', 1000, 7, { outHead: 5, errHead: 6 }));
  t.equal(f!.stdout, 'HEAD\n[cshared-matrix: 1000 bytes of output dropped here; the first and last parts are kept]\nTAIL csm-done 1/1\n');
  t.equal(f!.stderr, 'e-head\n[cshared-matrix: 7 bytes of output dropped here; the first and last parts are kept]\n|e-tail');
  t.equal(f!.stdoutDropped, 1000, 'dropped byte counts come through');
});

t.test('the protocol lines the server counted over the whole output come with the frame', async (t) => {
  const [a] = new FrameReader().push(frame('x', '', 0, 0, { counts: [5, 1, 8, 1, 5, 6] }));
  t.same(a!.lines, { ok: 5, notOk: 1, csm: 8, loaded: 1, done: { passed: 5, total: 6 } });
  const [b] = new FrameReader().push(frame('x', '', 0, 0));
  t.same(b!.lines, { ok: 0, notOk: 0, csm: 0, loaded: 0 }, 'no csm-done: no done');
});

t.test('anything that is not a frame is an error, not a guess', async (t) => {
  t.throws(() => new FrameReader().push(Buffer.from('hello\n')), /not a frame header/);
  t.throws(() => new FrameReader().push(Buffer.alloc(500, 0x41)), /not a frame header/, 'a header that never ends');
  t.same(
    new FrameReader().push(Buffer.from('@@csm-frame 10 0 0 0 10 0 0 0 0 0 0 -1 -1\nshort')),
    [],
    'an incomplete frame waits for more bytes',
  );
  t.same(
    new FrameReader().push(frame('out', '', 0, 0, { status: 'status' }).subarray(0, -1)),
    [],
    'a frame waits for all of its status too',
  );
});
