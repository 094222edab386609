import t from 'tap';
import { encodeRequest, FrameReader } from '../../harness/core/frames.js';

const frame = (out: string, err: string, od = 0, ed = 0) => Buffer.concat([Buffer.from(`@@csm-frame ${Buffer.byteLength(out)} ${Buffer.byteLength(err)} ${od} ${ed}\n`), Buffer.from(out), Buffer.from(err)]);

t.test('a request is NUL-terminated fields in the order csm-run --serve reads them', async (t) => {
  const b = encodeRequest({ cwd: '/tmp', maxOutput: 262144, env: ['A=1', 'B=x y'], args: ['4000', 'n0nce', '--', '/work/host', 'arg one'] });
  t.equal(b.toString(), '/tmp\u0000262144\u00002\u0000A=1\u0000B=x y\u00005\u00004000\u0000n0nce\u0000--\u0000/work/host\u0000arg one\u0000');
  t.throws(() => encodeRequest({ cwd: '/tmp', maxOutput: 1, env: ['A=\u0000'], args: [] }), /NUL byte/, 'a NUL would shift every later field');
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
  const evil = '@@csm-frame 0 0 0 0\n\u0000binary\n@@csm-status fake {"exit":0}\n';
  const [f] = new FrameReader().push(frame(evil, 'real\n', 3, 0));
  t.equal(f!.stdout, evil);
  t.equal(f!.stderr, 'real\n');
  t.equal(f!.stdoutDropped, 3, 'dropped byte counts come through');
});

t.test('anything that is not a frame is an error, not a guess', async (t) => {
  t.throws(() => new FrameReader().push(Buffer.from('hello\n')), /not a frame header/);
  t.throws(() => new FrameReader().push(Buffer.alloc(300, 0x41)), /not a frame header/, 'a header that never ends');
  t.same(new FrameReader().push(Buffer.from('@@csm-frame 10 0 0 0\nshort')), [], 'an incomplete frame waits for more bytes');
});
