// Fault injection through the real engine: hosts that hang, fork-bomb, eat
// memory or reach for the network; the engine restarted under a run; a full
// results disk; two runs at once. Each runs the harness as a subprocess, the
// way a user does, and asserts the one result that is acceptable.
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';

const root = join(import.meta.dirname, '..', '..');
const faults = join(root, 'test', 'fixtures', 'faults');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-faults-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Cell = RunResults['cells'][number];
const RUN_ID = /^\d{4}-\d\d-\d\dT[\d-]+Z-[0-9a-f]{4}$/;

const env = () => ({ ...process.env, CI: '1' });
const harnessArgs = (dir: string, args: string[]) => ['tsx', 'harness/cli/main.ts', '--results', dir, '--cases', faults, ...args];

/** Start the harness in the background, its output streamed: for tests that act while it runs. */
function start(dir: string, ...args: string[]) {
  const p = $({ cwd: root, nothrow: true, quiet: !process.env.CSM_TEST_VERBOSE, env: env() })`npx ${harnessArgs(dir, args)}`;
  const lines: { at: number; text: string }[] = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += String(d);
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const text of parts) lines.push({ at: Date.now(), text });
  });
  /** Resolves with the first stdout line matching re (and when it came), or rejects after ms. */
  const line = async (re: RegExp, ms: number): Promise<{ at: number; m: RegExpExecArray }> => {
    const until = Date.now() + ms;
    for (;;) {
      for (const l of lines) {
        const m = re.exec(l.text);
        if (m) return { at: l.at, m };
      }
      if (Date.now() > until)
        throw new Error(
          `no line matching ${re} within ${ms / 1000} s; output so far:\n${lines
            .map((l) => l.text)
            .join('\n')
            .slice(-3000)}`,
        );
      await sleep(50);
    }
  };
  /** The run id, from "running N cells with J jobs → <results>/<run-id>". */
  const runId = async (ms = 300_000) => basename((await line(/^running \d+ cells with \d+ jobs → (.+)$/, ms)).m[1]!.trim());
  /** Stop it if it still runs (a test that failed half-way). */
  const stop = () => void (p.output ? undefined : p.kill().catch(() => undefined));
  return { p, lines, line, runId, stop };
}

/** Run the harness to the end. */
async function matrix(dir: string, ...args: string[]) {
  const t0 = Date.now();
  const p = await $({ cwd: root, nothrow: true, quiet: !process.env.CSM_TEST_VERBOSE, env: env() })`npx ${harnessArgs(dir, args)}`;
  return { code: p.exitCode, out: p.stdout + p.stderr, stdout: p.stdout, stderr: p.stderr, ms: Date.now() - t0 };
}

/** The results of one run directory, parsed (throws on a missing or truncated file). */
function readResults(runDir: string) {
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;
  const cell = (id: string): Cell => {
    const c = results.cells.find((x) => x.id === id);
    if (!c) throw new Error(`no cell ${id} in ${results.cells.map((x) => x.id).join(', ')}`);
    return c;
  };
  return { results, cell };
}

/** For sequential runs into resultsDir: results through `latest`, which must have moved. */
async function ran(...args: string[]) {
  const latest = join(resultsDir, 'latest');
  const before = existsSync(latest) ? readlinkSync(latest) : undefined;
  const r = await matrix(resultsDir, ...args);
  if (!existsSync(latest) || readlinkSync(latest) === before)
    throw new Error(`the run wrote no results (exit ${r.code}):\n${r.out.slice(-3000)}`);
  return { ...r, ...readResults(latest) };
}

/**
 * Every process of a fixture host on this machine, seen from outside the engine:
 * its command line names /work/out/go<v>/<platform>/host/<case>/host, natively
 * or as qemu-arm's argument. Polled, with the first and last time each was seen.
 */
