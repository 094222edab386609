import t from 'tap';
import { classify } from '../../harness/core/classify.js';
import { parseConfig } from '../../harness/core/config.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { regexMatches, regexProblem } from '../../harness/core/regex.js';
import type { CellObservation } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCases, parseCaseFile, readProbeExpectations } from '../../harness/edge/case-files.js';
import { configSchemaCheck } from '../../harness/edge/config-file.js';
import { IE_TLS_RULE, minimalCaseFile } from '../support/helpers.js';

// The attack: a host prints 45 "a" and "!", a rule's match is (a+)+$.
// JavaScript's backtracking engine takes 2^45 steps; RE2 one pass.
const HOSTILE_TEXT = `${'a'.repeat(45)}!`;
const CATASTROPHIC = '(a+)+$';
/** Generous for a loaded 2-core machine; a backtracking engine would take hours. */
const FAST_MS = 500;

const timed = <T>(fn: () => T): { value: T; ms: number } => {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
};

t.test('a catastrophic pattern answers in milliseconds, with the right answer', async (t) => {
  const { value, ms } = timed(() => regexMatches(CATASTROPHIC, HOSTILE_TEXT));
  t.equal(value, false, '"aaa…a!" does not end in a run of a');
  t.ok(ms < FAST_MS, `took ${ms.toFixed(1)} ms`);
  t.equal(regexMatches(CATASTROPHIC, 'aaaa'), true, 'and it still matches what it should');
  const long = timed(() => regexMatches('(x+x+)+y', `${'x'.repeat(200_000)}\n`));
  t.equal(long.value, false);
  t.ok(long.ms < 5 * FAST_MS, `200 000 characters: ${long.ms.toFixed(1)} ms`);
});

t.test('through the judge: an expectation and a pass.stdout pattern over hostile output', async (t) => {
  const obs: CellObservation = { run: { end: { kind: 'exit', code: 1 }, stdout: `${HOSTILE_TEXT}\n`, stderr: '', durationMs: 5 } };
  const rule = { ...IE_TLS_RULE, when: {}, match: CATASTROPHIC };
  const viaRule = timed(() => classify(obs, undefined, rule));
  t.equal(viaRule.value.verdict, 'fail', 'the expected failure did not match: a plain fail');
  t.match(viaRule.value.summary, /not as expected: message does not match \/\(a\+\)\+\$\//);
  t.ok(viaRule.ms < FAST_MS, `expectation: ${viaRule.ms.toFixed(1)} ms`);
  const passed: CellObservation = { run: { ...obs.run!, end: { kind: 'exit', code: 0 } } };
  const viaPass = timed(() => classify(passed, { stdout: [CATASTROPHIC] }, undefined));
  t.equal(viaPass.value.summary, 'checks: stdout does not match /(a+)+$/');
  t.ok(viaPass.ms < FAST_MS, `pass.stdout: ${viaPass.ms.toFixed(1)} ms`);
});

t.test('multi-line, as the patterns always were', async (t) => {
  t.ok(regexMatches('^csm-done \\d+/\\d+$', 'csm-loaded x\ncsm-done 3/3\n'));
  t.notOk(regexMatches('^csm-done 3/3$', 'xcsm-done 3/3\n'));
  t.notOk(regexMatches('a.b', 'a\nb'), '. stops at a newline');
  t.ok(regexMatches('CountRunes\\("h.llo"\\)', 'CountRunes("héllo")'), '. is one character, not one byte');
});

t.test('what RE2 cannot use is refused at load, one line naming the file and field', async (t) => {
  const refused = (match: string) => {
    const r = parseCaseFile('cases/x/case.json', JSON.stringify({ ...minimalCaseFile(), expect: [{ ...IE_TLS_RULE, match }] }));
    return r.ok ? [] : r.problems;
  };
  t.same(refused('csm-done (\\d+)/\\1'), [
    'cases/x/case.json: /expect/0/match: not a regular expression RE2 accepts (invalid escape sequence: `\\1`); RE2 has no backreferences (for "csm-done (\\d+)/\\1" write "csm-done \\d+/\\d+": the harness already checks that csm-done agrees with the ok and not ok lines)',
  ]);
  t.same(refused('ok(?= 1)'), [
    'cases/x/case.json: /expect/0/match: not a regular expression RE2 accepts (invalid or unsupported Perl syntax: `(?=`); RE2 has no lookahead or lookbehind',
  ]);
  t.same(refused('(?<!not )ok'), [
    'cases/x/case.json: /expect/0/match: not a regular expression RE2 accepts (invalid named capture: `(?<!not )ok`); RE2 has no lookahead or lookbehind',
  ]);
  const stdout = parseCaseFile('cases/x/case.json', JSON.stringify({ ...minimalCaseFile(), pass: { stdout: ['fine', '(a|b'] } }));
  t.same(stdout.ok ? [] : stdout.problems, [
    'cases/x/case.json: /pass/stdout/1: not a regular expression RE2 accepts (missing closing ): `(a|b`); see https://github.com/google/re2/wiki/Syntax',
  ]);
  t.equal(regexProblem(CATASTROPHIC), undefined, 'a slow pattern for a backtracking engine is a fine one for RE2');
});

t.test("a config file's expect rule is refused the same way, exit 2", async (t) => {
  const text = JSON.stringify({ expect: [{ ...IE_TLS_RULE, match: '(\\w+) \\1' }] });
  const e = t.throws(() => parseConfig('cshared-matrix.config.json', text, configSchemaCheck())) as unknown as UsageError;
  t.type(e, UsageError);
  t.equal(e.exitCode, EXIT.usage);
  t.equal(e.message.split('\n').length, 1, 'one line');
  t.match(
    e.message,
    /^cshared-matrix\.config\.json: \/expect\/0\/match: not a regular expression RE2 accepts \(invalid escape sequence: `\\1`\); RE2 has no backreferences/,
  );
});

t.test("every pattern the harness ships is one RE2 accepts: the cases, the probe expectations, the rows' own rules", async (t) => {
  const rules = [...PLATFORMS.flatMap((p) => p.expect ?? []), ...Object.values(readProbeExpectations()).flat()];
  const cases = loadCases([DEFAULT_CASES_DIR]);
  const patterns = [
    ...rules.map((r) => r.match),
    ...cases.flatMap((c) => [...(c.pass?.stdout ?? []), ...(c.expect ?? []).map((r) => r.match)]),
  ];
  t.ok(patterns.length > 100, `${patterns.length} patterns`);
  t.same(
    patterns.filter((p) => regexProblem(p) !== undefined),
    [],
  );
});
