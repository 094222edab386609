import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import type { RunResults } from '../../harness/core/results.js';
import type { CellResult } from '../../harness/core/types.js';
import { makeReporters, REPORTERS } from '../../harness/reporters/index.js';
import { FAILURE_TAIL_CHARS, JunitReporter, renderJunit, tail, xmlSafe } from '../../harness/reporters/junit.js';
import { cell, IE_TLS_RULE, runResults, tempDir } from '../support/helpers.js';

/** Untrusted host output: markup, an ANSI colour, a NUL, a CDATA terminator, a lone surrogate. */
const NASTY = 'exited with code 2\n<img src=x onerror=alert(1)> & "quotes" \x1b[31mred\x1b[0m \x00nul ]]> end \ud800 \r\nlast line';

function results(cells: CellResult[], over: Partial<RunResults['run']> = {}): RunResults {
  return runResults(cells, { run: over, exitCode: 1 });
}

/** Two Go versions × two platforms × four cases, every verdict at least once. */
function matrix(): CellResult[] {
  const out: CellResult[] = [];
  for (const [go, goVersion] of [
    ['1.26', '1.26.9'],
    ['1.27', '1.27.4'],
  ] as const) {
    for (const p of ['amd64-glibc', 'amd64-musl']) {
      const musl = p.endsWith('musl');
      const mk = (name: string, over: Partial<CellResult>) => {
        const c = cell(name, p, go, { durationMs: 1500, ...over });
        c.axes.goVersion = goVersion;
        out.push(c);
      };
      mk('link', {});
      mk(
        'dlopen',
        musl
          ? { verdict: 'xfail', stage: 'load', stageOk: false, summary: IE_TLS_RULE.label, expectation: { ...IE_TLS_RULE, matched: true } }
          : go === '1.27'
            ? {
                verdict: 'fail',
                stage: 'run',
                stageOk: false,
                summary: 'run: <b>bold</b> & broken',
                failureText: NASTY,
                checks: [{ ok: false, text: 'Add(2, 3) == 5' }],
                explanation: 'library uses <TLS>',
                logs: { run: 'logs/run.log' },
              }
            : {
                verdict: 'xpass',
                stage: 'checks',
                stageOk: true,
                summary: 'expected IE TLS did not happen',
                expectation: { ...IE_TLS_RULE, matched: false, why: 'the expected failure did not happen' },
              },
      );
      mk(
        'threads',
        musl
          ? {
              verdict: 'timeout',
              stage: 'run',
              stageOk: false,
              summary: 'run: timed out after 30.0 s',
              failureText: 'timed out\nstill waiting',
            }
          : { verdict: 'error', stage: 'build', stageOk: false, summary: 'engine went away', failureText: 'docker: connection reset' },
      );
      mk('python', musl ? { verdict: 'na', stage: 'run', stageOk: false, summary: 'no Python for amd64-musl in the image' } : {});
    }
  }
  return out;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['testsuite', 'testcase', 'property', 'failure', 'error', 'skipped'].includes(name),
  trimValues: false,
});

type Node = Record<string, unknown> & { '#text'?: string };
const parse = (xml: string) =>
  parser.parse(xml) as { testsuites: Node & { testsuite: (Node & { testcase: Node[]; properties: { property: Node[] } })[] } };
const attrs = (n: Node, ...names: string[]) => Object.fromEntries(names.map((k) => [k, n[`@${k}`]]));

