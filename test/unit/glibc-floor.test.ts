import t from 'tap';
import { compareVersions, DISTROS, manylinuxTag, reachOf } from '../../harness/core/distros.js';
import {
  beyondLimit,
  floorLine,
  glibcFloor,
  glibcVersionOf,
  type ImportedSymbol,
  muslLine,
  muslMissing,
  needsAbove,
} from '../../harness/core/glibc-floor.js';

// What a trixie-built Go c-shared library binds (amd64, cases/link; issue 26's table).
const GO_LIB: ImportedSymbol[] = [
  { name: 'free', version: 'GLIBC_2.2.5' },
  { name: 'pthread_cond_wait', version: 'GLIBC_2.3.2' },
  { name: 'pthread_sigmask', version: 'GLIBC_2.32' },
  { name: 'pthread_getattr_np', version: 'GLIBC_2.32' },
  { name: 'pthread_create', version: 'GLIBC_2.34' },
  { name: 'pthread_key_create', version: 'GLIBC_2.34' },
  { name: 'pthread_setspecific', version: 'GLIBC_2.34' },
  { name: 'pthread_attr_getstack', version: 'GLIBC_2.34' },
  { name: 'pthread_attr_getstacksize', version: 'GLIBC_2.34' },
  { name: 'pthread_attr_getstack', version: 'GLIBC_2.34' },
  { name: '__gmon_start__', weak: true },
];

t.test('versions compare number by number', async (t) => {
  t.ok(compareVersions('2.3.2', '2.17') < 0, '2.3.2 < 2.17');
  t.ok(compareVersions('2.17', '2.34') < 0, '2.17 < 2.34');
  t.ok(compareVersions('2.34', '2.4') > 0, '2.34 > 2.4');
  t.equal(compareVersions('2.34', '2.34.0'), 0);
  t.ok(compareVersions('2.2.5', '2.2') > 0);
});

t.test('the distribution table: figures and lookups', async (t) => {
  const glibcOf = (family: string, release: string): string | undefined =>
    DISTROS.find((d) => d.family === family && d.release === release)?.glibc;
  t.same(
    ['10', '11', '12', '13'].map((r) => glibcOf('Debian', r)),
    ['2.28', '2.31', '2.36', '2.41'],
  );
  t.same(
    ['18.04', '20.04', '22.04', '24.04'].map((r) => glibcOf('Ubuntu', r)),
    ['2.27', '2.31', '2.35', '2.39'],
  );
  t.same(
    ['8', '9', '10'].map((r) => glibcOf('RHEL', r)),
    ['2.28', '2.34', '2.39'],
  );
  t.same(
    ['2', '2023'].map((r) => glibcOf('Amazon Linux', r)),
    ['2.26', '2.34'],
  );
  t.same(reachOf('2.34'), {
    loads: ['Debian 12+', 'Ubuntu 22.04+', 'RHEL 9+', 'Amazon Linux 2023+'],
    not: ['Debian 11', 'Ubuntu 20.04', 'RHEL 8', 'Amazon Linux 2'],
  });
  t.same(reachOf('2.17'), { loads: ['Debian 10+', 'Ubuntu 18.04+', 'RHEL 8+', 'Amazon Linux 2+'], not: [] });
  t.same(reachOf('2.42'), { loads: [], not: ['Debian 13', 'Ubuntu 24.04', 'RHEL 10', 'Amazon Linux 2023'] });
  t.same(reachOf('2.36').loads, ['Debian 12+', 'Ubuntu 24.04+', 'RHEL 10+'], '2.35 (Ubuntu 22.04) is below 2.36');
});

t.test('manylinux tags follow PEP 600', async (t) => {
  t.equal(manylinuxTag('2.34', 'x86-64'), 'manylinux_2_34_x86_64');
  t.equal(manylinuxTag('2.17', 'aarch64'), 'manylinux_2_17_aarch64');
  t.equal(manylinuxTag('2.4', 'arm'), 'manylinux_2_4_armv7l');
  t.equal(manylinuxTag('2.3.2', 'x86-64'), 'manylinux_2_3_x86_64', 'only major and minor');
  t.equal(manylinuxTag('2.34', 'loong64'), 'manylinux_2_34_loongarch64');
  t.equal(manylinuxTag('2.34'), 'manylinux_2_34', 'no architecture: no suffix');
});

t.test('the floor: the newest GLIBC version and the symbols that force it', async (t) => {
  const floor = glibcFloor({ imports: GO_LIB });
  t.equal(floor.glibc, '2.34');
  t.same(
    floor.needs.map((n) => n.version),
    ['2.34', '2.32', '2.3.2', '2.2.5'],
    'newest first, numerically',
  );
  t.same(floor.needs[0]?.symbols, [
    'pthread_attr_getstack',
    'pthread_attr_getstacksize',
    'pthread_create',
    'pthread_key_create',
    'pthread_setspecific',
  ]);
  t.same(floor.other, []);
  t.same(
    needsAbove(floor, '2.31').map((n) => n.version),
    ['2.34', '2.32'],
  );
  t.same(needsAbove(floor, '2.34'), []);
});

