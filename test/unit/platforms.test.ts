import t from 'tap';
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAgainst } from '../../harness/core/cases.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { describePlatforms, isEmulated, parsePlatformRows, PLATFORMS } from '../../harness/core/platforms.js';

t.test('the table', async (t) => {
  t.same(
    PLATFORMS.map((p) => p.name),
    ['amd64-glibc', 'amd64-musl', 'arm7-glibc', 'arm5-glibc', 'arm7-musl', 'arm5-musl'],
  );
  t.equal(new Set(PLATFORMS.map((p) => p.name)).size, PLATFORMS.length, 'names are unique');
  t.equal(new Set(PLATFORMS.map((p) => p.cc)).size, PLATFORMS.length, 'each row has its own compiler');
  for (const p of PLATFORMS) {
    t.equal(p.name, `${p.goarch === 'arm' ? `arm${p.goarm}` : p.goarch}-${p.libc}`, `${p.name}: the name says its axes`);
    t.ok(p.timeoutScale >= 1, `${p.name}: timeoutScale`);
  }
});

t.test('native rows: no runner, native cpu, no GOARM', async (t) => {
  for (const p of PLATFORMS.filter((p) => p.goarch === 'amd64')) {
    t.same(p.run, [], p.name);
    t.equal(p.cpu, 'native');
    t.equal(p.goarm, undefined);
    t.equal(p.timeoutScale, 1);
    t.equal(isEmulated(p), false);
  }
});

t.test('ARM rows run under qemu-arm on a CPU of their own architecture version', async (t) => {
  const arm = PLATFORMS.filter((p) => p.goarch === 'arm');
  t.equal(arm.length, 4);
  for (const p of arm) {
    t.equal(isEmulated(p), true, `${p.name} is emulated`);
    t.equal(p.run[0], 'qemu-arm');
    const cpu = p.run[p.run.indexOf('-cpu') + 1];
    t.equal(cpu, p.cpu, `${p.name}: the recorded cpu is the one qemu is given`);
    // A v7 model would silently accept v7-only instructions in GOARM=5 code.
    if (p.goarm === '5') t.equal(cpu, 'arm926', `${p.name}: arm926`);
    else if (p.goarm === '7') t.equal(cpu, 'cortex-a7', `${p.name}: cortex-a7`);
    else t.fail(`${p.name}: unexpected GOARM ${p.goarm}`);
    t.equal(p.timeoutScale, 4);
  }
});

t.test('glibc ARM rows pass -L sysroots; musl rows do not', async (t) => {
  t.same(platformRun('arm7-glibc'), ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabihf']);
  t.same(platformRun('arm5-glibc'), ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi']);
  t.same(platformRun('arm7-musl'), ['qemu-arm', '-cpu', 'cortex-a7']);
  t.same(platformRun('arm5-musl'), ['qemu-arm', '-cpu', 'arm926']);
  for (const p of PLATFORMS.filter((p) => p.goarch === 'arm')) {
    const sysroot = p.run.includes('-L') ? p.run[p.run.indexOf('-L') + 1] : undefined;
    if (p.libc === 'glibc') t.equal(sysroot, `/usr/${p.cc.replace(/-gcc$/, '')}`, `${p.name}: the cross compiler's sysroot`);
    else t.equal(sysroot, undefined, `${p.name}: no -L`);
  }
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
  };
  const parse = (data: unknown) => parsePlatformRows('extra.json', typeof data === 'string' ? data : JSON.stringify(data), validateAgainst);
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
    t.same(parsePlatformRows(fixture, readFileSync(fixture, 'utf8'), validateAgainst), [row], 'the integration fixture');
  });

  t.test('bad files', async (t) => {
    t.match(problem(t, '[{'), /^extra\.json: not valid JSON: \S/);
    t.equal(problem(t, { rows: [row] }), 'extra.json: /: must be an array of platform rows');
    t.equal(problem(t, [{ ...row, name: 'amd64-glibc' }]), 'extra.json: /0/name: platform "amd64-glibc" already exists');
    t.equal(problem(t, [row, { ...row }]), 'extra.json: /1/name: platform "arm7-on-arm926" already exists');
    t.equal(problem(t, [{ ...row, goarm: '8' }]), 'extra.json: /0/goarm: must match pattern "^[5-7]$"');
    t.equal(problem(t, [{ ...row, libc: 'uclibc' }]), 'extra.json: /0/libc: must be one of ["glibc","musl"]');
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

  t.test('a null row is a usage error, not a crash', async (t) => {
    t.match(problem(t, [null]), /^extra\.json: \/0: must be object$/);
  });
});

t.test('describePlatforms: one aligned line per row, with its CPU model', async (t) => {
  const lines = describePlatforms(PLATFORMS, '').split('\n');
  t.equal(lines.length, PLATFORMS.length);
  t.same(lines[0]!.split(/\s{2,}/), ['amd64-glibc', 'amd64', 'glibc', 'native']);
  t.same(lines.find((l) => l.startsWith('arm5-musl'))!.split(/\s{2,}/), ['arm5-musl', 'arm GOARM=5', 'musl', 'qemu-arm -cpu arm926'], 'the v5 row names the v5 CPU model');
  t.equal(new Set(lines.map((l) => l.indexOf(' -cpu ') >= 0 ? l.indexOf('qemu') : l.indexOf('native'))).size, 1, 'the last column is aligned');
});
