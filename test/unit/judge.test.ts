// judge(): the verdict from observations, repetitions folded; and the one owner of --max-failures.
import t from 'tap';
import { FailureTracker } from '../../harness/core/failure-tracker.js';
import { judge } from '../../harness/core/judge.js';
import type { CellObservation, ProcessEnd } from '../../harness/core/types.js';
import { IE_TLS_RULE } from '../support/helpers.js';

const run = (end: ProcessEnd, stdout: string, stderr = ''): CellObservation => ({ run: { end, stdout, stderr, durationMs: 5 } });
const PASS = run({ kind: 'exit', code: 0 }, 'csm-loaded x\nok 1 - a\ncsm-done 1/1\n');
const FAIL = run({ kind: 'exit', code: 1 }, 'csm-loaded x\nnot ok 1 - a\ncsm-done 0/1\n');
const SEGV = run({ kind: 'signal', signal: 11, name: 'SIGSEGV' }, 'csm-loaded x\n');
const IE = run(
  { kind: 'exit', code: 3 },
  'csm-load-failed x\n',
  'csm-load-failed x: Error relocating /l.so: free: initial-exec TLS resolves to dynamic definition in /l.so\n',
);

t.test('one observation: its classification, no repeats', async (t) => {
  const j = judge(PASS, [PASS], undefined, undefined);
  t.equal(j.verdict.verdict, 'pass');
  t.equal(j.repeats, undefined, 'a single run has no repeat counts');
  t.equal(
    judge({ buildFailure: { stage: 'build', what: 'libx.so', log: 'boom' } }, [], undefined, undefined).verdict.verdict,
    'fail',
    'a build failure has no repetitions at all',
  );
});

t.test('repetitions that agree: the verdict, with its counts', async (t) => {
  const j = judge(PASS, [PASS, PASS, PASS], undefined, undefined);
  t.equal(j.verdict.verdict, 'pass');
  t.same(j.repeats, { pass: 3 });
  const x = judge(IE, [IE, IE], undefined, IE_TLS_RULE);
  t.equal(x.verdict.verdict, 'xfail', 'an expected failure every time stays xfail');
  t.same(x.repeats, { xfail: 2 });
});

t.test('repetitions that disagree are flaky, never pass, and show the first bad one', async (t) => {
  const j = judge(PASS, [PASS, FAIL, SEGV], undefined, undefined);
  t.equal(j.verdict.verdict, 'flaky');
  t.same(j.repeats, { pass: 1, fail: 2 });
  t.match(j.verdict.summary, /^flaky over 3 runs \(1 pass, 2 fail\): checks: not ok - a/);
  t.equal(j.verdict.stage, 'checks', 'the stage of the repetition it shows');
  const y = judge(IE, [IE, PASS], undefined, IE_TLS_RULE);
  t.equal(y.verdict.verdict, 'flaky', 'an expected failure that sometimes passes is flaky too');
  t.same(y.repeats, { xfail: 1, xpass: 1 });
  t.match(y.verdict.summary, /^flaky over 2 runs \(1 xfail, 1 xpass\): expected/);
});

t.test('FailureTracker: --max-failures counts unexpected verdicts only', async (t) => {
  const f = new FailureTracker(2);
  for (const v of ['pass', 'xfail', 'na'] as const) f.onCellEnd(v);
  t.notOk(f.hasReachedMaxFailures(), 'pass, xfail and na are not failures');
  f.onCellEnd('fail');
  t.notOk(f.hasReachedMaxFailures());
  f.onCellEnd('error');
  t.ok(f.hasReachedMaxFailures(), 'fail and error: two');
  t.equal(f.unexpectedCount, 2);
  const none = new FailureTracker();
  for (let i = 0; i < 100; i++) none.onCellEnd('fail');
  t.notOk(none.hasReachedMaxFailures(), 'without a limit, never');
});

t.test('a declared race: a run without it passes, a mix is the expected failure, anything else as always', async (t) => {
  const RACE = {
    when: {},
    verdict: 'fail' as const,
    match: 'SIGSEGV',
    link: 'https://github.com/golang/go/issues/63567',
    label: 'setenv race (go#63567)',
    race: true,
  };
  const one = judge(PASS, [PASS], undefined, RACE);
  t.equal(one.verdict.verdict, 'pass', 'one run where the race did not show: pass, not xpass');
  t.match(one.verdict.summary, /declared race \(setenv race \(go#63567\)\) did not show/);
  t.equal(judge(SEGV, [SEGV], undefined, RACE).verdict.verdict, 'xfail', 'one run where it showed: xfail');
  const mix = judge(PASS, [SEGV, PASS, SEGV, PASS, PASS], undefined, RACE);
  t.equal(mix.verdict.verdict, 'xfail', 'repetitions that mix the two: the expected failure, not flaky');
  t.same(mix.repeats, { xfail: 2, pass: 3 });
  t.match(mix.verdict.summary, /^race: shown in 2 of 5 runs: /);
  t.same(judge(PASS, [PASS, PASS], undefined, RACE).repeats, { pass: 2 }, 'never shown: pass, counted');
  const other = judge(FAIL, [SEGV, FAIL], undefined, RACE);
  t.equal(other.verdict.verdict, 'flaky', 'a failure of another kind beside it is still unexpected');
  t.equal(judge(FAIL, [FAIL], undefined, RACE).verdict.verdict, 'fail', 'and alone, a plain fail');
  const undeclared = judge(PASS, [SEGV, PASS], undefined, { ...RACE, race: undefined });
  t.equal(undeclared.verdict.verdict, 'flaky', 'without the declaration the same runs are flaky');
});

t.test('a race that sometimes hangs and sometimes throws: verdict as a list', async (t) => {
  const EITHER = {
    when: {},
    verdict: ['fail', 'timeout'] as ('fail' | 'timeout')[],
    match: 'timed out|SIGSEGV',
    link: 'https://example.com/1',
    label: 'either',
    race: true,
  };
  const HANG = run({ kind: 'timeout', afterMs: 1000 }, 'csm-loaded x\n');
  const j = judge(PASS, [HANG, SEGV, PASS], undefined, EITHER);
  t.equal(j.verdict.verdict, 'xfail', 'a hang, a crash and a pass: the declared race');
  t.same(j.repeats, { xfail: 2, pass: 1 });
  t.equal(judge(HANG, [HANG], undefined, { ...EITHER, verdict: 'fail' }).verdict.verdict, 'timeout', 'fail alone does not cover a hang');
});
