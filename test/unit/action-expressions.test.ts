// The expressions of test/action/expressions.ts, which the local step runner
// (test/action/run-action-steps.ts) evaluates in action.yml as GitHub would:
// `${{ }}` in env, with, names and outputs, and every step's if:.
import t from 'tap';
import { condition, type ExpressionContext, evaluate, interpolate, toNumber, toText, toValue, truthy } from '../action/expressions.js';

const ctx = (over: Partial<ExpressionContext> = {}): ExpressionContext => ({
  contexts: {
    github: { event_name: 'push', Ref: 'refs/heads/main', n: 3 },
    steps: { 'my-step': { outputs: { v: '42' } } },
    inputs: { list: ['a', 'b'], empty: '' },
    env: {},
  },
  failed: false,
  ...over,
});
const ev = (src: string, c = ctx()) => evaluate(src, c);

t.test('literals: null, booleans, numbers (hex, exponent, sign), strings with doubled quotes', async (t) => {
  t.equal(ev('null'), null);
  t.equal(ev('true'), true);
  t.equal(ev('false'), false);
  t.equal(ev('0xff'), 255);
  t.equal(ev('-2.5e1'), -25);
  t.equal(ev('.5'), 0.5);
  t.equal(ev("'it''s'"), "it's", "'' is a quote inside a string");
  t.ok(Number.isNaN(ev('NaN') as number));
  t.equal(ev('Infinity'), Infinity);
});

t.test(
  'contexts: property access case-insensitive, by dot or index; a missing property is null, an unknown context an error',
  async (t) => {
    t.equal(ev('github.REF'), 'refs/heads/main', 'the key is matched whatever its case');
    t.equal(ev("github['event_name']"), 'push');
    t.equal(ev('steps.my-step.outputs.v'), '42', 'a step id may hold a dash');
    t.equal(ev('inputs.list[1]'), 'b');
    t.equal(ev('inputs.list[5]'), null, 'past the end: null');
    t.equal(ev('github.missing.deeper'), null, 'a property of null is null');
    t.throws(() => ev('nope.x'), { message: 'unknown context "nope" in expression: nope.x' });
  },
);

t.test("comparison is GitHub's: loose across types, case-insensitive between strings, false with NaN", async (t) => {
  t.equal(ev("'1' == 1"), true, 'a string and a number: both become numbers');
  t.equal(ev('steps.my-step.outputs.v == 42'), true, 'a step output (a string) against a number');
  t.equal(ev('null == 0'), true);
  t.equal(ev("'' == 0"), true, 'the empty string is 0');
  t.equal(ev('true == 1'), true);
  t.equal(ev("'abc' == 'ABC'"), true);
  t.equal(ev("'abc' != 'ABD'"), true);
  t.equal(ev("'a' < 'B'"), true, 'ordering ignores case too');
  t.equal(ev('NaN == NaN'), false);
  t.equal(ev("1 < 'x'"), false, 'a comparison with NaN is false');
  t.equal(ev("1 >= 'x'"), false);
  t.equal(ev('github.n > 2 && github.n <= 3'), true);
});

t.test('&& and || give an operand, not a boolean; ! and parentheses', async (t) => {
  t.equal(ev("1 && 'x'"), 'x');
  t.equal(ev("0 && 'x'"), 0);
  t.equal(ev("0 || 'y'"), 'y');
  t.equal(ev("'first' || 'y'"), 'first');
  t.equal(ev("!''"), true);
  t.equal(ev('!(1 == 2)'), true);
  t.equal(ev('!1 == 2'), false, '! binds tighter than ==');
  t.equal(ev('1 == 1 || 1 == 2 && false'), true, '&& binds tighter than ||');
});

t.test('functions: contains, startsWith, endsWith (case-insensitive), format, join, toJSON, fromJSON', async (t) => {
  t.equal(ev("contains('Hello', 'ELL')"), true);
  t.equal(ev("contains(inputs.list, 'A')"), true, 'in an array: loose equality');
  t.equal(ev("contains(inputs.list, 'c')"), false);
  t.equal(ev("startsWith('Hello', 'he')"), true);
  t.equal(ev("endsWith('Hello', 'LO')"), true);
  t.equal(ev("format('{0}-{{x}}-{1}', 'a', 2)"), 'a-{x}-2', '{{ and }} are literal braces');
  t.throws(() => ev("format('{2}', 'a')"), { message: 'format: no argument {2} for "{2}"' });
  t.equal(ev('join(inputs.list)'), 'a,b', 'a comma by default');
  t.equal(ev("join(inputs.list, ' + ')"), 'a + b');
  t.equal(ev("join('s')"), 's', 'a string joins to itself');
  t.equal(ev('toJSON(inputs.list)'), '[\n  "a",\n  "b"\n]', 'pretty-printed, as GitHub does');
  t.same(ev(`fromJSON('{"a":[1,true,null]}')`), { a: [1, true, null] });
  t.equal(ev(`fromJSON('{"a":1}').a`), 1, 'its result takes property access');
  t.equal(ev('ToJson(1)'), '1', 'function names are case-insensitive');
  t.throws(() => ev("hashFiles('x')"), /hashFiles\(\) is not emulated/);
  t.throws(() => ev('nope()'), { message: 'unknown function nope() in expression: nope()' });
});

