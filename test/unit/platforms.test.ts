import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { defaultPlatforms, describePlatforms, isEmulated, PLATFORMS, parsePlatformRows } from '../../harness/core/platforms.js';
import { validateRow } from '../../harness/edge/platform-rows.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';

const NAMES = [
  'amd64-glibc',
  'amd64-musl',
  'arm7-glibc',
  'arm5-glibc',
  'arm7-musl',
  'arm5-musl',
  'arm6-glibc',
  'arm6-musl',
  'arm64-glibc',
  'arm64-musl',
  '386-glibc',
  '386-musl',
  'riscv64-glibc',
  'riscv64-musl',
  'ppc64le-glibc',
  'ppc64le-musl',
  's390x-glibc',
  's390x-musl',
  'loong64-glibc',
  'ppc64-glibc',
  'amd64-glibc-qemu',
  'windows-amd64',
  'windows-386',
  'windows-arm64',
];
const WINDOWS = ['windows-amd64', 'windows-386', 'windows-arm64'];

t.test('the table', async (t) => {
  t.same(
    PLATFORMS.map((p) => p.name),
    NAMES,
  );
  t.equal(new Set(PLATFORMS.map((p) => p.name)).size, PLATFORMS.length, 'names are unique');
  t.equal(
    new Set(PLATFORMS.map((p) => JSON.stringify([p.cc, p.goarm, p.run]))).size,
    PLATFORMS.length,
    'no two rows build and run the same way',
  );
  for (const p of PLATFORMS) {
    const arch = p.goarch === 'arm' ? `arm${p.goarm}` : p.goarch;
    const name = p.goos === 'windows' ? `windows-${arch}` : `${arch}-${p.libc}${isEmulated(p) && p.goarch === 'amd64' ? '-qemu' : ''}`;
    t.equal(p.name, name, `${p.name}: the name says its axes`);
    t.ok(p.timeoutScale >= 1, `${p.name}: timeoutScale`);
  }
  t.same(
    defaultPlatforms(PLATFORMS).map((p) => p.name),
    NAMES.filter((n) => n !== 'amd64-glibc-qemu' && !WINDOWS.includes(n)),
    'every row but amd64-glibc-qemu and the Windows rows is in the default set',
  );
  // Every Linux target Go builds c-shared for, with glibc; musl wherever Debian ships one (not loong64, not ppc64).
  const archs = (libc: string) =>
    new Set(
      defaultPlatforms(PLATFORMS)
        .filter((p) => p.libc === libc)
        .map((p) => p.goarch),
    );
  t.same([...archs('glibc')].sort(), ['386', 'amd64', 'arm', 'arm64', 'loong64', 'ppc64', 'ppc64le', 'riscv64', 's390x']);
  t.same([...archs('musl')].sort(), ['386', 'amd64', 'arm', 'arm64', 'ppc64le', 'riscv64', 's390x']);
});

t.test('native rows: no runner, native cpu, no GOARM', async (t) => {
  for (const p of PLATFORMS.filter((p) => p.goarch === 'amd64' && !isEmulated(p) && p.goos !== 'windows')) {
    t.same(p.run, [], p.name);
    t.equal(p.cpu, 'native');
    t.equal(p.goarm, undefined);
    t.equal(p.timeoutScale, 1);
    t.equal(p.canary, undefined, `${p.name}: no canary on the machine's own CPU`);
  }
  t.same(
    PLATFORMS.filter((p) => !isEmulated(p)).map((p) => p.name),
    ['amd64-glibc', 'amd64-musl', ...WINDOWS],
    'Wine runs on this CPU: the Windows rows are not emulated',
  );
});

