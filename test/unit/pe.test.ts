import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { crtOf, explainPeFailure, type PeSummary, readPe } from '../../harness/core/pe.js';
import { readPeFile } from '../../harness/edge/pe-file.js';

// Real DLLs built by mingw-w64 (test/fixtures/pe/build.sh, README.md there): full-* (a DllMain, a TLS
// callback, an export by ordinal only, an import by ordinal only), lean-* (stripped, no DllMain of its
// own), ucrt-* (no start-up files: the UCRT, no DllMain, no TLS directory) and libhello-* (cases/link's
// Go library, Go 1.27.4, -ldflags=-s -w), each for amd64 and 386,
// and each beside `objdump -p`'s text of it (<name>.objdump.txt), which every fact below is checked against.
const DIR = join(import.meta.dirname, '..', 'fixtures', 'pe');
const bytes = (name: string): Uint8Array => readFileSync(join(DIR, `${name}.dll`));
const ARCHES = {
  amd64: { format: 'PE32+', machine: 'amd64', pei: 'pei-x86-64' },
  386: { format: 'PE32', machine: 'i386', pei: 'pei-i386' },
};
const FIXTURES = ['full', 'lean', 'ucrt', 'libhello'];

function pe(name: string): PeSummary {
  const r = readPe(bytes(name));
  if ('error' in r) throw new Error(`${name}: ${r.error}`);
  return r.pe;
}

/** The facts `objdump -p` prints, parsed from its text (binutils 2.44's layout). */
function objdump(name: string) {
  const text = readFileSync(join(DIR, `${name}.objdump.txt`), 'utf8');
  const imports = [...text.matchAll(/\tDLL Name: (\S+)\n\tvma:.*\n((?:\t[0-9a-f]+ .*\n)*)/g)].map(([, dll, rows]) => ({
    dll,
    functions: (rows ?? '')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((row) => {
        // "\t00009160      3  <none> <none>": by ordinal; "\t00009170  <none>  0124  DeleteCriticalSection": by name.
        const ordinal = /^\s*[0-9a-f]+\s+(\d+)\s+<none>/.exec(row);
        return ordinal ? `#${ordinal[1]}` : (row.trim().split(/\s+/)[3] ?? '');
      }),
  }));
  const exportTable = text.slice(text.indexOf('Export Address Table --'));
  return {
    format: /^Magic\s+\w+\s+\((PE32\+?)\)/m.exec(text)?.[1],
    pei: /file format (\S+)/.exec(text)?.[1],
    dll: /^Characteristics [^\n]*\n(?:\t[^\n]*\n)*?\tDLL\n/m.test(text),
    entryPoint: Number.parseInt(/^AddressOfEntryPoint\s+([0-9a-f]+)/m.exec(text)?.[1] ?? '', 16),
    subsystem: /^Subsystem\s+\w+\s+\(([^)]+)\)/m.exec(text)?.[1],
    tls: /^Entry 9 0*([1-9a-f][0-9a-f]*) /m.test(text),
    name: /^Name \s+[0-9a-f]+ (\S+)/m.exec(text)?.[1],
    ordinals: [...exportTable.matchAll(/\+base\[\s*(\d+)\] [0-9a-f]+ Export RVA/g)].map((m) => Number(m[1])),
    names: Object.fromEntries([...exportTable.matchAll(/\+base\[\s*(\d+)\]\s+[0-9a-f]{4} (\S+)/g)].map((m) => [m[2], Number(m[1])])),
    imports,
  };
}

t.test('every fixture: the reader says what objdump -p says', async (t) => {
  for (const [arch, want] of Object.entries(ARCHES)) {
    for (const fixture of FIXTURES) {
      const name = `${fixture}-${arch}`;
      const p = pe(name);
      const o = objdump(name);
      t.equal(o.pei, want.pei, `${name}: objdump's format`);
      t.same([p.format, p.machine, p.dll, p.subsystem], [o.format, want.machine, true, o.subsystem], `${name}: header`);
      t.equal(p.format, want.format, `${name}: PE32 or PE32+`);
      t.equal(p.entryPoint, o.entryPoint, `${name}: AddressOfEntryPoint`);
      t.equal(p.name, o.name, `${name}: the export directory's name`);
      t.same(
        p.exports.map((e) => e.ordinal),
        o.ordinals,
        `${name}: every ordinal in the export address table`,
      );
      t.same(
        Object.fromEntries(p.exports.flatMap((e) => (e.name ? [[e.name, e.ordinal]] : []))),
        o.names,
        `${name}: names and their ordinals`,
      );
      t.same(p.imports, o.imports, `${name}: imported DLLs and functions, in order, by name or ordinal`);
      t.equal(p.tls !== undefined, o.tls, `${name}: TLS directory`);
      t.same(p.problems, [], `${name}: read whole`);
    }
  }
});

