import { join } from 'node:path';
import t from 'tap';
import { classify, describeEnd, outcomeOf, signalName } from '../../harness/core/classify.js';
import { findExpectation } from '../../harness/core/expect.js';
import type { CellObservation, ExpectationRule, ProcessEnd } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { platform } from '../support/helpers.js';

const link = loadCase(join(DEFAULT_CASES_DIR, 'link'));
const dlopen = loadCase(join(DEFAULT_CASES_DIR, 'dlopen'));
const tls = loadCase(join(DEFAULT_CASES_DIR, 'tls'));

const IE_TLS = dlopen.expect![0]!; // musl, stage load, "initial-exec TLS resolves to dynamic definition", go#54805
const INIT_ARGV = link.expect![0]!; // musl, no stage, "signal 11|SIGSEGV", go#13492

const run = (end: ProcessEnd, stdout: string, stderr = ''): CellObservation => ({ run: { end, stdout, stderr, durationMs: 1234 } });
const exit = (code: number): ProcessEnd => ({ kind: 'exit', code });
const SEGV: ProcessEnd = { kind: 'signal', signal: 11, name: 'SIGSEGV' };
const TIMEOUT: ProcessEnd = { kind: 'timeout', afterMs: 120_000 };

const LINK_PASS_STDOUT = [
  'csm-loaded hello',
  'ok 1 - Add(2, 3) == 5',
  'ok 2 - Greet("linker") == "hello, linker"',
  'ok 3 - CountRunes("héllo") == 5',
  'csm-done 3/3',
  '',
].join('\n');

const MUSL_IE_STDERR =
  'csm-load-failed hello: Error relocating /work/out/x/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/x/libhello.so\n';
const MUSL_IE = run(exit(3), 'csm-load-failed hello\n', MUSL_IE_STDERR);

const QEMU_SEGV = 'qemu: uncaught target signal 11 (Segmentation fault) - core dumped\n';
const TLS_CRASH_STDOUT = 'csm-loaded tlsgo\nok 1 - main thread: executable TLS intact after dlopen\n';

t.test('signalName and describeEnd', async (t) => {
  t.equal(signalName(11), 'SIGSEGV');
  t.equal(signalName(6), 'SIGABRT');
  t.equal(signalName(9), 'SIGKILL');
  t.equal(signalName(29), 'SIGIO');
  t.equal(signalName(99), 'SIG99');
  t.equal(describeEnd(exit(3)), 'exited with code 3');
  t.equal(describeEnd(SEGV), 'killed by signal 11 (SIGSEGV)');
  t.equal(describeEnd(TIMEOUT), 'timed out after 120.0 s and was killed');
  t.equal(describeEnd({ kind: 'timeout', afterMs: 7_250 }), 'timed out after 7.3 s and was killed');
});

t.test('pass: exit 0, every check ok, csm-done, every stdout pattern', async (t) => {
  const obs = run(exit(0), LINK_PASS_STDOUT);
  const checks = [
    { ok: true, text: 'Add(2, 3) == 5' },
    { ok: true, text: 'Greet("linker") == "hello, linker"' },
    { ok: true, text: 'CountRunes("héllo") == 5' },
  ];
  t.same(outcomeOf(obs, link.pass), { kind: 'pass', stage: 'checks', summary: '3 checks', checks });
  const c = classify(obs, link.pass, undefined);
  t.equal(c.verdict, 'pass');
  t.equal(c.stage, 'checks');
  t.equal(c.stageOk, true);
  t.equal(c.summary, '3 checks');
  t.same(c.checks, checks);
  t.equal(c.failureText, undefined);
  t.equal(c.expectation, undefined);
});

t.test('a host that never prints csm-* lines and exits 0 is a pass', async (t) => {
  const c = classify(run(exit(0), 'hello from a plain host\n'), undefined, undefined);
  t.equal(c.verdict, 'pass');
  t.equal(c.stage, 'checks');
  t.equal(c.stageOk, true);
  t.equal(c.summary, 'ran');
  t.same(c.checks, []);
  t.equal(classify(run(exit(0), ''), { stdout: [] }, undefined).verdict, 'pass', 'even with no output at all');
});

