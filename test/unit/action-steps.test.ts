// The local GitHub Actions step runner (test/action/run-action-steps.ts) that
// action.test and first-run-apt run action.yml through: its GITHUB_* command
// files, run: steps (bash, here, no engine), if:, continue-on-error, outputs,
// and its actions/cache and actions/upload-artifact emulations, on tiny
// composite actions in temporary directories.
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { type ActionResult, artifactFiles, parseCommandFile, readAction, runAction } from '../action/run-action-steps.js';
import { tempDir, writeTree } from '../support/helpers.js';

type Step = Record<string, unknown>;

/** A composite action of these steps in a fresh directory, and a runner for it that keeps what it printed. */
function action(t: Test, steps: Step[], more: Record<string, unknown> = {}) {
  const dir = tempDir(t, 'csm-action-');
  writeTree(dir, { 'action/action.yml': stringify({ name: 'under test', ...more, runs: { using: 'composite', steps } }) });
  mkdirSync(join(dir, 'workspace'));
  const run = async (
    inputs: Record<string, string> = {},
    workspace = join(dir, 'workspace'),
  ): Promise<ActionResult & { log: string[] }> => {
    const log: string[] = [];
    const r = await runAction({ actionPath: join(dir, 'action'), workspace, state: join(dir, 'state'), inputs, log: (l) => log.push(l) });
    return { ...r, log };
  };
  return { dir, workspace: join(dir, 'workspace'), run };
}
const bash = (run: string, more: Step = {}): Step => ({ shell: 'bash', run, ...more });
const outcomes = (r: ActionResult) => Object.fromEntries(r.steps.map((s) => [s.id ?? s.name, s.outcome]));

t.test('parseCommandFile: KEY=value lines and KEY<<DELIM blocks, as GITHUB_OUTPUT and GITHUB_ENV hold them', async (t) => {
  t.same(parseCommandFile('a=1\n\nb=x=y\r\nc=\n'), { a: '1', b: 'x=y', c: '' }, 'the first = splits; CR and blank lines are dropped');
  t.same(
    parseCommandFile('multi<<EOF\nline 1\n\nline=2\nEOF\nafter=3\n'),
    { multi: 'line 1\n\nline=2', after: '3' },
    'a block keeps its blank lines and = signs',
  );
  t.same(parseCommandFile('k<<END\r\nv\r\nEND\r\n'), { k: 'v\r' }, 'the delimiter line may end in CR');
  t.same(parseCommandFile('a=1\na=2\n'), { a: '2' }, 'the last write wins');
  t.throws(() => parseCommandFile('k<<EOF\nno end\n'), { message: 'k<<EOF: no closing EOF' });
  t.throws(() => parseCommandFile('just words\n'), { message: 'not a KEY=value line: "just words"' });
  t.throws(() => parseCommandFile('=v\n'), { message: 'not a KEY=value line: "=v"' });
});

t.test('readAction: a composite action.yml (or action.yaml), else one error naming the file', async (t) => {
  const dir = tempDir(t, 'csm-readaction-');
  writeTree(dir, {
    'yaml/action.yaml': stringify({ runs: { using: 'composite', steps: [] } }),
    'node/action.yml': stringify({ runs: { using: 'node20', main: 'index.js' } }),
    'nosteps/action.yml': stringify({ runs: { using: 'composite', steps: 'echo' } }),
  });
  t.same(readAction(join(dir, 'yaml')).runs.steps, []);
  t.throws(() => readAction(join(dir, 'none')), { message: `no action.yml in ${join(dir, 'none')}` });
  t.throws(() => readAction(join(dir, 'node')), {
    message: `${join(dir, 'node', 'action.yml')}: runs.using is node20, only composite actions are emulated`,
  });
  t.throws(() => readAction(join(dir, 'nosteps')), { message: `${join(dir, 'nosteps', 'action.yml')}: runs.steps is not a list` });
});