t.test('the full fixture: DllMain, TLS callbacks, ordinal-only export and import, the GCC runtime import', async (t) => {
  for (const [arch, runtime] of [
    ['amd64', 'libgcc_s_seh-1.dll'],
    ['386', 'libgcc_s_dw2-1.dll'],
  ] as const) {
    const p = pe(`full-${arch}`);
    // objdump -t: DllMain (_DllMain@12 on i386) follows the .file symbol "full.c"; the entry, DllMainCRTStartup
    // (_DllMainCRTStartup@12), sits at AddressOfEntryPoint. The callback array runs from __xl_a+1 to __xl_z:
    // csm_tls_callback (.CRT$XLB), mingw's __dyn_tls_init (__xl_c) and __dyn_tls_dtor (__xl_d).
    t.same([p.dllMain, p.dllMainFile, p.symbols], ['own', 'full.c', true], `${arch}: its own DllMain`);
    t.equal(p.entryName, arch === 'amd64' ? 'DllMainCRTStartup' : '_DllMainCRTStartup@12', `${arch}: the entry's name`);
    t.same(p.tls, { callbacks: 3 }, `${arch}: the fixture's TLS callback and the CRT's two`);
    t.same(p.exports.at(-1), { ordinal: 9 }, `${arch}: csm_hidden, exported by ordinal only`);
    t.same(p.imports[0], { dll: 'WS2_32.dll', functions: ['#3'] }, `${arch}: closesocket imported by ordinal only`);
    t.equal(p.imports.at(-1)?.dll, runtime, `${arch}: __thread is emulated, through the GCC runtime DLL`);
    t.same([p.crt, p.crtDlls], ['msvcrt', ['msvcrt.dll']], `${arch}: msvcrt`);
    t.equal(
      p.summary,
      `${ARCHES[arch].format} DLL ${ARCHES[arch].machine}, 4 exports, needs WS2_32.dll KERNEL32.dll msvcrt.dll ${runtime}, TLS directory (3 callbacks), DllMain (full.c)`,
    );
  }
});

t.test('stripped DLLs: DllMain unknown, the CRT TLS directory still there', async (t) => {
  for (const arch of ['amd64', '386']) {
    for (const fixture of ['lean', 'libhello']) {
      const p = pe(`${fixture}-${arch}`);
      t.same([p.symbols, p.dllMain, p.entryName], [false, 'unknown', undefined], `${fixture}-${arch}: no COFF symbols`);
      // objdump -t on an unstripped build of the same sources: __xl_c and __xl_d, mingw's two callbacks.
      t.same(p.tls, { callbacks: 2 }, `${fixture}-${arch}: mingw's TLS callbacks`);
      t.same(
        p.imports.map((i) => i.dll),
        ['KERNEL32.dll', 'msvcrt.dll'],
        `${fixture}-${arch}`,
      );
    }
  }
  const go = pe('libhello-amd64');
  t.same(go.exports, [
    { ordinal: 1, name: 'Add' },
    { ordinal: 2, name: 'CountRunes' },
    { ordinal: 3, name: 'Greet' },
  ]);
  t.equal(go.summary, 'PE32+ DLL amd64, 3 exports, needs KERNEL32.dll msvcrt.dll, TLS directory (2 callbacks), DllMain unknown (stripped)');
  t.equal(
    pe('lean-386').summary,
    'PE32 DLL i386, 1 export, needs KERNEL32.dll msvcrt.dll, TLS directory (2 callbacks), DllMain unknown (stripped)',
  );
});

