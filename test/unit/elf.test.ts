import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { ElfFacts } from '../../harness/core/elf.js';
import { ELF_COMMAND, ELF_MARKER, isGoLibrary, parseReadelf, summarizeFacts, userExports } from '../../harness/core/elf.js';

// Real readelf output; see test/fixtures/elf/README.md for how each was made.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'elf');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');
const facts = (name: string): ElfFacts => parseReadelf(fixture(name));

const X86_64 = 'Advanced Micro Devices X86-64';
const ARM7 = { floatAbi: 'hard', cpuArch: 'v7', cpuName: '7-A', fpArch: 'VFPv3-D16', eabi: 'Version5 EABI, hard-float ABI' };
const ARM5 = { floatAbi: 'soft', cpuArch: 'v5TE', cpuName: '5TE', eabi: 'Version5 EABI, soft-float ABI' };

interface Row {
  libc: 'glibc' | 'musl';
  machine: string;
  libcSoname: string;
  interpreter: string;
  /** What the GD C library needs: __tls_get_addr lives in ld.so on glibc, in libc.so on musl. */
  gdNeeded: string;
  /** PT_TLS alignment of the Go library. */
  goTlsAlign: number;
  arm?: typeof ARM7 | typeof ARM5;
}

const ROWS: Record<string, Row> = {
  'amd64-glibc': {
    libc: 'glibc',
    machine: X86_64,
    libcSoname: 'libc.so.6',
    interpreter: '/lib64/ld-linux-x86-64.so.2',
    gdNeeded: 'ld-linux-x86-64.so.2',
    goTlsAlign: 8,
  },
  'amd64-musl': {
    libc: 'musl',
    machine: X86_64,
    libcSoname: 'libc.so',
    interpreter: '/lib/ld-musl-x86_64.so.1',
    gdNeeded: 'libc.so',
    goTlsAlign: 8,
  },
  'arm7-glibc': {
    libc: 'glibc',
    machine: 'ARM',
    libcSoname: 'libc.so.6',
    interpreter: '/lib/ld-linux-armhf.so.3',
    gdNeeded: 'ld-linux-armhf.so.3',
    goTlsAlign: 4,
    arm: ARM7,
  },
  'arm5-glibc': {
    libc: 'glibc',
    machine: 'ARM',
    libcSoname: 'libc.so.6',
    interpreter: '/lib/ld-linux.so.3',
    gdNeeded: 'ld-linux.so.3',
    goTlsAlign: 4,
    arm: ARM5,
  },
  'arm7-musl': {
    libc: 'musl',
    machine: 'ARM',
    libcSoname: 'libc.so',
    interpreter: '/lib/ld-musl-armhf.so.1',
    gdNeeded: 'libc.so',
    goTlsAlign: 4,
    arm: ARM7,
  },
  'arm5-musl': {
    libc: 'musl',
    machine: 'ARM',
    libcSoname: 'libc.so',
    interpreter: '/lib/ld-musl-arm.so.1',
    gdNeeded: 'libc.so',
    goTlsAlign: 4,
    arm: ARM5,
  },
};

/** musl's crt files leave _init/_fini global; glibc's are hidden. */
const crt = (row: Row): string[] => (row.libc === 'musl' ? ['_fini', '_init'] : []);

/** cgo's exports on every platform (amd64 adds x_cgo_mmap, x_cgo_munmap, x_cgo_sigaction). */
const CGO_COMMON = [
  '_cgo_get_context_function',
  '_cgo_get_symbolizer_function',
  '_cgo_get_traceback_function',
  '_cgo_libc_setegid',
  '_cgo_libc_seteuid',
  '_cgo_libc_setgid',
  '_cgo_libc_setgroups',
  '_cgo_libc_setregid',
  '_cgo_libc_setresgid',
  '_cgo_libc_setresuid',
  '_cgo_libc_setreuid',
  '_cgo_libc_setuid',
  '_cgo_panic',
  '_cgo_release_context',
  '_cgo_sys_thread_start',
  '_cgo_topofstack',
  '_cgo_try_pthread_create',
  '_cgo_wait_runtime_init_done',
  '_cgoexp_6608628ce88f_Add',
  '_cgoexp_6608628ce88f_Hello',
  'crosscall2',
  'fatalf',
  'threadentry',
  'x_cgo_bindm',
  'x_cgo_call_symbolizer_function',
  'x_cgo_call_traceback_function',
  'x_cgo_callers',
  'x_cgo_clearenv',
  'x_cgo_getstackbound',
  'x_cgo_init',
  'x_cgo_notify_runtime_init_done',
  'x_cgo_set_traceback_functions',
  'x_cgo_setenv',
  'x_cgo_sys_thread_create',
  'x_cgo_thread_start',
  'x_cgo_unsetenv',
];
const CGO_AMD64 = ['x_cgo_mmap', 'x_cgo_munmap', 'x_cgo_sigaction'];