class HostProcesses {
  readonly seen = new Map<string, { first: number; last: number; max: number }>();
  private timer?: NodeJS.Timeout;
  static readonly RE = /\/work\/out\/go[^/]+\/([^/]+)\/host\/([^/\s]+)\/host\b/;

  /** case/platform → pids running now. */
  static now(): Map<string, number[]> {
    const m = new Map<string, number[]>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      const x = HostProcesses.RE.exec(cmd);
      // The supervisor names the host in its arguments: it is not one of the host's processes.
      if (!x || /^\S*\/csm-run /.test(cmd)) continue;
      const key = `${x[2]}/${x[1]}`;
      m.set(key, [...(m.get(key) ?? []), Number(d)]);
    }
    return m;
  }

  start(everyMs = 50): this {
    this.timer = setInterval(() => {
      const at = Date.now();
      for (const [k, pids] of HostProcesses.now()) {
        const s = this.seen.get(k);
        if (s) Object.assign(s, { last: at, max: Math.max(s.max, pids.length) });
        else this.seen.set(k, { first: at, last: at, max: pids.length });
      }
    }, everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async until(key: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.seen.has(key)) {
      if (Date.now() > end) throw new Error(`${key}: no host process seen within ${ms / 1000} s`);
      await sleep(50);
    }
  }
}

/** Processes in the engine's containers of a run (docker top), with their command lines. */
async function engineProcesses(runId: string): Promise<string[]> {
  const cs = await docker.listContainers({ filters: { label: [`cshared-matrix.run=${runId}`] } });
  const rows: string[] = [];
  for (const c of cs) {
    const top = (await docker
      .getContainer(c.Id)
      .top({ ps_args: '-eo pid,args' })
      .catch(() => ({ Processes: [] }))) as { Processes?: string[][] };
    for (const p of top.Processes ?? []) rows.push(`${c.Names.join(',')}: ${p.join(' ')}`);
  }
  return rows;
}

/** The running/total field of /proc/loadavg: total is every thread on the machine. */
const machineTasks = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]);

