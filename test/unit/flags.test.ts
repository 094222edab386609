// The build-time flag policy (cases/flag-policy.json, harness/core/flags.ts):
// every family of flags that would run or read something of a case's choosing
// while it is built is refused with its reason; what real cases use passes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compilePolicy, type FlagKind, flagProblems, refusal } from '../../harness/core/flags.js';
import { DEFAULT_CASES_DIR, FLAG_POLICY_PATH, flagPolicy, loadCases } from '../../harness/edge/case-files.js';
import { minimalCaseFile } from '../support/helpers.js';

const policy = flagPolicy();

t.test('every refused family, with the reason in words', async (t) => {
  const refused: [FlagKind, string, RegExp][] = [
    ['compiler', '-B/work/src/x/bin/', /runs its programs/],
    ['compiler', '-Bbin', /runs its programs/],
    ['compiler', '@flags.txt', /reads more arguments from a file/],
    ['linker', '-Wl,@flags.txt', /reads more arguments from a file/],
    ['linker', '-Wl,--as-needed,@more', /reads more arguments from a file/],
    ['compiler', '-I@dir', /not on the list/],
    ['compiler', '-fplugin=./evil.so', /loads a plugin/],
    ['compiler', '-fplugin-arg-evil-x=1', /loads a plugin/],
    ['compiler', '-iplugindir=.', /loads a plugin/],
    ['linker', '-Wl,-plugin,evil.so', /loads a plugin/],
    ['linker', '-Wl,--plugin=evil.so', /loads a plugin/],
    ['compiler', '-specs=evil.specs', /driver's configuration/],
    ['compiler', '--specs=evil.specs', /driver's configuration/],
    ['compiler', '-wrapper', /around every compiler pass/],
    ['linker', '-fuse-ld=./evil', /another linker program/],
    ['compiler', '-o/cache/artifacts/x/libhello.so', /writes a file/],
    ['compiler', '-MF/work/out/x', /writes a file/],
    ['compiler', '-save-temps=obj', /writes a file/],
    ['compiler', '-fdump-tree-all', /writes a file/],
    ['compiler', '-fprofile-generate', /writes a file/],
    ['linker', '-Wl,-Map=/cache/map', /writes a file/],
    ['linker', '-Wl,--output=/cache/x', /writes a file/],
    ['compiler', '--sysroot=/', /outside the case/],
    ['compiler', '-isystem/etc', /outside the case/],
    ['compiler', '-include/etc/passwd', /outside the case/],
    ['compiler', '-imacros/etc/passwd', /outside the case/],
    ['linker', '-T/tmp/evil.ld', /linker script/],
    ['linker', '-Wl,-T,evil.ld', /linker script/],
    ['linker', '-Wl,--dynamic-linker=/tmp/ld.so', /another dynamic linker/],
    ['linker', '-Wl,--wrap=malloc', /rewritten symbols/],
    ['compiler', '-Xlinker', /raw option/],
    ['compiler', '-Wa,-o,/cache/x', /raw option/],
    ['compiler', '-Wp,-MD,/cache/x', /raw option/],
    ['compiler', '-xc', /another language/],
    ['compiler', '-DX=@file', /not on the list of allowed compiler flags/],
    ['compiler', '-D X', /not on the list/],
    ['linker', '-Wl,-rpath,@x', /reads more arguments/],
    ['linker', '-L-fplugin=x', /not on the list/],
    ['compiler', '-lfoo', /not on the list of allowed compiler flags/],
    ['linker', '-O2 -B/x', /not on the list/],
  ];
  for (const [kind, flag, why] of refused) t.match(refusal(policy, kind, flag), why, `${kind} ${flag}: refused`);
});

t.test('the flags real cases use, and their usual neighbours, are allowed', async (t) => {
  const allowed: [FlagKind, string][] = [
    ['compiler', '-DTLS_BYTES=1664'],
    ['compiler', '-DNDEBUG'],
    ['compiler', '-DEMPTY='],
    ['compiler', '-UFOO'],
    ['compiler', '-Iinclude'],
    ['compiler', '-I/work/csm'],
    ['compiler', '-O2'],
    ['compiler', '-g'],
    ['compiler', '-Wall'],
    ['compiler', '-Wno-unused-parameter'],
    ['compiler', '-Werror=implicit-function-declaration'],
    ['compiler', '-fPIC'],
    ['compiler', '-fno-omit-frame-pointer'],
    ['compiler', '-fvisibility=hidden'],
    ['compiler', '-ftls-model=initial-exec'],
    ['compiler', '-fsanitize=address,undefined'],
    ['compiler', '-march=armv7-a'],
    ['compiler', '-mno-outline-atomics'],
    ['compiler', '-std=gnu11'],
    ['compiler', '-pthread'],
    ['linker', '-lm'],
    ['linker', '-l:cc.so'],
    ['linker', '-Lclib'],
    ['linker', '-rdynamic'],
    ['linker', '-Wl,--no-as-needed'],
    ['linker', '-Wl,-z,now'],
    ['linker', '-Wl,-rpath,/work/out/x'],
    ['linker', '-Wl,-soname,libx.so.1'],
    ['linker', '-Wl,-Bsymbolic'],
  ];
  for (const [kind, flag] of allowed) t.equal(refusal(policy, kind, flag), undefined, `${kind} ${flag}: allowed`);
});

t.test('every flag in the repository cases passes the policy', async (t) => {
  const cases = loadCases([DEFAULT_CASES_DIR]);
  const flags = cases.flatMap((c) => [
    ...(c.host?.cflags ?? []),
    ...(c.host?.ldflags ?? []),
    ...(c.cLibraries ?? []).flatMap((l) => l.cflags ?? []),
  ]);
  t.ok(flags.length > 0, `the cases use flags: ${flags.join(' ')}`);
  for (const c of cases) t.same(flagProblems(`${c.name}/case.json`, c, policy), [], `${c.name}: no refused flag`);
});

t.test('flagProblems names the file, the field and the flag of every refusal', async (t) => {
  const c = {
    ...minimalCaseFile(),
    cLibraries: [{ name: 'c', sources: ['c.c'], cflags: ['-O2', '-fplugin=x.so'] }],
    host: { sources: ['h.c'], ldflags: ['-lm', '-Wl,-Map=/cache/m'] },
  };
  t.same(flagProblems('x/case.json', c, policy), [
    'x/case.json: /host/ldflags/1: flag "-Wl,-Map=/cache/m" is not allowed: writes a file where the case says; a step may write only its own outputs (policy: cases/flag-policy.json)',
    'x/case.json: /cLibraries/0/cflags/1: flag "-fplugin=x.so" is not allowed: loads a plugin: code of the case\'s choosing inside the compiler or linker (policy: cases/flag-policy.json)',
  ]);
});

t.test("a Windows host's flags pass the same policy: they replace host's on the Windows rows", async (t) => {
  const c = {
    ...minimalCaseFile(),
    host: { sources: ['h.c'] },
    windows: { sources: ['h_windows.c'], cflags: ['-O2', '-B/tmp/bin'], ldflags: ['-lm', '-Wl,-Map=/cache/m'] },
  };
  t.same(
    flagProblems('x/case.json', c, policy).map((l) => l.replace(/ is not allowed: .*/, '')),
    ['x/case.json: /windows/cflags/1: flag "-B/tmp/bin"', 'x/case.json: /windows/ldflags/1: flag "-Wl,-Map=/cache/m"'],
  );
  t.same(flagProblems('x/case.json', { ...c, windows: { na: 'no fork' } }, policy), [], 'an n/a Windows host has no flags');
});

t.test('the policy file: its patterns compile, and a broken one is named', async (t) => {
  const data = JSON.parse(readFileSync(FLAG_POLICY_PATH, 'utf8'));
  t.ok(data.compiler.allow.length > 5 && data.linker.allow.length > 5 && data.refused.length > 5);
  t.equal(FLAG_POLICY_PATH, join(DEFAULT_CASES_DIR, 'flag-policy.json'));
  t.throws(
    () => compilePolicy('p.json', { ...data, linker: { allow: [{ pattern: '(' }] } }),
    /^p\.json: \/linker\/allow\/0: "\(" is not a regular expression/,
  );
  t.throws(() => compilePolicy('p.json', { ...data, compiler: {} }), /p\.json: \/compiler\/allow: must be a list/);
});