t.test('without start-up files: the UCRT, no TLS directory, no DllMain in a symbol table', async (t) => {
  for (const [arch, entry] of [
    ['amd64', 'csm_entry'],
    ['386', '_csm_entry@12'],
  ] as const) {
    const p = pe(`ucrt-${arch}`);
    // objdump -t: csm_entry (_csm_entry@12) at AddressOfEntryPoint, no DllMain, no _tls_used.
    t.same([p.symbols, p.dllMain, p.entryName, p.tls], [true, 'none', entry, undefined], arch);
    t.same([p.crt, p.crtDlls], ['ucrt', ['api-ms-win-crt-string-l1-1-0.dll']], `${arch}: strlen from the UCRT`);
    t.match(p.summary, /, 1 export, needs api-ms-win-crt-string-l1-1-0\.dll, no TLS directory, no DllMain$/);
  }
});

t.test('not a PE file: one line, no throw', async (t) => {
  const elf = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'elf', 'bin', 'amd64-floor.so'));
  t.same(readPe(elf), { error: 'not a PE file (no MZ header)' });
  t.same(readPe(new Uint8Array()), { error: 'not a PE file (no MZ header)' });
  const mzOnly = bytes('lean-amd64').slice(0, 0x80);
  mzOnly.fill(0, 0x40);
  t.same(readPe(mzOnly), { error: 'not a PE file (no PE signature where the MZ header points)' });
  t.same(readPeFile(join(DIR, 'absent.dll')), { error: 'no such file' });
  t.same(readPeFile(join(DIR, 'lean-386.dll')), readPe(bytes('lean-386')), 'the edge reader reads a file as the core reads its bytes');
});

t.test('truncated copies: a partial answer or one line at every length, never a throw', async (t) => {
  for (const name of ['full-amd64', 'full-386']) {
    const whole = bytes(name);
    let partial = 0;
    for (let n = 0; n < whole.length; n += n < 1024 ? 7 : 997) {
      const r = readPe(whole.subarray(0, n));
      if ('pe' in r) {
        partial++;
        if (r.pe.problems.length === 0) t.fail(`${name} cut at ${n} read whole`);
      } else if (!/^(not a PE file|truncated or corrupt PE headers)/.test(r.error)) t.fail(`${name} cut at ${n}: ${r.error}`);
    }
    t.ok(partial > 10, `${name}: most cuts still give the headers' facts (${partial})`);
  }
  // Cut inside the COFF symbol table: everything but DllMain is read.
  const cut = readPe(bytes('full-amd64').subarray(0, 80_000));
  t.ok('pe' in cut && cut.pe.exports.length === 4 && cut.pe.dllMain === 'unknown', 'exports read, DllMain unknown');
  t.match('pe' in cut && cut.pe.problems, [/^COFF symbols: \d+ COFF symbols do not fit in the file$/]);
});

/** A copy of a fixture with bytes written at a file offset. */
function patched(name: string, at: number, values: number[], width: 2 | 4): Uint8Array {
  const b = Uint8Array.from(bytes(name));
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) {
    if (width === 2) v.setUint16(at + i * 2, x, true);
    else v.setUint32(at + i * 4, x, true);
  }
  return b;
}

t.test('corrupted copies: bounded, each bad part a problem line', async (t) => {
  const name = 'full-amd64';
  const peAt = new DataView(bytes(name).buffer).getUint32(0x3c, true);
  const opt = peAt + 24;
  const dirs = opt + 112;
  // The export directory pointed outside every section.
  const exp = readPe(patched(name, dirs, [0x7fff0000], 4));
  t.ok('pe' in exp && exp.pe.exports.length === 0 && exp.pe.imports.length === 4, 'imports still read');
  t.match('pe' in exp && exp.pe.problems, ['exports: RVA 0x7fff0000 is in no section']);
  // The import directory pointed at the headers' zero padding: zero DLLs, not a loop.
  const none = readPe(patched(name, dirs + 8, [0x5e0], 4));
  t.same('pe' in none && [none.pe.imports, none.pe.crt, none.pe.problems], [[], 'none', []], 'an empty import directory');
  // 65,535 sections claimed: capped at the format's 96, no read past the file.
  const many = readPe(patched(name, peAt + 6, [0xffff], 2));
  t.ok('pe' in many || /^truncated/.test(many.error), 'section count capped');
  // A symbol table claimed far larger than the file.
  const syms = readPe(patched(name, peAt + 16, [0x0fffffff], 4));
  t.match('pe' in syms && syms.pe.problems, [/^COFF symbols: 268435455 COFF symbols do not fit/]);
  t.equal('pe' in syms && syms.pe.dllMain, 'unknown');
  // The DLL flag cleared: an executable, whose summary says nothing of DllMain.
  const exe = readPe(patched(name, peAt + 22, [0x0026], 2));
  t.equal(
    'pe' in exe && exe.pe.summary,
    'PE32+ executable amd64, 4 exports, needs WS2_32.dll KERNEL32.dll msvcrt.dll libgcc_s_seh-1.dll, TLS directory (3 callbacks)',
  );
  // An unknown optional-header magic.
  t.same(readPe(patched(name, opt, [0x999], 2)), { error: 'truncated or corrupt PE headers: unknown optional header magic 0x999' });
  // e_lfanew pointing past the end of the file.
  t.same(readPe(patched(name, 0x3c, [0xfffffff0], 4)), { error: 'not a PE file (no PE signature where the MZ header points)' });
});

