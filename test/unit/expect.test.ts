import t from 'tap';
import { findExpectation, ruleSelects, rulesFor, shortLink } from '../../harness/core/expect.js';
import type { ExpectationRule } from '../../harness/core/types.js';
import { platform } from '../support/helpers.js';

const rule = (when: ExpectationRule['when'], label = 'r'): ExpectationRule => ({
  when,
  verdict: 'fail',
  match: 'x',
  link: 'https://github.com/golang/go/issues/1',
  label,
});
const at = (name: string, go = '1.27.4') => ({ platform: platform(name), go });

t.test('ruleSelects: an empty selector matches every cell', async (t) => {
  for (const p of ['amd64-glibc', 'amd64-musl', 'arm7-glibc', 'arm5-glibc', 'arm7-musl', 'arm5-musl'])
    t.ok(ruleSelects(rule({}), at(p)), p);
});

t.test('ruleSelects: each axis', async (t) => {
  t.ok(ruleSelects(rule({ platform: 'arm5-musl' }), at('arm5-musl')));
  t.notOk(ruleSelects(rule({ platform: 'arm5-musl' }), at('arm7-musl')));
  t.ok(ruleSelects(rule({ libc: 'musl' }), at('amd64-musl')));
  t.notOk(ruleSelects(rule({ libc: 'musl' }), at('amd64-glibc')));
  t.ok(ruleSelects(rule({ goarch: 'arm' }), at('arm7-glibc')));
  t.notOk(ruleSelects(rule({ goarch: 'arm' }), at('amd64-glibc')));
  t.ok(ruleSelects(rule({ goarm: '5' }), at('arm5-glibc')));
  t.notOk(ruleSelects(rule({ goarm: '5' }), at('arm7-glibc')));
  t.notOk(ruleSelects(rule({ goarm: '5' }), at('amd64-glibc')), 'a platform without GOARM never matches a goarm selector');
  t.ok(ruleSelects(rule({ emulated: true }), at('arm7-musl')));
  t.notOk(ruleSelects(rule({ emulated: true }), at('amd64-musl')));
  t.ok(ruleSelects(rule({ emulated: false }), at('amd64-musl')));
  t.notOk(ruleSelects(rule({ emulated: false }), at('arm5-glibc')));
});

t.test('ruleSelects: list values match any of them', async (t) => {
  const r = rule({ platform: ['arm5-glibc', 'arm5-musl'] });
  t.ok(ruleSelects(r, at('arm5-glibc')));
  t.ok(ruleSelects(r, at('arm5-musl')));
  t.notOk(ruleSelects(r, at('arm7-musl')));
  t.ok(ruleSelects(rule({ goarm: ['5', '6'] }), at('arm5-musl')));
  t.ok(ruleSelects(rule({ libc: ['glibc', 'musl'] }), at('amd64-glibc')));
});

t.test('ruleSelects: every given key must match', async (t) => {
  const r = rule({ libc: 'musl', goarch: 'arm', emulated: true });
  t.ok(ruleSelects(r, at('arm7-musl')));
  t.notOk(ruleSelects(r, at('amd64-musl')));
  t.notOk(ruleSelects(r, at('arm7-glibc')));
});

t.test('ruleSelects: Go as a semver range', async (t) => {
  const r = rule({ go: '>=1.19 <1.27' });
  t.notOk(ruleSelects(r, at('amd64-glibc', '1.27.4')), '1.27.4 is outside >=1.19 <1.27');
  t.notOk(ruleSelects(r, at('amd64-glibc', '1.27')), 'the series 1.27 counts as 1.27.0');
  t.ok(ruleSelects(r, at('amd64-glibc', '1.26.9')));
  t.ok(ruleSelects(r, at('amd64-glibc', '1.19')));
  t.notOk(ruleSelects(r, at('amd64-glibc', '1.18.10')));
  t.ok(ruleSelects(r, at('amd64-glibc', 'go1.21.13')), 'a "go" prefix is read through');
  t.ok(ruleSelects(rule({ go: '<1.27' }), at('amd64-glibc', '1.9')), '1.9 < 1.27 numerically');
  t.ok(ruleSelects(rule({ go: '>=1.27' }), at('amd64-glibc', '1.27.4')));
  t.ok(ruleSelects(rule({ go: '1.24.x' }), at('amd64-glibc', '1.24.7')));
  t.notOk(ruleSelects(rule({ go: '1.24.x' }), at('amd64-glibc', '1.25.0')));
  t.notOk(ruleSelects(rule({ go: '>=1.0' }), at('amd64-glibc', 'devel')), 'an unreadable version never matches a range');
  t.ok(ruleSelects(rule({}), at('amd64-glibc', 'devel')), 'but matches a rule without a go key');
});

