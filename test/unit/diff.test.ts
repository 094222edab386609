import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main as diffMain } from '../../harness/cli/commands/diff.js';
import { classifyChange, diffRuns, type RunDiff, renderDiffMarkdown } from '../../harness/core/diff.js';
import { EXIT } from '../../harness/core/errors.js';
import type { RunResults } from '../../harness/core/results.js';
import { type CellResult, VERDICTS } from '../../harness/core/types.js';
import { cell, IE_TLS_RULE, runResults, tempDir, writeTree } from '../support/helpers.js';
import { runCommand } from '../support/run-command.js';

const IE_TLS = { ...IE_TLS_RULE, matched: true };

function run(id: string, cells: CellResult[]): RunResults {
  return runResults(cells, {
    run: { id, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', durationMs: 60_000, node: 'v20' },
    platforms: [],
  });
}

const logs = (c: string, p: string) => ({ compile: `logs/go1.27/${p}/${c}/compile.log`, run: `logs/go1.27/${p}/${c}/run.log` });

/** An old and a new run with one change of every kind. */
function pair(): [RunResults, RunResults] {
  const old = run('old-run', [
    cell('link', 'amd64-glibc', '1.27', { logs: logs('link', 'amd64-glibc') }),
    cell('link', 'amd64-musl', '1.27', { verdict: 'xfail', stage: 'load', summary: 'IE TLS (go#54805)', expectation: IE_TLS }),
    cell('link', 'arm7-glibc', '1.27', { verdict: 'fail', stage: 'run', summary: 'SIGSEGV' }),
    cell('link', 'arm5-glibc', '1.27', { verdict: 'pass' }),
    cell('link', 'arm7-musl', '1.27', { verdict: 'xfail', expectation: IE_TLS, summary: 'IE TLS (go#54805)' }),
    cell('gone', 'amd64-glibc', '1.27', { summary: 'was here' }),
  ]);
  const now = run('new-run', [
    cell('link', 'amd64-glibc', '1.27', { verdict: 'fail', stage: 'run', summary: 'exit 1 | a pipe', logs: logs('link', 'amd64-glibc') }),
    cell('link', 'amd64-musl', '1.27', {
      verdict: 'xpass',
      stage: 'checks',
      summary: 'expected IE TLS (go#54805) did not happen',
      expectation: { ...IE_TLS, matched: false },
      logs: logs('link', 'amd64-musl'),
    }),
    cell('link', 'arm7-glibc', '1.27', { verdict: 'pass' }),
    cell('link', 'arm5-glibc', '1.27', { verdict: 'pass' }),
    cell('link', 'arm7-musl', '1.27', { verdict: 'error', stage: 'build', summary: 'engine went away', expectation: IE_TLS }),
    cell('new', 'amd64-glibc', '1.27', { verdict: 'na', summary: 'no python', logs: { 'build-hello': 'logs/builds/x.log' } }),
  ]);
  return [old, now];
}

t.test('classifyChange: every pair of verdicts', async (t) => {
  const expected = ['pass', 'xfail'];
  const broken = ['fail', 'timeout', 'error', 'flaky'];
  for (const was of VERDICTS)
    for (const now of VERDICTS) {
      const want =
        was === now
          ? 'unchanged'
          : expected.includes(was) && broken.includes(now)
            ? 'regression'
            : (was === 'xfail' && now === 'xpass') || (['fail', 'timeout'].includes(was) && now === 'pass')
              ? 'fix'
              : 'other';
      t.equal(classifyChange(was, now), want, `${was} → ${now}`);
    }
  t.equal(classifyChange('pass', 'fail'), 'regression');
  t.equal(classifyChange('xfail', 'timeout'), 'regression');
  t.equal(classifyChange('xfail', 'xpass'), 'fix', 'an upstream fix probably landed');
  t.equal(classifyChange('fail', 'pass'), 'fix');
  t.equal(classifyChange('pass', 'xfail'), 'other');
  t.equal(classifyChange('fail', 'error'), 'other');
  t.equal(classifyChange('pass', 'xpass'), 'other');
});

t.test('diffRuns sorts every cell into one bucket', async (t) => {
  const [old, now] = pair();
  const d = diffRuns(old, now);
  t.same(d.old, { id: 'old-run', startedAt: old.run.startedAt, counts: old.counts });
  t.same(d.new, { id: 'new-run', startedAt: now.run.startedAt, counts: now.counts });
  t.same(d.regressions, [
    {
      id: 'link/amd64-glibc/go1.27',
      old: 'pass',
      new: 'fail',
      stage: 'run',
      summary: 'exit 1 | a pipe',
      log: 'logs/go1.27/amd64-glibc/link/run.log',
    },
    {
      id: 'link/arm7-musl/go1.27',
      old: 'xfail',
      new: 'error',
      stage: 'build',
      summary: 'engine went away',
      link: IE_TLS.link,
      label: IE_TLS.label,
    },
  ]);
  t.same(d.fixes, [
    {
      id: 'link/amd64-musl/go1.27',
      old: 'xfail',
      new: 'xpass',
      stage: 'checks',
      summary: 'expected IE TLS (go#54805) did not happen',
      link: IE_TLS.link,
      label: IE_TLS.label,
      log: 'logs/go1.27/amd64-musl/link/run.log',
    },
    { id: 'link/arm7-glibc/go1.27', old: 'fail', new: 'pass', stage: 'checks', summary: '3 checks' },
  ]);
  t.same(d.otherChanges, []);
  t.same(d.added, [{ id: 'new/amd64-glibc/go1.27', new: 'na', stage: 'checks', summary: 'no python', log: 'logs/builds/x.log' }]);
  t.same(d.removed, [{ id: 'gone/amd64-glibc/go1.27', old: 'pass', stage: 'checks', summary: 'was here' }]);
  t.equal(d.unchanged, 1);
  const n = d.regressions.length + d.fixes.length + d.otherChanges.length + d.unchanged;
  t.equal(n + d.added.length, now.cells.length, 'every new cell is counted once');
  t.equal(n + d.removed.length, old.cells.length, 'every old cell is counted once');

  const other = diffRuns(
    run('a', [cell('x', 'amd64-glibc', '1.27', { verdict: 'fail' })]),
    run('b', [cell('x', 'amd64-glibc', '1.27', { verdict: 'timeout' })]),
  );
  t.same(
    other.otherChanges.map((e) => [e.old, e.new]),
    [['fail', 'timeout']],
  );
});

t.test('the JSON is the diff object itself', async (t) => {
  const d = diffRuns(...pair());
  t.same(JSON.parse(JSON.stringify(d)) as RunDiff, d, 'plain data: nothing lost in JSON');
  t.same(Object.keys(d), ['old', 'new', 'regressions', 'fixes', 'otherChanges', 'added', 'removed', 'unchanged']);
});

t.test('a run against itself: nothing changed', async (t) => {
  const [old] = pair();
  const d = diffRuns(old, old);
  t.equal(d.unchanged, old.cells.length);
  t.same([d.regressions, d.fixes, d.otherChanges, d.added, d.removed], [[], [], [], [], []]);
  const md = renderDiffMarkdown(d);
  t.match(md, /\*\*0 regressions · 0 fixes · 0 other changes · 0 added · 0 removed · 6 unchanged\*\*/);
  t.equal(md.match(/^None\.$/gm)?.length, 5, 'every section says None.');
});

t.test('renderDiffMarkdown', async (t) => {
  const md = renderDiffMarkdown(diffRuns(...pair()));
  t.match(md, /^# cshared-matrix diff old-run → new-run\n/);
  t.match(md, /\n- old: 6 cells: 3 pass, 1 fail, 2 xfail, [^\n]+\n- new: 6 cells: 2 pass, 1 fail, 0 xfail, 1 xpass, [^\n]+\n/);
  t.match(md, /\*\*2 regressions · 2 fixes · 0 other changes · 1 added · 1 removed · 1 unchanged\*\*/);
  const headings = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
  t.same(headings, ['Regressions (2)', 'Fixes (2)', 'Other changes (0)', 'Added (1)', 'Removed (1)']);
  t.equal(md.match(/^\| cell \| was \| now \| summary \| expectation \| log \|$/gm)?.length, 4, 'a table for each section with entries');
  t.match(
    md,
    /\| `link\/amd64-glibc\/go1\.27` \| ✅ pass \| ❌ fail \| exit 1 \\\| a pipe \|  \| \[log\]\(logs\/go1\.27\/amd64-glibc\/link\/run\.log\) \|/,
    'pipes escaped; the log linked relative to the new run',
  );
  t.match(
    md,
    /\| `link\/amd64-musl\/go1\.27` \| ☑️ xfail \| ❗ xpass \| .* \| \[IE TLS \(go#54805\)\]\(https:\/\/github\.com\/golang\/go\/issues\/54805\) \|/,
  );
  t.match(md, /\| `gone\/amd64-glibc\/go1\.27` \| ✅ pass \| · \| was here \|/);
  t.match(md, /\n\n## Other changes \(0\)\n\n_any other change of verdict_\n\nNone\.\n/);
  t.match(
    renderDiffMarkdown(
      diffRuns(run('a', [cell('x', 'amd64-glibc', '1.27')]), run('b', [cell('x', 'amd64-glibc', '1.27', { verdict: 'fail' })])),
    ),
    /\*\*1 regression · 0 fixes/,
  );
});

t.test('diff-cli', async (t) => {
  const dir = tempDir(t, 'csm-diff-');
  const [old, now] = pair();
  writeTree(dir, { 'old/results.json': old, 'new/results.json': now, 'same/results.json': old, 'bad.json': '{"cells": 3}' });
  const cli = (...args: string[]) => runCommand(diffMain, args, { NO_COLOR: '1' });

  const r = await cli(join(dir, 'old'), join(dir, 'new', 'results.json'));
  t.equal(r.status, EXIT.unexpected, 'regressions: exit 1');
  t.equal(r.stdout, readFileSync(join(dir, 'new', 'diff.md'), 'utf8'), 'prints diff.md');
  t.same(JSON.parse(readFileSync(join(dir, 'new', 'diff.json'), 'utf8')), diffRuns(old, now), 'diff.json is the diff');
  t.notOk(existsSync(join(dir, 'old', 'diff.md')), 'nothing written into the old run');

  const same = await cli(join(dir, 'old'), join(dir, 'same'));
  t.equal(same.status, EXIT.ok, 'no regression: exit 0');
  t.match(same.stdout, /0 regressions/);
  const reversed = await cli(join(dir, 'new'), join(dir, 'old'));
  t.equal(reversed.status, EXIT.unexpected, 'the other way round, pass → fail is a regression');

  for (const args of [
    [],
    [join(dir, 'old')],
    [join(dir, 'old'), join(dir, 'new'), join(dir, 'same')],
    ['--nope', 'a', 'b'],
    [join(dir, 'nope'), join(dir, 'new')],
    [join(dir, 'bad.json'), join(dir, 'new')],
  ]) {
    const u = await cli(...args);
    t.equal(u.status, EXIT.usage, `usage error for ${args.map((a) => a.replace(dir, '…')).join(' ') || 'no arguments'}`);
    t.match(u.stderr, /^cshared-matrix: [^\n]+\n$/, 'one line');
  }
  t.equal((await cli('--help')).status, EXIT.ok);
});