t.test(
  'run: steps: inputs and their defaults, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, the step summary, annotations, the action outputs',
  async (t) => {
    const a = action(
      t,
      [
        bash(
          [
            'echo "said=$GREETING, $WHO" >> "$GITHUB_OUTPUT"',
            'printf \'multi<<EOF\\nline 1\\nline 2\\nEOF\\n\' >> "$GITHUB_OUTPUT"',
            'echo "FROM_ONE=one" >> "$GITHUB_ENV"',
            'mkdir -p "$RUNNER_TEMP/bin" && printf \'#!/bin/sh\\necho tool ran\\n\' > "$RUNNER_TEMP/bin/csm-tool" && chmod +x "$RUNNER_TEMP/bin/csm-tool"',
            'echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"',
            'echo "## one" >> "$GITHUB_STEP_SUMMARY"',
            'echo "::warning file=x.c,line=3::careful"',
            'echo "inputs as env: ${INPUT_WHO:-none}; CI=$CI GITHUB_ACTIONS=$GITHUB_ACTIONS"',
          ].join('\n'),
          { id: 'say', env: { GREETING: '${{ inputs.greeting }}', WHO: '${{ inputs.WHO }}' } },
        ),
        bash('echo "env: $FROM_ONE; $(csm-tool); where=$WHERE; cwd=$(basename "$PWD")"\necho "## two" >> "$GITHUB_STEP_SUMMARY"', {
          name: 'second sees ${{ steps.say.outputs.said }}',
          env: { WHERE: '${{ inputs.where }}' },
          'working-directory': 'sub',
        }),
      ],
      {
        inputs: {
          greeting: { default: 'hello' },
          who: { required: true },
          where: { default: '${{ runner.os }}-${{ github.event_name }}' },
        },
        outputs: { said: { value: '${{ steps.say.outputs.said }}' }, multi: { value: '${{ steps.say.outputs.multi }}' } },
      },
    );
    mkdirSync(join(a.workspace, 'sub'));
    const r = await a.run({ Who: 'world' });
    t.equal(r.outcome, 'success');
    t.same(
      r.outputs,
      { said: 'hello, world', multi: 'line 1\nline 2' },
      'a given input matches its declaration whatever its case; the other takes its default',
    );
    t.same(
      r.steps.map((s) => [s.name, s.outcome, s.exitCode]),
      [
        ['Run echo "said=$GREETING, $WHO" >> "$GITHUB_OUTPUT"', 'success', 0],
        ['second sees hello, world', 'success', 0],
      ],
    );
    t.ok(
      r.log.includes('env: one; tool ran; where=Linux-workflow_dispatch; cwd=sub'),
      "GITHUB_ENV and GITHUB_PATH reach the next step; a default's ${{ }} is evaluated; working-directory is the workspace's",
    );
    t.ok(r.log.includes('inputs as env: none; CI=true GITHUB_ACTIONS=true'), 'composite steps get no INPUT_* variables, as on GitHub');
    t.equal(r.summary, '## one\n## two\n', "the job summary is every step's, in order");
    t.same(r.annotations, [{ level: 'warning', message: 'careful' }]);
    await t.rejects(a.run({ who: 'w', colour: 'red' }), { message: 'unexpected input(s) colour; valid inputs are greeting, who, where' });
  },
);

t.test('a failing step fails the job and skips the rest, unless continue-on-error or an if: with a status function', async (t) => {
  const a = action(t, [
    bash('exit 3', { id: 'soft', 'continue-on-error': true }),
    bash('echo "soft=$SOFT"', { id: 'after-soft', env: { SOFT: '${{ steps.soft.outcome }}/${{ steps.soft.conclusion }}' } }),
    bash('echo never', { id: 'not-a-push', if: "github.event_name == 'push'" }),
    bash('exit 4', { id: 'hard' }),
    bash('echo never', { id: 'after-hard' }),
    bash('echo "cleaning up"', { id: 'on-failure', if: '${{ failure() }}' }),
    bash('echo always', { id: 'always', if: 'always()' }),
    bash('echo never', { id: 'on-success', if: 'success()' }),
  ]);
  const r = await a.run();
  t.equal(r.outcome, 'failure');
  t.same(outcomes(r), {
    soft: 'failure',
    'after-soft': 'success',
    'not-a-push': 'skipped',
    hard: 'failure',
    'after-hard': 'skipped',
    'on-failure': 'success',
    always: 'success',
    'on-success': 'skipped',
  });
  t.same(
    r.steps.filter((s) => s.exitCode).map((s) => [s.id, s.exitCode]),
    [
      ['soft', 3],
      ['hard', 4],
    ],
  );
  t.ok(r.log.includes('soft=failure/success'), 'continue-on-error: the outcome is failure, the conclusion success');
  t.ok(r.log.includes('cleaning up') && r.log.includes('always') && !r.log.includes('never'));
  t.ok(r.log.includes('[emulator] step 5 (after-hard): skipped (an earlier step failed)'));
  t.ok(r.log.includes("[emulator] step 3 (not-a-push): skipped (if: github.event_name == 'push')"));
});