t.test('the Windows rows: mingw-w64 builds, Wine runs, a layer of their own, no canary but why', async (t) => {
  const rows = PLATFORMS.filter((p) => p.goos === 'windows');
  t.same(
    rows.map((p) => [p.name, p.goarch, p.libc, p.cc, p.run]),
    [
      ['windows-amd64', 'amd64', 'msvcrt', 'x86_64-w64-mingw32-gcc', ['wine']],
      ['windows-386', '386', 'msvcrt', 'i686-w64-mingw32-gcc', ['wine']],
      ['windows-arm64', 'arm64', 'msvcrt', 'aarch64-w64-mingw32-gcc', ['wine']],
    ],
  );
  for (const p of rows) {
    t.equal(p.inBase, false, `${p.name}: its 2.9 GB stay out of the base`);
    t.equal(p.default, false, `${p.name}: asked for by name`);
    t.match(p.noCanary, /no CPU model/, `${p.name}: says why it has no canary`);
    t.match(p.noGccgo ?? p.na, /gccgo|C toolchain/);
  }
  t.same(rows[0]!.packages, rows[1]!.packages, 'one layer serves both runnable rows');
  t.same(rows[0]!.packages, ['gcc-mingw-w64-x86-64', 'gcc-mingw-w64-i686', 'wine', 'wine64', 'wine32:i386']);
  t.match(rows[2]!.na, /Debian ships none.*Wine for arm64/, 'windows-arm64: every cell n/a, with the reason');
  t.equal(rows[2]!.packages, undefined, 'windows-arm64 installs nothing');
});

t.test('ARM rows run under qemu-arm on a CPU of their own architecture version', async (t) => {
  const arm = PLATFORMS.filter((p) => p.goarch === 'arm');
  t.equal(arm.length, 6);
  for (const p of arm) {
    t.equal(p.run[0], 'qemu-arm');
    // A v7 model would silently accept v7-only instructions in GOARM=5 or 6 code.
    const want = { '5': 'arm926', '6': 'arm1176', '7': 'cortex-a7' }[p.goarm ?? ''];
    t.equal(p.cpu, want, `${p.name}: GOARM=${p.goarm} on ${want}`);
    // Debian's armhf libc needs ARMv7: v5 and v6 use the armel toolchain.
    t.match(p.cc, p.goarm === '7' ? /^arm-linux-(gnu|musl)eabihf-gcc$/ : /^arm-linux-(gnu|musl)eabi-gcc$/, `${p.name}: ${p.cc}`);
    t.equal(p.timeoutScale, 4);
  }
});

t.test('every emulated row: the recorded cpu is the one qemu is given, a canary, and its packages', async (t) => {
  for (const p of PLATFORMS.filter(isEmulated)) {
    t.match(p.run[0], /^qemu-/, `${p.name}: runs under qemu-user`);
    t.equal(p.run[p.run.indexOf('-cpu') + 1], p.cpu, `${p.name}: -cpu ${p.cpu}`);
    t.ok(p.canary?.asm && p.canary.level, `${p.name}: a strictness canary`);
    t.ok(p.packages?.includes('qemu-user'), `${p.name}: needs qemu-user`);
    const sysroot = p.run.includes('-L') ? p.run[p.run.indexOf('-L') + 1] : undefined;
    if (p.libc === 'glibc' && p.goarch !== 'amd64') {
      t.equal(sysroot, `/usr/${p.cc.replace(/-gcc$/, '')}`, `${p.name}: the cross compiler's sysroot`);
      t.ok(p.packages?.includes(`gcc-${p.cc.replace(/-gcc$/, '')}`), `${p.name}: its compiler's package`);
      t.ok(
        p.packages?.some((x) => /^libc6-dev-[a-z0-9]+-cross$/.test(x)),
        `${p.name}: its cross libc`,
      );
    }
    if (p.libc === 'musl') {
      t.equal(sysroot, undefined, `${p.name}: no -L (musl's loader is in /lib)`);
      t.ok(p.dpkgArch, `${p.name}: a dpkg architecture`);
      t.same(
        p.packages?.filter((x) => x.includes(':')),
        [`musl:${p.dpkgArch}`, `musl-dev:${p.dpkgArch}`],
        `${p.name}: musl of its architecture`,
      );
    }
  }
});

