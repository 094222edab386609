import picomatch from 'picomatch';
import semver from 'semver';
import { UsageError } from './errors.js';
import type { CaseSpec, CellSpec, GoToolchain, Platform } from './types.js';

/** "a,b" or ["a,b","c"] → ["a","b","c"]: every filter takes comma lists and may repeat. A comma inside a glob's braces ("{a,b}-musl") stays. */
export function splitList(values: string | string[] | undefined): string[] {
  const all = Array.isArray(values) ? values : values === undefined ? [] : [values];
  return all
    .flatMap(splitOutsideBraces)
    .map((s) => s.trim())
    .filter(Boolean);
}

function splitOutsideBraces(v: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '{') depth++;
    else if (v[i] === '}') depth = Math.max(0, depth - 1);
    else if (v[i] === ',' && depth === 0) {
      parts.push(v.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(v.slice(start));
  return parts;
}

const GLOB = /[*?[\]{}!]/;

/**
 * Keep the named items, in table order. A wanted entry may be a glob
 * ("arm*", "*-musl", "{link,tls}"). An unknown name, or a glob that matches
 * nothing, is a usage error that lists the known ones.
 */
export function pick<T>(what: string, all: readonly T[], nameOf: (t: T) => string, wanted: string[]): T[] {
  if (!wanted.length) return [...all];
  const names = all.map(nameOf);
  const known = new Set(names);
  const tests = wanted.map((w) => ({ w, glob: GLOB.test(w), test: matcher(w) }));
  const unknown = tests.filter((x) => !x.glob && !known.has(x.w)).map((x) => `unknown ${what} "${x.w}"`);
  const empty = tests.filter((x) => x.glob && !names.some((n) => x.test(n))).map((x) => `no ${what} matches "${x.w}"`);
  const problems = [...unknown, ...empty];
  if (problems.length) throw new UsageError(`${problemList(problems, what)}; known: ${[...known].join(', ')}`);
  return all.filter((t) => tests.some((x) => x.test(nameOf(t))));
}

/** A name matches itself; a glob, by picomatch's rules. */
function matcher(w: string): (name: string) => boolean {
  if (!GLOB.test(w)) return (n) => n === w;
  const m = picomatch(w);
  return (n) => m(n);
}

/** "unknown platform "a", "b"" when every problem is an unknown name (the familiar line); else each said in full. */
function problemList(problems: string[], what: string): string {
  const prefix = `unknown ${what} `;
  if (problems.every((p) => p.startsWith(prefix))) return `${prefix}${problems.map((p) => p.slice(prefix.length)).join(', ')}`;
  return problems.join('; ');
}

export function newestGo(table: readonly GoToolchain[]): GoToolchain {
  const sorted = [...table].sort((a, b) => semver.compare(semver.coerce(a.version)!, semver.coerce(b.version)!));
  const last = sorted[sorted.length - 1];
  if (!last) throw new UsageError('images/go/versions.json lists no Go version');
  return last;
}

/** --go: nothing → the newest; "all" → every row; else a list of versions such as 1.24,1.27. */
export function pickGo(table: readonly GoToolchain[], wanted: string[]): GoToolchain[] {
  if (!wanted.length) return [newestGo(table)];
  if (wanted.includes('all')) return [...table];
  return pick(
    'Go version',
    table,
    (g) => g.version,
    wanted.map((w) => w.replace(/^go/, '')),
  );
}

/** "go1.27" for gc, "gccgo-14" for gccgo (core/toolchains.ts): how a column, a log directory and a cell id name the Go axis value. */
export const goLabel = (version: string): string => (version.startsWith('gccgo') ? version : `go${version}`);

/** A result's Go: the exact gc release when known ("1.27.4"), else its axis value ("1.27", "gccgo-14"). */
export const axesGo = (a: { go: string; goVersion?: string; toolchain?: string }): string =>
  a.toolchain === 'gccgo' ? a.go : (a.goVersion ?? a.go);
/** The same as a label: "go1.27.4", "gccgo-14". */
export const axesGoLabel = (a: { go: string; goVersion?: string; toolchain?: string }): string => goLabel(axesGo(a));

/** The userland of the toolchain image (core/userlands.ts): a run without the axis loads on it. */
export const DEFAULT_USERLAND = 'debian13';

/** A cell id's userland part: none for the default, so its cells keep the ids they had before the axis; "/debian11" else. */
export const userlandIdSuffix = (name: string | undefined): string => (!name || name === DEFAULT_USERLAND ? '' : `/${name}`);

/** The userland of a result's axes: absent means the default. */
export const userlandOfAxes = (a: { userland?: string }): string => a.userland ?? DEFAULT_USERLAND;

export const cellId = (caseName: string, platform: string, go: string, userland?: string): string =>
  `${caseName}/${platform}/${goLabel(go)}${userlandIdSuffix(userland)}`;

/**
 * Every case × platform × Go version (× userland when the run chose userlands:
 * `userlands` empty leaves the cells as they were without the axis), in a
 * stable order: Go, then case, then platform, then userland.
 */
export function expandMatrix(
  cases: readonly CaseSpec[],
  platforms: readonly Platform[],
  gos: readonly GoToolchain[],
  userlands: readonly string[] = [],
): CellSpec[] {
  const cells: CellSpec[] = [];
  const uls: (string | undefined)[] = userlands.length ? [...userlands] : [undefined];
  for (const go of gos)
    for (const c of cases)
      for (const platform of platforms)
        for (const u of uls)
          cells.push({
            id: cellId(c.name, platform.name, go.version, u),
            caseName: c.name,
            platform,
            go,
            ...(u ? { userland: u } : {}),
          });
  return cells;
}