t.test('what the emulator does not know is an error, not a silent pass', async (t) => {
  await t.rejects(action(t, [{ uses: 'actions/cache' }]).run(), { message: 'step 1 (Run actions/cache): uses: actions/cache has no @ref' });
  await t.rejects(action(t, [{ uses: 'actions/checkout@v4' }]).run(), {
    message: 'step 1 (Run actions/checkout@v4): uses: actions/checkout@v4 is not emulated',
  });
  await t.rejects(action(t, [{ run: 'true' }]).run(), { message: 'step 1 (Run true): a composite run step needs shell:' });
  await t.rejects(action(t, [bash('true', { shell: 'pwsh' })]).run(), {
    message: 'step 1 (Run true): shell pwsh is not emulated (bash only)',
  });
  await t.rejects(action(t, [{ name: 'empty' }]).run(), { message: 'step 1 (empty): neither run: nor uses:' });
  await t.rejects(
    action(t, [bash('true', { 'working-directory': 'nowhere' })]).run(),
    /^step 1 \(Run true\): working directory .*\/workspace\/nowhere does not exist$/,
  );
});

/** An action that restores `cached` under its key input, reports what it found, writes its key there and fails if asked; and a fresh workspace per run, as a new runner has. */
function cachingAction(t: Test) {
  const a = action(
    t,
    [
      { id: 'cache', uses: 'actions/cache@v4', with: { path: 'cached', key: '${{ inputs.key }}', 'restore-keys': 'prefix-' } },
      bash(
        'echo "found=$(cat cached/f 2>/dev/null || echo nothing)" >> "$GITHUB_OUTPUT"\nmkdir -p cached && echo "$KEY" > cached/f\n[ "$FAIL" != yes ]',
        { id: 'use', env: { KEY: '${{ inputs.key }}', FAIL: '${{ inputs.fail }}' } },
      ),
    ],
    {
      inputs: { key: {}, fail: { default: 'no' } },
      outputs: {
        hit: { value: '${{ steps.cache.outputs.cache-hit }}' },
        matched: { value: '${{ steps.cache.outputs.cache-matched-key }}' },
        found: { value: '${{ steps.use.outputs.found }}' },
      },
    },
  );
  const fresh = (name: string) => {
    const w = join(a.dir, name);
    mkdirSync(w);
    return w;
  };
  return { ...a, fresh };
}

t.test('actions/cache: a miss saves after a job that succeeded; then the exact key, a restore-key, the newest prefix match', async (t) => {
  const a = cachingAction(t);
  const { fresh } = a;
  const first = await a.run({ key: 'prefix-1' }, fresh('w1'));
  t.same(first.outputs, { hit: 'false', matched: '', found: 'nothing' }, 'a miss');
  t.same(
    first.steps.map((s) => [s.phase, s.outcome]),
    [
      ['main', 'success'],
      ['main', 'success'],
      ['post', 'success'],
    ],
    'the save is a post step',
  );
  t.ok(first.log.includes('[emulator] actions/cache: Cache saved with key: prefix-1'));
  t.same(
    (await a.run({ key: 'prefix-1' }, fresh('w2'))).outputs,
    { hit: 'true', matched: 'prefix-1', found: 'prefix-1' },
    'the exact key: a hit, the files restored',
  );
  const byRestoreKey = await a.run({ key: 'prefix-2' }, fresh('w3'));
  t.same(byRestoreKey.outputs, { hit: 'false', matched: 'prefix-1', found: 'prefix-1' }, 'a restore-key: restored, but no hit');
  t.ok(byRestoreKey.log.includes('[emulator] actions/cache: restored cached from key prefix-1 (restore-key prefix-)'));
  t.same(
    (await a.run({ key: 'prefix-' }, fresh('w4'))).outputs,
    { hit: 'false', matched: 'prefix-2', found: 'prefix-2' },
    'the key as a prefix: the newest entry it starts',
  );
  const again = await a.run({ key: 'prefix-2' }, fresh('w5'));
  t.ok(
    again.log.includes('[emulator] actions/cache: warning: Failed to save: a cache entry for key prefix-2 exists already'),
    'a key is never overwritten',
  );
  const failed = await a.run({ key: 'other-3', fail: 'yes' }, fresh('w6'));
  t.same(
    failed.steps.map((s) => [s.phase, s.outcome]),
    [
      ['main', 'success'],
      ['main', 'failure'],
      ['post', 'skipped'],
    ],
    'a failed job saves nothing',
  );
  t.same(
    JSON.parse(readFileSync(join(a.dir, 'state', 'actions-cache', 'index.json'), 'utf8')).map((e: { key: string }) => e.key),
    ['prefix-1', 'prefix-2', 'prefix-'],
  );
});

