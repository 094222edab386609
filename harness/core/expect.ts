import semver from 'semver';
import { DEFAULT_USERLAND } from './matrix.js';
import { isEmulated } from './platforms.js';
import type { ExpectationRule, OneOrMany, Platform } from './types.js';

export interface CellAxes {
  platform: Platform;
  /** The exact Go version that built the cell when known (1.27.4), else the series (1.27); for gccgo, its axis value. */
  go: string;
  /** Absent: gc. */
  toolchain?: 'gc' | 'gccgo';
  /** Absent: the default userland (core/userlands.ts). */
  userland?: string;
}

const oneOf = (want: OneOrMany | undefined, have: string | undefined): boolean =>
  want === undefined || (have !== undefined && (Array.isArray(want) ? want : [want]).includes(have));

function goMatches(range: string | undefined, version: string): boolean {
  if (range === undefined) return true;
  const v = semver.coerce(version);
  return v !== null && semver.satisfies(v, range, { includePrerelease: true });
}

export function ruleSelects(rule: ExpectationRule, axes: CellAxes): boolean {
  return whenSelects(rule.when, axes);
}

/** An expectation's `when`, and a case's tier rule's (core/tiers.ts): one grammar, one matcher. */
export function whenSelects(when: ExpectationRule['when'], axes: CellAxes): boolean {
  const p = axes.platform;
  return (
    oneOf(when.platform, p.name) &&
    oneOf(when.os, p.goos ?? 'linux') &&
    oneOf(when.libc, p.libc) &&
    oneOf(when.goarch, p.goarch) &&
    oneOf(when.goarm, p.goarm) &&
    (when.emulated === undefined || when.emulated === isEmulated(p)) &&
    oneOf(when.toolchain, axes.toolchain ?? 'gc') &&
    oneOf(when.userland, axes.userland ?? DEFAULT_USERLAND) &&
    // A gccgo cell has no gc release for a range to select.
    (when.go === undefined || (axes.toolchain !== 'gccgo' && goMatches(when.go, axes.go)))
  );
}

/** The first rule whose selector matches: rules are ordered, most specific first by convention. */
export function findExpectation(rules: readonly ExpectationRule[] | undefined, axes: CellAxes): ExpectationRule | undefined {
  return (rules ?? []).find((r) => ruleSelects(r, axes));
}

/**
 * The rules for a cell: its row's first, then the case's own. A row's rule
 * says a target where nothing builds (ppc64), once, for every case; what a
 * case expects of glibc cannot happen there, so the row's comes first.
 */
export function rulesFor(caseRules: readonly ExpectationRule[] | undefined, platform: Platform): ExpectationRule[] {
  return [...(platform.expect ?? []).map((r) => ({ ...r, when: { platform: platform.name, ...r.when } })), ...(caseRules ?? [])];
}

/**
 * "https://github.com/golang/go/issues/54805" → "go#54805", for narrow cells;
 * "cases/multi/README.md#gccgo" (a finding not reported upstream) → "multi finding".
 * A project's own tracker (a config file's rules) in the GitLab or Gitea shape,
 * ".../mylib/-/issues/7", gives "mylib#7", and Jira's ".../browse/LIB-7" gives
 * "LIB-7"; any other link is kept whole.
 */
export function shortLink(url: string): string {
  // A finding nobody has reported upstream: its write-up in this repository's cases/.
  const finding = /^cases\/([^/]+)\/README\.md#/.exec(url);
  if (finding) return `${finding[1]} finding`;
  // go.dev/issue/N is golang/go's tracker under another name.
  const goIssue = /^https?:\/\/go\.dev\/issues?\/(\d+)\/?$/.exec(url);
  if (goIssue) return `go#${goIssue[1]}`;
  // Documented behaviour: Go's own documentation, not an issue.
  if (/^https?:\/\/(pkg\.)?go\.dev\//.test(url)) return 'Go docs';
  const m = /github\.com\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)/.exec(url);
  if (m) return m[1] === 'golang' && m[2] === 'go' ? `go#${m[3]}` : `${m[1]}/${m[2]}#${m[3]}`;
  const tracker = /^https?:\/\/[^/]+\/(?:[^?#]*\/)?([^/?#]+)\/issues\/(\d+)\/?(?:[?#].*)?$/.exec(url.replace('/-/issues/', '/issues/'));
  if (tracker) return `${tracker[1]}#${tracker[2]}`;
  const jira = /\/browse\/([A-Z][A-Z0-9_]+-\d+)\/?(?:[?#].*)?$/.exec(url);
  return jira ? jira[1]! : url;
}
