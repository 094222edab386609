import t from 'tap';
import { describeEnd } from '../../harness/core/classify.js';
import { parseConfig } from '../../harness/core/config.js';
import { findExpectation, rulesFor } from '../../harness/core/expect.js';
import { declaredDeadline, describeDeadline, hostLimit } from '../../harness/core/hang-deadline.js';
import { judge } from '../../harness/core/judge.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { CellObservation, ExpectationRule, Platform } from '../../harness/core/types.js';
import { parseCaseFile } from '../../harness/edge/case-files.js';
import { configSchemaCheck } from '../../harness/edge/config-file.js';
import { minimalCaseFile } from '../support/helpers.js';

const row = (name: string): Platform => PLATFORMS.find((p) => p.name === name)!;
const HANG: ExpectationRule = {
  when: { libc: 'glibc', toolchain: 'gc' },
  verdict: 'timeout',
  stage: 'run',
  match: 'timed out',
  link: 'https://github.com/golang/go/issues/26184',
  label: 'exported free() hangs (go#26184)',
  deadline: 1,
};
const MUSL_FAIL: ExpectationRule = {
  when: { libc: 'musl' },
  verdict: 'fail',
  match: 'SIGSEGV',
  link: 'https://github.com/golang/go/issues/13492',
  label: 'musl init argv (go#13492)',
};

t.test('only an expectation of a timeout alone has a deadline', async (t) => {
  t.equal(declaredDeadline(HANG), 1);
  t.equal(declaredDeadline({ ...HANG, deadline: undefined }), undefined, 'a timeout without one: none');
  t.equal(declaredDeadline({ ...HANG, verdict: ['fail', 'timeout'] }), undefined, 'a race that may throw instead: none');
  t.equal(declaredDeadline(MUSL_FAIL), undefined);
  t.equal(declaredDeadline(undefined), undefined, 'no expectation: none');
});

t.test("a cell's limit: --timeout, else its expected hang's deadline, else run.timeout, else 30 s", async (t) => {
  t.same(hostLimit({ caseTimeout: 5, rule: HANG, scale: 1 }), { ms: 1000, deadline: { seconds: 1, scale: 1 } });
  t.same(
    hostLimit({ caseTimeout: 5, rule: HANG, scale: 6.1 }),
    { ms: 6100, deadline: { seconds: 1, scale: 6.1 } },
    'scaled like run.timeout',
  );
  t.same(hostLimit({ caseTimeout: 5, rule: MUSL_FAIL, scale: 9.8 }), { ms: 49000 }, 'a failure that is not a hang: the whole run.timeout');
  t.same(hostLimit({ caseTimeout: 5, scale: 11.4 }), { ms: 57000 }, 'a cell expected to pass: the whole run.timeout');
  t.same(hostLimit({ scale: 1 }), { ms: 30000 }, 'neither: the default');
  t.same(hostLimit({ override: 12, caseTimeout: 5, rule: HANG, scale: 2 }), { ms: 24000 }, "--timeout is the user's word for every host");
});

t.test("the rule that applies to a cell decides, as the verdict's does (its row's first, then the case's, first match)", async (t) => {
  const rules = [MUSL_FAIL, HANG];
  const limitOf = (p: Platform, toolchain: 'gc' | 'gccgo' = 'gc') =>
    hostLimit({ caseTimeout: 5, rule: findExpectation(rulesFor(rules, p), { platform: p, go: '1.27.4', toolchain }), scale: 1 }).ms;
  t.equal(limitOf(row('amd64-glibc')), 1000, 'glibc gc: the hang, its deadline');
  t.equal(limitOf(row('amd64-musl')), 5000, 'musl: a failure at load, the whole limit');
  t.equal(limitOf(row('amd64-glibc'), 'gccgo'), 5000, 'gccgo, which no rule here expects to hang: the whole limit');
  const ppc64 = row('ppc64-glibc');
  t.ok(ppc64.expect?.length, 'ppc64-glibc has a row rule of its own (nothing builds there)');
  t.equal(limitOf(ppc64), 5000, "the row's own rule comes first and expects no hang: the whole limit");
});

t.test('a killed expected hang says its declared deadline, and the expectation still matches "timed out"', async (t) => {
  t.equal(describeDeadline({ seconds: 1, scale: 6.1 }), 'its declared 1 s deadline (×6.1 emulation)');
  t.equal(describeDeadline({ seconds: 2, scale: 1 }), 'its declared 2 s deadline', 'native: no factor');
  const end = { kind: 'timeout' as const, afterMs: 6600, deadline: { seconds: 1, scale: 6.1 } };
  t.equal(describeEnd(end), 'timed out after 6.6 s and was killed: an expected hang, at its declared 1 s deadline (×6.1 emulation)');
  t.equal(describeEnd({ kind: 'timeout', afterMs: 6600 }), 'timed out after 6.6 s and was killed', 'without a deadline: as before');
  const obs: CellObservation = { run: { end, stdout: 'csm-loaded freego\n', stderr: '', durationMs: 6600 } };
  const { verdict } = judge(obs, [obs], undefined, HANG);
  t.equal(verdict.verdict, 'xfail');
  t.equal(verdict.summary, 'exported free() hangs (go#26184): killed after its declared 1 s deadline (×6.1 emulation)');
  const unexpected = judge(obs, [obs], undefined, undefined).verdict;
  t.equal(unexpected.verdict, 'timeout');
  t.match(unexpected.summary, /^run: timed out after 6\.6 s and was killed: an expected hang, at its declared 1 s deadline/);
});

t.test('the schema: a deadline only on a timeout, a positive number of seconds; one line each', async (t) => {
  const rule = { ...HANG } as Record<string, unknown>;
  const caseWith = (r: object) => JSON.stringify({ ...minimalCaseFile(), expect: [r] });
  const problems = (r: object) => {
    const got = parseCaseFile('cases/x/case.json', caseWith(r));
    return got.ok ? [] : got.problems;
  };
  t.same(problems(rule), [], 'a timeout with a deadline');
  t.same(problems({ ...rule, verdict: 'fail' }), [
    'cases/x/case.json: /expect/0/deadline: a deadline is given only to an expected hang: use it with "verdict": "timeout", or drop it',
  ]);
  t.same(problems({ ...rule, verdict: ['fail', 'timeout'] }), [
    'cases/x/case.json: /expect/0/deadline: a deadline is given only to an expected hang: use it with "verdict": "timeout", or drop it',
  ]);
  t.same(problems({ ...rule, deadline: 0 }), ['cases/x/case.json: /expect/0/deadline: must be > 0']);
  t.same(problems({ ...rule, deadline: '2s' }), ['cases/x/case.json: /expect/0/deadline: must be number']);
  t.same(problems({ ...rule, deadline: 4000 }), ['cases/x/case.json: /expect/0/deadline: must be <= 3600']);
  const config = (r: object) => {
    try {
      parseConfig('/p/cshared-matrix.config.json', JSON.stringify({ expect: [r] }), configSchemaCheck());
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.equal(config(rule), '', "a config's expect rules take it too");
  t.equal(
    config({ ...rule, verdict: 'fail' }),
    '/p/cshared-matrix.config.json: /expect/0/deadline: a deadline is given only to an expected hang: use it with "verdict": "timeout", or drop it',
  );
});