t.test('hangs: a spinning host and a sleeping one with a forked child time out at the deadline, and their whole group dies', async (t) => {
  const watch = new HostProcesses().start();
  t.teardown(() => watch.stop());
  // Enough jobs that every cell starts at once: each cell's time is its own.
  const run = start(resultsDir, '--case', 'hang-spin,hang-fork,tiny', '--platform', 'amd64-glibc,arm7-glibc', '--jobs', '6');
  t.teardown(() => run.stop());
  const runId = await run.runId();

  // While the ARM cells still run, the native ones must already have left nothing behind.
  // Both native cells: their builds may finish apart, so one may start seconds after the other.
  await run.line(/timeout +hang-fork\/amd64-glibc\//, 120_000);
  await run.line(/timeout +hang-spin\/amd64-glibc\//, 120_000);
  await sleep(300);
  t.same(
    HostProcesses.now().get('hang-fork/amd64-glibc') ?? [],
    [],
    'no hang-fork process on the machine once its cell timed out, while the run goes on',
  );
  const inEngine = await engineProcesses(runId);
  t.same(
    inEngine.filter((l) => /\/host\/hang-/.test(l) && /amd64-glibc/.test(l)),
    [],
    `docker top of the run's containers shows no amd64 hang process:\n${inEngine.join('\n')}`,
  );

  const p = await run.p;
  watch.stop();
  const { results, cell } = readResults(join(resultsDir, runId));
  t.equal(p.exitCode, 1, `a timeout makes the run exit 1\n${(p.stdout + p.stderr).slice(-3000)}`);
  t.equal(results.counts.timeout, 4);
  t.equal(results.counts.pass, 2);

  // Emulated hosts get the case's 2 s times the slowdown the run measured for their platform.
  const arm7 = results.run.emulation?.['arm7-glibc'];
  t.ok(
    arm7 && arm7.factor > 0 && arm7.nativeMs > 0 && arm7.emulatedMs > 0,
    `the run measured arm7-glibc's emulation slowdown: ${JSON.stringify(arm7)}`,
  );
  const arm7Limit = Math.round(2000 * Math.max(1, arm7?.factor ?? 0));
  for (const [platform, limit] of [
    ['amd64-glibc', 2000],
    ['arm7-glibc', arm7Limit],
  ] as const) {
    t.equal(cell(`tiny/${platform}/go${go}`).verdict, 'pass', `${platform}: the rest of the run continues: tiny passes`);
    for (const c of ['hang-spin', 'hang-fork']) {
      const id = `${c}/${platform}/go${go}`;
      const k = cell(id);
      t.equal(k.verdict, 'timeout', `${id} is a timeout`);
      t.equal(k.stage, 'run');
      t.same(k.exit, { timedOut: true }, `${id}: exit.timedOut`);
      t.ok(
        k.durationMs >= limit && k.durationMs < limit + 1500,
        `${id}: the supervisor killed it at ${limit} ms (run.timeout 2 × ${limit / 2000}): ${k.durationMs} ms`,
      );
      t.match(k.failureText, new RegExp(`^timed out after ${Math.floor(limit / 1000)}\\.\\d s and was killed`));

      // Seen from the machine: the host's processes lived as long as the limit, no longer.
      const s = watch.seen.get(`${c}/${platform}`);
      const ended = run.lines.find((l) => l.text.includes(id))?.at;
      t.ok(s && ended, `${id}: its processes were seen running, and its line printed`);
      if (!s || !ended) continue;
      const wall = ended - s.first;
      t.ok(
        wall >= limit - 500 && wall < limit + 3000,
        `${id}: ${wall} ms from the host starting to the harness reporting the timeout (limit ${limit} ms)`,
      );
      t.ok(s.last <= ended + 100, `${id}: no process of it after the timeout was reported (last seen ${s.last - ended} ms after)`);
      if (c === 'hang-fork') t.ok(s.max >= 2, `${id}: the forked child existed (${s.max} processes at once)`);
      t.comment(`${id}: supervisor ${k.durationMs} ms, seen for ${wall} ms, ${s.max} processes at most`);
    }
  }
  t.same(
    [...HostProcesses.now().keys()].filter((k) => k.startsWith('hang-')),
    [],
    'no hang process anywhere on the machine after the run',
  );
  t.same(await leftovers(docker, runId), [], "the run's containers and volume are gone");
});

t.test('a host whose child escapes its process group (setsid) leaves nothing running after the deadline', async (t) => {
  const watch = new HostProcesses().start();
  t.teardown(() => watch.stop());
  // The ARM hang-spin keeps the run going after the native cell's deadline (2 s × the measured slowdown).
  const run = start(resultsDir, '--case', 'hang-daemon,hang-spin', '--platform', 'amd64-glibc,arm7-glibc', '--jobs', '4');
  t.teardown(() => run.stop());
  const runId = await run.runId();
  const id = `hang-daemon/amd64-glibc/go${go}`;
  const ended = (await run.line(new RegExp(`timeout +${id.replace(/[./]/g, '\\$&')} `), 120_000)).at;
  await sleep(1000);
  const survivors = HostProcesses.now().get('hang-daemon/amd64-glibc') ?? [];
  const inEngine = (await engineProcesses(runId)).filter((l) => /\/amd64-glibc\/host\/hang-daemon\//.test(l));
  t.same(
    survivors,
    [],
    `1 s after ${id} timed out, while the run goes on, none of its processes runs on the machine (still running: ${survivors.join(', ') || 'none'})`,
  );
  t.same(inEngine, [], `docker top of the run's containers shows none of them:\n${inEngine.join('\n')}`);
  const p = await run.p;
  watch.stop();
  const { cell } = readResults(join(resultsDir, runId));
  t.equal(cell(id).verdict, 'timeout');
  t.same(cell(id).exit, { timedOut: true });
  const s = watch.seen.get('hang-daemon/amd64-glibc');
  t.ok(s && s.max >= 2, `the escaped child existed (${s?.max ?? 0} processes at once)`);
  if (s)
    t.comment(
      `${id}: last process seen ${s.last - ended} ms after the timeout was reported; the run ended ${Date.now() - ended} ms after it`,
    );
  t.equal(p.exitCode, 1);
  t.same(await leftovers(docker, runId), []);
});

t.test('a fork bomb is contained by the pid limit, fails with its reason, and the machine stays healthy', async (t) => {
  const before = machineTasks();
  const watch = new HostProcesses().start(20);
  t.teardown(() => watch.stop());
  const r = await ran('--case', 'fork-bomb,tiny', '--platform', 'amd64-glibc');
  watch.stop();
  t.equal(r.code, 1, `a failed cell makes the run exit 1\n${r.out.slice(-3000)}`);
  const bomb = r.cell(`fork-bomb/amd64-glibc/go${go}`);
  t.not(bomb.verdict, 'pass');
  if (bomb.exit?.timedOut) {
    t.equal(bomb.verdict, 'timeout');
    t.match(bomb.failureText, /^timed out after/);
  } else {
    t.equal(bomb.verdict, 'fail');
    t.same(bomb.exit, { code: 1 }, 'the host gave up forking and exited 1');
    t.match(
      bomb.failureText,
      /fork: Resource temporarily unavailable \(EAGAIN\) 200 times after \d+ forks from the host/,
      'the reason is in the failure text',
    );
  }
  t.equal(r.cell(`tiny/amd64-glibc/go${go}`).verdict, 'pass', 'the next cell in the same run passes');
  const most = watch.seen.get('fork-bomb/amd64-glibc')?.max ?? 0;
  t.ok(most <= 256, `never more bomb processes than the pid limit (${most} seen at once)`);
  t.comment(`fork bomb: ${bomb.verdict}, ${bomb.durationMs} ms, ${most} processes seen at once; machine tasks before ${before}`);

  // The machine: every bomb process is gone and the task count is back near where it was.
  let after = machineTasks();
  for (let i = 0; i < 150 && after > before + 64; i++) {
    await sleep(200);
    after = machineTasks();
  }
  t.ok(after <= before + 64, `machine task count back near where it was: ${before} before, ${after} after`);
  t.same(HostProcesses.now().get('fork-bomb/amd64-glibc') ?? [], [], 'no fork-bomb process left on the machine');
  t.same(await leftovers(docker, r.results.run.id), []);

  const next = await ran('--case', 'tiny', '--platform', 'amd64-glibc');
  t.equal(next.code, 0, `a follow-up run passes\n${next.out.slice(-2000)}`);
  t.equal(next.cell(`tiny/amd64-glibc/go${go}`).verdict, 'pass');
});

t.test('a memory hog is killed by the memory limit and fails, saying so', async (t) => {
  const r = await ran('--case', 'mem-hog', '--platform', 'amd64-glibc');
  t.equal(r.code, 1, r.out.slice(-3000));
  const c = r.cell(`mem-hog/amd64-glibc/go${go}`);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'run');
  if (c.exit?.signal !== undefined) {
    t.same(c.exit, { signal: 9, signalName: 'SIGKILL' }, 'killed by the OOM killer');
    t.match(c.failureText, /^killed by signal 9 \(SIGKILL\)/);
  } else t.match(c.failureText, /cannot allocate/, 'or malloc failed and the host said so');
  t.notMatch(c.failureText, /never stopped it/, 'the limit stopped it before the host’s own 3 GiB safety net');
  const touched = Math.max(0, ...[...(c.failureText ?? '').matchAll(/^# (\d+) MiB touched$/gm)].map((m) => Number(m[1])));
  t.ok(touched < 1024, `stopped below the 1 GiB limit (last report ${touched} MiB)`);
  t.comment(`memory hog: ${c.summary}, after ${c.durationMs} ms, ${touched} MiB reported`);
  t.same(await leftovers(docker, r.results.run.id), []);
});

t.test('a host reaching for the network finds only loopback and no Docker socket: containment passes', async (t) => {
  const r = await ran('--case', 'net-probe', '--platform', 'amd64-glibc,arm7-glibc');
  t.equal(r.code, 0, r.out.slice(-3000));
  for (const p of ['amd64-glibc', 'arm7-glibc']) {
    const c = r.cell(`net-probe/${p}/go${go}`);
    t.equal(
      c.verdict,
      'pass',
      `${c.id}: ${c.checks
        .filter((k) => !k.ok)
        .map((k) => k.text)
        .join('; ')}`,
    );
    t.equal(c.checks.length, 8);
    t.ok(c.checks.every((k) => k.ok));
    const texts = c.checks.map((k) => k.text);
    t.ok(texts.includes('no network interface but lo'));
    t.ok(texts.includes('no IPv4 route (0 in /proc/net/route)'));
    t.ok(texts.includes('TCP to 127.0.0.1:1 is refused (Connection refused)'));
    t.ok(
      texts.some((x) => /^deb\.debian\.org does not resolve \(/.test(x)),
      'the name lookup fails',
    );
    t.ok(texts.includes('/var/run/docker.sock does not exist'));
    t.ok(texts.includes('connecting to /var/run/docker.sock fails: No such file or directory'));
  }
  t.same(await leftovers(docker, r.results.run.id), []);
});

t.test('the engine restarted mid-run: the cell is an error, exit 3, results written, leftovers swept by the next run', async (t) => {
  // This restarts the machine's dockerd: every other container on that engine stops too.
  const say = (l: string) => t.comment(l);
  // Whatever happens below, the engine is up when this test ends.
  t.teardown(async () => void (await ensureEngine(say, { waitSeconds: 180 })));
  const dir = mkdtempSync(join(tmpdir(), 'csm-engine-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const watch = new HostProcesses().start();
  t.teardown(() => watch.stop());

  const run = start(dir, '--case', 'engine-sleeper', '--platform', 'amd64-glibc');
  t.teardown(() => run.stop());
  const runId = await run.runId();
  await watch.until('engine-sleeper/amd64-glibc', 180_000);
  await sleep(1000);
  t.equal(run.p.output, null, 'the run is still going when the engine goes down');

  const pids = (await $({ nothrow: true, quiet: true })`pidof dockerd`).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  t.equal(pids.length, 1, `one dockerd to restart (pidof: ${pids.join(' ') || 'none'})`);
  const pid = pids[0]!;
  const gone = () => {
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  while (!gone()) {
    if (Date.now() - t0 > 120_000) throw new Error(`dockerd ${pid} still running 120 s after SIGTERM`);
    await sleep(200);
  }
  t.comment(`dockerd ${pid} exited ${Date.now() - t0} ms after SIGTERM`);
  await ensureEngine(say, { waitSeconds: 180 });
  t.comment(`engine back ${Date.now() - t0} ms after SIGTERM`);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const p = await Promise.race([run.p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 240_000)))]);
  clearTimeout(timer);
  if (!p)
    throw new Error(
      `the harness did not finish within 4 minutes of the engine restart:\n${run.lines
        .map((l) => l.text)
        .join('\n')
        .slice(-3000)}`,
    );
  const out = p.stdout + p.stderr;
  t.equal(p.exitCode, 3, `an infrastructure error exits 3\n${out.slice(-3000)}`);
  t.ok(existsSync(join(dir, runId, 'results.json')), 'results.json was written');
  const { results } = readResults(join(dir, runId));
  t.equal(results.exitCode, 3);
  t.ok(results.cells.length === 1, 'the affected cell is in the results');
  const lost =
    /the Docker engine at \S+ stopped answering( \(it restarted, and this run's containers stopped\))? during the run; start it again \(npm run engine\) and rerun/;
  for (const c of results.cells) {
    t.equal(c.verdict, 'error', `${c.id}: error, never pass or fail (${c.summary})`);
    t.match(c.summary, lost, `${c.id}: the reason names the Docker engine`);
    t.comment(`${c.id}: ${c.verdict}: ${c.summary}`);
  }
  const said = out.split('\n').filter((l) => lost.test(l) && !/engine-sleeper\//.test(l));
  t.equal(said.length, 1, `one line says the engine went away:\n${said.join('\n')}`);
  t.notMatch(out, /the host server in the container exited/, 'no line blames the host server');
  t.same(results.counts, { ...results.counts, pass: 0, fail: 0, error: 1 });

  // The dead run's containers and volume (if any survived) go with the next run's stale sweep.
  const left = await leftovers(docker, runId);
  t.comment(`left in the engine by the interrupted run: ${left.join(', ') || 'nothing'}`);
  const next = await matrix(dir, '--case', 'tiny', '--platform', 'amd64-glibc');
  t.equal(next.code, 0, `a follow-up run passes\n${next.out.slice(-2000)}`);
  if (left.length) t.match(next.out, /removed \d+ containers\/volumes left by earlier runs that died/, 'the follow-up run swept them');
  t.same(await leftovers(docker, runId), [], 'nothing of the interrupted run is left');
});

/** Mount a tmpfs of `size` on a fresh directory (root only); unmounted in teardown. */
async function smallDisk(t: Test, size: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    t.fail(`needs root to mount a ${size} tmpfs for the disk-full test (running as uid ${process.getuid?.()})`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'csm-full-'));
  const m = await $({ nothrow: true, quiet: true })`mount -t tmpfs -o size=${size} tmpfs ${dir}`;
  if (m.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.fail(`cannot mount a tmpfs for the disk-full test (mount exit ${m.exitCode}): ${m.stderr.trim()}`);
    return undefined;
  }
  t.teardown(async () => {
    await $({ nothrow: true, quiet: true })`umount ${dir}`;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Every results.json under dir must parse; no temporary file may be left behind. */
function noTornResults(t: Test, dir: string): void {
  for (const run of readdirSync(dir).filter((d) => RUN_ID.test(d))) {
    const f = join(dir, run, 'results.json');
    if (existsSync(f)) t.doesNotThrow(() => JSON.parse(readFileSync(f, 'utf8')), `${run}/results.json is valid JSON`);
    t.same(
      readdirSync(join(dir, run)).filter((n) => n.endsWith('.tmp')),
      [],
      `${run}: no temporary file left`,
    );
  }
}

t.test('the results disk fills up: a one-line error naming the path, exit 3, never a torn results.json', async (t) => {
  t.test('a chatty host fills it with its log', async (t) => {
    const dir = await smallDisk(t, '256k');
    if (!dir) return;
    const r = await matrix(dir, '--case', 'chatty', '--platform', 'amd64-glibc');
    t.equal(r.code, 3, `exit 3\n${r.out.slice(-3000)}`);
    const lines = r.out.split('\n').filter((l) => /disk full while writing/.test(l));
    t.ok(lines.length > 0, 'a line says the disk is full');
    t.match(lines[0], new RegExp(`disk full while writing ${dir}/\\S+; free space and rerun`), `it names the path: ${lines[0]}`);
    t.notMatch(r.out, /internal error|ENOSPC: no space left|at .*\.ts:\d+/, 'no stack trace');
    noTornResults(t, dir);
    const runs = readdirSync(dir).filter((d) => RUN_ID.test(d));
    t.equal(runs.length, 1);
    if (existsSync(join(dir, runs[0]!, 'results.json'))) {
      const { results, cell } = readResults(join(dir, runs[0]!));
      const c = cell(`chatty/amd64-glibc/go${go}`);
      t.equal(c.verdict, 'error', 'the cell whose log could not be written is an error, not a result');
      t.match(c.summary, /disk full while writing .*run\.log/);
      t.equal(results.exitCode, 3);
      t.same(await leftovers(docker, results.run.id), []);
    }
  });

  t.test('the disk is full when results.json is written', async (t) => {
    const dir = await smallDisk(t, '256k');
    if (!dir) return;
    const run = start(dir, '--case', 'hang-spin', '--platform', 'amd64-glibc');
    const runId = await run.runId();
    // Fill every byte while the host spins for its 2 s.
    const fd = openSync(join(dir, 'filler'), 'w');
    const page = Buffer.alloc(4096, 1);
    try {
      for (;;) writeSync(fd, page);
    } catch {
      try {
        for (;;) writeSync(fd, page, 0, 1);
      } catch {
        /* full */
      }
    } finally {
      closeSync(fd);
    }
    const p = await run.p;
    const out = p.stdout + p.stderr;
    t.equal(p.exitCode, 3, `exit 3\n${out.slice(-3000)}`);
    t.match(
      p.stderr,
      new RegExp(`^cshared-matrix: disk full while writing ${join(dir, runId)}/results\\.json; free space and rerun`, 'm'),
      'one line naming results.json',
    );
    t.equal(
      p.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('cshared-matrix: ')).length,
      1,
      'exactly one error line',
    );
    t.notOk(existsSync(join(dir, runId, 'results.json')), 'no results.json rather than a torn one');
    t.notOk(existsSync(join(dir, 'latest')), 'latest does not point at a run without results');
    noTornResults(t, dir);
    t.same(await leftovers(docker, runId), [], 'the run still removed its containers');
  });
});

t.test('two runs at once into the same results directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csm-two-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Whenever latest exists it must be a whole symlink to a run with results.
  const bad: string[] = [];
  let checks = 0;
  const latest = join(dir, 'latest');
  const timer = setInterval(() => {
    try {
      if (!lstatSync(latest).isSymbolicLink()) bad.push('latest is not a symlink');
      else {
        const target = readlinkSync(latest);
        if (!RUN_ID.test(target)) bad.push(`latest -> ${target}`);
        else JSON.parse(readFileSync(join(latest, 'results.json'), 'utf8'));
      }
      checks++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(latest)) bad.push(String(e));
    }
  }, 10);
  t.teardown(() => clearInterval(timer));
  const a = start(dir, '--case', 'tiny', '--platform', 'amd64-glibc');
  const b = start(dir, '--case', 'tiny', '--platform', 'amd64-glibc');
  const [pa, pb] = await Promise.all([a.p, b.p]);
  clearInterval(timer);
  t.equal(pa.exitCode, 0, `first run exits 0\n${(pa.stdout + pa.stderr).slice(-2000)}`);
  t.equal(pb.exitCode, 0, `second run exits 0\n${(pb.stdout + pb.stderr).slice(-2000)}`);
  const ids = [await a.runId(1000), await b.runId(1000)];
  t.not(ids[0], ids[1], 'two run directories');
  for (const id of ids) {
    const { results, cell } = readResults(join(dir, id));
    t.equal(results.run.id, id, `${id} holds its own results`);
    t.equal(cell(`tiny/amd64-glibc/go${go}`).verdict, 'pass');
    t.same(await leftovers(docker, id), []);
  }
  t.ok(lstatSync(latest).isSymbolicLink(), 'latest is a symlink');
  t.ok(ids.includes(readlinkSync(latest)), `latest points at one of them (${readlinkSync(latest)})`);
  t.same(bad, [], `latest was never partial (${checks} looks while the runs went)`);
  t.same(
    readdirSync(dir).filter((n) => n.startsWith('.')),
    [],
    'no temporary link left',
  );
});
