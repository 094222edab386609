import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { buildEnv, cLibCmd, goBuildCmd, hostCompileCmd, hostEnv, runCmd, shellLine } from '../../harness/sandbox/commands.js';
import { CACHE_DIR, SUPERVISOR } from '../../harness/sandbox/layout.js';
import {
  cLibDir,
  goCacheRel,
  goLibDir,
  goLibKey,
  hostPath,
  libraryDirs,
  srcDir,
  stdGroup,
  WARM_MARK,
  warmMarkPrefix,
} from '../../harness/sandbox/paths.js';
import { CALIBRATION_SCRIPT, calibrationCmd, RESTORE_SCRIPT, shareGoCache } from '../../harness/sandbox/scripts.js';
import { readStatus, splitCpuMark, splitQuotaMark } from '../../harness/sandbox/status.js';
import { minimalCaseFile, platform, tempDir, writeCase, writeTree } from '../support/helpers.js';

const cases = Object.fromEntries(['link', 'dlopen', 'environ', 'multi', 'tls'].map((n) => [n, loadCase(join(DEFAULT_CASES_DIR, n))]));
const link = cases.link!;
const tls = cases.tls!;
const multi = cases.multi!;
const environ = cases.environ!;
/** A library's build identity: its name and a hash of its build's shape (steps.test.ts checks what changes it). */
const libId = (c: typeof link, name: string) =>
  goLibDir(c, c.libraries.find((l) => l.name === name)!, platform('amd64-glibc'), '1.27')
    .split('/')
    .pop()!;

t.test('paths', async (t) => {
  const p = platform('arm5-musl');
  const id = libId(tls, 'tlsgo');
  t.match(id, /^tlsgo-[0-9a-f]{16}$/, "the library's name, then the hash of its build's shape");
  t.equal(srcDir(tls), '/work/src/tls');
  t.equal(goLibKey(tls, tls.libraries[0]!, p, '1.27'), `go1.27/arm5-musl/${id}`);
  t.equal(goLibDir(tls, tls.libraries[0]!, p, '1.27'), `/work/out/go1.27/arm5-musl/golib/${id}`);
  t.equal(cLibDir(tls, 'tlsc', p, '1.27'), '/work/out/go1.27/arm5-musl/case/tls/clib/tlsc');
  t.equal(hostPath(tls, p, '1.27'), '/work/out/go1.27/arm5-musl/host/tls/host');
  t.same(
    [...libraryDirs(tls, p, '1.27')],
    [
      ['tlsgo', `/work/out/go1.27/arm5-musl/golib/${id}`],
      ['tlsc', '/work/out/go1.27/arm5-musl/case/tls/clib/tlsc'],
    ],
  );
  const dl = cases.dlopen!;
  t.equal(
    goLibDir(link, link.libraries[0]!, p, '1.27'),
    goLibDir(dl, dl.libraries[0]!, p, '1.27'),
    'identical Go libraries share one output directory',
  );
  t.not(hostPath(link, p, '1.27'), hostPath(dl, p, '1.27'));
});

t.test('goBuildCmd: no go.mod → the package files by name', async (t) => {
  const out = '/work/out/go1.27/amd64-glibc/golib/hello-x';
  t.same(goBuildCmd(link, link.libraries[0]!, platform('amd64-glibc'), out), [
    'go',
    'build',
    '-buildmode=c-shared',
    '-trimpath',
    '-o',
    `${out}/libhello.so`,
    './hello.go',
  ]);

  const root = tempDir(t);
  const dir = writeCase(root, 'many');
  writeTree(dir, {
    'golib/b.go': 'package main\n',
    'golib/a.go': 'package main\n',
    'golib/a_test.go': 'package main\n',
    'golib/README.md': 'x',
    'golib/notgo.go.txt': 'x',
  });
  const c = loadCase(dir);
  const cmd = goBuildCmd(c, c.libraries[0]!, platform('amd64-glibc'), '/o');
  t.same(
    cmd,
    ['go', 'build', '-buildmode=c-shared', '-trimpath', '-o', '/o/libhello.so', './a.go', './b.go', './hello.go'],
    'sorted, without _test.go and non-Go files, each "./"-prefixed so no file name reads as a flag',
  );
});

