// Untrusted cases, tried as a hostile user would, through the real engine:
// builds that attack the cache, other cases' outputs and the machine; hosts that
// flood their output, signal their supervisor, litter /tmp or lie in csm-done.
// Each must end in the one verdict that is right, never an error, never a pass
// it did not earn, and never a change to any other cell.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import { prepareVolume, runBuildStep, shareGoCache } from '../../harness/edge/build-step.js';
import { loadCase } from '../../harness/edge/case-files.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { DEFAULT_LIMITS, leftovers, Session } from '../../harness/edge/sandbox.js';
import { type Cell, matrixRunner, NEWEST_GO } from '../support/cli-run.js';

const root = join(import.meta.dirname, '..', '..');
const faults = join(root, 'test', 'fixtures', 'faults');
const attacks = join(root, 'test', 'fixtures', 'attacks');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-contain-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-contain-cache-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const go = NEWEST_GO;
const matrix = matrixRunner(resultsDir, cacheDir);

const log = (c: Cell, name = 'run') => readFileSync(join(resultsDir, 'latest', c.logs[name]!), 'utf8');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Every file under the cache directory whose name says an attack wrote it. */
const pwned = () =>
  readdirSync(cacheDir, { recursive: true })
    .map(String)
    .filter((f) => /pwned/.test(f));

t.test('output floods: the status always arrives, the head and tail are kept, every check is counted', async (t) => {
  const r = await matrix(
    '--cases',
    faults,
    '--case',
    'flood-stderr,flood-crash,flood-stdout,flood-hidden-fail',
    '--platform',
    'amd64-glibc,arm7-glibc',
  );
  t.equal(r.code, 1, `the two failing floods make the run exit 1, not 3\n${r.out.slice(-2000)}`);
  t.equal(r.results?.counts.error, 0, 'no cell is an error');
  for (const p of ['amd64-glibc', 'arm7-glibc']) {
    const passed = r.cell(`flood-stderr/${p}/go${go}`);
    t.equal(passed.verdict, 'pass', `${passed.id}: 1 MiB on stderr, then a pass (${passed.summary})`);
    const err = log(passed).split('--- stderr')[1] ?? '';
    t.match(err, /^\nfirst stderr line\n/, `${p}: the head of stderr is kept`);
    t.match(
      err,
      /\[cshared-matrix: \d+ bytes of output dropped here; the first and last parts are kept\]/,
      `${p}: and where its middle was dropped`,
    );
    t.match(err, /last stderr line\n/, `${p}: and its tail`);
    t.ok(err.length < 300_000, `${p}: at most 128 KiB of head and 128 KiB of tail (${err.length} bytes)`);

    const crashed = r.cell(`flood-crash/${p}/go${go}`);
    t.equal(crashed.verdict, 'fail', `${crashed.id}: a crash after the flood is a plain fail (${crashed.summary})`);
    t.equal(crashed.stage, 'run');
    t.match(crashed.failureText, /last stderr line/, `${p}: the end of the flood is in the failure text`);
    if (p === 'amd64-glibc') t.same(crashed.exit, { signal: 11, signalName: 'SIGSEGV' });

    const quiet = r.cell(`flood-stdout/${p}/go${go}`);
    t.equal(quiet.verdict, 'pass', `${quiet.id}: csm-done at the end of 1 MiB of stdout is seen (${quiet.summary})`);
    t.equal(quiet.summary, '3 checks', `${p}: all three checks counted, the dropped middle one too`);

    const hidden = r.cell(`flood-hidden-fail/${p}/go${go}`);
    t.equal(hidden.verdict, 'fail');
    t.equal(hidden.stage, 'checks');
    t.match(
      hidden.summary,
      /^checks: 1 more not ok lines in the output that was dropped/,
      `${p}: a failed check in the dropped middle still fails the cell`,
    );
  }
  t.same(await leftovers(docker, r.results!.run.id), []);
});