t.test('ELF_COMMAND', async (t) => {
  const argv = ELF_COMMAND("/work/out/it's here/libx.so");
  t.equal(argv[0], 'sh');
  t.equal(argv[1], '-c');
  t.strictSame(argv.slice(3), ['csm-elf', "/work/out/it's here/libx.so"], 'the path is an argument, never spliced into the script');
  const script = argv[2] ?? '';
  t.notMatch(script, /it's here/);
  for (const part of ['file-header', 'program-headers', 'dynamic', 'dyn-syms', 'notes', 'arch-specific', 'relocs'])
    t.match(script, part, `reads ${part}`);
  t.match(script, `echo "${ELF_MARKER} $s"`, 'marks each section');
  t.match(script, 'LC_ALL=C');
  t.match(script, /readelf --wide --file-header -- "\$f" 2>&1 \|\| exit \$\?/, 'stops with readelf status when the file is not ELF');
});

for (const [name, row] of Object.entries(ROWS)) {
  t.test(`${name}: Go c-shared library`, async (t) => {
    const f = facts(`${name}-go-lib`);
    t.equal(f.machine, row.machine);
    t.equal(f.type, 'DYN');
    t.strictSame(f.flags, ['SYMBOLIC', 'STATIC_TLS'], 'DF_STATIC_TLS: initial-exec TLS');
    t.strictSame(f.flags1, ['NODELETE']);
    t.strictSame(f.needed, [row.libcSoname]);
    t.equal(f.soname, undefined, 'go build sets no DT_SONAME');
    t.equal(f.interpreter, undefined);
    t.equal(f.go, true, 'Go build-id note');
    t.ok(isGoLibrary(f));
    t.strictSame(f.tls, {
      initialExec: 1,
      dynamic: 0,
      local: 0,
      models: ['initial-exec'],
      segment: { fileSize: 0, memSize: 8, align: row.goTlsAlign },
    });
    t.ok(f.tls.initialExec > 0);
    t.strictSame(userExports(f), ['Add', 'Hello']);
    const expected = [...CGO_COMMON, ...(row.machine === X86_64 ? CGO_AMD64 : []), ...crt(row), 'Add', 'Hello'].sort();
    t.strictSame(f.exports, expected, 'every defined global function, sorted');
    t.notOk(f.exports.includes('crosscall1'), 'NOTYPE symbols are not functions');
    t.notOk(
      f.exports.some((n) => n.includes('@')),
      'no version suffixes',
    );
    t.strictSame(f.arm, row.arm);
    t.strictSame(f.errors, []);
  });

  t.test(`${name}: C host linked against it`, async (t) => {
    const f = facts(`${name}-host`);
    t.equal(f.machine, row.machine);
    t.equal(f.interpreter, row.interpreter);
    t.strictSame(f.needed, ['libx.so', row.libcSoname]);
    t.strictSame(f.flags, []);
    t.strictSame(f.flags1, ['PIE']);
    t.equal(f.type, 'DYN', 'a PIE is ET_DYN');
    t.equal(f.go, false);
    t.strictSame(f.tls, { initialExec: 0, dynamic: 0, local: 0, models: [] });
    t.strictSame(f.exports, crt(row));
    t.strictSame(f.arm, row.arm);
  });

  t.test(`${name}: C library with a plain __thread (general-dynamic)`, async (t) => {
    const f = facts(`${name}-gd-lib`);
    t.notOk(f.flags.includes('STATIC_TLS'), 'no DF_STATIC_TLS');
    t.strictSame(f.flags, []);
    t.strictSame(f.flags1, []);
    t.strictSame(f.needed, [row.gdNeeded]);
    t.equal(f.soname, 'libgd.so');
    t.strictSame(f.tls, {
      initialExec: 0,
      dynamic: 2,
      local: 0,
      models: ['general-dynamic'],
      segment: { fileSize: 0, memSize: 4, align: 4 },
    });
    t.strictSame(f.exports, [...crt(row), 'bump']);
    t.strictSame(userExports(f), ['bump']);
    t.equal(f.go, false);
    t.notOk(isGoLibrary(f));
    t.strictSame(f.arm, row.arm);
  });
}

t.test('local-dynamic TLS: DTPMOD of the module itself, no symbol', async (t) => {
  for (const name of ['amd64-glibc-ld-lib', 'arm7-glibc-ld-lib']) {
    const f = facts(name);
    t.strictSame(f.tls.models, ['local-dynamic'], name);
    t.equal(f.tls.local, 1, name);
    t.equal(f.tls.dynamic, 0, name);
    t.equal(f.tls.initialExec, 0, name);
    t.strictSame(f.tls.segment, { fileSize: 0, memSize: 8, align: 4 }, name);
    t.strictSame(f.exports, ['bump2'], name);
  }
});

t.test('C library with 1 MiB of initial-exec TLS', async (t) => {
  const g = facts('amd64-glibc-ie-lib');
  t.strictSame(g.flags, ['STATIC_TLS']);
  t.strictSame(g.needed, [], 'calls nothing in libc');
  t.strictSame(g.tls, {
    initialExec: 1,
    dynamic: 0,
    local: 0,
    models: ['initial-exec'],
    segment: { fileSize: 0, memSize: 1048576, align: 16 },
  });
  t.equal(g.go, false);
  const m = facts('amd64-musl-ie-lib');
  t.strictSame(m.flags, ['STATIC_TLS']);
  t.strictSame(m.needed, ['libc.so']);
  t.equal(m.tls.initialExec, 1);
  t.strictSame(userExports(m), ['touch']);
});

t.test('the plain readelf command parses the same, less the file header', async (t) => {
  const plain = facts('arm7-glibc-gd-lib-plain');
  const marked = facts('arm7-glibc-gd-lib');
  t.equal(plain.machine, undefined, 'only --file-header names the machine');
  t.equal(plain.type, undefined);
  t.strictSame(plain.arm, { floatAbi: 'hard', cpuArch: 'v7', cpuName: '7-A', fpArch: 'VFPv3-D16' });
  const { machine: _m, type: _t, arm: _a, ...restPlain } = plain;
  const { machine: _m2, type: _t2, arm: _a2, ...restMarked } = marked;
  t.strictSame(restPlain, restMarked);
});

t.test('not an ELF file', async (t) => {
  const f = facts('not-elf');
  t.strictSame(f.errors, ['Error: Not an ELF file - it has the wrong magic bytes at the start']);
  t.strictSame(f, {
    flags: [],
    flags1: [],
    needed: [],
    exports: [],
    imports: [],
    go: false,
    tls: { initialExec: 0, dynamic: 0, local: 0, models: [] },
    errors: f.errors,
  });
  t.equal(summarizeFacts(f), '');
  t.strictSame(parseReadelf(''), {
    flags: [],
    flags1: [],
    needed: [],
    exports: [],
    imports: [],
    go: false,
    tls: { initialExec: 0, dynamic: 0, local: 0, models: [] },
    errors: [],
  });
});

t.test('parser details on hand-made lines in readelf format', async (t) => {
  const text = [
    'ELF Header:',
    '  Machine:                           ARM',
    '  Flags:                             0x5000200, Version5 EABI, soft-float ABI',
    '',
    'Dynamic section at offset 0x17ff04 contains 3 entries:',
    '  Tag        Type                         Name/Value',
    ' 0x0000001d (RUNPATH)                    Library runpath: [$ORIGIN/lib]',
    ' 0x0000001e (FLAGS)                      BIND_NOW STATIC_TLS',
    ' 0x6ffffffb (FLAGS_1)                    Flags: NOW NODELETE',
    '',
    "Relocation section '.rela.dyn' at offset 0x1430 contains 3 entries:",
    "    Offset             Info             Type               Symbol's Value  Symbol's Name + Addend",
    '0000000000193fa0  0000000000000012 R_X86_64_TPOFF64                          0',
    '0000000000193fa8  0000000a00000017 R_X86_64_TPOFF32       0000000000000000 tv + 0',
    '0000000000193fb0  0000000b00000024 R_X86_64_TLSDESC       0000000000000000 td + 0',
    '',
    "Symbol table '.dynsym' contains 6 entries:",
    '   Num:    Value          Size Type    Bind   Vis      Ndx Name',
    '     1: 00000000000c33a0 123456 IFUNC   GLOBAL DEFAULT   13 memcpy_fast@@V1',
    '     2: 00000000000c33a0 0x186a0 FUNC    WEAK   PROTECTED   13 weak_one',
    '     3: 00000000000c33a0    83 FUNC    GLOBAL HIDDEN   13 hidden_one',
    '     4: 00000000000c33a0    83 FUNC    LOCAL  DEFAULT   13 local_one',
    '     5: 00000000000c33a0    83 FUNC    GLOBAL DEFAULT [VARIANT_PCS]    13 variant',
    '     6: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND free@GLIBC_2.2.5 (2)',
    "Symbol table '.symtab' contains 1 entry:",
    '     1: 00000000000c33a0    83 FUNC    GLOBAL DEFAULT   13 not_dynamic',
    '',
    'Attribute Section: aeabi',
    'File Attributes',
    '  Tag_CPU_arch: v6KZ',
    '  Tag_FP_arch: VFPv2',
    '  Tag_ABI_VFP_args: AAPCS',
    'readelf: Warning: something odd',
  ].join('\r\n');
  const f = parseReadelf(text);
  t.strictSame(f.flags, ['BIND_NOW', 'STATIC_TLS']);
  t.strictSame(f.flags1, ['NOW', 'NODELETE']);
  t.equal(f.runpath, '$ORIGIN/lib');
  t.strictSame(f.exports, ['memcpy_fast', 'variant', 'weak_one'], 'IFUNC, WEAK and PROTECTED count; HIDDEN, LOCAL, UND and .symtab do not');
  t.strictSame(f.tls, { initialExec: 2, dynamic: 1, local: 0, models: ['initial-exec', 'local-exec', 'general-dynamic'] });
  t.strictSame(
    f.arm,
    { floatAbi: 'softfp', cpuArch: 'v6KZ', fpArch: 'VFPv2', eabi: 'Version5 EABI, soft-float ABI' },
    'VFP code, core-register arguments',
  );
  t.strictSame(f.errors, ['Warning: something odd']);
  t.equal(summarizeFacts(f), 'FLAGS BIND_NOW STATIC_TLS · FLAGS_1 NOW NODELETE · TLS IE×2 GD×1 · v6KZ softfp');
});

t.test('summarizeFacts', async (t) => {
  t.equal(
    summarizeFacts(facts('arm7-glibc-go-lib')),
    'FLAGS SYMBOLIC STATIC_TLS · FLAGS_1 NODELETE · TLS IE×1 (8 B) · NEEDED libc.so.6 · v7 hard-float',
  );
  t.equal(
    summarizeFacts(facts('arm5-musl-go-lib')),
    'FLAGS SYMBOLIC STATIC_TLS · FLAGS_1 NODELETE · TLS IE×1 (8 B) · NEEDED libc.so · v5TE soft-float',
  );
  t.equal(summarizeFacts(facts('amd64-glibc-go-lib')), 'FLAGS SYMBOLIC STATIC_TLS · FLAGS_1 NODELETE · TLS IE×1 (8 B) · NEEDED libc.so.6');
  t.equal(summarizeFacts(facts('amd64-musl-host')), 'FLAGS_1 PIE · NEEDED libx.so libc.so · INTERP /lib/ld-musl-x86_64.so.1');
  t.equal(summarizeFacts(facts('amd64-glibc-gd-lib')), 'TLS GD×2 (4 B) · NEEDED ld-linux-x86-64.so.2');
  t.equal(summarizeFacts(facts('amd64-glibc-ld-lib')), 'TLS LD×1 (8 B) · NEEDED ld-linux-x86-64.so.2');
  t.equal(summarizeFacts(facts('amd64-glibc-ie-lib')), 'FLAGS STATIC_TLS · TLS IE×1 (1048576 B)');
});
