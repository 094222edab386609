// Issue 28: what a Windows row changes, pure: file names, paths as Windows
// sees them, the host's sources, what is n/a there and why, Wine's
// environment and the reports' labels; and the command lines the sandbox runs
// for a Windows cell.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { whenSelects } from '../../harness/core/expect.js';
import { renderMarkdown, renderText, toGrid } from '../../harness/core/render.js';
import {
  hostFileOn,
  hostSourcesOn,
  libFileOn,
  platformLabel,
  rowNa,
  WINE_PREFIX,
  windowsPath,
  wineByPlatform,
  wineEnv,
  wineLabel,
  wineLine,
} from '../../harness/core/windows.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { goBuildCmd, goLibEnv, hostCompileCmd, hostEnv, runCmd } from '../../harness/sandbox/commands.js';
import { goLibDir, hostPath } from '../../harness/sandbox/paths.js';
import { windowsLinkProbeCmd } from '../../harness/sandbox/scripts.js';
import { planSteps } from '../../harness/sandbox/steps.js';
import { cell, platform, runResults } from '../support/helpers.js';

const win = platform('windows-amd64');
const win32 = platform('windows-386');
const linux = platform('amd64-glibc');
const link = loadCase(join(DEFAULT_CASES_DIR, 'link'));
const dlopen = loadCase(join(DEFAULT_CASES_DIR, 'dlopen'));

t.test('a library is a DLL on Windows, its header name unchanged; the host an .exe', async (t) => {
  t.equal(libFileOn(win, 'libhello.so'), 'libhello.dll', 'lib<name>.dll: cgo writes lib<name>.h beside it, which hosts include');
  t.equal(libFileOn(win, 'lib.hello.v1.so'), 'lib.hello.v1.dll', 'a dotted name stays dotted (go#78238)');
  t.equal(libFileOn(win, 'libx.so.1.2'), 'libx.dll', 'a versioned .so name is one DLL');
  t.equal(libFileOn(linux, 'libhello.so'), 'libhello.so', 'Linux unchanged');
  t.equal(hostFileOn(win), 'host.exe');
  t.equal(hostFileOn(linux), 'host');
  t.match(hostPath(link, win, '1.27'), /^\/work\/out\/go1\.27\/windows-amd64\/host\/link\/host\.exe$/);
});

t.test('paths as a program under Wine sees them: drive Z: is the root', async (t) => {
  t.equal(
    windowsPath('/work/out/go1.27/windows-386/golib/hello-x/libhello.dll'),
    'Z:\\work\\out\\go1.27\\windows-386\\golib\\hello-x\\libhello.dll',
  );
});

t.test("a case's Windows host: its own sources and flags, else host's as they are", async (t) => {
  const host = { sources: ['host.c'], cflags: ['-DX'], ldflags: ['-lm'] };
  t.same(hostSourcesOn(win, { host }), { sources: ['host.c'], cflags: ['-DX'], ldflags: ['-lm'] }, 'absent: the C host compiles as it is');
  t.same(hostSourcesOn(win, { host, windows: { sources: ['host_windows.c'] } }), { sources: ['host_windows.c'], cflags: [], ldflags: [] });
  t.same(hostSourcesOn(linux, { host, windows: { sources: ['host_windows.c'] } }).sources, ['host.c'], 'Linux rows keep host.c');
  t.same(hostSourcesOn(win, { host, windows: { na: 'x' } }).sources, ['host.c'], 'n/a decides elsewhere (rowNa)');
});