t.test('the XML is well-formed and parses back into suites per platform × Go', async (t) => {
  const xml = renderJunit(results(matrix()));
  t.equal(XMLValidator.validate(xml), true, 'valid XML');
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
  const doc = parse(xml).testsuites;
  t.same(
    attrs(doc, 'tests', 'failures', 'errors', 'skipped', 'time'),
    { tests: '16', failures: '4', errors: '2', skipped: '2', time: '83.400' },
    'root counts: fail+xpass+timeout are failures, error errors, na skipped',
  );
  t.equal(doc['@name'], 'cshared-matrix 2026-11-26T11-50-59Z-ab12');
  t.same(
    doc.testsuite.map((s) => s['@name']),
    ['amd64-glibc go1.26.9', 'amd64-glibc go1.27.4', 'amd64-musl go1.26.9', 'amd64-musl go1.27.4'],
    'one suite per platform × Go version, in matrix column order',
  );
  const suite = (name: string) => doc.testsuite.find((s) => s['@name'] === name)!;
  t.same(attrs(suite('amd64-glibc go1.27.4'), 'tests', 'failures', 'errors', 'skipped', 'time'), {
    tests: '4',
    failures: '1',
    errors: '1',
    skipped: '0',
    time: '6.000',
  });
  t.same(
    attrs(suite('amd64-glibc go1.26.9'), 'tests', 'failures', 'errors', 'skipped'),
    { tests: '4', failures: '1', errors: '1', skipped: '0' },
    'xpass counts as a failure',
  );
  t.same(attrs(suite('amd64-musl go1.27.4'), 'tests', 'failures', 'errors', 'skipped'), {
    tests: '4',
    failures: '1',
    errors: '0',
    skipped: '1',
  });
  let sum = 0;
  for (const s of doc.testsuite) {
    t.equal(s.testcase.length, Number(s['@tests']), `${s['@name']}: tests attribute counts its testcases`);
    sum += s.testcase.length;
  }
  t.equal(sum, 16);
  const props = Object.fromEntries(suite('amd64-musl go1.27.4').properties.property.map((p) => [p['@name'], p['@value']]));
  t.same(props, { platform: 'amd64-musl', goarch: 'amd64', libc: 'musl', cpu: 'native', go: '1.27.4' });

  const tcs = suite('amd64-musl go1.27.4').testcase;
  t.same(
    tcs.map((c) => attrs(c, 'classname', 'name', 'time')),
    ['link', 'dlopen', 'threads', 'python'].map((name) => ({ classname: 'cshared-matrix.amd64-musl.go1.27.4', name, time: '1.500' })),
  );
});

t.test('each verdict becomes the JUnit element a CI system expects', async (t) => {
  const doc = parse(renderJunit(results(matrix()))).testsuites;
  const tc = (suite: string, name: string) => doc.testsuite.find((s) => s['@name'] === suite)!.testcase.find((c) => c['@name'] === name)!;
  // Element children only (pretty-printing leaves whitespace text between them).
  const children = (n: Node) => Object.keys(n).filter((k) => !k.startsWith('@') && !(k === '#text' && !String(n[k]).trim()));

  t.same(children(tc('amd64-glibc go1.27.4', 'link')), [], 'pass: a plain testcase');

  const xfail = tc('amd64-musl go1.27.4', 'dlopen');
  t.same(children(xfail), ['properties'], 'xfail: a pass, with a property');
  t.same(
    (xfail.properties as { property: Node[] }).property.map((p) => attrs(p, 'name', 'value')),
    [{ name: 'xfail', value: 'IE TLS (go#54805) https://github.com/golang/go/issues/54805' }],
  );

  const fail = tc('amd64-glibc go1.27.4', 'dlopen');
  const f = (fail.failure as Node[])[0]!;
  t.same(
    attrs(f, 'message', 'type'),
    { message: 'run: run: <b>bold</b> & broken', type: 'fail' },
    'fail: message is stage: summary, markup round-trips as text',
  );
  const body = f['#text']!;
  t.match(body, '<img src=x onerror=alert(1)> & "quotes"', 'markup in the output comes back as text');
  t.match(body, '\\x1b[31mred\\x1b[0m', 'ANSI escapes shown as \\x1b');
  t.match(body, '\\x00nul ]]> end \\ud800', 'NUL and a lone surrogate made visible; ]]> survives');
  t.match(body, 'not ok - Add(2, 3) == 5');
  t.match(body, 'why: library uses <TLS>');
  t.match(body, 'run: logs/run.log', 'log paths listed');
  t.notMatch(body, '\r');

  const xpass = (tc('amd64-glibc go1.26.9', 'dlopen').failure as Node[])[0]!;
  t.same(attrs(xpass, 'type'), { type: 'xpass' });
  t.match(xpass['#text'], 'expected to fail: IE TLS (go#54805) https://github.com/golang/go/issues/54805');

  const timeout = (tc('amd64-musl go1.27.4', 'threads').failure as Node[])[0]!;
  t.same(attrs(timeout, 'message', 'type'), { message: 'run: run: timed out after 30.0 s', type: 'timeout' });
  t.match(timeout['#text'], 'still waiting');

  const error = tc('amd64-glibc go1.27.4', 'threads');
  t.notOk(error.failure, 'error is not a failure');
  t.same(attrs((error.error as Node[])[0]!, 'message', 'type'), { message: 'build: engine went away', type: 'error' });

  const na = tc('amd64-musl go1.27.4', 'python');
  t.same(children(na), ['skipped']);
  t.same(attrs((na.skipped as Node[])[0]!, 'message'), { message: 'not applicable: no Python for amd64-musl in the image' });
});