t.test('goBuildCmd: a go.mod → "."', async (t) => {
  const root = tempDir(t);
  const dir = writeCase(root, 'mod', minimalCaseFile({ libraries: [{ name: 'hello', dir: 'golib' }] }));
  writeTree(dir, { 'golib/go.mod': 'module example.com/hello\n\ngo 1.19\n', 'golib/extra.go': 'package main\n' });
  const c = loadCase(dir);
  t.same(goBuildCmd(c, c.libraries[0]!, platform('amd64-glibc'), '/o'), [
    'go',
    'build',
    '-buildmode=c-shared',
    '-trimpath',
    '-o',
    '/o/libhello.so',
    '.',
  ]);
});

t.test('cLibCmd', async (t) => {
  const p = platform('arm7-glibc');
  t.same(cLibCmd(p, ['tlsc.c'], ['-DX=1'], '/o/tlsc', 'tlsc'), [
    'arm-linux-gnueabihf-gcc',
    '-shared',
    '-fPIC',
    '-O2',
    '-o',
    '/o/tlsc/libtlsc.so',
    'tlsc.c',
    '-I/work/csm',
    '-DX=1',
  ]);
});

t.test('hostCompileCmd', async (t) => {
  t.test('tls: a linked C library, a dlopened Go library', async (t) => {
    const p = platform('arm5-musl');
    const goDir = `/work/out/go1.27/arm5-musl/golib/${libId(tls, 'tlsgo')}`;
    const cDir = '/work/out/go1.27/arm5-musl/case/tls/clib/tlsc';
    t.same(hostCompileCmd(tls, p, '1.27'), [
      'arm-linux-musleabi-gcc',
      '-O1',
      '-g',
      '-o',
      '/work/out/go1.27/arm5-musl/host/tls/host',
      'host.c',
      '-I/work/csm',
      '-I.',
      `-I${goDir}`,
      `-L${cDir}`,
      '-ltlsc',
      `-Wl,-rpath,${cDir}`,
      '-ldl',
      '-lpthread',
    ]);
  });

  t.test('multi: -L/-l/-rpath for each linked library, -I for each Go library', async (t) => {
    const p = platform('amd64-glibc');
    const a = `/work/out/go1.26/amd64-glibc/golib/${libId(multi, 'alpha')}`;
    const b = `/work/out/go1.26/amd64-glibc/golib/${libId(multi, 'beta')}`;
    const cmd = hostCompileCmd(multi, p, '1.26');
    t.same(cmd, [
      'gcc',
      '-O1',
      '-g',
      '-o',
      '/work/out/go1.26/amd64-glibc/host/multi/host',
      'host.c',
      '-I/work/csm',
      '-I.',
      `-I${a}`,
      `-I${b}`,
      `-L${a}`,
      '-lalpha',
      `-Wl,-rpath,${a}`,
      `-L${b}`,
      '-lbeta',
      `-Wl,-rpath,${b}`,
      '-ldl',
      '-lpthread',
    ]);
  });

  t.test('host cflags go before the link flags, ldflags last', async (t) => {
    const root = tempDir(t);
    const c = loadCase(
      writeCase(
        root,
        'flags',
        minimalCaseFile({ host: { sources: ['host.c'], link: ['hello'], cflags: ['-Wall', '-DX'], ldflags: ['-lm'] } }),
      ),
    );
    const cmd = hostCompileCmd(c, platform('amd64-musl'), '1.27');
    const dir = `/work/out/go1.27/amd64-musl/golib/${libId(c, 'hello')}`;
    t.same(cmd, [
      'musl-gcc',
      '-O1',
      '-g',
      '-o',
      '/work/out/go1.27/amd64-musl/host/flags/host',
      'host.c',
      '-I/work/csm',
      '-I.',
      `-I${dir}`,
      '-Wall',
      '-DX',
      `-L${dir}`,
      '-lhello',
      `-Wl,-rpath,${dir}`,
      '-ldl',
      '-lpthread',
      '-lm',
    ]);
  });
});

t.test('hostEnv', async (t) => {
  const p = platform('amd64-glibc');
  t.same(hostEnv(environ, p, '1.27', 30_000), [
    'CSM_GREETING=from-exec',
    'CSM_REPLACED=original',
    `CSM_LIB_ENVGO=/work/out/go1.27/amd64-glibc/golib/${libId(environ, 'envgo')}/libenvgo.so`,
    'CSM_PLATFORM=amd64-glibc',
    'CSM_CASE=environ',
    'CSM_GO=1.27',
    'CSM_TIMEOUT_MS=30000',
  ]);
  t.same(hostEnv(tls, platform('arm7-musl'), '1.24', 195_000), [
    `CSM_LIB_TLSGO=/work/out/go1.24/arm7-musl/golib/${libId(tls, 'tlsgo')}/libtlsgo.so`,
    'CSM_LIB_TLSC=/work/out/go1.24/arm7-musl/case/tls/clib/tlsc/libtlsc.so',
    'CSM_PLATFORM=arm7-musl',
    'CSM_CASE=tls',
    'CSM_GO=1.24',
    'CSM_TIMEOUT_MS=195000',
  ]);
});

