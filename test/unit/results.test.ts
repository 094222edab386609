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
  t.same(VERDICTS.filter(isUnexpected), ['fail', 'xpass', 'timeout', 'error', 'flaky']);
});

t.test('a flaky cell is never promoted: the run exits 1', async (t) => {
  t.equal(exitCodeFor(countVerdicts(cells('pass', 'flaky')), false), 1);
});

t.test(
  'one failing-verdict rule: fail, xpass, timeout and flaky fail a run; error outranks them; pass, xfail and na fail nothing',
  async (t) => {
    const { FAILING, isFailing, isUnexpected, exitCodeFor, EXIT_CODES_HELP } = await import('../../harness/core/results.js');
    const { VERDICTS } = await import('../../harness/core/types.js');
    t.same([...FAILING].sort(), ['fail', 'flaky', 'timeout', 'xpass']);
    for (const v of VERDICTS) {
      t.equal(isUnexpected(v), isFailing(v) || v === 'error', `${v}: unexpected iff failing or error`);
      const counts = Object.fromEntries([...VERDICTS, 'total'].map((k) => [k, 0])) as Parameters<typeof exitCodeFor>[0];
      counts[v] = 1;
      counts.total = 1;
      t.equal(exitCodeFor(counts, false), v === 'error' ? 3 : isFailing(v) ? 1 : 0, `a run with one ${v} cell exits by the rule`);
    }
    t.match(
      EXIT_CODES_HELP,
      /0 every cell is pass, xfail or n\/a; 1 some cell is fail, xpass,\ntimeout or flaky/,
      'the help text says the same',
    );
  },
);