t.test('GLIBC_PRIVATE, GCC_*, GLIBCXX_* are not the glibc floor; required names without symbols still count', async (t) => {
  const floor = glibcFloor({
    imports: [
      { name: 'memcpy', version: 'GLIBC_2.14' },
      { name: '_Unwind_Resume', version: 'GCC_3.0' },
      { name: '_ZSt4cout', version: 'GLIBCXX_3.4' },
      { name: '_dl_x', version: 'GLIBC_PRIVATE' },
    ],
    required: ['GLIBC_2.2.5', 'GLIBC_2.14', 'GLIBC_ABI_DT_RELR', 'GCC_3.0', 'GLIBCXX_3.4', 'GLIBC_PRIVATE'],
  });
  t.equal(floor.glibc, '2.36', 'GLIBC_ABI_DT_RELR needs glibc 2.36');
  t.same(floor.needs[0], { version: '2.36', symbols: [] });
  t.same(
    floor.other.map((o) => o.version),
    ['GCC_3.0', 'GLIBCXX_3.4', 'GLIBC_PRIVATE'],
  );
  t.equal(glibcVersionOf('GLIBC_2.3.2'), '2.3.2');
  t.equal(glibcVersionOf('GLIBC_PRIVATE'), undefined);
  t.equal(glibcVersionOf('GLIBCXX_3.4.30'), undefined);
  t.match(
    floorLine(floor, 'x86-64'),
    /^needs glibc ≥ 2\.36 \(GLIBC_2\.36\): .*; also needs GCC_3\.0 \(_Unwind_Resume\), GLIBCXX_3\.4 \(_ZSt4cout\), GLIBC_PRIVATE \(_dl_x\)$/,
  );
});

t.test('the floor line', async (t) => {
  t.equal(
    floorLine(glibcFloor({ imports: GO_LIB }), 'x86-64'),
    'needs glibc ≥ 2.34 (pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific from GLIBC_2.34): ' +
      'loads on Debian 12+, Ubuntu 22.04+, RHEL 9+, Amazon Linux 2023+; not on Debian 11, Ubuntu 20.04, RHEL 8, Amazon Linux 2; manylinux_2_34_x86_64',
  );
  const many = glibcFloor({ imports: ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, version: 'GLIBC_2.17' })) });
  t.equal(
    floorLine(many, 'aarch64'),
    'needs glibc ≥ 2.17 (a, b, c, d, e, … from GLIBC_2.17): loads on Debian 10+, Ubuntu 18.04+, RHEL 8+, Amazon Linux 2+; manylinux_2_17_aarch64',
  );
  t.equal(floorLine(glibcFloor({ imports: [{ name: 'x' }] })), 'needs no versioned glibc symbol: loads on any glibc');
  t.equal(
    floorLine(glibcFloor({ imports: [{ name: 'x', version: 'GLIBC_2.99' }] }), 'x86-64'),
    'needs glibc ≥ 2.99 (x from GLIBC_2.99): loads on none of the distributions known; not on Debian 13, Ubuntu 24.04, RHEL 10, Amazon Linux 2023; manylinux_2_99_x86_64',
  );
});

t.test('beyond a limit: one line naming the symbols per version above it', async (t) => {
  const floor = glibcFloor({ imports: GO_LIB });
  t.equal(
    beyondLimit(floor, '2.31'),
    'needs glibc 2.34 > 2.31: pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific (GLIBC_2.34); ' +
      'pthread_getattr_np, pthread_sigmask (GLIBC_2.32)',
  );
  const six = glibcFloor({ imports: ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, version: 'GLIBC_2.34' })) });
  t.equal(beyondLimit(six, '2.17'), 'needs glibc 2.34 > 2.17: a, b, c, d, e, f (GLIBC_2.34)', 'every symbol: the list to act on');
  t.equal(beyondLimit(floor, '2.34'), undefined);
  t.equal(beyondLimit(floor, '2.41'), undefined);
  t.equal(beyondLimit(glibcFloor({ imports: [] }), '2.17'), undefined);
});

t.test('musl: the strong undefined symbols its libc.so does not define', async (t) => {
  const imports: ImportedSymbol[] = [
    { name: 'malloc' },
    { name: '__nanosleep64' },
    { name: 'pthread_getattr_np' },
    { name: '__gmon_start__', weak: true },
    { name: 'malloc' },
  ];
  const missing = muslMissing(imports, new Set(['malloc', 'pthread_getattr_np']));
  t.same(missing, ['__nanosleep64']);
  t.equal(muslLine(missing, "musl 1.2.5's libc.so"), "musl 1.2.5's libc.so does not define 1 symbol it needs: __nanosleep64");
  t.equal(muslLine([]), "musl's libc.so defines every symbol it needs");
});
