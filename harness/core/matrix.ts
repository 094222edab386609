import semver from 'semver';
import type { CaseSpec, CellSpec, GoToolchain, Platform } from './types.js';
import { UsageError } from './errors.js';

/** "a,b" or ["a,b","c"] → ["a","b","c"]: every filter takes comma lists and may repeat. */
export function splitList(values: string | string[] | undefined): string[] {
  const all = Array.isArray(values) ? values : values === undefined ? [] : [values];
  return all.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Keep the named items, in table order; an unknown name is a usage error that lists the known ones. */
export function pick<T>(what: string, all: readonly T[], nameOf: (t: T) => string, wanted: string[]): T[] {
  if (!wanted.length) return [...all];
  const known = new Set(all.map(nameOf));
  const unknown = wanted.filter((w) => !known.has(w));
  if (unknown.length) throw new UsageError(`unknown ${what} ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${[...known].join(', ')}`);
  return all.filter((t) => wanted.includes(nameOf(t)));
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
  return pick('Go version', table, (g) => g.version, wanted.map((w) => w.replace(/^go/, '')));
}

export const cellId = (caseName: string, platform: string, go: string): string => `${caseName}/${platform}/go${go}`;

/** Every case × platform × Go version, in a stable order: Go, then case, then platform. */
export function expandMatrix(cases: readonly CaseSpec[], platforms: readonly Platform[], gos: readonly GoToolchain[]): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const go of gos)
    for (const c of cases)
      for (const platform of platforms) cells.push({ id: cellId(c.name, platform.name, go.version), caseName: c.name, platform, go });
  return cells;
}