t.test('the facts of the new rows', async (t) => {
  const row = (n: string) => PLATFORMS.find((p) => p.name === n)!;
  t.same(row('386-glibc').goenv, { GO386: 'sse2' });
  t.equal(row('386-glibc').cpu, 'n270', 'qemu 10 has no pentium4 model');
  t.same(row('arm64-musl').cflags, ['-mno-outline-atomics'], "gcc 14's outline atomics call glibc's __getauxval");
  t.equal(row('arm64-glibc').cflags, undefined);
  t.equal(row('s390x-glibc').cpu, 'qemu', '-cpu z13 is refused under TCG');
  t.ok(row('s390x-glibc').canary?.note, 's390x says what its canary cannot cover');
  t.equal(row('ppc64le-glibc').cpu, 'power8', "Go's ppc64le baseline");
  t.match(row('riscv64-glibc').cpu, /^rv64,zba=false,zbb=false,zbs=false$/, 'rv64 with the RVA22 bit-manipulation extensions off');
  t.same(
    row('ppc64-glibc').expect?.map((e) => [e.stage, e.link]),
    [['build', 'https://github.com/golang/go/issues/79898']],
  );
  t.equal(row('amd64-glibc-qemu').default, false);
  t.same(row('amd64-glibc-qemu').run, ['qemu-x86_64', '-cpu', 'Nehalem']);
});

