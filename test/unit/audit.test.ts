import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main as auditMain } from '../../harness/cli/commands/audit.js';
import type { FileAudit } from '../../harness/core/audit.js';
import { tempDir } from '../support/helpers.js';
import { runCommand } from '../support/run-command.js';

// Real binaries: test/fixtures/elf/src/build-floor.sh (go1.27.4, gcc 14, glibc 2.41).
const BIN = join(import.meta.dirname, '..', 'fixtures', 'elf', 'bin');
const bin = (name: string): string => join(BIN, `${name}.so`);
const audit = (...argv: string[]) => runCommand(auditMain, argv);

const GO_2_34 =
  'needs glibc ≥ 2.34 (pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific from GLIBC_2.34): ' +
  'loads on Debian 12+, Ubuntu 22.04+, RHEL 9+, Amazon Linux 2023+; not on Debian 11, Ubuntu 20.04, RHEL 8, Amazon Linux 2; manylinux_2_34_x86_64';

t.test('a Go library: its heading, floor line and every version it needs (exit 0)', async (t) => {
  const r = await audit(bin('amd64-go'));
  t.equal(r.status, 0);
  t.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  t.equal(lines[0], `${bin('amd64-go')} (x86-64, 64-bit little-endian, DYN; NEEDED libc.so.6)`);
  t.equal(lines[1], `  ${GO_2_34}`);
  t.equal(
    lines[2],
    '    GLIBC_2.34: pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific',
  );
  t.equal(lines[3], '    GLIBC_2.32: pthread_getattr_np, pthread_sigmask');
  t.match(lines[4], /^ {4}GLIBC_2\.3\.2: pthread_cond_broadcast, pthread_cond_wait$/);
  t.match(lines[5], /^ {4}GLIBC_2\.2\.5: .*\bfree\b/);
  t.equal(lines[6], '');
});

t.test('--glibc-floor: exit 1 and one line per file that needs more, naming the symbols', async (t) => {
  const files = [bin('arm64-floor'), bin('armhf-floor'), bin('ppc64-floor'), bin('arm64-musl-floor')];
  const over = await audit('--glibc-floor', '2.31', ...files);
  t.equal(over.status, 1);
  const tail = over.stdout.slice(over.stdout.indexOf('\nover the floor 2.31:\n'));
  t.equal(
    tail,
    [
      '',
      'over the floor 2.31:',
      ...files.slice(0, 3).map((f) => `  ${f}: needs glibc 2.34 > 2.31: pthread_create, pthread_join, pthread_key_create (GLIBC_2.34)`),
      '',
    ].join('\n'),
    'the musl file has no glibc floor to exceed',
  );
  t.match(over.stdout, `${bin('ppc64-floor')} (ppc64, 64-bit big-endian, DYN; NEEDED libc.so.6)`);
  t.match(over.stdout, '; manylinux_2_34_armv7l\n');
  t.match(over.stdout, `${bin('arm64-musl-floor')} (aarch64, 64-bit little-endian, DYN; NEEDED libc.so)\n  linked against musl's libc.so`);
  const within = await audit('--glibc-floor', '2.34', ...files);
  t.equal(within.status, 0, 'exactly at the floor is within it');
  t.notMatch(within.stdout, 'over the floor');
  const loong = await audit('--glibc-floor=2.34', bin('loong64-floor'));
  t.equal(loong.status, 1, "loong64's glibc starts at 2.36");
  t.match(loong.stdout, 'needs glibc 2.36 > 2.34: __cxa_finalize, pthread_create, pthread_join, pthread_key_create (GLIBC_2.36)');
});

t.test('--json: the reports as data', async (t) => {
  const r = await audit('--json', '--glibc-floor', '2.17', bin('amd64-go'), bin('s390x-floor'));
  t.equal(r.status, 1);
  const reports = JSON.parse(r.stdout) as FileAudit[];
  t.same(
    reports.map((a) => [a.arch, a.endian, a.libc, a.floor.glibc, a.over !== undefined]),
    [
      ['x86-64', 'little', 'glibc', '2.34', true],
      ['s390x', 'big', 'glibc', '2.34', true],
    ],
  );
  t.equal(reports[0]?.line, GO_2_34);
});

t.test('bad input: one line each, exit 2; the readable files are still reported', async (t) => {
  const dir = tempDir(t);
  const text = join(dir, 'x.go');
  writeFileSync(text, 'package main\n');
  const r = await audit(text, join(dir, 'missing.so'), dir, bin('amd64-floor'));
  t.equal(r.status, 2);
  t.equal(
    r.stderr,
    [
      `cshared-matrix audit: ${text}: not an ELF file (no \\x7fELF magic)`,
      `cshared-matrix audit: ${join(dir, 'missing.so')}: cannot read it: no such file`,
      `cshared-matrix audit: ${dir}: cannot read it: not a regular file`,
      '',
    ].join('\n'),
  );
  t.match(r.stdout, /^\S+amd64-floor\.so \(x86-64, /);
  const none = await audit();
  t.equal(none.status, 2);
  t.match(none.stderr, 'audit: name at least one ELF file (a .so or an executable); see --help');
  const badFloor = await audit('--glibc-floor', 'bookworm', bin('amd64-floor'));
  t.equal(badFloor.status, 2);
  t.match(badFloor.stderr, 'audit: --glibc-floor "bookworm" is not a glibc version: give one like 2.31');
  const help = await audit('--help');
  t.equal(help.status, 0);
  t.match(help.stdout, /^usage: cshared-matrix audit \[--glibc-floor X\.Y\] \[--musl-libc LIBC\.so\] \[--json\] FILE\.so…/);
});

t.test('--musl-libc: what a musl file needs that the given libc.so does not define', async (t) => {
  // A libc.so that defines pthread_create and pthread_join, not pthread_key_create (src/fake-libc.c).
  const libc = join(BIN, 'arm64-fake-musl-libc.so.bin');
  const r = await audit('--musl-libc', libc, bin('arm64-musl-floor'), bin('arm64-floor'));
  t.equal(r.status, 1);
  const line = `${libc} does not define 1 symbol it needs: pthread_key_create`;
  t.match(
    r.stdout,
    `NEEDED libc.so)\n  linked against musl's libc.so: musl has no symbol versions, so no glibc floor (it does not load on glibc without a musl loader)\n  ${line}\n`,
  );
  t.ok(r.stdout.endsWith(`\nneeding what ${libc} lacks:\n  ${bin('arm64-musl-floor')}: ${line}\n`), 'only the musl file is held to it');
  const both = await audit('--musl-libc', libc, '--glibc-floor', '2.34', bin('arm64-musl-floor'));
  t.match(both.stdout, `\nover the floor 2.34, or needing what ${libc} lacks:\n`);
  // The musl file itself defines `start`: given as the libc, it lacks all three.
  const own = await audit('--json', '--musl-libc', bin('arm64-musl-floor'), bin('arm64-musl-floor'));
  t.same((JSON.parse(own.stdout) as FileAudit[])[0]?.musl?.missing, ['pthread_create', 'pthread_join', 'pthread_key_create']);
  const bad = await audit('--musl-libc', join(BIN, 'amd64-go.txt'), bin('arm64-musl-floor'));
  t.equal(bad.status, 2);
  t.match(bad.stderr, `audit: --musl-libc ${join(BIN, 'amd64-go.txt')}: not an ELF file (no \\x7fELF magic)`);
});
