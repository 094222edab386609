// Issue 23, items 1 and 2, tried as a hostile user would, through the real
// engine: a host that prints terminal escapes, GitHub workflow commands and
// Markdown on stdout and stderr before failing to load, and expectations whose
// label, link and reason carry more; run as GitHub Actions runs it (CI=true,
// GITHUB_ACTIONS=true, a job summary file). Nothing of it may reach the log,
// the terminal or the summary as anything but text.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Token } from 'marked';
import t, { type Test } from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { markdownTokens } from '../support/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const attacks = join(root, 'test', 'fixtures', 'attacks');
const work = mkdtempSync(join(tmpdir(), 'csm-text-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const resultsDir = join(work, 'results');
// Where repro (which has no --cache) puts its cache too: its build finds the Go build cache warm.
const cacheDir = join(resultsDir, '.cache');
const summaryFile = join(work, 'step-summary.md');

const docker = await ensureEngine((l) => t.comment(l));

/** A raw byte no terminal or CI log may get from a case: C0 (newline aside), DEL, C1, bidi controls, line separators. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
/** A line GitHub's runner would run: `::` after leading white space, or the legacy `##[` anywhere. */
const isCommand = (line: string): boolean => /^\s*::/.test(line) || line.includes('##[');

/** The harness as a GitHub Actions step runs it: stdout and stderr apart, as the runner reads them. */
async function cli(...args: string[]) {
  const env = { ...process.env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile };
  const p = await $({ cwd: root, nothrow: true, quiet: !process.env.CSM_TEST_VERBOSE, env })`npx tsx harness/cli/main.ts ${args}`;
  return { code: p.exitCode, stdout: p.stdout, stderr: p.stderr };
}

/**
 * Both streams start with `::stop-commands::TOKEN` and stdout ends with
 * `::TOKEN::`; between them, and anywhere, no line (split as the runner
 * splits: CR, LF) could be a workflow command. Returns the token.
 */
function checkStreams(t: Test, r: { stdout: string; stderr: string }): string {
  const out = r.stdout.split(/\r\n|\r|\n/);
  const err = r.stderr.split(/\r\n|\r|\n/);
  const token = /^::stop-commands::(csm-[0-9a-f]{32})$/.exec(out[0] ?? '')?.[1] ?? '';
  t.ok(token, `stdout opens with stop-commands and a random token: ${JSON.stringify(out[0])}`);
  t.equal(err[0], `::stop-commands::${token}`, 'stderr opens with the same pause (the runner reads the two pipes apart)');
  t.equal(out.filter(Boolean).at(-1), `::${token}::`, 'stdout resumes the commands last');
  const ours = new Set([`::stop-commands::${token}`, `::${token}::`]);
  t.same(
    [...out, ...err].filter((l) => !ours.has(l) && isCommand(l)),
    [],
    'no other line could be a workflow command, paused or not',
  );
  t.notMatch(r.stdout + r.stderr, RAW_CONTROL, 'no ESC, BEL, NUL, CR, C1 or bidi byte from the case');
  return token;
}

/** matrix.md or the job summary: one heading (ours), no HTML, no block but our list and table, links only to `allowed`. */
function checkMarkdown(t: Test, md: string, allowed: string[], what: string): void {
  t.notMatch(md, RAW_CONTROL, `${what}: no NUL, CR or other control byte`);
  const tokens = markdownTokens(md);
  const of = (type: string) => tokens.filter((x) => x.type === type);
  t.same(
    of('heading').map((h) => (h as Token & { text: string }).text.split(' ').slice(0, 2).join(' ')),
    ['cshared-matrix run'],
    `${what}: the one heading is ours`,
  );
  t.same(of('html'), [], `${what}: no HTML`);
  t.same(of('code').concat(of('blockquote'), of('image')), [], `${what}: no code block, quote or image`);
  t.same(
    of('link')
      .map((l) => (l as Token & { href: string }).href)
      .filter((h) => !allowed.includes(h)),
    [],
    `${what}: no link but the expectation's`,
  );
  t.same(md.split('\n').filter(isCommand), [], `${what}: no workflow command line`);
}

t.test('an expectation whose label and link carry a workflow command after a newline is refused at load', async (t) => {
  const r = await cli(
    '--results',
    resultsDir,
    '--cache',
    cacheDir,
    '--no-default-cases',
    '--cases',
    join(attacks, 'hostile-text'),
    '--platform',
    'amd64-glibc',
  );
  t.equal(r.code, 2, `exit 2, before the engine is touched\n${r.stderr}`);
  const file = 'test/fixtures/attacks/hostile-text/case.json';
  const oneLine =
    'must be one line of plain text: no newline, CR, tab, escape or other control character, no Unicode bidi control; write it on one line';
  t.same(r.stderr.split('\n').slice(1).filter(Boolean), [
    `cshared-matrix: ${file}: /expect/0/link: must be an http(s) link to the upstream issue (no spaces or control characters), or for a finding nobody has reported, its write-up here (cases/<case>/README.md#<section>)`,
    `cshared-matrix: ${file}: /expect/0/label: ${oneLine}`,
    `cshared-matrix: ${file}: /expect/0/reason: ${oneLine}`,
  ]);
  checkStreams(t, r);
  t.notOk(existsSync(join(resultsDir, 'latest')), 'no run was started');
});

/** The fixture's case with an expectation that loads (each field one line) but is as hostile as one line can be. */
function loadableVariant(name: string, stage: 'load' | 'run'): string {
  const dir = join(work, 'cases', name);
  cpSync(join(attacks, 'hostile-text'), dir, { recursive: true });
  const caseFile = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  caseFile.expect = [
    {
      ...caseFile.expect[0],
      stage,
      label: 'go#1 ::warning::x ##[error]y <b>',
      link: 'https://evil.example/::warning::forged',
      reason: '# ✅ All cells passed <details open> ::error::forged ##[error]forged [click](https://evil.example)',
    },
  ];
  writeFileSync(join(dir, 'case.json'), JSON.stringify(caseFile));
  return dir;
}

t.test('hostile host output and one-line hostile expectations: terminal, CI log, matrix.md and job summary hold', async (t) => {
  // hostile-label fails as expected (xfail: its label is in the closing notes); hostile-output fails at another stage than its expectation says (fail).
  const cases = [loadableVariant('hostile-label', 'load'), loadableVariant('hostile-output', 'run')];
  writeFileSync(summaryFile, '');
  const r = await cli(
    '--results',
    resultsDir,
    '--cache',
    cacheDir,
    '--no-default-cases',
    ...cases.flatMap((c) => ['--cases', c]),
    '--platform',
    'amd64-glibc',
  );
  const results = JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults;
  t.equal(r.code, 1, `exit 1: the unexpected fail\n${(r.stdout + r.stderr).slice(-3000)}`);
  const verdicts = Object.fromEntries(results.cells.map((c) => [c.axes.case, c.verdict]));
  t.same(verdicts, { 'hostile-label': 'xfail', 'hostile-output': 'fail' });
  t.match(
    results.cells.find((c) => c.verdict === 'fail')?.summary ?? '',
    /^load: forged: \x1b\[2J/,
    'results.json keeps what the host printed, raw, as data',
  );

  checkStreams(t, r);
  t.match(
    r.stdout,
    /✗ fail +hostile-output\/amd64-glibc\/go[\d.]+ [\d.]+s  load: forged: \\e\[2J\\e\[H\\e\]8;;https:\/\/evil\.example\/\\aclick me/,
    "the cell's line shows the escapes as text",
  );
  t.match(
    r.stdout,
    /\\e\]52;c;cm0gLXJmIH4vKgo=\\a \\r::error title=forged::all cells passed \\r::add-mask::hunter2 x ##\\\[warning\]legacy command/,
    'the clipboard write, the annotation, the mask and the legacy command, as text',
  );
  t.match(r.stdout, /\\u\{202e\}desrever\\u\{202c\} c1 \\x9b31m nul \\0 after the nul/, 'bidi, C1 and NUL as escapes');
  t.match(
    r.stdout,
    / {2}x go#1 ::warning::x ##\\\[error\]y <b>: https:\/\/evil\.example\/::warning::forged/,
    'the xfail note: label and link on our line',
  );

  const md = readFileSync(join(resultsDir, 'latest', 'matrix.md'), 'utf8');
  checkMarkdown(t, md, ['https://evil.example/::warning::forged'], 'matrix.md');
  t.equal(readFileSync(summaryFile, 'utf8'), `${md}\n`, 'the job summary is matrix.md');
  t.match(
    md,
    /- go#1 ::warning::x ##\\\[error\\\]y \\<b\\>: <https:\/\/evil\.example\/::warning::forged> — # ✅ All cells passed \\<details open\\> ::error::forged/,
    'the bug line: escaped label, our autolink, escaped reason',
  );
  t.same(await leftovers(docker, results.run.id), []);
});

t.test('diff and merge of a forged results.json: what they print and write holds', async (t) => {
  const real = join(resultsDir, 'latest');
  const forged = join(work, 'forged');
  cpSync(real, forged, { recursive: true, dereference: true });
  const r0 = JSON.parse(readFileSync(join(forged, 'results.json'), 'utf8')) as RunResults;
  const hostile = '\x1b]52;c;eA==\x07\r::error::forged\n::warning::forged ##[error]x\n# ✅ All cells passed <details open>\x00';
  // No NUL or slash, so diff reads it; merge refuses it (below).
  r0.run.id = `forged-${hostile.replace(/[\0/]/g, '')}`;
  r0.cells = r0.cells.map((c) => ({
    ...c,
    id: `${c.id}${hostile}`,
    summary: hostile,
    explanation: hostile,
    expectation: {
      when: {},
      verdict: 'fail',
      match: 'x',
      link: `https://evil.example/${hostile}`,
      label: hostile,
      reason: hostile,
      matched: true,
    },
  }));
  writeFileSync(join(forged, 'results.json'), JSON.stringify(r0));

  const diff = await cli('diff', forged, real);
  t.equal(diff.code, 0, diff.stderr);
  checkStreams(t, diff);
  t.match(diff.stdout, /\\e\\\]52;c;eA==\\\\a\\\\r::error::forged/, 'the forged id, escaped, in the printed diff');

  // merge names directories after a part's id: a forged one is refused, said escaped.
  const refused = await cli('merge', '--results', join(work, 'refused'), forged);
  t.equal(refused.code, 2, `a part whose run.id is not one path segment is refused\n${refused.stderr}`);
  checkStreams(t, refused);
  t.match(refused.stderr, /run\.id is not a run id .*; merge names directories after it/);
  r0.run.id = 'forged-run';
  writeFileSync(join(forged, 'results.json'), JSON.stringify(r0));
  const merged = await cli('merge', '--results', join(work, 'merged'), forged);
  t.equal(merged.code, 1, `exit 1, by the merged cells (one fail)\n${merged.stderr}`);
  checkStreams(t, merged);
  checkMarkdown(t, readFileSync(join(work, 'merged', 'latest', 'matrix.md'), 'utf8'), [], 'merged matrix.md');
});

t.test('npm run repro of a report whose error text and host attack the terminal', async (t) => {
  const r = await cli('repro', '--results', resultsDir, '--platform', 'amd64-glibc', join(attacks, 'hostile-report'));
  t.equal(r.code, 0, `exit 0: the host fails with the reported error\n${(r.stdout + r.stderr).slice(-3000)}`);
  checkStreams(t, r);
  t.match(
    r.stdout,
    /^reported: fatal error: \\e\]52;c;cm0gLXJmIH4vKgo=\\a\\e\[2J$/m,
    "the report's text, escaped (its Markdown ends the line at the CR)",
  );
  t.match(
    r.stdout,
    /host +fail +YES +fatal error: \\e\]52;c;cm0gLXJmIH4vKgo=\\a\\e\[2J\\r::error title=forged::in the report$/m,
    "the host's line, escaped",
  );
  const repro = readFileSync(join(resultsDir, 'latest', 'repro.md'), 'utf8');
  t.notMatch(repro, RAW_CONTROL, 'repro.md holds no control byte');
  const runId = (JSON.parse(readFileSync(join(resultsDir, 'latest', 'results.json'), 'utf8')) as RunResults).run.id;
  t.same(await leftovers(docker, runId), []);
});
