import t from 'tap';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import { cellId, expandMatrix, newestGo, pick, pickGo, splitList } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { GoToolchain } from '../../harness/core/types.js';
import { fakeCase, platform } from '../support/helpers.js';

const GOS: GoToolchain[] = [
  { version: '1.19', suite: 'bookworm' },
  { version: '1.24', suite: 'trixie' },
  { version: '1.27', suite: 'trixie-backports' },
  { version: '1.9', suite: 'ancient' },
];
const names = (ps: readonly { name: string }[]) => ps.map((p) => p.name);

t.test('splitList', async (t) => {
  t.same(splitList(undefined), []);
  t.same(splitList(''), []);
  t.same(splitList('a'), ['a']);
  t.same(splitList('a,b'), ['a', 'b']);
  t.same(splitList(['a,b', 'c']), ['a', 'b', 'c']);
  t.same(splitList([' a , b ', ',,', 'c,']), ['a', 'b', 'c'], 'spaces trimmed, empty items dropped');
  t.same(splitList(['b', 'a', 'b']), ['b', 'a', 'b'], 'order and repeats kept');
});

// The first six rows (amd64, ARMv7 and ARMv5, each with glibc and musl): pick's rules, not the table's size.
const SIX = PLATFORMS.slice(0, 6);

t.test('pick', async (t) => {
  t.same(names(pick('platform', SIX, (p) => p.name, [])), names(SIX), 'nothing wanted → everything');
  t.not(
    pick('platform', SIX, (p) => p.name, []),
    SIX,
    'a copy, not the table',
  );
  t.same(
    names(pick('platform', SIX, (p) => p.name, ['arm5-musl', 'amd64-glibc'])),
    ['amd64-glibc', 'arm5-musl'],
    'table order, not argument order',
  );
  t.same(names(pick('platform', SIX, (p) => p.name, ['amd64-musl', 'amd64-musl'])), ['amd64-musl'], 'a repeat picks once');

  let err: unknown;
  try {
    pick('platform', SIX, (p) => p.name, ['amd64-glibc', 'riscv', 'arm6-musl']);
  } catch (e) {
    err = e;
  }
  t.type(err, UsageError);
  t.equal((err as UsageError).exitCode, EXIT.usage);
  t.equal(
    (err as UsageError).message,
    'unknown platform "riscv", "arm6-musl"; known: amd64-glibc, amd64-musl, arm7-glibc, arm5-glibc, arm7-musl, arm5-musl',
  );
});

t.test('pick with globs', async (t) => {
  const pickP = (...w: string[]) => names(pick('platform', SIX, (p) => p.name, w));
  t.same(pickP('arm*'), ['arm7-glibc', 'arm5-glibc', 'arm7-musl', 'arm5-musl'], 'a prefix');
  t.same(pickP('*-musl'), ['amd64-musl', 'arm7-musl', 'arm5-musl'], 'a suffix');
  t.same(pickP('arm?-glibc', 'amd64-musl'), ['amd64-musl', 'arm7-glibc', 'arm5-glibc'], 'globs and names together, table order');
  t.same(pickP('{amd64,arm5}-glibc'), ['amd64-glibc', 'arm5-glibc'], 'braces');
  t.same(splitList('{amd64,arm5}-glibc,*-musl'), ['{amd64,arm5}-glibc', '*-musl'], 'a comma inside braces belongs to the glob');
  t.same(pickP(...splitList('{amd64,arm5}-glibc,arm7-musl')), ['amd64-glibc', 'arm5-glibc', 'arm7-musl'], 'as the CLI passes it');
  t.same(pickP('*', 'amd64-glibc'), names(SIX), 'overlaps pick once');
  t.throws(() => pickP('riscv*'), {
    name: 'UsageError',
    message: 'no platform matches "riscv*"; known: amd64-glibc, amd64-musl, arm7-glibc, arm5-glibc, arm7-musl, arm5-musl',
  });
  t.throws(
    () => pickP('riscv*', 'mips'),
    { name: 'UsageError', message: /^unknown platform "mips"; no platform matches "riscv\*"; known: / },
    'each problem named',
  );
  t.same(pickGo([{ version: '1.26' }, { version: '1.27' }] as never, ['1.2*']).length, 2, 'Go versions take globs too');
});

t.test('newestGo / pickGo', async (t) => {
  t.same(newestGo(GOS), { version: '1.27', suite: 'trixie-backports' }, 'semver order: 1.27 > 1.9');
  t.throws(() => newestGo([]), new UsageError('images/go/versions.json lists no Go version'));
  t.same(pickGo(GOS, []), [{ version: '1.27', suite: 'trixie-backports' }], 'default: the newest only');
  t.same(pickGo(GOS, ['all']), GOS, 'all: every row, table order');
  t.same(pickGo(GOS, ['1.24', 'all']), GOS, '"all" wins over a list');
  t.same(pickGo(GOS, ['go1.24']), [GOS[1]], 'a go prefix is accepted');
  t.same(pickGo(GOS, ['1.27', 'go1.19']), [GOS[0], GOS[2]], 'table order');
  t.throws(() => pickGo(GOS, ['1.99']), new UsageError('unknown Go version "1.99"; known: 1.19, 1.24, 1.27, 1.9'));
  t.throws(
    () => pickGo(GOS, ['1.24.3']),
    { name: 'UsageError', exitCode: 2, message: /unknown Go version "1\.24\.3"/ },
    'a patch version is not a series',
  );
});

t.test('cellId', async (t) => {
  t.equal(cellId('tls', 'arm5-musl', '1.27'), 'tls/arm5-musl/go1.27');
});

t.test('expandMatrix', async (t) => {
  const cases = [fakeCase('link'), fakeCase('dlopen')];
  const gos = [GOS[1]!, GOS[2]!];
  const cells = expandMatrix(cases, SIX, gos);
  t.equal(cells.length, 2 * 6 * 2);
  const ids: string[] = [];
  for (const g of ['1.24', '1.27']) for (const c of ['link', 'dlopen']) for (const p of names(SIX)) ids.push(`${c}/${p}/go${g}`);
  t.same(
    cells.map((c) => c.id),
    ids,
    'Go, then case (as given), then platform (table order)',
  );
  t.same(cells[0], { id: 'link/amd64-glibc/go1.24', caseName: 'link', platform: platform('amd64-glibc'), go: GOS[1] });
  t.equal(cells[23]!.id, 'dlopen/arm5-musl/go1.27');
  t.equal(cells[23]!.platform, SIX[5], 'the platform row itself');
  t.equal(new Set(cells.map((c) => c.id)).size, cells.length, 'ids are unique');
  t.same(expandMatrix([], PLATFORMS, gos), []);
  t.same(
    expandMatrix(cases, [platform('arm7-musl')], [GOS[2]!]).map((c) => c.id),
    ['link/arm7-musl/go1.27', 'dlopen/arm7-musl/go1.27'],
  );
});