const AS_NOBODY = ['--as', '65534:65534', '--fresh', '/tmp', '--fresh', '/dev/shm'];

t.test('runCmd: supervisor (host as nobody, scratch emptied), then the platform runner, then the host', async (t) => {
  t.same(runCmd(link, platform('arm5-glibc'), '1.27', 120_000, 'n0nce'), [
    '/work/csm/csm-run',
    ...AS_NOBODY,
    '120000',
    'n0nce',
    '--',
    'qemu-arm',
    '-cpu',
    'arm926',
    '-L',
    '/usr/arm-linux-gnueabi',
    '/work/out/go1.27/arm5-glibc/host/link/host',
  ]);
  t.same(
    runCmd(link, platform('amd64-glibc'), '1.27', 30_000, 'n'),
    ['/work/csm/csm-run', ...AS_NOBODY, '30000', 'n', '--', '/work/out/go1.27/amd64-glibc/host/link/host'],
    'native: no prefix',
  );
  const withArgs = { ...link, run: { args: ['--verbose', 'x y'] } };
  t.same(runCmd(withArgs, platform('arm7-musl'), '1.27', 1, 'n').slice(4 + AS_NOBODY.length), [
    'qemu-arm',
    '-cpu',
    'cortex-a7',
    '/work/out/go1.27/arm7-musl/host/link/host',
    '--verbose',
    'x y',
  ]);
  for (const p of PLATFORMS) {
    const cmd = runCmd(link, p, '1.27', 1, 'n');
    t.same(cmd.slice(4 + AS_NOBODY.length, 4 + AS_NOBODY.length + p.run.length), p.run, `${p.name}: the prefix is the table's run`);
  }
});

t.test("runCmd for a Python or Java host: the row's language command (a sysroot as -L), then the script or main class", async (t) => {
  const py = loadCase(join(DEFAULT_CASES_DIR, 'python'));
  const jni = loadCase(join(DEFAULT_CASES_DIR, 'jni'));
  const tail = (c: typeof py, p: string, lang?: { run: string[]; cmd: string[] }) =>
    runCmd(c, platform(p), '1.27', 1, 'n', lang).slice(4 + AS_NOBODY.length);
  const sys = {
    run: ['qemu-aarch64', '-cpu', 'cortex-a53', '-L', '/opt/csm/sysroot/arm64-trixie-python'],
    cmd: ['/opt/csm/sysroot/arm64-trixie-python/usr/bin/python3.13'],
  };
  t.same(tail(py, 'arm64-glibc', sys), [...sys.run, ...sys.cmd, '/work/src/python/host.py']);
  t.same(tail(py, 'amd64-glibc', { run: [], cmd: ['python3'] }), ['python3', '/work/src/python/host.py']);
  t.same(tail(jni, 'arm64-glibc', { run: ['qemu-aarch64', '-L', '/s'], cmd: ['/s/java'] }), [
    'qemu-aarch64',
    '-L',
    '/s',
    '/s/java',
    '-cp',
    '/work/out/go1.27/java/jni',
    'Host',
  ]);
  // A user's rootfs: no layer; its own python3 and java, with no emulator.
  t.same(tail(py, 'amd64-musl'), ['python3', '/work/src/python/host.py']);
  t.same(tail(jni, 'amd64-musl'), ['java', '-cp', '/work/out/go1.27/java/jni', 'Host']);
});

