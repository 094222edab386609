import t from 'tap';
import { parseCalibration, slowdownFrom, timeoutScale } from '../../harness/core/emulation.js';
import { PLATFORMS } from '../../harness/core/platforms.js';

const row = (name: string) => PLATFORMS.find((p) => p.name === name)!;

t.test('the slowdown is the ratio of the fastest timings', async (t) => {
  t.same(slowdownFrom([40, 31, 35], [250, 190, 400]), { factor: 6.1, nativeMs: 31, emulatedMs: 190 }, 'a disturbed timing does not count');
  t.equal(slowdownFrom([30], [45])!.factor, 1.5);
});

t.test('nothing measured gives no factor, never a guess', async (t) => {
  t.equal(slowdownFrom([], [100]), undefined);
  t.equal(slowdownFrom([30], []), undefined);
  t.equal(slowdownFrom([0], [100]), undefined, 'a zero native time is a broken measurement');
  t.equal(slowdownFrom([30], [Number.NaN]), undefined);
});

t.test('timeouts scale by the measured factor on emulated rows only', async (t) => {
  const measured = { factor: 7.3, nativeMs: 30, emulatedMs: 219 };
  t.equal(timeoutScale(row('amd64-glibc'), measured), 1, 'native rows are never scaled');
  t.equal(timeoutScale(row('arm5-glibc'), measured), 7.3);
  t.equal(
    timeoutScale(row('arm7-musl'), { factor: 0.8, nativeMs: 30, emulatedMs: 24 }),
    1,
    'an emulator faster than native still gets the native budget',
  );
  t.equal(timeoutScale(row('arm7-glibc')), row('arm7-glibc').timeoutScale, "without a measurement, the row's own scale");
});

t.test('calibration output: repeated "<name> <ms>" lines, noise ignored', async (t) => {
  const m = parseCalibration('native 31\nnative 30\narm7-glibc 190\nqemu: warning: something\narm7-glibc 201\n\n');
  t.same(
    [...m],
    [
      ['native', [31, 30]],
      ['arm7-glibc', [190, 201]],
    ],
  );
});
