import { hostLangOf } from './host-kind.js';
import type { CaseFile, Platform } from './types.js';

/**
 * What a Windows row changes, decided here alone: a Go library is a DLL, the
 * host an .exe compiled with mingw-w64, run under Wine with paths as Windows
 * sees them. Wine is not Windows: every Windows cell records Wine's version,
 * and the reports label the rows with it.
 */
/**
 * The Wine prefix of a Windows row's image: prepared once when the layer is
 * built (images/row/Dockerfile), owned by the hosts' user, read-only to them
 * like the rest of the root: no cell leaves anything in it for the next.
 */
export const WINE_PREFIX = '/opt/csm-wine/prefix';

export const isWindows = (p: Pick<Platform, 'goos'>): boolean => p.goos === 'windows';

/**
 * A library's file on the row: on Windows the ".so" suffix (and any version
 * after it) becomes ".dll", so lib<name>.so is lib<name>.dll, whose cgo
 * header stays lib<name>.h, and a dotted name (lib.hello.v1.so) stays dotted.
 */
export function libFileOn(p: Pick<Platform, 'goos'>, file: string): string {
  return isWindows(p) ? file.replace(/\.so(\.[0-9]+)*$/, '.dll') : file;
}

/** The host's file name: Windows runs only what ends in .exe (mingw's gcc adds it otherwise). */
export const hostFileOn = (p: Pick<Platform, 'goos'>): string => (isWindows(p) ? 'host.exe' : 'host');

/** A path of the run volume as a Windows program sees it under Wine: drive Z: is the root. */
export const windowsPath = (unixPath: string): string => `Z:${unixPath.replace(/\//g, '\\')}`;

/** The C sources and flags a host compiles from on the row: a case's Windows host where it has one. */
export function hostSourcesOn(p: Pick<Platform, 'goos'>, c: Pick<CaseFile, 'host' | 'windows'>) {
  const w = isWindows(p) && c.windows && 'sources' in c.windows ? c.windows : undefined;
  // A Windows host's flags replace the Linux host's: -D_GNU_SOURCE or -ldl mean nothing to mingw-w64.
  if (w) return { sources: w.sources, cflags: w.cflags ?? [], ldflags: w.ldflags ?? [] };
  return { sources: c.host?.sources ?? [], cflags: c.host?.cflags ?? [], ldflags: c.host?.ldflags ?? [] };
}

/** Why a Python or Java host has no interpreter on a Windows row. */
export const NO_WINDOWS_LANG = {
  python: 'no Python for Windows here: Debian ships CPython for Linux only, so a ctypes host has no Windows interpreter to run under Wine',
  java: 'no JVM for Windows here: Debian ships OpenJDK for Linux only, so a JNI host has no Windows JVM to run under Wine',
} as const;

/**
 * Why a case's cell cannot exist on a row, for what the row is (its `na`, a
 * Windows row's missing languages and loader features, the case's own word);
 * undefined when it can.
 */
export function rowNa(p: Platform, c: Pick<CaseFile, 'host' | 'windows' | 'run'>): string | undefined {
  if (p.na) return p.na;
  if (!isWindows(p)) return undefined;
  if (c.windows && 'na' in c.windows) return `not on Windows: ${c.windows.na}`;
  const lang = hostLangOf(c);
  if (lang) return NO_WINDOWS_LANG[lang];
  if (c.run?.preload?.length)
    return "LD_PRELOAD is the ELF dynamic loader's: Windows has no way to load a DLL into a program that names none of it";
  return undefined;
}

/**
 * Wine's own errors are kept (a failed import says which DLL, and for whom);
 * its FIXMEs and the errors of a desktop a console host never has (no display
 * driver, no Vulkan, no tray, no Bluetooth driver) are not: measured, they were
 * every line of a passing host's stderr.
 */
const WINEDEBUG = 'fixme-all,err-vulkan,err-winediag,err-systray,err-ntoskrnl';
/** No display: Wine's Wayland driver would say "XDG_RUNTIME_DIR is invalid" on every start. */
const WINEDLLOVERRIDES = 'winewayland.drv,winex11.drv=d';

/**
 * The environment a host on a Windows row runs with: the image's Wine prefix
 * (prepared once, read-only: no cell leaves anything in it for another), and
 * each library's directory on PATH, where Windows finds a linked DLL.
 */
export function wineEnv(prefix: string, libDirs: readonly string[]): string[] {
  return [
    `WINEPREFIX=${prefix}`,
    `WINEDEBUG=${WINEDEBUG}`,
    `WINEDLLOVERRIDES=${WINEDLLOVERRIDES}`,
    'HOME=/tmp',
    `WINEPATH=${libDirs.map(windowsPath).join(';')}`,
  ];
}

/** `wine --version`'s line ("wine-10.0 (Debian 10.0~repack-6)") as the reports label a row: "Wine 10.0". */
export function wineLabel(version: string | undefined): string | undefined {
  const m = /^wine-([0-9][0-9.]*)/.exec(version ?? '');
  return m ? `Wine ${m[1]}` : undefined;
}

/** Each Windows platform of a run and the Wine its hosts ran under, as its cells recorded it. */
export function wineByPlatform(cells: readonly { axes: { platform: string; wine?: string } }[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of cells) if (c.axes.wine && !m.has(c.axes.platform)) m.set(c.axes.platform, c.axes.wine);
  return m;
}

/** A platform's name as the reports head its column: a Windows row says what ran it ("windows-amd64 (Wine 10.0)"). */
export function platformLabel(platform: string, wine: ReadonlyMap<string, string>): string {
  const w = wineLabel(wine.get(platform));
  return w ? `${platform} (${w})` : platform;
}

/** The line under a run's matrix when Windows rows ran: where their verdicts come from. */
export function wineLine(wine: ReadonlyMap<string, string>): string | undefined {
  if (!wine.size) return undefined;
  const versions = [...new Set(wine.values())].join(', ');
  return `${[...wine.keys()].join(', ')}: run under ${versions}, not Windows: a failure seen only there is a Wine finding until a report from real Windows shows the same`;
}
