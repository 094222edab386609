import { compareVersions } from './distros.js';
import type { ElfFacts } from './elf.js';
import { UsageError } from './errors.js';
import { beyondLimit, glibcFloor } from './glibc-floor.js';
import type { BaseRecipe } from './recipe.js';
import type { CellSpec, Platform } from './types.js';

/**
 * Building for a glibc floor (--glibc-floor, config glibcFloor): which Debian
 * release's toolchain keeps a library's needs at or below the floor, and what
 * its image holds. The data is images/floor/recipe.json; this is pure, so the
 * choice is unit-tested without an engine.
 *
 * Why an older release's own toolchain and not a sysroot: Debian's cross
 * compilers search their own libc before any --sysroot, so a trixie gcc binds
 * GLIBC_2.34 whatever it is pointed at; bullseye's gcc with bullseye's libc
 * cannot bind what that libc does not have.
 */

export interface FloorRelease {
  suite: string;
  /** Debian's release number, for the lines people read ("Debian 11"). */
  debian: string;
  glibc: string;
  gcc: string;
  /** The compiler packages this release does not ship: the rows that need them build as today. */
  lacks?: string[];
  /** The release the base already is: a floor here builds as today, with no image of its own. */
  today?: boolean;
}

/** images/floor/recipe.json: the releases, and what every floor image holds before the rows add their compilers. */
export interface FloorRecipeFile extends Omit<BaseRecipe, 'suite'> {
  releases: FloorRelease[];
}

/** A floor as the user wrote it: `2.NN` (glibc has been 2.x since 1997), or one line naming the field and the fix. */
export function parseGlibcFloor(field: string, value: string): string {
  if (!/^2\.(0|[1-9][0-9]?)$/.test(value))
    throw new UsageError(`${field} ${JSON.stringify(value)} is not a glibc version: give one like 2.31 (2.<minor>)`);
  return value;
}

/**
 * The release whose toolchain builds for `floor`: the newest whose glibc is at
 * most the floor (bullseye for 2.31 to 2.35, bookworm for 2.36 to 2.40,
 * today's for 2.41 and above). Below the oldest, nothing on the mirror is that
 * old: one line, exit 2.
 */
export function floorRelease(releases: readonly FloorRelease[], floor: string, field = '--glibc-floor'): FloorRelease {
  const fitting = releases.filter((r) => compareVersions(r.glibc, floor) <= 0).sort((a, b) => compareVersions(b.glibc, a.glibc));
  const chosen = fitting[0];
  if (chosen) return chosen;
  const oldest = [...releases].sort((a, b) => compareVersions(a.glibc, b.glibc))[0];
  throw new UsageError(
    `${field} ${floor}: the oldest toolchain here is Debian ${oldest?.debian} ${oldest?.suite}'s, glibc ${oldest?.glibc} (the Debian mirror serves nothing older): give ${oldest?.glibc} or above`,
  );
}

/** A row's compiler packages: its gcc and cross libc, not its runner, musl, Python or JVM. */
const COMPILER = /^(gcc(-[a-z0-9_]+(-[a-z0-9_]+)*)?|libc6-dev(-[a-z0-9]+-cross)?)$/;
export const compilerPackages = (p: Platform): string[] => (p.packages ?? []).filter((pkg) => COMPILER.test(pkg));

/** How a row builds under a floor: in the release's image, or as today and why. */
export type FloorCoverage = { kind: 'floor'; release: FloorRelease } | { kind: 'today'; reason: string };

export function floorCoverage(release: FloorRelease, p: Platform): FloorCoverage {
  if (release.today) return { kind: 'today', reason: `glibc floor ${release.glibc}: today's toolchain (Debian ${release.suite}) keeps it` };
  if (p.libc !== 'glibc')
    return {
      kind: 'today',
      reason: `the glibc floor does not apply to ${p.name}: it links musl, so it builds as today (Debian trixie's musl)`,
    };
  const missing = compilerPackages(p).filter((pkg) => release.lacks?.includes(pkg));
  if (missing.length)
    return {
      kind: 'today',
      reason: `Debian ${release.debian} (${release.suite}) ships no ${missing.join(' or ')}: ${p.name} has no toolchain of glibc ${release.glibc}'s age and builds as today, not for the floor`,
    };
  return { kind: 'floor', release };
}