t.test('a TLS callback array with no end is capped', async (t) => {
  // AddressOfCallBacks pointed at the start of .text, overwritten with 16 KB of non-zero bytes.
  const b = Uint8Array.from(bytes('libhello-amd64'));
  const v = new DataView(b.buffer);
  const peAt = v.getUint32(0x3c, true);
  const opt = peAt + 24;
  const sections = opt + v.getUint16(peAt + 20, true);
  const text = { va: v.getUint32(sections + 12, true), raw: v.getUint32(sections + 20, true) };
  const tlsRva = v.getUint32(opt + 112 + 9 * 8, true);
  const section = Array.from({ length: v.getUint16(peAt + 6, true) }, (_, i) => sections + i * 40).find(
    (s) => tlsRva >= v.getUint32(s + 12, true) && tlsRva < v.getUint32(s + 12, true) + v.getUint32(s + 8, true),
  );
  const tlsAt = v.getUint32((section ?? 0) + 20, true) + tlsRva - v.getUint32((section ?? 0) + 12, true);
  b.fill(0x11, text.raw, text.raw + 16_384);
  v.setBigUint64(tlsAt + 24, v.getBigUint64(opt + 24, true) + BigInt(text.va), true);
  const r = readPe(b);
  t.ok('pe' in r && r.pe.tls === undefined, 'no callback count is made up');
  t.same('pe' in r && r.pe.problems, ['TLS directory: a TLS callback array longer than 1024']);
});

// What Wine 10.0 (Debian trixie, csm-wine-exp-p) printed for each failure, made to happen as the harness runs a
// host: `wine host.exe` as nobody, WINEPREFIX=/opt/csm-wine/prefix, WINEDEBUG=fixme-all. loadlib.exe is a host
// that prints LoadLibrary's and GetProcAddress's GetLastError() and its FormatMessage text; hosthello.exe is
// cases/link/host.c; linkhost.exe calls Missing, which its import library (a .def) declares and libhello.dll lacks.
const WINE_NOISE = [
  'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
  '0050:err:vulkan:vulkan_init_once Failed to load libvulkan.so.1',
  '0050:err:winediag:nodrv_CreateWindow Application tried to create a window, but no driver could be loaded.',
  '00c4:err:ntoskrnl:ZwLoadDriver failed to create driver L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\winebth": c00000e5',
].join('\n');
const SEEN = {
  // wine /t/386/loadlib.exe 'Z:\t\amd64\libhello.dll' (and the amd64 host on the 386 DLL prints the same).
  crossMachine: `${WINE_NOISE}\ncsm-load-failed hello: LoadLibrary("Z:\\t\\amd64\\libhello.dll") failed: error 193: Bad EXE format for %1.  \ncsm-load-failed hello`,
  // wine /t/amd64/loadlib.exe 'Z:\t\full-amd64.dll', without libgcc_s_seh-1.dll anywhere.
  missingRuntime: `${WINE_NOISE}\n00fc:err:module:import_dll Library libgcc_s_seh-1.dll (which is needed by L"Z:\\\\t\\\\full-amd64.dll") not found\ncsm-load-failed hello: LoadLibrary("Z:\\t\\full-amd64.dll") failed: error 126: Module not found.  \ncsm-load-failed hello`,
  // wine /t/amd64/loadlib.exe 'Z:\t\amd64\libhello.dll' Nope.
  procNotFound: `${WINE_NOISE}\ncsm-loaded hello\nnot ok 1 - GetProcAddress("Nope") != NULL (error 127: Procedure not found.  )`,
  // wine /t/386/loadlib.exe 'Z:\t\nowhere\libhello.dll'.
  noFile: `${WINE_NOISE}\ncsm-load-failed hello: LoadLibrary("Z:\\t\\nowhere\\libhello.dll") failed: error 126: Module not found.  \ncsm-load-failed hello`,
  // wine /t/amd64/bare/hosthello.exe, libhello.dll neither beside it nor on WINEPATH.
  linkedNotFound: `${WINE_NOISE}\n0108:err:module:import_dll Library libhello.dll (which is needed by L"Z:\\\\t\\\\amd64\\\\bare\\\\hosthello.exe") not found\n0108:err:module:loader_init Importing dlls for L"Z:\\\\t\\\\amd64\\\\bare\\\\hosthello.exe" failed, status c0000135`,
  // WINEPATH='Z:\t\amd64\lib' wine /t/386/bare/hosthello.exe: the 386 host linked against libhello.dll finds the amd64 one.
  linkedCrossMachine: `0024:err:module:import_dll Loading library libhello.dll (which is needed by L"Z:\\\\t\\\\386\\\\bare\\\\hosthello.exe") failed (error c000007b).\n0024:err:module:loader_init Importing dlls for L"Z:\\\\t\\\\386\\\\bare\\\\hosthello.exe" failed, status c0000135`,
  // WINEPATH='Z:\t\amd64' wine /t/amd64/linkhost.exe: the host starts, and dies at its first call of Missing.
  unimplemented: `${WINE_NOISE}\nwine: Call from 00006FFFFFC85FA8 to unimplemented function libhello.dll.Missing, aborting\nwine: Unimplemented function libhello.dll.Missing called at address 00006FFFFFC85FA8 (thread 0128), starting debugger...`,
};