t.test('what cannot exist on a Windows row, and why', async (t) => {
  const c = { host: { sources: ['host.c'] } };
  t.equal(rowNa(win, c), undefined, 'a C host runs');
  t.equal(rowNa(win, { ...c, windows: { na: 'fork() does not exist on Windows' } }), 'not on Windows: fork() does not exist on Windows');
  t.equal(
    rowNa(linux, { ...c, windows: { na: 'fork() does not exist on Windows' } }),
    undefined,
    'the Windows word binds Windows rows only',
  );
  t.match(rowNa(win, { host: { python: 'host.py' } }), /^no Python for Windows here: Debian ships CPython for Linux only/);
  t.match(rowNa(win32, { host: { java: 'Host.java' } }), /^no JVM for Windows here: Debian ships OpenJDK for Linux only/);
  t.match(rowNa(win, { ...c, run: { preload: ['hello'] } }), /^LD_PRELOAD is the ELF dynamic loader's/);
  t.match(rowNa(platform('windows-arm64'), c), /^windows\/arm64 is a Go target, but a c-shared DLL is linked by a C toolchain for it/);
});

t.test('expectations select Windows rows by os (and msvcrt by libc)', async (t) => {
  const axes = (p: typeof win) => ({ platform: p, go: '1.27.4' });
  t.ok(whenSelects({ os: 'windows' }, axes(win)));
  t.ok(whenSelects({ os: ['linux', 'windows'] }, axes(win32)));
  t.notOk(whenSelects({ os: 'windows' }, axes(linux)));
  t.ok(whenSelects({ os: 'linux' }, axes(linux)), 'a row without goos is linux');
  t.ok(whenSelects({ libc: 'msvcrt', go: '>=1.25' }, axes(win)));
  t.notOk(whenSelects({ os: 'windows', go: '<1.25' }, axes(win)));
});

t.test("a Windows cell's command lines: GOOS=windows, mingw-w64, the DLL linked directly, Wine with its prefix", async (t) => {
  const lib = link.libraries[0]!;
  const out = goLibDir(link, lib, win, '1.27');
  t.same(goBuildCmd(link, lib, win, out), ['go', 'build', '-buildmode=c-shared', '-trimpath', '-o', `${out}/libhello.dll`, './hello.go']);
  const env = goLibEnv(link, lib, win32, '/cache/go');
  t.ok(env.includes('GOOS=windows') && env.includes('GOARCH=386') && env.includes('GO386=sse2'), env.join(' '));
  t.ok(env.includes('CC=i686-w64-mingw32-gcc'));
  t.notOk(goLibEnv(link, lib, linux, '/c').includes('GOOS=windows'), 'Linux builds stay GOOS=linux');
  const cc = hostCompileCmd(link, win, '1.27');
  t.equal(cc[0], 'x86_64-w64-mingw32-gcc');
  t.ok(cc.includes(`-L${out}`) && cc.includes('-lhello'), 'mingw-w64 links against the DLL itself');
  t.notOk(
    cc.some((a) => a.startsWith('-Wl,-rpath') || a === '-ldl' || a === '-lpthread'),
    'no rpath, no libdl or libpthread: Windows finds a DLL on PATH',
  );
  t.equal(cc[cc.indexOf('-o') + 1], hostPath(link, win, '1.27'));
  const henv = hostEnv(dlopen, win, '1.27', 30_000);
  const dir = goLibDir(dlopen, dlopen.libraries[0]!, win, '1.27');
  t.ok(henv.includes(`CSM_LIB_HELLO=${windowsPath(`${dir}/libhello.dll`)}`), 'the DLL as a Windows path');
  t.ok(henv.includes(`WINEPREFIX=${WINE_PREFIX}`) && henv.includes(`WINEPATH=${windowsPath(dir)}`), 'the prefix, and the DLL on PATH');
  t.notOk(
    hostEnv(dlopen, linux, '1.27', 30_000).some((e) => e.startsWith('WINE')),
    'no Wine variable on Linux',
  );
  const run = runCmd(link, win, '1.27', 60_000, 'n');
  t.same(run.slice(-2), ['wine', hostPath(link, win, '1.27')], 'the supervisor runs wine host.exe, as nobody');
});

t.test("Wine's environment: its errors kept, its desktop's noise not, the libraries on PATH", async (t) => {
  const env = wineEnv('/opt/p', ['/a/b', '/c']);
  t.same(env, [
    'WINEPREFIX=/opt/p',
    'WINEDEBUG=fixme-all,err-vulkan,err-winediag,err-systray,err-ntoskrnl',
    'WINEDLLOVERRIDES=winewayland.drv,winex11.drv=d',
    'HOME=/tmp',
    'WINEPATH=Z:\\a\\b;Z:\\c',
  ]);
  t.notMatch(env.join(' '), /err-module/, 'err:module stays: a DLL Wine could not find is named by it');
});

t.test('reports: a Windows column says what ran it; the line under the matrix says Wine is not Windows', async (t) => {
  t.equal(wineLabel('wine-10.0 (Debian 10.0~repack-6)'), 'Wine 10.0');
  t.equal(wineLabel('wine-9.22'), 'Wine 9.22');
  t.equal(wineLabel(undefined), undefined);
  t.equal(wineLabel('\u001b[31mevil'), undefined, 'anything else is no label');
  const w = cell('link', 'windows-amd64', '1.27');
  const r = runResults([
    { ...w, axes: { ...w.axes, os: 'windows', wine: 'wine-10.0 (Debian 10.0~repack-6)' } },
    cell('link', 'amd64-glibc', '1.27'),
  ]);
  const wine = wineByPlatform(r.cells);
  t.equal(platformLabel('windows-amd64', wine), 'windows-amd64 (Wine 10.0)');
  t.equal(platformLabel('amd64-glibc', wine), 'amd64-glibc');
  t.same(toGrid(r).columns, ['windows-amd64 (Wine 10.0)', 'amd64-glibc']);
  t.same(toGrid(r, { wine: false }).columns, ['windows-amd64', 'amd64-glibc'], "the terminal's upright names stay short");
  t.match(
    wineLine(wine),
    /^windows-amd64: run under wine-10\.0 \(Debian 10\.0~repack-6\), not Windows: a failure seen only there is a Wine finding/,
  );
  t.equal(wineLine(new Map()), undefined);
  t.match(renderMarkdown(r), /\| case \| windows-amd64 \(Wine 10\.0\) \| amd64-glibc \|/);
  t.match(renderMarkdown(r), /windows-amd64: run under wine-10\.0 \(Debian 10\.0\\~repack-6\), not Windows/);
  t.match(renderText(r, { width: 120 }), /windows:\n {2}windows-amd64: run under wine-10\.0/);
});

t.test("a Windows link probe names one export of each DLL, so mingw-w64's ld keeps the import", async (t) => {
  const dir = t.testdir({
    'libhello.h':
      'extern const char *_GoStringPtr(_GoString_ s);\n/* End of boilerplate cgo prologue.  */\nextern "C" {\nextern int Add(int a, int b);\nextern char* Greet(char* name);\n',
    'libnone.h': '/* End of boilerplate cgo prologue.  */\n',
    'libevil.h': '/* End of boilerplate cgo prologue.  */\nextern int $(id)(int);\n',
  });
  const run = (prefix: string, headers: string[]) => {
    const argv = windowsLinkProbeCmd(
      prefix,
      headers.map((h) => `${dir}/${h}`),
      ['echo', 'cc', '-o', 'host.exe'],
    );
    return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  };
  t.equal(run('', ['libhello.h']).stdout, 'cc -o host.exe -Wl,-u,Add\n', "the first export after cgo's prologue");
  t.equal(run('_', ['libhello.h', 'libhello.h']).stdout, 'cc -o host.exe -Wl,-u,_Add -Wl,-u,_Add\n', 'i386 symbols carry "_"');
  const none = run('', ['libnone.h']);
  t.equal(none.status, 1);
  t.match(none.stderr, /libnone\.h declares no export: the link probe has nothing to link its DLL by/);
  t.equal(run('', ['libevil.h']).status, 1, 'a name that is not a C identifier is no export');
  const probe = loadCase(join(DEFAULT_CASES_DIR, 'link'));
  const steps = planSteps(
    { id: 'x', caseName: 'link', platform: win32, go: { version: '1.27', suite: 'trixie' } },
    { ...probe, probe: 'link' },
    { imageId: 'sha256:1', programsHash: 'h' },
  );
  const host = steps.find((s) => s.stage === 'host-compile')!;
  t.same(host.cmd.slice(0, 2), ['/bin/sh', '-c'], 'the probe compile goes through the script');
  t.ok(host.cmd.includes('_') && host.cmd.some((a) => a.endsWith('/libhello.h')), host.cmd.join(' '));
});