t.test('actions/cache: a key with a comma, a path with a glob, a miss with fail-on-cache-miss fail the step', async (t) => {
  const bad = await action(t, [{ uses: 'actions/cache/restore@v4', with: { path: 'p', key: 'a,b' } }]).run();
  t.same([bad.outcome, bad.annotations], ['failure', [{ level: 'error', message: 'Key Validation Error: a,b cannot contain commas' }]]);
  const glob = await action(t, [{ uses: 'actions/cache/restore@v4', with: { path: 'p/*', key: 'k' } }]).run();
  t.same(glob.annotations, [{ level: 'error', message: 'cache paths with globs or exclusions are not emulated: p/*' }]);
  const strict = await action(t, [{ uses: 'actions/cache/restore@v4', with: { path: 'p', key: 'k', 'fail-on-cache-miss': 'true' } }]).run();
  t.same(
    [strict.outcome, strict.annotations[0]?.message],
    ['failure', 'Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: k'],
  );
});

t.test(
  'artifactFiles: the files a path input names, exclusions and hidden files left out, symlinks followed, the common root',
  async (t) => {
    const ws = tempDir(t, 'csm-artifact-');
    writeTree(ws, {
      'out/a.txt': 'a',
      'out/sub/b.log': 'b',
      'out/.hidden/c': 'c',
      'out/skip.tmp': 't',
      'elsewhere/e.txt': 'e',
      'other/o.txt': 'o',
    });
    symlinkSync(join(ws, 'elsewhere'), join(ws, 'out', 'linked'));
    symlinkSync(join(ws, 'out'), join(ws, 'out', 'sub', 'loop'));
    const rel = (r: { root: string; files: string[]; excluded: number }) => ({
      ...r,
      root: r.root.replace(ws, '~'),
      files: r.files.map((f) => f.replace(`${ws}/`, '')),
    });
    t.same(
      rel(artifactFiles('out\n!out/**/*.tmp', ws, false)),
      { root: '~/out', files: ['out/a.txt', 'out/linked/e.txt', 'out/sub/b.log'], excluded: 2 },
      'a link is followed, a link back to an ancestor is not',
    );
    t.same(
      rel(artifactFiles('out\n!out/**/*.tmp', ws, true)).files,
      ['out/.hidden/c', 'out/a.txt', 'out/linked/e.txt', 'out/sub/b.log'],
      'include-hidden-files',
    );
    t.same(
      rel(artifactFiles('out/**/*.log', ws, false)),
      { root: '~/out', files: ['out/sub/b.log'], excluded: 0 },
      'a glob: its root is where it starts',
    );
    t.same(
      rel(artifactFiles(`out/a.txt\n${join(ws, 'other')}`, ws, false)),
      { root: '~', files: ['other/o.txt', 'out/a.txt'], excluded: 0 },
      'several paths: their least common ancestor',
    );
    t.same(rel(artifactFiles('nothing-here', ws, false)), { root: '~', files: [], excluded: 0 });
  },
);

t.test('actions/upload-artifact: files copied under the root, names checked and unique, no files as asked', async (t) => {
  const a = action(t, [
    { uses: 'actions/upload-artifact@v4', with: { name: 'logs', path: 'out' } },
    { id: 'again', uses: 'actions/upload-artifact@v4', with: { name: 'logs', path: 'out' }, 'continue-on-error': true },
    { id: 'none-warn', uses: 'actions/upload-artifact@v4', with: { name: 'none', path: 'missing' } },
    { id: 'none-ignore', uses: 'actions/upload-artifact@v4', with: { name: 'none', path: 'missing', 'if-no-files-found': 'ignore' } },
    { id: 'bad-name', uses: 'actions/upload-artifact@v4', with: { name: 'a/b', path: 'out' }, 'continue-on-error': true },
    { id: 'none-error', uses: 'actions/upload-artifact@v4', with: { name: 'none', path: 'missing', 'if-no-files-found': 'error' } },
  ]);
  writeTree(a.workspace, { 'out/a.txt': 'A\n', 'out/sub/b.log': 'B\n' });
  const r = await a.run();
  t.equal(readFileSync(join(r.artifactsDir, 'logs', 'sub', 'b.log'), 'utf8'), 'B\n', 'paths relative to the root');
  t.ok(existsSync(join(r.artifactsDir, 'logs', 'a.txt')));
  t.same(outcomes(r), {
    'Run actions/upload-artifact@v4': 'success',
    again: 'failure',
    'none-warn': 'success',
    'none-ignore': 'success',
    'bad-name': 'failure',
    'none-error': 'failure',
  });
  t.same(
    r.annotations.map((x) => [x.level, x.message.replace(/: .*/, '')]),
    [
      ['error', 'Failed to CreateArtifact'],
      ['warning', 'No files were found with the provided path'],
      ['error', 'The artifact name is not valid'],
      ['error', 'No files were found with the provided path'],
    ],
    'warn is an annotation, ignore is silent, error fails the step',
  );
  t.equal(r.outcome, 'failure');
});