/** A host's facts as the reader would give them: only what the rules read. */
const hostOf = (machine: 'amd64' | 'i386', imports: PeSummary['imports'] = []): PeSummary => ({
  ...pe(machine === 'amd64' ? 'lean-amd64' : 'lean-386'),
  dll: false,
  exports: [],
  imports,
});

t.test('explanations from what Wine printed', async (t) => {
  const hello = { amd64: pe('libhello-amd64'), 386: pe('libhello-386') };
  t.equal(
    explainPeFailure({ failureText: SEEN.crossMachine, libraries: { hello: hello.amd64 }, host: hostOf('i386') }),
    'LoadLibrary refused libhello.dll: it is PE32+ amd64 and the host PE32 i386, and a process loads only DLLs of its own machine (ERROR_BAD_EXE_FORMAT, 193)',
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.missingRuntime, libraries: { full: pe('full-amd64') }, host: hostOf('amd64') }),
    "full.dll (__emutls_get_address) imports libgcc_s_seh-1.dll, mingw-w64's GCC runtime DLL, which is not shipped beside it (link with -static-libgcc, or ship the DLL)",
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.procNotFound, libraries: { hello: hello.amd64 }, host: hostOf('amd64') }),
    'libhello.dll does not export Nope (it exports Add, CountRunes, Greet) (ERROR_PROC_NOT_FOUND, 127)',
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.noFile, libraries: { hello: hello[386] }, host: hostOf('i386') }),
    'LoadLibrary found no libhello.dll at the path, or not one of the DLLs it imports: KERNEL32.dll msvcrt.dll (ERROR_MOD_NOT_FOUND, 126)',
  );
  const linked = hostOf('amd64', [{ dll: 'libhello.dll', functions: ['Add', 'CountRunes', 'Greet'] }]);
  t.equal(
    explainPeFailure({ failureText: SEEN.linkedNotFound, libraries: { hello: hello.amd64 }, host: linked }),
    "host.exe (Add, CountRunes, Greet) imports libhello.dll, a DLL this run built, which the loader did not find: its directory is neither the importer's nor on WINEPATH",
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.linkedCrossMachine, libraries: { hello: hello.amd64 }, host: hostOf('i386', linked.imports) }),
    'host.exe (PE32 i386) imports libhello.dll, which is PE32+ amd64: a process loads only DLLs of its own machine (STATUS_INVALID_IMAGE_FORMAT)',
  );
  const missing = hostOf('amd64', [{ dll: 'libhello.dll', functions: ['Add', 'Missing'] }]);
  t.equal(
    explainPeFailure({ failureText: SEEN.unimplemented, libraries: { hello: hello.amd64 }, host: missing }),
    'host.exe imports Missing from libhello.dll, which libhello.dll does not export (it exports Add, CountRunes, Greet); Wine loaded it anyway with a stub that aborts when called, where Windows refuses to load it',
  );
});

