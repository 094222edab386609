import t from 'tap';
import { EXIT } from '../../harness/core/errors.js';
import { countVerdicts, exitCodeFor, isUnexpected } from '../../harness/core/results.js';
import { VERDICTS, type Verdict } from '../../harness/core/types.js';

const cells = (...vs: Verdict[]) => vs.map((verdict) => ({ verdict }));

t.test('countVerdicts', async (t) => {
  t.same(countVerdicts([]), { pass: 0, fail: 0, xfail: 0, xpass: 0, timeout: 0, error: 0, flaky: 0, na: 0, total: 0 });
  t.same(countVerdicts(cells('pass', 'pass', 'xfail', 'fail', 'error', 'xfail', 'timeout', 'xpass', 'pass')), {
    pass: 3,
    fail: 1,
    xfail: 2,
    xpass: 1,
    timeout: 1,
    error: 1,
    flaky: 0,
    na: 0,
    total: 9,
  });
  t.same(Object.keys(countVerdicts([])), [...VERDICTS, 'total'], 'every verdict has a count, in VERDICTS order');
});

t.test('exitCodeFor', async (t) => {
  const code = (vs: Verdict[], interrupted = false) => exitCodeFor(countVerdicts(cells(...vs)), interrupted);
  t.equal(code([]), 0, 'an empty run is ok');
  t.equal(code(['pass', 'xfail', 'pass']), EXIT.ok);
  t.equal(EXIT.ok, 0);
  t.equal(code(['pass', 'fail']), 1);
  t.equal(code(['xfail', 'xpass']), 1);
  t.equal(code(['pass', 'timeout']), 1);
  t.equal(EXIT.unexpected, 1);
  t.equal(code(['error']), 3);
  t.equal(code(['fail', 'fail', 'error', 'xpass', 'timeout']), 3, 'error outranks fail');
  t.equal(EXIT.infra, 3);
  t.equal(code(['pass'], true), 130, 'interrupted');
  t.equal(code(['error', 'fail'], true), 130, 'interrupted outranks everything');
  t.equal(EXIT.interrupted, 130);
});

t.test('isUnexpected', async (t) => {
  t.same(
    VERDICTS.filter(isUnexpected),
    ['fail', 'xpass', 'timeout', 'error', 'flaky'],
  );
});

t.test('a flaky cell is never promoted: the run exits 1', async (t) => {
  t.equal(exitCodeFor(countVerdicts(cells('pass', 'flaky')), false), 1);
});
