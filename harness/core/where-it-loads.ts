/**
 * "Where it loads": the glibc floor lines of a run's Go libraries (on musl
 * rows, what the row's musl does not define), one per distinct line, naming the libraries (case/library) and rows that share it. What
 * the terminal, matrix.md and report.html show once per library, not per cell.
 */
import { floorLine, someNames } from './glibc-floor.js';
import { probedCase } from './probes.js';
import type { CellResult } from './types.js';

export interface FloorGroup {
  /** The floor line without a row's manylinux architecture, so the rows of one floor share it. */
  line: string;
  /** "case/library", in the order met; a probe's library is its case's (the same build). */
  libraries: string[];
  platforms: string[];
}

export function whereItLoads(cells: readonly Pick<CellResult, 'axes' | 'elf'>[]): FloorGroup[] {
  const groups = new Map<string, { libraries: Set<string>; platforms: Set<string> }>();
  for (const c of cells)
    for (const [name, e] of Object.entries(c.elf?.libraries ?? {})) {
      // A musl file's line is what its row's musl (named with its version) lacks: it groups per userland.
      const line = e.glibcFloor ? floorLine(e.glibcFloor) : e.muslLine;
      if (!line) continue;
      const g = groups.get(line) ?? { libraries: new Set<string>(), platforms: new Set<string>() };
      groups.set(line, g);
      g.libraries.add(`${probedCase(c.axes.case)}/${name}`);
      g.platforms.add(c.axes.platform);
    }
  return [...groups].map(([line, g]) => ({ line, libraries: [...g.libraries], platforms: [...g.platforms] }));
}

/** One line per group: "link/hello, … on amd64-glibc, arm64-glibc: needs glibc ≥ 2.34 (…)". */
export const floorGroupLine = (g: FloorGroup): string => `${someNames(g.libraries, 3)} on ${g.platforms.join(', ')}: ${g.line}`;