t.test('explanations without facts, and the lines that explain nothing', async (t) => {
  t.equal(
    explainPeFailure({ failureText: SEEN.linkedNotFound, libraries: {} }),
    'hosthello.exe imports libhello.dll, which the loader found neither beside it, on WINEPATH, nor in the Wine prefix',
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.crossMachine, libraries: {} }),
    'LoadLibrary refused the DLL as no valid image for this process (ERROR_BAD_EXE_FORMAT, 193)',
  );
  t.equal(
    explainPeFailure({ failureText: SEEN.linkedCrossMachine, libraries: {} }),
    'hosthello.exe imports libhello.dll, which was found but would not load (STATUS_INVALID_IMAGE_FORMAT)',
  );
  // An i386 stdcall export carries its argument bytes: the plain name is not found.
  const stdcall = { ...pe('libhello-386'), exports: [{ ordinal: 1, name: 'Add@8' }] };
  t.equal(
    explainPeFailure({ failureText: 'not ok 3 - GetProcAddress(h, "Add") != NULL', libraries: { hello: stdcall } }),
    'libhello.dll does not export Add; it exports Add@8, the stdcall-decorated name (ERROR_PROC_NOT_FOUND, 127)',
  );
  // WINEDEBUG=fixme-all,warn+module: Wine says at load that it stubbed the import (the same run as SEEN.unimplemented).
  const warned =
    '0124:warn:module:import_dll No implementation for libhello.dll.Missing imported from L"Z:\\\\t\\\\amd64\\\\linkhost.exe", setting to 00007FFFFE450000';
  t.match(
    explainPeFailure({ failureText: warned, libraries: {} }),
    /^a file imports Missing from libhello\.dll, which libhello\.dll does not export; Wine loaded it/,
  );
  // Wine's start-up noise alone, and a passing GetProcAddress check, explain nothing.
  t.equal(
    explainPeFailure({ failureText: `${WINE_NOISE}\nok 1 - GetProcAddress("Add") != NULL\nnot ok 2 - Add(2, 3) == 5`, libraries: {} }),
    undefined,
  );
});

t.test('the C runtime: msvcrt, the UCRT, a versioned MSVC runtime, none', async (t) => {
  const of = (...dlls: string[]) => crtOf(dlls.map((dll) => ({ dll, functions: [] })));
  t.same(of('KERNEL32.dll', 'msvcrt.dll'), { crt: 'msvcrt', crtDlls: ['msvcrt.dll'] });
  t.same(of('KERNEL32.dll', 'api-ms-win-crt-runtime-l1-1-0.dll', 'api-ms-win-crt-heap-l1-1-0.dll'), {
    crt: 'ucrt',
    crtDlls: ['api-ms-win-crt-runtime-l1-1-0.dll', 'api-ms-win-crt-heap-l1-1-0.dll'],
  });
  t.same(of('UCRTBASE.DLL'), { crt: 'ucrt', crtDlls: ['UCRTBASE.DLL'] });
  t.same(of('VCRUNTIME140.dll', 'KERNEL32.dll'), { crt: 'versioned', crtDlls: ['VCRUNTIME140.dll'] });
  t.same(of('KERNEL32.dll'), { crt: 'none', crtDlls: [] });
});

/**
 * A PE32+ DLL laid out by hand: no sections, SizeOfHeaders the whole file, so that an RVA is its file
 * offset; `dirs` are data directories (index: [rva, size]), `fill` writes the tables.
 */