t.test('glibc ARM rows pass -L sysroots; musl rows do not', async (t) => {
  t.same(platformRun('arm7-glibc'), ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabihf']);
  t.same(platformRun('arm5-glibc'), ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi']);
  t.same(platformRun('arm6-glibc'), ['qemu-arm', '-cpu', 'arm1176', '-L', '/usr/arm-linux-gnueabi']);
  t.same(platformRun('arm7-musl'), ['qemu-arm', '-cpu', 'cortex-a7']);
  t.same(platformRun('arm5-musl'), ['qemu-arm', '-cpu', 'arm926']);
});

function platformRun(name: string): string[] {
  return [...PLATFORMS.find((p) => p.name === name)!.run];
}

t.test('parsePlatformRows', async (t) => {
  const row = {
    name: 'arm7-on-arm926',
    goarch: 'arm',
    goarm: '7',
    libc: 'glibc',
    cc: 'arm-linux-gnueabihf-gcc',
    run: ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabihf'],
    timeoutScale: 4,
    cpu: 'arm926',
    canary: { level: 'ARMv7 (movw)', asm: '.arch armv7-a\n\tmovw r0, #1' },
  };
  const parse = (data: unknown) => parsePlatformRows('extra.json', typeof data === 'string' ? data : JSON.stringify(data), validateRow);
  const problem = (t: Test, data: unknown): string => {
    try {
      parse(data);
    } catch (e) {
      t.type(e, UsageError, 'a UsageError');
      t.equal((e as UsageError).exitCode, EXIT.usage);
      return (e as Error).message;
    }
    t.fail('expected a UsageError');
    return '';
  };

  t.test('valid rows', async (t) => {
    t.same(parse([row]), [row]);
    t.same(parse([]), []);
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'platforms-v7-on-v5.json');
    t.same(parsePlatformRows(fixture, readFileSync(fixture, 'utf8'), validateRow), [row], 'the integration fixture');
  });

  t.test('bad files', async (t) => {
    t.match(problem(t, '[{'), /^extra\.json: not valid JSON: \S/);
    t.equal(problem(t, { rows: [row] }), 'extra.json: /: must be an array of platform rows');
    t.equal(problem(t, [{ ...row, name: 'amd64-glibc' }]), 'extra.json: /0/name: platform "amd64-glibc" already exists');
    t.equal(problem(t, [row, { ...row }]), 'extra.json: /1/name: platform "arm7-on-arm926" already exists');
    t.equal(problem(t, [{ ...row, goarm: '8' }]), 'extra.json: /0/goarm: must match pattern "^[5-7]$"');
    t.equal(problem(t, [{ ...row, libc: 'uclibc' }]), 'extra.json: /0/libc: must be one of ["glibc","musl","msvcrt"]');
    t.equal(problem(t, [{ ...row, timeoutScale: 0 }]), 'extra.json: /0/timeoutScale: must be > 0');
  });

  t.test('row-level problems point at the row', async (t) => {
    const { cc: _cc, ...noCc } = row;
    t.equal(problem(t, [row, { ...noCc, name: 'other' }]), 'extra.json: /1: missing required field "cc"');
    t.equal(problem(t, ['amd64']), 'extra.json: /0: must be object');
  });

  t.test('an unknown field in a platform row is not blamed on the case schema', async (t) => {
    const msg = problem(t, [{ ...row, qemu: 'qemu-arm' }]);
    t.match(msg, /^extra\.json: \/0: unknown field "qemu"/);
    t.notMatch(msg, /case\.schema\.json/);
  });

  t.test('an emulated row proves its CPU model strict, or says why not', async (t) => {
    const { canary: _c, ...bare } = row;
    t.equal(
      problem(t, [bare]),
      'extra.json: /0: an emulated row needs "canary" ({"level", "asm"}: an instruction above its baseline that its CPU model must refuse) or "noCanary" (why it can have none)',
    );
    t.same(parse([{ ...bare, noCanary: 'no model of this CPU is stricter' }])[0]?.noCanary, 'no model of this CPU is stricter');
    t.same(parse([{ ...bare, run: [], cpu: 'native' }]).length, 1, 'a native row needs none');
    t.match(problem(t, [{ ...row, canary: { level: 'x' } }]), /^extra\.json: \/0\/canary: missing required field "asm"/);
  });

  t.test('rows bring their packages', async (t) => {
    const withPkgs = {
      ...row,
      name: 'mips-glibc',
      packages: ['gcc-mips-linux-gnu', 'libc6-dev-mips-cross', 'musl:mips'],
      dpkgArch: 'mips',
    };
    t.same(parse([withPkgs])[0]?.packages, withPkgs.packages);
    t.equal(
      problem(t, [{ ...row, packages: ['gcc; rm -rf /'] }]),
      'extra.json: /0/packages/0: must be a Debian package name (policy 5.6.1: lower-case letters, digits, "+", "-" and ".", starting with a letter or digit), optionally with ":<arch>" (musl:arm64)',
      'a package name is a package name',
    );
    t.match(problem(t, [{ ...row, goenv: { PATH: '/x' } }]), /^extra\.json: \/0\/goenv/, 'goenv holds only GO* variables');
    t.equal(
      problem(t, [{ ...row, cflags: ['x'] }]),
      'extra.json: /0/cflags/0: a flag starts with "-" and is one word of letters, digits and "_=.,+/:-" (no space, no shell metacharacter)',
    );
  });

  t.test('a null row is a usage error, not a crash', async (t) => {
    t.match(problem(t, [null]), /^extra\.json: \/0: must be object$/);
  });
});

t.test('describePlatforms: one aligned line per row, with its CPU model', async (t) => {
  const lines = describePlatforms(PLATFORMS, '').split('\n');
  t.equal(lines.length, PLATFORMS.length);
  t.same(lines[0]!.split(/\s{2,}/), ['amd64-glibc', 'amd64', 'glibc', 'native']);
  t.same(
    lines.find((l) => l.startsWith('arm5-musl'))!.split(/\s{2,}/),
    ['arm5-musl', 'arm GOARM=5', 'musl', 'qemu-arm -cpu arm926'],
    'the v5 row names the v5 CPU model',
  );
  t.equal(new Set(lines.map((l) => l.search(/native|qemu-\S+ -cpu|wine on|n\/a/))).size, 1, 'the last column is aligned');
  t.same(
    lines.find((l) => l.startsWith('386-glibc'))!.split(/\s{2,}/),
    ['386-glibc', '386 GO386=sse2', 'glibc', 'qemu-i386 -cpu n270'],
    "a row's Go variables are shown",
  );
  t.match(
    lines.find((l) => l.startsWith('amd64-glibc-qemu')),
    /^amd64-glibc-qemu .* qemu-x86_64 -cpu Nehalem \(not default\)$/,
    'rows outside the default set say so',
  );
  t.same(
    lines.filter((l) => l.startsWith('windows')).map((l) => l.split(/\s{2,}/)),
    [
      ['windows-amd64', 'windows/amd64', 'msvcrt', 'wine on this CPU (not default)'],
      ['windows-386', 'windows/386 GO386=sse2', 'msvcrt', 'wine on this CPU (not default)'],
      ['windows-arm64', 'windows/arm64', 'msvcrt', 'n/a (not default)'],
    ],
    'the Windows rows: GOOS shown, Wine on this CPU, arm64 n/a',
  );
});

/**
 * A rows file comes from a pull request: every field a hostile row could turn
 * into shell, Dockerfile or terminal text is refused at load, one line naming
 * the file, the row and the field, with the fix.
 */
t.test("a row's cflags pass the cases' flag policy: no flag that names a program, a plugin or a spec file", async (t) => {
  const row = { name: 'x-musl', goarch: 'arm64', libc: 'musl', cc: 'aarch64-linux-musl-gcc', run: [], timeoutScale: 1, cpu: 'native' };
  const problems = (cflags: string[]) => {
    try {
      parsePlatformRows('rows.json', JSON.stringify([{ ...row, cflags }]), validateRow);
      return [];
    } catch (e) {
      t.type(e, UsageError);
      return (e as Error).message.split('\n');
    }
  };
  t.same(problems(['-mno-outline-atomics', '-march=armv8-a', '-O2']), [], 'what the built-in rows use is allowed');
  for (const [i, flag] of [
    '-wrapper',
    '-fplugin=/tmp/x.so',
    '-specs=/tmp/evil.specs',
    '-B/tmp/bin',
    '-Wl,--wrap=main',
    '-Wp,-MD,/tmp/x',
  ].entries()) {
    const lines = problems(['-O2', flag]);
    t.equal(lines.length, 1, `${flag}: one line`);
    t.match(
      lines[0],
      new RegExp(
        `^rows\\.json: /0/cflags/1: flag ${JSON.stringify(flag).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not allowed: .* \\(policy: cases/flag-policy\\.json\\)$`,
      ),
      `${flag} (${i}): names the file, row, field, flag and the policy`,
    );
  }
  for (const p of PLATFORMS)
    t.same(
      validateRow(p).filter((l) => l.startsWith('/cflags')),
      [],
      `${p.name}: the built-in row's cflags pass`,
    );
});

t.test('the row schema refuses what a hostile rows file tries', async (t) => {
  const row = {
    name: 'x-glibc',
    goarch: 'arm',
    goarm: '7',
    libc: 'glibc',
    cc: 'arm-linux-gnueabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7'],
    timeoutScale: 4,
    cpu: 'cortex-a7',
    noCanary: 'none',
  };
  const lines = (over: Record<string, unknown>): string[] => {
    try {
      parsePlatformRows('rows.json', JSON.stringify([row, { ...row, name: 'y-glibc', ...over }]), validateRow);
    } catch (e) {
      t.type(e, UsageError);
      return (e as Error).message.split('\n');
    }
    return [];
  };
  const COMMAND =
    'must be a command name (letters, digits, "_", ".", "+", "-") or an absolute path made of them: a row\'s command is one argv word, never shell text';
  const PLAIN = 'must be text without control characters (newline, carriage return, escape and the like)';
  const PKG =
    'must be a Debian package name (policy 5.6.1: lower-case letters, digits, "+", "-" and ".", starting with a letter or digit), optionally with ":<arch>" (musl:arm64)';
  const vectors: [string, Record<string, unknown>, string][] = [
    ['cc runs a command substitution', { cc: 'gcc$(id > /cache/x)' }, `/1/cc: ${COMMAND}`],
    ['cc with a space (CC is split by go build)', { cc: 'gcc -wrapper=/tmp/x' }, `/1/cc: ${COMMAND}`],
    ['cc a relative path', { cc: '../../bin/sh' }, `/1/cc: ${COMMAND}`],
    ['cc an option', { cc: '-fplugin=x' }, `/1/cc: ${COMMAND}`],
    ['a newline in a runner argument', { run: ['qemu-arm', '-cpu', 'cortex-a7\nstatus-logger=/bin/sh -c id'] }, `/1/run/2: ${PLAIN}`],
    ['a newline in the runner itself', { run: ['qemu-arm\nstatus-logger=x'] }, `/1/run/0: ${COMMAND}`],
    ['the runner a shell word', { run: ['$(id)', 'x'] }, `/1/run/0: ${COMMAND}`],
    ['ESC in a runner argument', { run: ['qemu-arm', '\u001b]52;c;aGk=\u0007'] }, `/1/run/1: ${PLAIN}`],
    ['CR in a runner argument', { run: ['qemu-arm', 'x\r::error::forged'] }, `/1/run/1: ${PLAIN}`],
    ['a C1 control in a runner argument', { run: ['qemu-arm', 'x\u009b2J'] }, `/1/run/1: ${PLAIN}`],
    ['a package with a space', { packages: ['gcc make'] }, `/1/packages/0: ${PKG}`],
    ['a package with a newline', { packages: ['gcc\nstatus-logger=x'] }, `/1/packages/0: ${PKG}`],
    ['a package that is an apt option', { packages: ['--allow-unauthenticated'] }, `/1/packages/0: ${PKG}`],
    ['a package with an -o', { packages: ['-oAPT::Get::AllowUnauthenticated=1'] }, `/1/packages/0: ${PKG}`],
    ['a package with upper case', { packages: ['GCC'] }, `/1/packages/0: ${PKG}`],
    ['a package with a bad arch', { packages: ['musl:$(id)'] }, `/1/packages/0: ${PKG}`],
    ['dpkgArch an option', { dpkgArch: '--force-all' }, '/1/dpkgArch: must be a Debian architecture name such as "arm64" or "ppc64el"'],
    ['debArch with a newline', { debArch: 'arm64\nx' }, '/1/debArch: must be a Debian architecture name such as "arm64" or "ppc64el"'],
    ['debSuite an option', { debSuite: '-x' }, '/1/debSuite: must be a Debian suite name such as "trixie" or "sid"'],
    [
      'a name with a slash',
      { name: '../x' },
      '/1/name: must be a plain name: a lower-case letter or digit, then lower-case letters, digits, "_", "." or "-" (at most 64)',
    ],
    [
      'goarch with a space',
      { goarch: 'arm GOFLAGS=-x' },
      '/1/goarch: must be a GOARCH value such as "arm64" (lower-case letters and digits)',
    ],
    [
      'cpu with a newline',
      { cpu: 'a7\n' },
      '/1/cpu: must be a CPU model as qemu names it (letters, digits and "_.,=+-", such as "cortex-a53" or "rv64,zba=false")',
    ],
    [
      'a cflag with a space',
      { cflags: ['-O2 -fplugin=x'] },
      '/1/cflags/0: a flag starts with "-" and is one word of letters, digits and "_=.,+/:-" (no space, no shell metacharacter)',
    ],
    [
      'a cflag with a command substitution',
      { cflags: ['-O2$(id>/x)'] },
      '/1/cflags/0: a flag starts with "-" and is one word of letters, digits and "_=.,+/:-" (no space, no shell metacharacter)',
    ],
    [
      'a cflag with a backquote',
      { cflags: ['-D`id`'] },
      '/1/cflags/0: a flag starts with "-" and is one word of letters, digits and "_=.,+/:-" (no space, no shell metacharacter)',
    ],
    ['python a shell word', { python: ['python3;id'] }, `/1/python/0: ${COMMAND}`],
    ['java with a control character', { java: ['/usr/bin/java', '-Dx=\u0000'] }, `/1/java/1: ${PLAIN}`],
    ['a canary level with ESC', { noCanary: undefined, canary: { level: '\u001b[2J', asm: 'nop' } }, `/1/canary/level: ${PLAIN}`],
    [
      'a canary asm with CR',
      { noCanary: undefined, canary: { level: 'v8', asm: 'nop\r' } },
      '/1/canary/asm: must be assembler text: newlines and tabs, no other control character',
    ],
    ['noCanary with a newline', { noCanary: 'x\n::warning::y' }, `/1/noCanary: ${PLAIN}`],
    ['noGccgo with BEL', { noGccgo: 'x\u0007' }, `/1/noGccgo: ${PLAIN}`],
  ];
  for (const [what, over, line] of vectors) t.same(lines(over), [`rows.json: ${line}`], what);
  const GOENV =
    "holds only Go's CPU-level variables: GOAMD64, GO386, GOARM64, GORISCV64, GOPPC64, GOMIPS, GOMIPS64 (GOFLAGS, GOTOOLCHAIN, GOPROXY and the like are the harness's)";
  for (const key of ['GOFLAGS', 'GOTOOLCHAIN', 'GOPROXY', 'GOCACHE', 'CC', 'GOARM', 'GOEXPERIMENT'])
    t.same(lines({ goenv: { [key]: 'x' } }), [`rows.json: /1/goenv: "${key}" is not allowed: goenv ${GOENV}`], `goenv ${key}`);
  t.same(
    lines({ goenv: { GOFLAGS: '-toolexec=/bin/sh' } }),
    [`rows.json: /1/goenv: "GOFLAGS" is not allowed: goenv ${GOENV}`],
    'a refused key is one line, not one more for its value',
  );
  t.same(lines({ goenv: { GOAMD64: 'v3 -toolexec=x' } }), [
    'rows.json: /1/goenv/GOAMD64: must be a value such as "v3" or "sse2" (lower-case letters, digits, "." and ",")',
  ]);
  t.same(
    lines({
      goenv: { GOAMD64: 'v3' },
      run: ['/bin/sh', '-c', 'exec "$@"', 'sh'],
      cc: '/usr/bin/gcc',
      packages: ['musl-dev:arm64', 'g++-14'],
    }),
    [],
    'CPU-level goenv, a shell runner, an absolute cc, qualified packages: allowed',
  );
  t.same(
    lines({ goenv: { 'GO\n::error::forged': 'x' } }),
    [`rows.json: /1/goenv: "GO\\n::error::forged" is not allowed: goenv ${GOENV}`],
    'a made-up key is shown escaped',
  );
  t.same(
    lines({ '\u001b]52;c;aGk=\u0007': 1 }),
    ['rows.json: /1: unknown field "\\u001b]52;c;aGk=\\u0007"'],
    "an unknown field's name is shown escaped",
  );
  t.same(
    lines({ cc: 'gcc$(id)', packages: ['a b'] }),
    [`rows.json: /1/cc: ${COMMAND}`, `rows.json: /1/packages/0: ${PKG}`],
    'every problem, one line each',
  );
});

t.test("the built-in table passes the row schema its users' rows must pass", async (t) => {
  for (const { expect: _rules, ...p } of PLATFORMS) t.same(validateRow(p), [], p.name);
});