t.test('exit 0 with a "not ok" line fails at checks', async (t) => {
  const stdout = 'csm-loaded hello\nok 1 - Add(2, 3) == 5\nnot ok 2 - Greet("linker") == "hello, linker"\ncsm-done 1/2\n';
  const c = classify(run(exit(0), stdout), undefined, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.equal(c.stageOk, false);
  t.equal(c.summary, 'checks: not ok - Greet("linker") == "hello, linker"');
  t.same(c.checks, [
    { ok: true, text: 'Add(2, 3) == 5' },
    { ok: false, text: 'Greet("linker") == "hello, linker"' },
  ]);
  t.equal(c.failureText, `not ok - Greet("linker") == "hello, linker"\nexited with code 0\n\n${stdout}`);
});

t.test('exit 0 but a pass.stdout pattern is missing fails at checks', async (t) => {
  const stdout = LINK_PASS_STDOUT.replace('ok 2 - Greet("linker") == "hello, linker"\n', '');
  const c = classify(run(exit(0), stdout), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.equal(c.summary, 'checks: stdout does not match /ok \\d+ - Greet\\("linker"\\) == "hello, linker"/ (+1)');
  t.match(
    c.failureText,
    /^stdout does not match \/ok \\d\+ - Greet.*\ncsm-done says 3\/3, but the host printed 2 checks \(2 ok, 0 not ok\)\n/,
  );
});

t.test("a short count in csm-done fails at checks: the tally is the harness's to check, no backreference needed", async (t) => {
  const c = classify(run(exit(0), LINK_PASS_STDOUT.replace('csm-done 3/3', 'csm-done 3/4')), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.summary, 'checks: csm-done says 3/4, but the host printed 3 checks (3 ok, 0 not ok)');
  t.match(c.failureText, /^csm-done says 3\/4, but the host printed 3 checks \(3 ok, 0 not ok\)\n/);
});

t.test('exit 0 without csm-done when the protocol is used fails at checks', async (t) => {
  const c = classify(run(exit(0), 'csm-loaded hello\nok 1 - Add(2, 3) == 5\n'), undefined, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.equal(c.summary, 'checks: the host exited 0 without printing csm-done');
});

t.test('several check problems: the first, and how many more', async (t) => {
  const c = classify(run(exit(0), 'csm-loaded hello\nnot ok 1 - a\nnot ok 2 - b\n'), { stdout: ['never'] }, undefined);
  t.equal(c.summary, 'checks: not ok - a (+3)');
  t.match(
    c.failureText,
    /^not ok - a\nnot ok - b\nstdout does not match \/never\/\nthe host exited 0 without printing csm-done\nexited with code 0\n/,
  );
});

t.test('non-zero exit before csm-loaded fails at load (musl IE TLS)', async (t) => {
  const o = outcomeOf(MUSL_IE, dlopen.pass);
  t.equal(o.kind, 'fail');
  t.equal(o.stage, 'load');
  t.equal(
    o.summary,
    'load: hello: Error relocating /work/out/x/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/x/libhello.so',
  );
  t.equal(o.failureText, `exited with code 3\n${MUSL_IE_STDERR}\ncsm-load-failed hello\n`);
  const c = classify(MUSL_IE, dlopen.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'load');
  t.equal(c.stageOk, false);
});

t.test('a glibc loader error without the protocol fails at load with that line', async (t) => {
  const stderr =
    '/work/out/go1.27/amd64-glibc/case/link/host: error while loading shared libraries: libhello.so: cannot open shared object file: No such file or directory\n';
  const c = classify(run(exit(127), '', stderr), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'load');
  t.equal(c.summary, `load: ${stderr.trim()}`);
});

t.test('a non-zero exit after csm-loaded, before csm-done, fails at run; no headline → how it ended', async (t) => {
  const c = classify(run(exit(1), 'csm-loaded hello\nok 1 - Add(2, 3) == 5\n'), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'run');
  t.equal(c.summary, 'run: exited with code 1');
});

t.test('a host that printed csm-done and exited 1 reports its failed checks', async (t) => {
  const stdout =
    'csm-loaded hello\nok 1 - Add(2, 3) == 5\nnot ok 2 - Greet("linker") == "hello, linker"\nok 3 - CountRunes("héllo") == 5\ncsm-done 2/3\n';
  const c = classify(run(exit(1), stdout), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  // the failed check alone: csm-done 2/3 agrees with the lines (the unanchored "ok N - Greet" pattern also matches inside "not ok 2 - Greet")
  t.equal(c.summary, 'checks: not ok - Greet("linker") == "hello, linker"');
  t.equal(c.failureText, `not ok - Greet("linker") == "hello, linker"\nexited with code 1\n\n${stdout}`);
});

t.test('every check ok and csm-done, but a non-zero exit: fail at checks', async (t) => {
  const c = classify(run(exit(4), LINK_PASS_STDOUT), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'checks');
  t.equal(c.summary, 'checks: exited with code 4 after csm-done');
});

t.test('a signal after csm-done is still a crash at run', async (t) => {
  const c = classify(run(SEGV, LINK_PASS_STDOUT, QEMU_SEGV), link.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'run');
  t.equal(c.summary, 'run: qemu: uncaught target signal 11 (Segmentation fault) - core dumped');
});

t.test('a signal after csm-loaded fails at run', async (t) => {
  const c = classify(run(SEGV, TLS_CRASH_STDOUT, QEMU_SEGV), tls.pass, undefined);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'run');
  t.equal(c.summary, 'run: qemu: uncaught target signal 11 (Segmentation fault) - core dumped');
  t.ok(c.failureText!.startsWith('killed by signal 11 (SIGSEGV)'), String(c.failureText));
  t.equal(c.failureText, `killed by signal 11 (SIGSEGV)\n${QEMU_SEGV}\n${TLS_CRASH_STDOUT}`);
  t.same(c.checks, [{ ok: true, text: 'main thread: executable TLS intact after dlopen' }]);
});

t.test('a Go panic is the headline', async (t) => {
  const stderr =
    'some noise\npanic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation]\n';
  const c = classify(run(exit(2), 'csm-loaded hello\n', stderr), undefined, undefined);
  t.equal(c.summary, 'run: panic: runtime error: invalid memory address or nil pointer dereference');
});

t.test('timeout', async (t) => {
  const before = classify(run(TIMEOUT, ''), link.pass, undefined);
  t.equal(before.verdict, 'timeout');
  t.equal(before.stage, 'load');
  t.equal(before.stageOk, false);
  t.equal(before.summary, 'load: timed out after 120.0 s and was killed');
  const after = classify(run(TIMEOUT, 'csm-loaded hello\nok 1 - Add(2, 3) == 5\n'), link.pass, undefined);
  t.equal(after.verdict, 'timeout');
  t.equal(after.stage, 'run');
  t.equal(after.summary, 'run: timed out after 120.0 s and was killed');
  t.equal(after.checks.length, 1);
});

t.test('build failures', async (t) => {
  const log = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
  const host = classify({ buildFailure: { stage: 'host-compile', what: 'host', log } }, link.pass, undefined);
  t.equal(host.verdict, 'fail');
  t.equal(host.stage, 'host-compile');
  t.equal(host.stageOk, false);
  t.equal(host.summary, 'compile host failed');
  t.equal(host.failureText, `C compile of host failed\n${log.split('\n').slice(40).join('\n')}`, 'the last 60 lines of the log');
  t.same(host.checks, []);

  const go = classify(
    { buildFailure: { stage: 'build', what: 'libhello.so', log: '# command-line-arguments\n./hello.go:9:2: undefined: x' } },
    link.pass,
    undefined,
  );
  t.equal(go.verdict, 'fail');
  t.equal(go.stage, 'build');
  t.equal(go.summary, 'go build libhello.so failed');
  t.equal(go.failureText, 'go build of libhello.so failed\n# command-line-arguments\n./hello.go:9:2: undefined: x');

  const big = classify(
    {
      buildFailure: {
        stage: 'build',
        what: 'libbig.so',
        log: 'link: write: file too large\n[cshared-matrix: the step reached its disk quota of 64 MiB …]',
        quotaMiB: 64,
      },
    },
    link.pass,
    undefined,
  );
  t.equal(big.verdict, 'fail', "over the disk quota: the case's doing, a fail, never an error");
  t.equal(big.stage, 'build');
  t.equal(big.summary, 'go build libbig.so exceeded the disk quota of 64 MiB (--build-quota)', 'the summary says the quota and its limit');
});

t.test('under a glibc floor: above it, or what the older libc lacks, fails at build saying so', async (t) => {
  const floor = "the glibc floor 2.31 (Debian 11 bullseye's toolchain)";
  const above = `built for ${floor}, libhello.so still needs glibc 2.34 > 2.31: pthread_create (GLIBC_2.34)`;
  const built = classify({ buildFailure: { stage: 'build', what: 'libhello.so', log: 'ok', floor: above } }, link.pass, undefined);
  t.equal(built.verdict, 'fail');
  t.equal(built.stage, 'build');
  t.equal(built.summary, above, 'the floor line is the summary');
  t.equal(built.failureText, `${above}\nok`);
  const log = [
    '# example.com/random',
    "./random.go:11:44: warning: implicit declaration of function 'arc4random' [-Wimplicit-function-declaration]",
    "/usr/bin/ld: $WORK/b001/_x002.o: in function `csm_random':",
    "./random.go:11: undefined reference to `arc4random'",
    'collect2: error: ld returned 1 exit status',
  ].join('\n');
  const lacking = classify({ buildFailure: { stage: 'build', what: 'librandom.so', log, underFloor: floor } }, link.pass, undefined);
  t.equal(
    lacking.summary,
    `go build librandom.so failed building for ${floor}: implicit declaration of function 'arc4random' [-Wimplicit-function-declaration]`,
    "the compiler's first line about it",
  );
  const other = classify(
    { buildFailure: { stage: 'build', what: 'librandom.so', log: 'syntax error', underFloor: floor } },
    link.pass,
    undefined,
  );
  t.equal(other.summary, `go build librandom.so failed building for ${floor}`, 'no such line: the floor alone');
});

t.test('infrastructure errors are "error", never pass or fail', async (t) => {
  const obs: CellObservation = {
    infraError: { stage: 'run', message: 'exec in container 3f2a failed: socket hang up' },
    run: { end: exit(0), stdout: LINK_PASS_STDOUT, stderr: '', durationMs: 1 },
  };
  const plain = classify(obs, link.pass, undefined);
  t.equal(plain.verdict, 'error');
  t.equal(plain.stage, 'run');
  t.equal(plain.stageOk, false);
  t.equal(plain.summary, 'exec in container 3f2a failed: socket hang up');
  t.equal(plain.expectation, undefined);

  // Even when the expectation would match the message exactly.
  const rule: ExpectationRule = { ...IE_TLS, stage: 'build', match: 'socket hang up' };
  const withRule = classify({ infraError: { stage: 'build', message: 'socket hang up' } }, link.pass, rule);
  t.equal(withRule.verdict, 'error');
  t.equal(withRule.stage, 'build');
  t.match(withRule.expectation, { matched: false, why: 'infrastructure error', link: IE_TLS.link });

  const never = classify({}, link.pass, undefined);
  t.equal(never.verdict, 'error');
  t.equal(never.stage, 'run');
  t.equal(never.summary, 'the host never ran');
});

t.test('an expectation that matches is xfail, with the short link in the summary', async (t) => {
  const c = classify(MUSL_IE, dlopen.pass, IE_TLS);
  t.equal(c.verdict, 'xfail');
  t.equal(c.stage, 'load');
  t.equal(c.stageOk, false);
  t.equal(c.summary, 'IE TLS (go#54805)');
  t.match(c.summary, /go#54805/);
  t.same(c.expectation, { ...IE_TLS, matched: true });

  // The rule as the runner finds it for a musl cell.
  t.equal(findExpectation(dlopen.expect, { platform: platform('arm7-musl'), go: '1.27.4' }), IE_TLS);
  t.equal(findExpectation(dlopen.expect, { platform: platform('arm7-glibc'), go: '1.27.4' }), undefined);
});

t.test('a label without a parenthesised link gets one', async (t) => {
  const rule: ExpectationRule = { ...IE_TLS, label: 'IE TLS', link: 'https://github.com/bminor/musl/issues/9' };
  t.equal(classify(MUSL_IE, dlopen.pass, rule).summary, 'IE TLS (bminor/musl#9)');
});

t.test('musl init crash: signal 11 under qemu matches the link case rule at any stage', async (t) => {
  const c = classify(run(SEGV, '', QEMU_SEGV), link.pass, INIT_ARGV);
  t.equal(c.verdict, 'xfail');
  t.equal(c.stage, 'load');
  t.equal(c.summary, 'musl init argv (go#13492)');
  t.equal(c.expectation?.matched, true);
});

t.test('an expectation and a pass is xpass', async (t) => {
  const c = classify(run(exit(0), LINK_PASS_STDOUT), link.pass, INIT_ARGV);
  t.equal(c.verdict, 'xpass');
  t.equal(c.stage, 'checks');
  t.equal(c.stageOk, true);
  t.equal(c.summary, 'expected musl init argv (go#13492) did not happen');
  t.same(c.expectation, { ...INIT_ARGV, matched: false, why: 'the expected failure did not happen' });
});

t.test('an expectation whose regex does not match is a plain fail', async (t) => {
  const other = run(
    exit(3),
    'csm-load-failed hello\n',
    'csm-load-failed hello: Error loading shared library libgo.so: No such file or directory\n',
  );
  const c = classify(other, dlopen.pass, IE_TLS);
  t.equal(c.verdict, 'fail');
  t.not(c.verdict, 'xfail');
  t.equal(c.stage, 'load');
  t.equal(c.stageOk, false);
  t.equal(c.expectation?.matched, false);
  t.equal(c.expectation?.why, 'message does not match /initial-exec TLS resolves to dynamic definition/');
  t.equal(
    c.summary,
    'load: hello: Error loading shared library libgo.so: No such file or directory [not as expected: message does not match /initial-exec TLS resolves to dynamic definition/]',
  );
});

t.test('an expectation at load but a failure at run is a plain fail', async (t) => {
  const rule: ExpectationRule = { ...IE_TLS, match: 'signal 11' };
  const c = classify(run(SEGV, TLS_CRASH_STDOUT, QEMU_SEGV), tls.pass, rule);
  t.equal(c.verdict, 'fail');
  t.equal(c.stage, 'run');
  t.equal(c.expectation?.matched, false);
  t.equal(c.expectation?.why, 'expected it at load, got run');
});

t.test('every mismatch is listed', async (t) => {
  const c = classify(run(TIMEOUT, TLS_CRASH_STDOUT), tls.pass, IE_TLS);
  t.equal(c.verdict, 'timeout');
  t.equal(
    c.expectation?.why,
    'expected fail, got timeout; expected it at load, got run; message does not match /initial-exec TLS resolves to dynamic definition/',
  );
});

t.test('expected timeout and an actual timeout is xfail', async (t) => {
  const rule: ExpectationRule = {
    when: { goarm: '5' },
    verdict: 'timeout',
    stage: 'run',
    match: '^timed out after',
    link: 'https://github.com/golang/go/issues/99999',
    label: 'v5 hang',
  };
  const c = classify(run(TIMEOUT, 'csm-loaded hello\n'), link.pass, rule);
  t.equal(c.verdict, 'xfail');
  t.equal(c.summary, 'v5 hang (go#99999)');
  t.equal(c.expectation?.matched, true);

  const crashed = classify(run(SEGV, 'csm-loaded hello\n', QEMU_SEGV), link.pass, { ...rule, match: 'signal' });
  t.equal(crashed.verdict, 'fail', 'a crash where a timeout was expected');
  t.equal(crashed.expectation?.why, 'expected timeout, got fail');
});

t.test('an expected build failure', async (t) => {
  const rule: ExpectationRule = {
    when: {},
    verdict: 'fail',
    stage: 'build',
    match: 'unsupported GOARM',
    link: 'https://github.com/golang/go/issues/1',
    label: 'old arm',
  };
  const c = classify({ buildFailure: { stage: 'build', what: 'libhello.so', log: 'go: unsupported GOARM=5' } }, link.pass, rule);
  t.equal(c.verdict, 'xfail');
  t.equal(c.stage, 'build');
});
