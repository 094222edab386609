import { join } from 'node:path';
import { create } from 'xmlbuilder2';
import { axesGo, axesGoLabel } from '../core/matrix.js';
import { isFailing, type RunResults } from '../core/results.js';
import type { CellResult } from '../core/types.js';
import { writeAtomic } from '../edge/files.js';
import type { Reporter } from './reporter.js';

/** How much of a cell's failure text goes into <failure>: its end, where the error is. */
export const FAILURE_TAIL_CHARS = 16 * 1024;

/**
 * XML 1.0 cannot carry most control characters even as character references,
 * nor lone surrogates or U+FFFE/U+FFFF. Case output is untrusted and often has
 * ANSI colours: show each such character as a visible \xNN (or \uNNNN) escape.
 */
export function xmlSafe(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(/[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, (ch) => {
    const n = ch.codePointAt(0)!;
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** For attributes: one line (parsers turn raw newlines and tabs in attributes into spaces anyway). */
const oneLine = (s: string, max = 500): string => {
  const t = xmlSafe(s).replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
};

/** The end of a long text, saying how much was cut. */
export function tail(s: string, max = FAILURE_TAIL_CHARS): string {
  if (s.length <= max) return s;
  const cut = s.length - max;
  const rest = s.slice(cut);
  const nl = rest.indexOf('\n');
  const clean = nl >= 0 && nl < 200 ? rest.slice(nl + 1) : rest;
  return `[… ${s.length - clean.length} earlier characters cut; the cell's logs have everything]\n${clean}`;
}

type XMLBuilder = ReturnType<typeof create>;

const secs = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

const goLabel = (c: CellResult): string => axesGoLabel(c.axes);

interface Suite {
  platform: string;
  go: string;
  cells: CellResult[];
}

/** Suites in matrix-column order (platforms as they first appear, then Go versions), cases in row order. */
function suitesOf(r: Pick<RunResults, 'cells'>): Suite[] {
  const plats = [...new Set(r.cells.map((c) => c.axes.platform))];
  const gos = [...new Set(r.cells.map((c) => c.axes.go))];
  const out: Suite[] = [];
  for (const p of plats)
    for (const g of gos) {
      const cells = r.cells.filter((c) => c.axes.platform === p && c.axes.go === g);
      if (cells.length) out.push({ platform: p, go: goLabel(cells[0]!), cells });
    }
  return out;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function countsOf(cells: readonly CellResult[]): Counts {
  const n = (f: (c: CellResult) => boolean) => cells.filter(f).length;
  return {
    tests: cells.length,
    failures: n((c) => isFailing(c.verdict)),
    errors: n((c) => c.verdict === 'error'),
    skipped: n((c) => c.verdict === 'na'),
  };
}

const countAttrs = (c: Counts) => ({
  tests: String(c.tests),
  failures: String(c.failures),
  errors: String(c.errors),
  skipped: String(c.skipped),
});

/** The body of a <failure> or <error>: the failure text's tail, then where the logs are. */
function failureBody(c: CellResult): string {
  const parts: string[] = [];
  if (c.verdict === 'xpass' && c.expectation)
    parts.push(`expected to fail: ${c.expectation.label} ${c.expectation.link}${c.expectation.why ? ` (${c.expectation.why})` : ''}`);
  else if (c.expectation && !c.expectation.matched)
    parts.push(
      `an expectation covers this cell but did not match: ${c.expectation.label} ${c.expectation.link}${c.expectation.why ? ` (${c.expectation.why})` : ''}`,
    );
  if (c.explanation) parts.push(`why: ${c.explanation}`);
  const bad = c.checks.filter((k) => !k.ok);
  if (bad.length) parts.push(bad.map((k) => `not ok - ${k.text}`).join('\n'));
  if (c.failureText) parts.push(tail(c.failureText.trimEnd()));
  const logs = Object.entries(c.logs);
  if (logs.length) parts.push(`logs (relative to the run directory):\n${logs.map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  return xmlSafe(parts.join('\n\n'));
}

function addCase(suite: XMLBuilder, c: CellResult): void {
  const tc = suite.ele('testcase', {
    classname: oneLine(`cshared-matrix.${c.axes.platform}.${goLabel(c)}`),
    name: oneLine(c.axes.case),
    time: secs(c.durationMs),
  });
  const message = oneLine(`${c.stage}: ${c.summary}`);
  switch (c.verdict) {
    case 'pass':
      break;
    case 'xfail': {
      const e = c.expectation;
      tc.ele('properties').ele('property', { name: 'xfail', value: oneLine(e ? `${e.label} ${e.link}` : c.summary) });
      break;
    }
    case 'fail':
    case 'xpass':
    case 'flaky':
      tc.ele('failure', { message, type: c.verdict }).txt(failureBody(c));
      break;
    case 'timeout':
      tc.ele('failure', { message, type: 'timeout' }).txt(failureBody(c));
      break;
    case 'error':
      tc.ele('error', { message, type: 'error' }).txt(failureBody(c));
      break;
    case 'na':
      tc.ele('skipped', { message: oneLine(`not applicable: ${c.summary}`) });
      break;
  }
}

/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test-report actions):
 * one <testsuite> per platform × Go version, one <testcase> per case. xfail is a
 * pass with an "xfail" property naming the upstream bug; na is skipped.
 */
export function renderJunit(r: RunResults): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele('testsuites', {
    name: oneLine(`cshared-matrix ${r.run.id}`),
    ...countAttrs(countsOf(r.cells)),
    time: secs(r.run.durationMs),
    timestamp: r.run.startedAt,
  });
  suitesOf(r).forEach((s, i) => {
    const cellSecs = s.cells.reduce((a, c) => a + Math.max(0, c.durationMs), 0);
    const suite = root.ele('testsuite', {
      name: oneLine(`${s.platform} ${s.go}`),
      id: String(i),
      ...countAttrs(countsOf(s.cells)),
      time: secs(cellSecs),
      timestamp: r.run.startedAt,
    });
    const first = s.cells[0]!.axes;
    const props = suite.ele('properties');
    const prop = (name: string, value: string | undefined) => value !== undefined && props.ele('property', { name, value: oneLine(value) });
    prop('platform', first.platform);
    prop('goarch', first.goarch);
    prop('goarm', first.goarm);
    prop('libc', first.libc);
    prop('cpu', first.cpu);
    prop('go', axesGo(first));
    if (r.run.interrupted) prop('interrupted', 'true');
    for (const c of s.cells) addCase(suite, c);
  });
  // wellFormed: a last guard; xmlSafe has already removed what XML cannot hold.
  return doc.end({ prettyPrint: true, wellFormed: true });
}

/** junit.xml: the run as JUnit test results, for CI test-report views. */
export class JunitReporter implements Reporter {
  onEnd(results: RunResults, runDir: string): void {
    writeAtomic(join(runDir, 'junit.xml'), `${renderJunit(results)}\n`);
  }
}