/** The run's lines: where the glibc rows build, and each row that builds as today, with why. */
export function floorLines(release: FloorRelease | undefined, rows: readonly Platform[]): string[] {
  if (!release) return [];
  if (release.today)
    return [`glibc floor ${release.glibc}: today's toolchain (Debian ${release.debian} ${release.suite}, glibc ${release.glibc}) keeps it`];
  const asToday = rows.flatMap((p) => {
    const c = floorCoverage(release, p);
    return c.kind === 'today' ? [`  ${c.reason}`] : [];
  });
  const head = `glibc floor ${release.glibc}: the glibc rows build in Debian ${release.debian} ${release.suite}'s toolchain (gcc ${release.gcc}, glibc ${release.glibc}) with the run's Go tree; a library or host needing more fails at build`;
  return [head, ...asToday];
}

/** What a cell's result says of the floor: the toolchain it built in, or why it built as today. */
export function floorNote(release: FloorRelease, p: Platform): { floor: string; toolchain?: string; asToday?: string } {
  const c = floorCoverage(release, p);
  return c.kind === 'floor'
    ? { floor: release.glibc, toolchain: `Debian ${release.debian} ${release.suite} (gcc ${release.gcc}, glibc ${release.glibc})` }
    : { floor: release.glibc, asToday: c.reason };
}

/** Why gccgo cells are n/a under a floor: gccgo-14 and its libgo are trixie's only. */
export const gccgoUnderFloor = (floor: string, gcc: string): string =>
  `gccgo-${gcc} is Debian trixie's (glibc 2.41), and its libgo needs that glibc: no gccgo builds for the glibc floor ${floor}`;

/**
 * The recipe of a release's floor image: the file's own part, plus the
 * compiler packages of every glibc row the release has them for. The same
 * shape as the base's, so both of the base's ways build it.
 */
export function deriveFloorRecipe(file: FloorRecipeFile, release: FloorRelease, rows: readonly Platform[]): BaseRecipe {
  const { releases: _releases, ...own } = file;
  const covered = rows.filter((p) => floorCoverage(release, p).kind === 'floor');
  return {
    ...own,
    suite: release.suite,
    sources: own.sources.map((s) => s.replaceAll('{suite}', release.suite)),
    include: [...new Set([...own.include, ...covered.flatMap(compilerPackages)])],
  };
}

/** "the glibc floor 2.31 (Debian 11 bullseye's toolchain)" when the cell builds for a floor; undefined when it builds as today. */
export function builtForFloor(floor: FloorRelease | undefined, cell: CellSpec): string | undefined {
  if (!floor || cell.go.gccgo || floorCoverage(floor, cell.platform).kind !== 'floor') return undefined;
  return `the glibc floor ${floor.glibc} (Debian ${floor.debian} ${floor.suite}'s toolchain)`;
}

/**
 * What a file built for the floor still needs above it, in one line; the
 * loader would refuse it on a libc of the floor's age, so its build fails
 * instead. undefined when it needs no more, or the cell builds as today.
 */
export function aboveFloor(floor: FloorRelease | undefined, cell: CellSpec, what: string, facts: ElfFacts | undefined): string | undefined {
  const where = builtForFloor(floor, cell);
  if (!floor || !where || !facts) return undefined;
  const needs = glibcFloor({ imports: facts.imports, ...(facts.versionsRequired ? { required: facts.versionsRequired } : {}) });
  const above = beyondLimit(needs, floor.glibc);
  return above && `built for ${where}, ${what} still ${above}`;
}