t.test('escaping at the raw-XML level', async (t) => {
  const xml = renderJunit(results(matrix()));
  t.notMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'no control characters XML 1.0 forbids');
  t.notMatch(xml, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogates');
  t.notMatch(xml, '<img', 'no raw markup from case output');
  t.notMatch(xml, ']]>', 'no raw CDATA terminator');
  t.match(xml, '&lt;img src=x onerror=alert(1)&gt;');
  // Attributes stay single-line: parsers would fold raw newlines to spaces anyway.
  for (const m of xml.matchAll(/message="([^"]*)"/g)) t.notMatch(m[1]!, /\n/);
});

t.test('xmlSafe and tail', async (t) => {
  t.equal(xmlSafe('a\tb\nc\r\nd\re'), 'a\tb\nc\nd\ne', 'tabs and newlines kept, CR normalised');
  t.equal(xmlSafe('\x1b[0m\x7f\x00\ufffe😀é'), '\\x1b[0m\x7f\\x00\\ufffe😀é', 'only what XML forbids is replaced');
  t.equal(tail('short'), 'short');
  const long = `${'first line\n'.repeat(5000)}the end`;
  const out = tail(long);
  t.ok(out.length <= FAILURE_TAIL_CHARS + 100);
  t.match(out, /^\[… \d+ earlier characters cut; the cell's logs have everything\]\nfirst line\n/, 'cut at a line boundary, with a note');
  t.ok(out.endsWith('the end'));
});

t.test('a huge failure text is cut to its tail', async (t) => {
  const c = cell('big', 'amd64-glibc', '1.27', {
    verdict: 'fail',
    stage: 'run',
    stageOk: false,
    summary: 'boom',
    failureText: `${'x'.repeat(200_000)}\nTHE ERROR\n`,
  });
  const doc = parse(renderJunit(results([c]))).testsuites;
  const body = (doc.testsuite[0]!.testcase[0]!.failure as Node[])[0]!['#text']!;
  t.ok(body.length < FAILURE_TAIL_CHARS + 500, `body is ${body.length} chars`);
  t.match(body, 'THE ERROR');
});

t.test('an empty or interrupted run is still a valid report', async (t) => {
  const xml = renderJunit(results([], { interrupted: true }));
  t.equal(XMLValidator.validate(xml), true);
  const doc = parse(xml).testsuites;
  t.same(attrs(doc, 'tests', 'failures', 'errors', 'skipped'), { tests: '0', failures: '0', errors: '0', skipped: '0' });
  t.notOk(doc.testsuite);
});

t.test('the reporter writes junit.xml into the run directory', async (t) => {
  t.ok('junit' in REPORTERS);
  t.ok(makeReporters(['junit'])[0] instanceof JunitReporter);
  const dir = tempDir(t);
  await new JunitReporter().onEnd(results(matrix()), dir);
  const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.equal(XMLValidator.validate(xml), true);
  t.equal(parse(xml).testsuites['@tests'], '16');
});