t.test('a host can neither signal, trace nor forge its supervisor', async (t) => {
  const r = await matrix('--cases', faults, '--case', 'signal-supervisor,tiny', '--platform', 'amd64-glibc,arm7-glibc');
  t.equal(r.code, 0, r.out.slice(-3000));
  for (const p of ['amd64-glibc', 'arm7-glibc']) {
    const c = r.cell(`signal-supervisor/${p}/go${go}`);
    t.equal(c.verdict, 'pass', `${c.id}: ${c.summary}`);
    t.equal(c.checks.length, 8);
    t.ok(
      c.checks.every((k) => k.ok),
      c.checks.map((k) => `${k.ok ? 'ok' : 'NOT OK'} ${k.text}`).join('\n'),
    );
    t.match(log(c), /@@csm-status forged \{"signal":11/, `${p}: the forged status line is just the host's stderr`);
    t.same(c.exit, { code: 0 }, `${p}: how it really ended`);
    t.equal(r.cell(`tiny/${p}/go${go}`).verdict, 'pass', `${p}: the next cell in the slot is unaffected`);
    for (const k of c.checks) t.comment(`${p}: ${k.text}`);
  }
});

t.test('each cell starts from a clean /tmp with its whole size, whatever ran before it in the slot', async (t) => {
  // One slot, three repetitions: each one fills /tmp, locks a directory and leaves files.
  const r = await matrix('--cases', faults, '--case', 'tmp-litter,tiny', '--platform', 'amd64-glibc', '--repeat', '3', '--jobs', '1');
  t.equal(r.code, 0, r.out.slice(-3000));
  const c = r.cell(`tmp-litter/amd64-glibc/go${go}`);
  t.equal(c.verdict, 'pass', `${c.id}: ${c.summary}`);
  t.same(c.repeats, { pass: 3 }, 'every repetition found /tmp and /dev/shm empty and 64 MiB free');
  for (const k of c.checks) t.comment(k.text);
  t.equal(r.cell(`tiny/amd64-glibc/go${go}`).verdict, 'pass');
});

t.test('csm-done must agree with the check lines the host printed', async (t) => {
  const r = await matrix('--cases', faults, '--case', 'lying-done', '--platform', 'amd64-glibc');
  t.equal(r.code, 1);
  const c = r.cell(`lying-done/amd64-glibc/go${go}`);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.equal(c.summary, 'checks: csm-done says 9/9, but the host printed 2 checks (2 ok, 0 not ok)');
});

t.test('build-stage attacks', async (t) => {
  // The built-in link case, built into this test's own cache: the victim.
  const first = await matrix('--case', 'link', '--platform', 'amd64-glibc');
  t.equal(first.code, 0, first.out.slice(-2000));
  const image = first.results!.images[0]!;
  const victims = readdirSync(join(cacheDir, 'artifacts'))
    .map((k) => join(cacheDir, 'artifacts', k, 'libhello.so'))
    .filter((f) => existsSync(f));
  t.equal(victims.length, 1, 'the cache holds the link case library');
  const victim = victims[0]!;
  const victimSha = sha(victim);

  t.test('-B in case data is refused before anything is built', async (t) => {
    const r = await $({
      cwd: root,
      nothrow: true,
      quiet: true,
      env: { ...process.env, CI: '1' },
    })`npx tsx harness/cli/main.ts --results ${resultsDir} --cache ${cacheDir} --cases ${join(attacks, 'flag-b')} --platform amd64-glibc`;
    t.equal(r.exitCode, 2);
    t.match(
      r.stderr,
      /^cshared-matrix: .*flag-b\/case\.json: \/host\/cflags\/0: flag "-B\/work\/src\/flag-b\/bin\/" is not allowed: names a directory the compiler driver runs its programs \(cc1, as, ld\) from \(policy: cases\/flag-policy\.json\)$/m,
    );
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  });

  t.test('-B in a #cgo directive is refused by go build itself', async (t) => {
    const r = await matrix('--no-default-cases', '--cases', join(attacks, 'cgo-flag'), '--platform', 'amd64-glibc');
    const c = r.cell(`cgo-flag/amd64-glibc/go${go}`);
    t.equal(c.verdict, 'fail');
    t.equal(c.stage, 'build');
    t.match(c.failureText, /invalid flag in #cgo CFLAGS: -B\/work\/src\/cgo-flag\/bin\//);
  });

  t.test('a build step that runs code of its own writes nothing but its own outputs', async (t) => {
    const session = new Session(docker, `contain-${randomBytes(3).toString('hex')}`, DEFAULT_LIMITS, cacheDir, 2);
    t.teardown(() => session.close());
    await session.open();
    const builder = await session.builder(image.tag);
    await prepareVolume(session, builder, [loadCase(join(root, 'cases', 'link'))]);
    await shareGoCache(session, builder, image.id);
    const step = (lane: number, out: string, script: string) =>
      runBuildStep(
        session,
        builder,
        lane,
        {
          akey: `contain-${lane}-${randomBytes(4).toString('hex')}`,
          out,
          target: `${out}/lib.so`,
          cmd: ['/bin/sh', '-c', script],
          env: [],
          workdir: '/work/src/link',
        },
        { nonce: 'n', rebuild: true, deadlineMs: 60_000 },
      );

    // Another case's finished output, built on the other lane.
    const other = await step(0, '/work/out/other', 'echo victim > /work/out/other/lib.so');
    t.equal(other.exitCode, 0, other.stdout);
    const targets = [
      victim.replace(cacheDir, '/cache'),
      '/cache/pwned',
      '/cache/artifacts/pwned',
      '/cache/go-build/pwned',
      '/work/out/other/lib.so',
      '/work/out/pwned',
      '/work/src/link/host.c',
      '/work/csm/csm-run',
      '/usr/bin/gcc',
      '/etc/passwd',
      '/tmp/pwned',
      '/csm-scratch/root/pwned',
      '/csm-scratch/lane-0/pwned',
    ];
    const attack = [
      'id -u',
      ...targets.map((f) => `if (echo pwned >> '${f}') 2>/dev/null; then echo "WROTE ${f}"; else echo "DENIED ${f}"; fi`),
      'echo mine > /work/out/attacker/lib.so && echo "WROTE own output"',
      // Processes that outlive the step and try again once its outputs were taken back.
      '(sleep 2; echo late > /work/out/attacker/late) >/dev/null 2>&1 &',
      'setsid sh -c "sleep 2; echo late >> /cache/pwned-late" >/dev/null 2>&1 &',
    ].join('\n');
    const r = await step(1, '/work/out/attacker', attack);
    t.equal(r.exitCode, 0, `the attack step itself ran to the end\n${r.stdout}`);
    t.match(r.stdout, /^20002$/m, "as lane 1's user, not root");
    for (const f of targets)
      t.match(r.stdout, new RegExp(`^DENIED ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), `cannot write ${f}`);
    t.match(r.stdout, /^WROTE own output$/m, 'it can write its own output directory');
    t.notMatch(r.stdout, /^WROTE \//m, 'and nothing else');

    await new Promise((res) => setTimeout(res, 3000));
    const look = await session.exec(
      builder,
      ['/bin/sh', '-c', 'cat /work/out/other/lib.so; ls /work/out/attacker; ls -ln /work/out/attacker/lib.so'],
      { deadlineMs: 30_000 },
    );
    t.match(look.stdout, /^victim\n/, "the other case's output is unchanged");
    t.notMatch(look.stdout, /late/, 'no process of the step outlived it to write afterwards');
    t.match(look.stdout, /-rw-r--r-- +1 0 0 .*lib\.so/, 'its outputs were taken back: root-owned, writable by no lane');

    // A step that leaves a symlink into the cache in its outputs gets them refused, and publishes nothing.
    const link = await step(0, '/work/out/linker', 'ln -s /cache/artifacts /work/out/linker/lib.so');
    t.equal(link.exitCode, 126, 'refused');
    t.match(link.stdout, /the step left lib\.so, which is not a plain file of its own; its outputs are refused/);

    t.equal(sha(victim), victimSha, 'the cached library is byte for byte what it was');
    t.same(pwned(), [], 'no file an attack wrote is in the cache directory');
  });

  t.test('afterwards the built-in case still passes, from the cache', async (t) => {
    const again = await matrix('--case', 'link', '--platform', 'amd64-glibc');
    t.equal(again.code, 0, again.out.slice(-2000));
    t.equal(again.cell(`link/amd64-glibc/go${go}`).verdict, 'pass');
    const b = again.results!.run.builds!;
    t.ok(b.steps > 0 && b.cacheHits === b.steps, `every step came from the cache (${b.cacheHits}/${b.steps})`);
    t.equal(sha(victim), victimSha);
    t.same(await leftovers(docker, again.results!.run.id), []);
  });
});