t.test('findExpectation: first match wins', async (t) => {
  const specific = rule({ platform: 'arm5-musl' }, 'specific');
  const musl = rule({ libc: 'musl' }, 'musl');
  const any = rule({}, 'any');
  t.equal(findExpectation([specific, musl, any], at('arm5-musl')), specific);
  t.equal(findExpectation([musl, specific, any], at('arm5-musl')), musl, 'order, not specificity, decides');
  t.equal(findExpectation([specific, musl, any], at('amd64-musl')), musl);
  t.equal(findExpectation([specific, musl, any], at('amd64-glibc')), any);
  t.equal(findExpectation([specific, musl], at('amd64-glibc')), undefined);
  t.equal(findExpectation(undefined, at('amd64-glibc')), undefined);
  t.equal(findExpectation([], at('amd64-glibc')), undefined);
});

t.test("rulesFor: a row's expectations come first, and select only that row", async (t) => {
  const glibc = rule({ libc: 'glibc' }, 'case: glibc');
  const ppc64 = platform('ppc64-glibc');
  const rules = rulesFor([glibc], ppc64);
  t.same(
    rules.map((r) => r.label),
    ['ppc64 ELFv2 vs ELFv1 (go#79898)', 'case: glibc'],
    'nothing builds there: what a case expects of glibc cannot happen',
  );
  t.same(
    rules[0]!.when,
    { platform: 'ppc64-glibc', toolchain: 'gc' },
    'a row rule selects its row (and there, gc: gccgo builds for ELFv1)',
  );
  t.equal(findExpectation(rules, at('ppc64-glibc'))?.stage, 'build');
  t.equal(findExpectation(rulesFor([glibc], platform('arm64-glibc')), at('arm64-glibc')), glibc, 'a row without rules: the case decides');
  t.same(rulesFor(undefined, platform('amd64-glibc')), []);
  const withWhen = { ...ppc64, expect: [{ ...ppc64.expect![0]!, when: { go: '<1.30' } }] };
  t.same(rulesFor([], withWhen)[0]!.when, { platform: 'ppc64-glibc', go: '<1.30' }, "a row rule's own selector narrows it further");
});

t.test('shortLink', async (t) => {
  t.equal(shortLink('https://github.com/golang/go/issues/54805'), 'go#54805');
  t.equal(shortLink('https://github.com/golang/go/pull/12345'), 'go#12345');
  t.equal(shortLink('https://github.com/golang/go/issues/13492#issuecomment-1'), 'go#13492');
  t.equal(shortLink('https://github.com/golang/sys/issues/7'), 'golang/sys#7');
  t.equal(shortLink('https://github.com/bminor/musl/issues/42'), 'bminor/musl#42');
  t.equal(shortLink('https://go.dev/issue/54805'), 'go#54805', "go.dev/issue is golang/go's tracker");
  t.equal(shortLink('https://go.dev/wiki/MinimumRequirements#amd64'), 'Go docs', 'documented behaviour, not an issue');
  t.equal(shortLink('https://www.openwall.com/lists/musl/2022/09/01/1'), 'https://www.openwall.com/lists/musl/2022/09/01/1');
  t.equal(
    shortLink('https://github.com/golang/go/wiki/cgo'),
    'https://github.com/golang/go/wiki/cgo',
    'a GitHub page that is not an issue',
  );
  t.equal(shortLink('https://gitlab.example.com/team/mylib/-/issues/7'), 'mylib#7', "a project's own GitLab tracker");
  t.equal(shortLink('https://example.com/mylib/issues/7'), 'mylib#7', 'or any tracker in that shape');
  t.equal(shortLink('https://gitea.example.com/team/mylib/issues/12#issuecomment-3'), 'mylib#12');
  t.equal(shortLink('https://example.atlassian.net/browse/LIB-42'), 'LIB-42', 'a Jira issue key');
  t.equal(shortLink('https://example.com/issues/7'), 'https://example.com/issues/7', 'no project name before /issues/: kept whole');
});