t.test('buildEnv', async (t) => {
  t.same(buildEnv(platform('amd64-glibc'), '/cache/go-build/x'), [
    'CGO_ENABLED=1',
    'GOTOOLCHAIN=local',
    'GOPROXY=off',
    'GOFLAGS=-buildvcs=false',
    'GOOS=linux',
    'GOARCH=amd64',
    'CC=gcc',
    'GOWORK=off',
    'GOENV=off',
    'GOCACHE=/cache/go-build/x',
  ]);
  t.same(buildEnv(platform('arm5-musl'), '/cache/go-build/x'), [
    'CGO_ENABLED=1',
    'GOTOOLCHAIN=local',
    'GOPROXY=off',
    'GOFLAGS=-buildvcs=false',
    'GOOS=linux',
    'GOARCH=arm',
    'GOARM=5',
    'CC=arm-linux-musleabi-gcc',
    'GOWORK=off',
    'GOENV=off',
    'GOCACHE=/cache/go-build/x',
  ]);
  for (const p of PLATFORMS) {
    const env = buildEnv(p, '/cache/go-build/x');
    for (const v of ['CGO_ENABLED=1', 'GOTOOLCHAIN=local', 'GOPROXY=off', 'GOWORK=off', 'GOENV=off'])
      t.ok(env.includes(v), `${p.name}: ${v}`);
    t.notOk(
      env.some((e) => e.startsWith('HOME=')),
      `${p.name}: HOME is the lane's, set by the step`,
    );
    t.same(
      env.filter((e) => e.startsWith('GOARM=')),
      p.goarch === 'arm' ? [`GOARM=${p.goarm}`] : [],
      `${p.name}: GOARM only on arm`,
    );
  }
});

t.test("a row's Go variables and C flags reach every command of the row", async (t) => {
  const i386 = buildEnv(platform('386-glibc'), '/c');
  t.ok(i386.includes('GO386=sse2'), '386: GO386=sse2 for the go build');
  t.not(
    stdGroup('sha256:0123456789abcdef0123', platform('386-glibc')),
    stdGroup('sha256:0123456789abcdef0123', { ...platform('386-glibc'), goenv: { GO386: 'softfloat' } }),
    'another GO386 is another standard library',
  );
  const arm64 = platform('arm64-musl');
  t.ok(buildEnv(arm64, '/c').includes('CGO_CFLAGS=-O2 -g -mno-outline-atomics'), "cgo's C compiles: Go's default flags, then the row's");
  t.notOk(
    buildEnv(platform('arm64-glibc'), '/c').some((e) => e.startsWith('CGO_CFLAGS=')),
    "a row without flags leaves Go's default alone",
  );
  t.same(
    cLibCmd(arm64, ['a.c'], [], '/o', 'a').slice(0, 5),
    ['aarch64-linux-musl-gcc', '-shared', '-fPIC', '-O2', '-mno-outline-atomics'],
    'C libraries',
  );
  const host = hostCompileCmd(tls, arm64, '1.27');
  t.same(host.slice(0, 4), ['aarch64-linux-musl-gcc', '-O1', '-g', '-mno-outline-atomics'], 'hosts');
});

t.test('shellLine: quoting of arguments', async (t) => {
  t.equal(
    shellLine([], ['gcc', '-o', '/work/out/x', '-Wl,-rpath,/a/b', 'a+b@c%d:e=f']),
    'gcc -o /work/out/x -Wl,-rpath,/a/b a+b@c%d:e=f',
    'safe words stay bare',
  );
  t.equal(shellLine([], ['/bin/sh', '-c', 'mkdir -p "$0" && exec "$@"']), `/bin/sh -c 'mkdir -p "$0" && exec "$@"'`);
  t.equal(shellLine([], ['echo', "it's", '', 'a b', '*', '$HOME', '~']), `echo 'it'\\''s' '' 'a b' '*' '$HOME' '~'`);
  t.equal(shellLine(['CC=gcc', 'GOARM=5'], ['go', 'build']), 'CC=gcc GOARM=5 go build');
});

