// Issue 23, items 5 and 6, tried as a hostile user would, through the real engine:
// a case whose library is a byte copy of another's, built under another name;
// a catastrophic regex in an expectation; and Ctrl-C while a host is busy and
// while a build runs. Each run uses its own results and cache directories.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO, ROOT } from '../support/cli-run.js';

const attacks = join(ROOT, 'test', 'fixtures', 'attacks');
const scratch = mkdtempSync(join(tmpdir(), 'csm-keys-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-keys-cache-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const go = NEWEST_GO;
const id = (name: string) => `${name}/amd64-glibc/go${go}`;
const fresh = (name: string) => mkdtempSync(join(scratch, `${name}-`));

async function matrix(resultsDir: string, ...args: string[]) {
  const t0 = Date.now();
  const r = await matrixRunner(resultsDir, cacheDir)('--platform', 'amd64-glibc', ...args);
  const verdicts = Object.fromEntries((r.results?.cells ?? []).map((c) => [c.id, c.verdict]));
  return { code: r.code, out: r.out.slice(-3000), results: r.results, verdicts, ms: Date.now() - t0 };
}

t.test("one source, two outputs: a byte copy of link's library built as evil.so does not take over link's build", async (t) => {
  const r = await matrix(fresh('outputs'), '--cases', join(attacks, 'same-source-other-output'), '--case', 'link,same-source-other-output');
  t.equal(r.code, 0, r.out);
  t.same(r.verdicts, { [id('link')]: 'pass', [id('same-source-other-output')]: 'pass' }, 'both pass: two builds, two directories');
  const evil = r.results!.cells.find((c) => c.id === id('same-source-other-output'))!;
  t.equal(evil.summary, '1 checks', 'the evil.so host ran its check against its own build');
  t.same(await leftovers(docker, r.results!.run.id), []);
});

t.test(
  'a catastrophic regex in an expectation: the run ends promptly with the right verdict, and link beside it still passes from the same cache',
  async (t) => {
    const r = await matrix(fresh('redos'), '--cases', join(attacks, 'redos'), '--case', 'link,redos');
    t.equal(r.code, 1, `redos fails: exit 1, not 3\n${r.out}`);
    // A backtracking engine spent over 150 s on this one match; the bound is generous for a loaded 2-core machine.
    t.ok(r.ms < 60_000, `the whole run took ${(r.ms / 1000).toFixed(1)} s`);
    t.same(
      r.verdicts,
      { [id('link')]: 'pass', [id('redos')]: 'fail' },
      'link (built in the run before, from the same --cache) passes; redos fails',
    );
    const redos = r.results!.cells.find((c) => c.id === id('redos'))!;
    t.equal(
      redos.summary,
      'run: exited with code 1 [not as expected: message does not match /(a+)+$/]',
      'no line ends in "a": not the expected failure',
    );
    t.equal(redos.expectation?.matched, false);
    t.same(await leftovers(docker, r.results!.run.id), []);
  },
);

/** The run directory a run in `resultsDir` made (the only one), once it exists. */
const runDirIn = (resultsDir: string): string | undefined => readdirSync(resultsDir).find((d) => /^\d{4}-/.test(d));

async function until(what: string, ready: () => boolean | Promise<boolean>, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Start a run (node itself, so the signal reaches the harness and no wrapper),
 * wait until `ready`, send it SIGINT as a terminal's Ctrl-C would, and return
 * how it ended.
 */
async function interrupt(
  resultsDir: string,
  cache: string,
  args: string[],
  ready: (runDir: string, pid: number) => boolean | Promise<boolean>,
) {
  const child = spawn(
    'node',
    ['--import', 'tsx', 'harness/cli/main.ts', '--results', resultsDir, '--cache', cache, '--platform', 'amd64-glibc', ...args],
    { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += String(d)));
  child.stderr.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until('the run to reach the stage', () => {
      const dir = runDirIn(resultsDir);
      return dir !== undefined && ready(join(resultsDir, dir), child.pid!);
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out.slice(-2000)}`);
  }
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await exited;
  const dir = runDirIn(resultsDir)!;
  const file = join(resultsDir, dir, 'results.json');
  const results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResults) : undefined;
  return { code, ms: Date.now() - sent, results, out: out.slice(-2000), runId: results?.run.id ?? dir };
}

/** True once a container of the harness process `pid` runs a process whose command line matches `what`. */
async function running(pid: number, what: RegExp): Promise<boolean> {
  const mine = await docker.listContainers({ filters: { label: [`cshared-matrix.pid=${pid}`] } });
  for (const info of mine) {
    const top = await docker
      .getContainer(info.Id)
      .top()
      .catch(() => undefined);
    if (top?.Processes?.some((row: string[]) => what.test(row.join(' ')))) return true;
  }
  return false;
}

t.test('Ctrl-C while a host is busy: no container, no volume left; results.json written, marked interrupted', async (t) => {
  const resultsDir = fresh('sigint-cells');
  const r = await interrupt(resultsDir, cacheDir, ['--cases', join(attacks, 'busy-host'), '--case', 'busy-host'], (_dir, pid) =>
    running(pid, /\/host\/busy-host\/host\b/),
  );
  t.equal(r.code, 130, r.out);
  t.ok(r.ms < 20_000, `stopped within 20 s of the signal (${r.ms} ms)`);
  t.ok(r.results, 'results.json is written');
  t.equal(r.results?.run.interrupted, true, 'and says the run was interrupted');
  t.same(r.results?.cells ?? [], [], 'the cell cut short is left out, not reported');
  t.same(await leftovers(docker, r.runId), [], 'no container and no volume of the run is left');
});

t.test('Ctrl-C while a Go build runs: no container, no volume left; results.json written, marked interrupted', async (t) => {
  const resultsDir = fresh('sigint-build');
  // A cache of its own: the build compiles Go's standard library first, many seconds of writing to the Go build cache.
  const cache = mkdtempSync(join(tmpdir(), 'csm-keys-cache-build-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const r = await interrupt(resultsDir, cache, ['--case', 'link'], (_dir, pid) => running(pid, /go build -buildmode=c-shared/));
  t.equal(r.code, 130, r.out);
  t.ok(r.ms < 20_000, `stopped within 20 s of the signal (${r.ms} ms)`);
  t.equal(r.results?.run.interrupted, true, 'results.json is written, marked interrupted');
  t.same(r.results?.cells ?? [], [], 'no cell finished, none is reported');
  t.same(await leftovers(docker, r.runId), [], 'no container and no volume of the run is left');
});
