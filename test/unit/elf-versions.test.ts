import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseReadelf } from '../../harness/core/elf.js';
import { ElfFormatError, readElfVersions } from '../../harness/core/elf-versions.js';
import { floorLine, glibcFloor } from '../../harness/core/glibc-floor.js';

// Real binaries and GNU readelf's text of each (ELF_COMMAND): test/fixtures/elf/src/build-floor.sh.
const BIN = join(import.meta.dirname, '..', 'fixtures', 'elf', 'bin');
const bytes = (name: string): Uint8Array => readFileSync(join(BIN, `${name}.so`));
const readelf = (name: string) => parseReadelf(readFileSync(join(BIN, `${name}.txt`), 'utf8'));

// Each row's architecture: what the file says of itself, and the floor pthread_create gives it on trixie.
const ROWS: Record<string, { arch: string; bits: 32 | 64; endian: 'little' | 'big'; floor: string; base: string }> = {
  amd64: { arch: 'x86-64', bits: 64, endian: 'little', floor: '2.34', base: '2.2.5' },
  i386: { arch: 'i386', bits: 32, endian: 'little', floor: '2.34', base: '2.1.3' },
  arm64: { arch: 'aarch64', bits: 64, endian: 'little', floor: '2.34', base: '2.17' },
  armhf: { arch: 'arm', bits: 32, endian: 'little', floor: '2.34', base: '2.4' },
  riscv64: { arch: 'riscv64', bits: 64, endian: 'little', floor: '2.34', base: '2.27' },
  ppc64le: { arch: 'ppc64le', bits: 64, endian: 'little', floor: '2.34', base: '2.17' },
  ppc64: { arch: 'ppc64', bits: 64, endian: 'big', floor: '2.34', base: '2.3' },
  s390x: { arch: 's390x', bits: 64, endian: 'big', floor: '2.34', base: '2.2' },
  loong64: { arch: 'loong64', bits: 64, endian: 'little', floor: '2.36', base: '2.36' },
};

t.test('the binary reader agrees with GNU readelf on every architecture', async (t) => {
  for (const [name, want] of Object.entries(ROWS)) {
    const file = `${name}-floor`;
    const v = readElfVersions(bytes(file));
    const text = readelf(file);
    t.same(
      { arch: v.arch, bits: v.bits, endian: v.endian, type: v.type },
      { arch: want.arch, bits: want.bits, endian: want.endian, type: 'DYN' },
      name,
    );
    t.same(v.needed, text.needed, `${name}: DT_NEEDED`);
    t.same(v.imports, text.imports, `${name}: undefined symbols and their versions, in .dynsym order`);
    t.same(v.required, text.versionsRequired, `${name}: .gnu.version_r`);
    t.same(v.defines, ['start'], `${name}: the one symbol it defines for others (stripped, -fPIC, no _init)`);
    const floor = glibcFloor(v);
    t.same(floor, glibcFloor({ imports: text.imports, required: text.versionsRequired ?? [] }), `${name}: the same floor`);
    t.equal(floor.glibc, want.floor, `${name}: floor`);
    t.equal(floor.needs.at(-1)?.version, want.base, `${name}: the architecture's oldest glibc symbol version`);
    t.ok(
      floor.needs.some((n) => n.symbols.includes('pthread_create')),
      `${name}: pthread_create is among the symbols`,
    );
  }
});

t.test('a real Go c-shared library (amd64, go1.27.4 on trixie): 2.34, forced by pthread', async (t) => {
  const v = readElfVersions(bytes('amd64-go'));
  const text = readelf('amd64-go');
  t.same(v.imports, text.imports);
  t.same(v.required, text.versionsRequired);
  t.same(v.required, ['GLIBC_2.34', 'GLIBC_2.32', 'GLIBC_2.3.2', 'GLIBC_2.2.5']);
  t.same(v.needed, ['libc.so.6']);
  const floor = glibcFloor(v);
  t.same(floor.needs[0], {
    version: '2.34',
    symbols: ['pthread_attr_getstack', 'pthread_attr_getstacksize', 'pthread_create', 'pthread_key_create', 'pthread_setspecific'],
  });
  t.same(floor.needs[1], { version: '2.32', symbols: ['pthread_getattr_np', 'pthread_sigmask'] });
  t.equal(
    floorLine(floor, v.arch),
    'needs glibc ≥ 2.34 (pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific from GLIBC_2.34): ' +
      'loads on Debian 12+, Ubuntu 22.04+, RHEL 9+, Amazon Linux 2023+; not on Debian 11, Ubuntu 20.04, RHEL 8, Amazon Linux 2; manylinux_2_34_x86_64',
  );
});

t.test('musl: no symbol versions, so no glibc floor; its undefined symbols are still read', async (t) => {
  const v = readElfVersions(bytes('arm64-musl-floor'));
  const text = readelf('arm64-musl-floor');
  t.same(v.imports, text.imports);
  t.same(v.required, []);
  t.equal(text.versionsRequired, undefined, 'readelf prints no version needs section');
  t.same(v.needed, ['libc.so']);
  t.ok(v.imports.some((s) => s.name === 'pthread_create' && s.version === undefined));
  t.equal(glibcFloor(v).glibc, undefined);
});

t.test('what is not a readable ELF file is one line', async (t) => {
  const all = bytes('amd64-floor');
  t.throws(() => readElfVersions(new TextEncoder().encode('package main\n')), new ElfFormatError('not an ELF file (no \\x7fELF magic)'));
  t.throws(() => readElfVersions(new Uint8Array(0)), new ElfFormatError('not an ELF file (no \\x7fELF magic)'));
  const badClass = Uint8Array.from(all);
  badClass[4] = 7;
  t.throws(() => readElfVersions(badClass), new ElfFormatError('unknown ELF class 7 or byte order 1'));
  t.throws(() => readElfVersions(all.subarray(0, 200)), /^truncated or corrupt ELF file: reads \d+ bytes at offset \d+ of 200$/);
});

t.test('a file without section headers or .dynsym: no imports, no floor', async (t) => {
  const noSections = Uint8Array.from(bytes('amd64-floor'));
  // e_shnum (64-bit: offset 60) = 0: as a file whose section headers were stripped.
  noSections[60] = 0;
  noSections[61] = 0;
  const v = readElfVersions(noSections);
  t.same(
    { dynamic: v.dynamic, imports: v.imports, required: v.required, needed: v.needed },
    { dynamic: false, imports: [], required: [], needed: [] },
  );
});

t.test("readelf text without version-info (the older ELF_COMMAND's): the floor from the symbols alone", async (t) => {
  const fixture = (name: string) => parseReadelf(readFileSync(join(BIN, '..', `${name}.txt`), 'utf8'));
  const arm7 = glibcFloor(fixture('arm7-glibc-go-lib'));
  t.equal(arm7.glibc, '2.34');
  t.ok(arm7.needs[0]?.symbols.includes('__nanosleep64'), 'armhf: time64 nanosleep from GLIBC_2.34');
  t.same(glibcFloor(fixture('amd64-glibc-host')).needs[0], { version: '2.34', symbols: ['__libc_start_main'] });
  t.equal(glibcFloor(fixture('amd64-musl-go-lib')).glibc, undefined);
});