t.test('shellLine: a shell given the line gets back the same argv', async (t) => {
  const argv = ['printf', '[%s]\\n', 'plain', "it's", '', 'a b', '*', '$HOME', '`id`', 'x"y', 'tab\there', 'new\nline', '\\'];
  const r = spawnSync('/bin/sh', ['-c', shellLine([], argv)], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  t.equal(r.status, 0, r.stderr);
  t.equal(
    r.stdout,
    argv
      .slice(2)
      .map((a) => `[${a}]\n`)
      .join(''),
  );
});

t.test('shellLine: a shell given the line gets the same environment', async (t) => {
  // hostEnv passes the case's run.env through, and any value may need quoting.
  const env = ['CSM_GREETING=from exec', "CSM_QUOTE=it's", 'CSM_EMPTY=', 'CSM_PLATFORM=amd64-glibc'];
  const line = shellLine(env, ['/usr/bin/env']);
  const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  t.equal(r.status, 0, `the pasted line runs: ${line}\n${r.stderr}`);
  const got = r.stdout.split('\n').filter((l) => l.startsWith('CSM_'));
  t.same(got.sort(), [...env].sort());
});

t.test('stdGroup: builds that share a standard library, and only those', async (t) => {
  const row = (n: string) => PLATFORMS.find((p) => p.name === n)!;
  const img = 'sha256:0123456789abcdef0123';
  t.equal(stdGroup(img, row('amd64-glibc')), stdGroup(img, row('amd64-musl')), 'the C library only changes runtime/cgo');
  t.equal(stdGroup(img, row('arm7-glibc')), stdGroup(img, row('arm7-musl')));
  t.not(stdGroup(img, row('arm7-glibc')), stdGroup(img, row('arm5-glibc')), 'GOARM=5 and GOARM=7 compile different code');
  t.not(stdGroup(img, row('amd64-glibc')), stdGroup('sha256:ffff', row('amd64-glibc')), 'another Go image is another standard library');
  t.equal(goCacheRel(img), 'go-build/0123456789abcdef');
  // A Go build cache emptied over its budget takes its image's warm marks with it, and no other image's.
  for (const p of PLATFORMS) t.ok(`${WARM_MARK}${stdGroup(img, p)}`.startsWith(warmMarkPrefix(img)), `${p.name}: its mark is the image's`);
  t.notOk(
    `${WARM_MARK}${stdGroup('sha256:0123456789abcdefff', row('amd64-glibc'))}`.startsWith(warmMarkPrefix('sha256:0123456789abcdee')),
    "another image's is not",
  );
  t.same(
    shareGoCache('/cache/go-build/x', 8 * 1024 * 1024).slice(-2),
    ['/cache/go-build/x', '8388608'],
    'the budget reaches the script as data',
  );
});

t.test('splitQuotaMark: what a build step wrote against its quota, only from the last line', async (t) => {
  t.same(splitQuotaMark('go: building\n@@csm-elf-begin\nfacts\n@@csm-quota 2048 1073741824 0\n'), {
    out: 'go: building\n@@csm-elf-begin\nfacts\n',
    quota: { wroteBytes: 2048, quotaBytes: 1073741824, exceeded: false },
  });
  t.same(splitQuotaMark('link: file too large\n@@csm-quota 1073741824 1073741824 1\n'), {
    out: 'link: file too large\n',
    quota: { wroteBytes: 1073741824, quotaBytes: 1073741824, exceeded: true },
  });
  t.same(splitQuotaMark('a cache hit has none\n'), { out: 'a cache hit has none\n' });
  t.same(
    splitQuotaMark("@@csm-quota 1 1 1\nprinted by the step before the wrapper's line\n"),
    { out: "@@csm-quota 1 1 1\nprinted by the step before the wrapper's line\n" },
    'a forged line mid-log is log',
  );
});

t.test('splitCpuMark: the CPU a build step used, and its output without the mark', async (t) => {
  t.same(splitCpuMark('go: building\n@@csm-elf-begin\nfacts\n@@csm-cpu 0m1.250000s 0m0.500000s\n'), {
    out: 'go: building\n@@csm-elf-begin\nfacts\n',
    cpuMs: 1750,
  });
  t.same(splitCpuMark('@@csm-cpu 1m2.000s 0m0.000s'), { out: '', cpuMs: 62000 }, 'minutes count, a silent step has only the mark');
  t.same(splitCpuMark('a cache hit has no mark\n'), { out: 'a cache hit has no mark\n', cpuMs: 0 });
  t.same(
    splitCpuMark('@@csm-cpu 0m1.0s 0m1.0s\nprinted later\n').cpuMs,
    0,
    'only a mark at the very end counts: a build cannot print one mid-log',
  );
});

t.test('the build step reports the CPU of its command, measured by the shell', async (t) => {
  // The cache part of the script needs /cache; the CPU mark is shell arithmetic anyone can check.
  const p = spawnSync(
    '/bin/sh',
    [
      '-c',
      'sh -c "i=0; while [ \\$i -lt 200000 ]; do i=\\$((i+1)); done"; times >/tmp/csm-times-$$; sed -n 2p /tmp/csm-times-$$; rm -f /tmp/csm-times-$$',
    ],
    { encoding: 'utf8' },
  );
  const { cpuMs } = splitCpuMark(`@@csm-cpu ${p.stdout.trim()}\n`);
  t.ok(cpuMs > 20, `a busy loop in a child shows up as the children's CPU: ${p.stdout.trim()} → ${cpuMs} ms`);
});

t.test("calibrationCmd: one row's timing, as a lane's user, the row's words only arguments", async (t) => {
  for (const p of PLATFORMS.filter((p) => p.run.length)) {
    const cmd = calibrationCmd(1, p);
    t.same(
      cmd.slice(0, 9),
      [SUPERVISOR, '--run-as', '20002:20000', '--fresh', '/csm-scratch/lane-1', '--', '/bin/sh', '-c', CALIBRATION_SCRIPT],
      `${p.name}: as lane 1's user, the script constant`,
    );
    const compile = [p.cc, ...(p.cflags ?? []), '-O1', '-o', '/csm-scratch/lane-1/csm-calib', '/work/csm/csm-calib.c'];
    t.same(
      cmd.slice(9),
      ['csm-calib', p.name, '2', '/csm-scratch/lane-1/csm-calib', String(compile.length), ...compile, ...p.run],
      `${p.name} runs under ${p.run.join(' ')}`,
    );
  }
  t.same(
    calibrationCmd(0).slice(10),
    ['native', '3', '/csm-scratch/lane-0/csm-calib', '5', 'gcc', '-O1', '-o', '/csm-scratch/lane-0/csm-calib', '/work/csm/csm-calib.c'],
    "the native reference: the image's gcc, three times",
  );
  t.equal(spawnSync('/bin/sh', ['-n', '-c', CALIBRATION_SCRIPT]).status, 0, 'sh -n accepts it');
});

t.test("readStatus: how the supervised command ended, from the supervisor's status line", async (t) => {
  t.same(readStatus('\n@@csm-status n0 {"exit":3,"ms":12,"cpuMs":9,"clean":true}\n'), {
    end: { kind: 'exit', code: 3 },
    ms: 12,
    cpuMs: 9,
    clean: true,
  });
  t.same(readStatus('@@csm-status n0 {"signal":11,"ms":5}').end, { kind: 'signal', signal: 11, name: 'SIGSEGV' });
  t.same(readStatus('\n@@csm-status n0 {"timeout":true,"ms":2000,"cpuMs":1990}\n').end, { kind: 'timeout', afterMs: 2000 });
  t.equal(readStatus('@@csm-status n0 {"exit":0,"clean":false}').clean, false, 'a slot that could not be cleaned says so');
  t.same(
    readStatus('@@csm-status - {"error":"cannot enter /x: No such file or directory"}'),
    { ms: 0, cpuMs: 0, error: 'cannot enter /x: No such file or directory' },
    "the supervisor's own failure, no end",
  );
  t.equal(readStatus('@@csm-status n0 {"exit":0}\nmore\n').end, undefined, 'only the last line counts');
  t.same(readStatus(''), { ms: 0, cpuMs: 0 }, 'no status, no end');
  t.match(readStatus('garbage').error, /^unreadable status: garbage/);
});

t.test('RESTORE_SCRIPT: every artifact into its place, in parallel streams; a missing one fails the restore', async (t) => {
  const dir = tempDir(t);
  const cache = join(dir, 'artifacts');
  const lines: string[] = [];
  for (let i = 0; i < 7; i++) {
    writeTree(join(cache, `k${i}`), { [`lib${i}.so`]: `lib ${i}`, '.ok': '', '.log': 'log', '.elf': 'elf' });
    lines.push(`k${i}\t${join(dir, 'out', `p${i % 3}`, `lib${i}`)}`);
  }
  writeTree(join(dir, 'out', 'p0', 'lib0'), { stale: 'old' });
  writeTree(dir, { list: `${lines.join('\n')}\n` });
  const script = RESTORE_SCRIPT.replaceAll(`${CACHE_DIR}/artifacts`, cache);
  const run = (list: string, streams: string) =>
    spawnSync('sh', ['-c', script, 'csm-restore', list, join(dir, 'out'), streams], { encoding: 'utf8' });
  const r = run(join(dir, 'list'), '2');
  t.equal(r.status, 0, r.stderr);
  for (let i = 0; i < 7; i++)
    t.equal(readFileSync(join(dir, 'out', `p${i % 3}`, `lib${i}`, `lib${i}.so`), 'utf8'), `lib ${i}`, `artifact ${i} in place`);
  t.notOk(existsSync(join(dir, 'out', 'p0', 'lib0', 'stale')), 'a stale output is replaced, not merged');
  t.notOk(existsSync(join(dir, 'out', 'p1', 'lib1', '.ok')), "the cache's bookkeeping files are removed");
  writeTree(dir, { bad: `${lines[0]}\nnope\t${join(dir, 'out', 'x', 'y')}\n` });
  t.equal(run(join(dir, 'bad'), '2').status, 1, 'a missing cache entry fails the whole restore');
});