function handMade(
  size: number,
  dirs: Record<number, [number, number]>,
  fill: (v: DataView, text: (at: number, s: string) => void) => void,
) {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  const coff = 0x44;
  const opt = coff + 20;
  v.setUint16(0, 0x5a4d, true);
  v.setUint32(0x3c, 0x40, true);
  v.setUint32(0x40, 0x4550, true);
  v.setUint16(coff, 0x8664, true);
  v.setUint16(coff + 16, 240, true);
  v.setUint16(coff + 18, 0x2022, true);
  v.setUint16(opt, 0x20b, true);
  v.setBigUint64(opt + 24, 0x180000000n, true);
  v.setUint32(opt + 60, size, true);
  v.setUint16(opt + 68, 3, true);
  v.setUint32(opt + 108, 16, true);
  for (const [i, [rva, len]] of Object.entries(dirs)) {
    v.setUint32(opt + 112 + Number(i) * 8, rva, true);
    v.setUint32(opt + 116 + Number(i) * 8, len, true);
  }
  fill(v, (at, s) => b.set(new TextEncoder().encode(`${s}\0`), at));
  const r = readPe(b);
  if ('error' in r) throw new Error(r.error);
  return r.pe;
}

t.test('hand-made tables: a forwarder, and walks a hostile file cannot make long', async (t) => {
  // An export whose address lies inside the export directory is a forwarder ("KERNEL32.Sleep"), the next one code.
  const fwd = handMade(0x2000, { 0: [0x200, 0x100] }, (v, text) => {
    for (const [at, x] of [
      [12, 0x280],
      [16, 5],
      [20, 2],
      [24, 1],
      [28, 0x240],
      [32, 0x250],
      [36, 0x258],
    ] as const)
      v.setUint32(0x200 + at, x, true);
    v.setUint32(0x240, 0x290, true);
    v.setUint32(0x244, 0x1000, true);
    v.setUint32(0x250, 0x2a0, true);
    text(0x280, 'fwd.dll');
    text(0x290, 'KERNEL32.Sleep');
    text(0x2a0, 'Nap');
  });
  t.same([fwd.name, fwd.exports], ['fwd.dll', [{ ordinal: 5, name: 'Nap', forwarder: 'KERNEL32.Sleep' }, { ordinal: 6 }]]);
  t.equal(fwd.summary, 'PE32+ DLL amd64, 2 exports, imports nothing, no TLS directory, DllMain unknown (stripped)');

  // 70,000 imports by ordinal from one DLL: capped at 65,536 in all.
  const many = handMade(0x400 + 70_001 * 8, { 1: [0x200, 40] }, (v, text) => {
    v.setUint32(0x200, 0x400, true);
    v.setUint32(0x20c, 0x300, true);
    text(0x300, 'loop.dll');
    for (let i = 0; i < 70_000; i++) v.setBigUint64(0x400 + i * 8, (1n << 63n) | BigInt(i % 65_536), true);
  });
  t.same([many.imports, many.problems], [[], ['imports: more than 65536 imported functions']]);

  // 1,100 import descriptors, each with an empty table: the first 1,024 are kept.
  const dlls = handMade(0x1000 + 1_101 * 20, { 1: [0x1000, 1_101 * 20] }, (v, text) => {
    text(0x300, 'one.dll');
    for (let i = 0; i < 1_100; i++) {
      v.setUint32(0x1000 + i * 20, 0x400, true);
      v.setUint32(0x1000 + i * 20 + 12, 0x300, true);
    }
  });
  t.same(
    [dlls.imports.length, dlls.imports[0], dlls.problems],
    [1_024, { dll: 'one.dll', functions: [] }, ['imports: an import directory longer than 1024 DLLs']],
  );

  // 65,536 export names, each the same 4,000-byte string: the name budget (32 MiB) ends the walk.
  const start = Date.now();
  const names = handMade(0x10000 + 65_536 * 10, { 0: [0x200, 40] }, (v, text) => {
    for (const [at, x] of [
      [20, 65_536],
      [24, 65_536],
      [28, 0x10000],
      [32, 0x10000 + 65_536 * 4],
      [36, 0x10000 + 65_536 * 8],
    ] as const)
      v.setUint32(0x200 + at, x, true);
    text(0x1000, 'x'.repeat(4_000));
    for (let i = 0; i < 65_536; i++) {
      v.setUint32(0x10000 + i * 4, 0x1000, true);
      v.setUint32(0x10000 + 65_536 * 4 + i * 4, 0x1000, true);
      v.setUint16(0x10000 + 65_536 * 8 + i * 2, i, true);
    }
  });
  t.same([names.exports, names.problems], [[], ['exports: names longer than 33554432 bytes in all']]);
  t.ok(Date.now() - start < 5_000, `bounded work (${Date.now() - start} ms)`);
});