t.test('status functions read the job: success, failure, cancelled, always', async (t) => {
  t.same(
    ['success()', 'failure()', 'cancelled()', 'always()'].map((f) => ev(f)),
    [true, false, false, true],
  );
  t.same(
    ['success()', 'failure()', 'cancelled()', 'always()'].map((f) => ev(f, ctx({ failed: true }))),
    [false, true, false, true],
  );
  t.same(
    ['success()', 'failure()', 'cancelled()', 'always()'].map((f) => ev(f, ctx({ cancelled: true }))),
    [false, false, true, true],
  );
});

t.test('a malformed expression is one error naming it', async (t) => {
  t.throws(() => ev('1 2'), { message: 'unexpected {"kind":"num","value":2} in expression: 1 2' });
  t.throws(() => ev('(1'), { message: 'expected ")" in expression: (1' });
  t.throws(() => ev("'unterminated"), { message: "unterminated string in expression: 'unterminated" });
  t.throws(() => ev('a $ b'), { message: 'unexpected character "$" in expression: a $ b' });
  t.throws(() => ev('github.'), { message: 'expected a property name after "." in expression: github.' });
});

t.test('interpolate: every ${{ }} replaced by its text; }} inside quotes does not close one', async (t) => {
  t.equal(interpolate("x ${{ github.n }} y ${{ '}}' }} z", ctx()), 'x 3 y }} z');
  t.equal(interpolate('${{ inputs.list }}', ctx()), '[\n  "a",\n  "b"\n]', 'an array or object reads as JSON');
  t.equal(interpolate('[${{ github.missing }}]', ctx()), '[]', 'null reads as nothing');
  t.equal(interpolate('no expression', ctx()), 'no expression');
  t.throws(() => interpolate('${{ 1', ctx()), { message: 'unterminated ${{ in "${{ 1"' });
});

t.test("condition: a step's if:, with success() && unless it names a status function", async (t) => {
  const both = (cond: unknown) => [condition(cond, ctx()), condition(cond, ctx({ failed: true }))];
  t.same(both(undefined), [true, false], 'no if: runs while nothing failed');
  t.same(both(true), [true, false]);
  t.same(both(false), [false, false]);
  t.same(both('github.n == 3'), [true, false], 'an expression without a status function needs success() too');
  t.same(both('${{ github.n == 3 }}'), [true, false], 'the ${{ }} around the whole is optional');
  t.same(both('${{ failure() }}'), [false, true]);
  t.same(both('always()'), [true, true]);
  t.same(both('failure() || github.n == 3'), [true, true], 'a status function anywhere replaces the default');
  t.same(both('inputs.empty'), [false, false], "'' is false");
  t.equal(condition(undefined, ctx({ cancelled: true })), false, 'nothing runs by default once cancelled');
  t.equal(condition(true, ctx({ cancelled: true })), false, 'if: true neither');
  t.equal(condition('cancelled()', ctx({ cancelled: true })), true);
});

t.test('conversions: toNumber, truthy, toText, toValue', async (t) => {
  t.same(
    [null, true, false, 7, ' 12 ', '', 'x', [], {}].map((v) => toNumber(v)),
    [0, 1, 0, 7, 12, 0, NaN, NaN, NaN],
  );
  t.same(
    [null, false, '', 0, NaN, 'false', '0', [], {}, 1].map(truthy),
    [false, false, false, false, false, true, true, true, true, true],
    "the strings 'false' and '0' are true",
  );
  t.same([null, 'a', true, 1.5, { a: 1 }].map(toText), ['', 'a', 'true', '1.5', '{\n  "a": 1\n}']);
  t.same(toValue({ a: undefined, b: [1, 'x', null], c: { d: true } }), { a: null, b: [1, 'x', null], c: { d: true } });
});
