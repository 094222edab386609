// Untrusted text, as a hostile case, host or results.json would write it, through
// every sanitizer and every renderer that shows it: terminal and CI log, Markdown.
import { PassThrough } from 'node:stream';
import { XMLValidator } from 'fast-xml-parser';
import type { Token } from 'marked';
import t, { type Test } from 'tap';
import { pauseWorkflowCommands } from '../../harness/cli/common.js';
import { diffRuns, renderDiffMarkdown } from '../../harness/core/diff.js';
import { renderMarkdown, renderText } from '../../harness/core/render.js';
import type { RunResults } from '../../harness/core/results.js';
import {
  escapeControls,
  markdownCode,
  markdownFence,
  markdownFileLink,
  markdownLink,
  markdownText,
  terminalField,
  terminalText,
} from '../../harness/core/sanitize.js';
import type { CellResult } from '../../harness/core/types.js';
import { parseCaseFile } from '../../harness/edge/case-files.js';
import { displayText, renderHtml } from '../../harness/reporters/html.js';
import { renderJunit } from '../../harness/reporters/junit.js';
import { TerminalReporter } from '../../harness/reporters/terminal.js';
import { renderRepro } from '../../harness/run/repro.js';
import { cell, markdownTokens, minimalCaseFile, runResults } from '../support/helpers.js';
import { setEnv } from '../support/run-command.js';

/** Every vector of issue 23, items 1 and 2. */
const VECTORS = {
  clear: '\x1b[2J\x1b[H',
  osc8: '\x1b]8;;https://evil.example/\x07click me\x1b]8;;\x07',
  osc52: '\x1b]52;c;cm0gLXJmIH4vKgo=\x07',
  forgedError: '\r::error title=forged::all cells passed',
  addMask: '\r::add-mask::hunter2',
  newlineWarning: '\n::warning::forged by a label',
  spacedCommand: '\n   ::notice::indented',
  legacy: 'x ##[error]legacy command anywhere in a line',
  heading: '\n# ✅ All cells passed',
  details: '<details open><summary>hidden</summary>',
  nul: 'before\x00after',
  bareCr: 'host text\r# a bare CR',
  c1: 'c1 \x85 next line \x9b31m',
  del: 'del \x7f',
  bidi: 'access \u202eresu\u202c level \u2066x\u2069',
  separators: 'a\u2028b\u2029c',
  links: '[click](https://evil.example) ![img](https://evil.example/x.png) https://evil.example www.evil.example',
  fence: '\n```\ncode\n```\n',
  table: 'a | b',
  entity: '&#x202E; &lt;b&gt;',
  math: '$\\color{red}{forged}$',
  script: '</script><script>alert(1)</script>',
};
const HOSTILE = Object.values(VECTORS).join(' ');

/** Raw bytes that must never reach a terminal or a CI log: C0 but newline, DEL, C1, bidi controls and separators. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** A line the Actions runner would run: `::` after leading white space, or `##[` anywhere. */
const commandLines = (text: string): string[] => text.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l) || l.includes('##['));

t.test('escapeControls: every control shown as a visible escape, nothing else touched', async (t) => {
  t.equal(escapeControls('\x1b[2J'), '\\e[2J');
  t.equal(escapeControls('a\rb\nc\td\0e\x07f\bg\vh\fi'), 'a\\rb\\nc\\td\\0e\\af\\bg\\vh\\fi');
  t.equal(escapeControls('\x01\x7f\x85\x9f'), '\\x01\\x7f\\x85\\x9f');
  t.equal(escapeControls('\u202e\u2066\u2028\u200f'), '\\u{202e}\\u{2066}\\u{2028}\\u{200f}');
  t.equal(escapeControls('tab\there', true), 'tab\there', 'tabs kept when asked');
  t.equal(escapeControls('héllo ✅ ☑️ 世界 \\ plain'), 'héllo ✅ ☑️ 世界 \\ plain', 'printable text, emoji and backslashes unchanged');
  t.equal(escapeControls(undefined), '');
  t.equal(escapeControls(42), '42', 'a number from a forged results.json is text');
});

t.test('terminalField: the vectors of item 1', async (t) => {
  t.equal(terminalField(VECTORS.clear), '\\e[2J\\e[H');
  t.equal(terminalField(VECTORS.osc8), '\\e]8;;https://evil.example/\\aclick me\\e]8;;\\a');
  t.equal(terminalField(VECTORS.osc52), '\\e]52;c;cm0gLXJmIH4vKgo=\\a');
  t.equal(terminalField(VECTORS.forgedError), '\\r::error title=forged::all cells passed');
  t.equal(terminalField(VECTORS.addMask), '\\r::add-mask::hunter2');
  t.equal(terminalField(VECTORS.newlineWarning), '\\n::warning::forged by a label');
  t.equal(terminalField('::error::at the start'), '\\::error::at the start', 'a field that starts with :: cannot start a line with it');
  t.equal(terminalField('  ::error::indented'), '  \\::error::indented', 'the runner trims leading white space first');
  t.equal(terminalField('\u3000::error::ideographic space'), '\u3000\\::error::ideographic space', 'Unicode white space too');
  t.equal(terminalField('std::vector and a::b'), 'std::vector and a::b', ':: inside a line is left alone');
  t.equal(terminalField(VECTORS.legacy), 'x ##\\[error]legacy command anywhere in a line', 'the legacy ##[cmd] is broken wherever it is');
  t.equal(terminalField(VECTORS.nul), 'before\\0after');
  t.equal(terminalField(VECTORS.bidi), 'access \\u{202e}resu\\u{202c} level \\u{2066}x\\u{2069}');
  t.equal(terminalField('a\tb'), 'a\\tb', 'a one-line field has no tab either');
  const all = terminalField(HOSTILE);
  t.notMatch(all, RAW_CONTROL, 'no raw control character');
  t.notOk(all.includes('\n'), 'one line');
  t.same(commandLines(all), [], 'no workflow command');
});

t.test('terminalText: lines kept, each one safe', async (t) => {
  t.equal(terminalText('first\n::warning::second\n\tthird\x1b[31m'), 'first\n\\::warning::second\n\tthird\\e[31m');
  const all = terminalText(HOSTILE);
  t.notMatch(all, RAW_CONTROL);
  t.same(commandLines(all), [], 'no line of it is a workflow command');
});

t.test('markdownText: nothing untrusted opens Markdown', async (t) => {
  t.equal(markdownText('<details open>'), '\\<details open\\>');
  t.equal(markdownText('a | b'), 'a \\| b');
  t.equal(markdownText('[x](https://e.example) ![i](y)'), '\\[x\\](https\\://e.example) !\\[i\\](y)');
  t.equal(markdownText('*b* _i_ ~s~ `c` $m$ &amp; \\'), '\\*b\\* \\_i\\_ \\~s\\~ \\`c\\` \\$m\\$ \\&amp; \\\\');
  t.equal(markdownText('see www.evil.example or http://x'), 'see www\\.evil.example or http\\://x', 'no bare URL becomes a link');
  t.equal(markdownText('a\x00b\rc\nd'), 'a\\\\0b\\\\rc\\\\nd', 'controls as escapes, their backslash escaped so it shows');
  t.equal(
    markdownText('IE TLS (go#54805): load failed - see above'),
    'IE TLS (go#54805): load failed - see above',
    'ordinary text reads as it was',
  );
});

t.test('markdownCode, markdownFence, markdownLink, markdownFileLink', async (t) => {
  t.equal(markdownCode('link/amd64-glibc/go1.27'), '`link/amd64-glibc/go1.27`');
  t.equal(markdownCode('a`b``c'), '```a`b``c```', 'the fence is longer than any backtick run inside');
  t.equal(markdownCode('`x'), '`` `x ``');
  t.equal(markdownCode('a\nb'), '`a\\nb`');
  t.equal(markdownCode('x ##[error]y'), 'x ##\\[error\\]y', 'a legacy command is escaped text, not code');
  t.equal(markdownFence('a\n````\nb'), '`````\na\n````\nb\n`````');
  t.equal(markdownLink('https://github.com/golang/go/issues/1'), '<https://github.com/golang/go/issues/1>');
  t.equal(markdownLink('https://e.example/a(b)|c', 'go#1 [x]'), '[go#1 \\[x\\]](https://e.example/a%28b%29%7Cc)');
  t.equal(markdownLink('https://e.example/\n::warning::x'), 'https\\://e.example/\\\\n::warning::x', 'not a plain URL: text');
  t.equal(markdownLink('javascript:alert(1)', 'x'), 'x (javascript:alert(1))');
  t.equal(markdownLink('cases/python/README.md#gccgo'), 'cases/python/README.md#gccgo');
  t.equal(markdownFileLink('log', 'logs/a b/run.log'), '[log](logs/a%20b/run.log)');
  t.equal(markdownFileLink('log', 'logs/x)/run.log'), '[log](logs/x%29/run.log)');
  t.equal(markdownFileLink('log', 'javascript:alert(1)'), 'javascript:alert(1)');
  t.equal(markdownFileLink('log', 'logs/\ud800.log'), 'logs/\ud800.log', 'a path encodeURI refuses is text');
});

/** A results.json in which every string a case, a host, a row or a forged file can set is hostile. */
function hostileResults(): RunResults {
  const expectation = {
    when: {},
    verdict: 'fail' as const,
    match: 'x',
    link: `https://evil.example/${VECTORS.newlineWarning}`,
    label: `label ${VECTORS.newlineWarning}`,
    reason: HOSTILE,
    matched: true,
  };
  const c = (over: Partial<CellResult>): CellResult => {
    const base = cell('link', 'amd64-glibc', '1.27', over);
    return { ...base, id: `${HOSTILE}/amd64-glibc/go1.27`, axes: { ...base.axes, case: HOSTILE }, ...over };
  };
  const cells = [
    c({
      verdict: 'fail',
      stage: 'load',
      stageOk: false,
      summary: HOSTILE,
      failureText: HOSTILE,
      explanation: HOSTILE,
      logs: { run: `logs/${VECTORS.details}/run.log` },
    }),
    {
      ...c({ verdict: 'xfail', stage: 'load', stageOk: false, summary: HOSTILE, expectation }),
      axes: { ...cell('link', 'amd64-musl', '1.27').axes, case: HOSTILE, platform: `musl ${HOSTILE}` },
      id: `${HOSTILE}/musl/go1.27`,
    },
  ];
  return runResults(cells, {
    run: {
      id: `run ${VECTORS.heading}`,
      canaries: {
        [`row ${VECTORS.clear}`]: { outcome: 'ran', level: HOSTILE, detail: HOSTILE },
        [`row2 ${VECTORS.details}`]: { outcome: 'none', level: HOSTILE, detail: '' },
      },
      emulation: { [`row ${VECTORS.osc52}`]: { factor: 2, nativeMs: 1, emulatedMs: 2 } as never },
    },
    images: [{ go: '1.27', tag: `tag ${VECTORS.fence}`, id: `sha256:${HOSTILE}`, tools: { go: HOSTILE } }],
  });
}

t.test('matrix.md (and the job summary) of a hostile run: the only headings, HTML, links and blocks are ours', async (t) => {
  const md = renderMarkdown(hostileResults());
  t.notMatch(md, RAW_CONTROL, 'no NUL, CR, ESC or other control byte');
  const tokens = markdownTokens(md);
  const of = (type: string) => tokens.filter((x) => x.type === type);
  t.same(
    of('heading').map((h) => (h as Token & { depth: number }).depth),
    [1],
    'one heading: ours',
  );
  t.match(
    (of('heading')[0] as Token & { text: string }).text,
    /^cshared-matrix run run \\\\n# ✅ All cells passed$/,
    'the forged heading is text in ours',
  );
  t.same(of('html'), [], 'no HTML');
  t.same(of('link').concat(of('image')), [], 'no link or image (the hostile link is not a plain URL)');
  t.same(of('code'), [], 'no code block');
  t.same(of('blockquote'), [], 'no block quote');
  t.same(of('del'), [], 'no strike-through');
  t.equal(of('table').length, 1, 'one table');
  const table = of('table')[0] as Token & { header: unknown[]; rows: unknown[][] };
  t.ok(
    table.rows.every((r) => r.length === table.header.length),
    'every row has as many cells as the header',
  );
  t.same(
    md.split('\n').filter((l) => /^\s*::/.test(l)),
    [],
    'no line starts with ::',
  );
  t.notOk(md.includes('##['), 'no legacy workflow command');
  t.ok(md.includes('\\\\e\\]52;c;'), 'the OSC 52 write is shown, escaped');
});

t.test('diff.md of hostile runs: the same', async (t) => {
  const old = hostileResults();
  const now = hostileResults();
  now.cells = now.cells.map((c) => ({ ...c, verdict: 'fail' }));
  // A forged file's counts are whatever it says.
  old.counts = { ...old.counts, total: VECTORS.details as never, fail: VECTORS.heading as never };
  const md = renderDiffMarkdown(diffRuns(old, now));
  t.notMatch(md, RAW_CONTROL);
  const tokens = markdownTokens(md);
  t.same(
    tokens.filter((x) => x.type === 'heading').map((h) => (h as Token & { depth: number }).depth),
    [1, 2, 2, 2, 2, 2],
    'our headings only',
  );
  t.same(
    tokens.filter((x) => x.type === 'html' || x.type === 'image' || x.type === 'code'),
    [],
  );
  t.same(commandLines(md), [], 'printed to a CI log, no line is a workflow command');
  for (const tab of tokens.filter((x) => x.type === 'table') as (Token & { header: unknown[]; rows: unknown[][] })[])
    t.ok(
      tab.rows.every((r) => r.length === tab.header.length),
      'table cells hold',
    );
});

t.test('the closing grid and notes of a hostile run: no control byte, no workflow command', async (t) => {
  const text = renderText(hostileResults());
  t.notMatch(text, RAW_CONTROL);
  t.same(commandLines(text), []);
  t.ok(text.includes('\\e]52;c;'), 'the OSC 52 write is shown, escaped');
  t.ok(
    text.includes('label \\n::warning::forged by a label: https://evil.example/\\n::warning::forged by a label'),
    'the label and link note, on one line',
  );
});

t.test('renderRepro of a hostile report: the reported text and each actual line are fields', async (t) => {
  const text = renderRepro(
    {
      reported: [HOSTILE],
      cells: [
        {
          id: HOSTILE,
          platform: 'amd64-glibc',
          go: '1.27',
          kind: 'host',
          verdict: 'fail',
          reproduces: true,
          actual: HOSTILE,
          bundle: `bundles/${VECTORS.osc52}`,
        },
      ],
      reproducedIn: 1,
    },
    '/tmp/run',
  );
  t.notMatch(text, RAW_CONTROL);
  t.same(commandLines(text), []);
  t.match(text, /^reported: \\e\[2J/);
});

t.test('report.html and junit.xml of a hostile run hold (their own escaping)', async (t) => {
  const html = renderHtml(hostileResults(), {});
  for (const raw of ['<details open><summary>hidden', '<script>alert(1)', '\x1b]52;', '\x00'])
    t.notOk(html.includes(raw), `report.html: no raw ${JSON.stringify(raw)}`);
  const xml = renderJunit(hostileResults());
  t.equal(XMLValidator.validate(xml), true, 'junit.xml is well-formed XML 1.0 (no NUL or ESC in it)');
  t.notOk(xml.includes('<details open>'), 'junit.xml: the HTML is text');
  t.equal(
    displayText('a\x9b31m \u202eb\u202c\tc\nd\x00'),
    'a\\x9b31m \\u{202e}b\\u{202c}\tc\nd\\x00',
    'inlined logs: C1 and bidi controls shown too, lines and tabs kept',
  );
});

/** A stream a TerminalReporter writes to, with what it got. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  Object.assign(out, { isTTY, columns: 200, rows: 50 });
  let text = '';
  (out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  return { out, text: () => text };
}

/** Drive a reporter through a hostile run: a log line, a live step, a failed cell, the end. */
function hostileRun(rep: TerminalReporter): void {
  const r = hostileResults();
  rep.onBegin({ runId: 'x', runDir: `/tmp/${VECTORS.forgedError}`, cells: r.cells as never, jobs: 1 });
  rep.onLog(`engine said: ${HOSTILE}`);
  rep.onStep({ id: HOSTILE } as never, 'run');
  for (const c of r.cells) rep.onCellEnd(c);
  rep.onEnd(r, '/tmp/nonexistent-run');
}

/** Set environment variables for one test. */
function withEnv(t: Test, env: Record<string, string | undefined>): void {
  t.teardown(setEnv(env));
}

t.test('TerminalReporter in CI (CI=true, not a TTY): every line it prints is safe', async (t) => {
  withEnv(t, { CI: 'true', GITHUB_ACTIONS: 'true' });
  const s = stream(false);
  hostileRun(new TerminalReporter(s.out));
  const text = s.text();
  t.notMatch(text, RAW_CONTROL, 'no ESC, BEL, NUL, CR or C1 byte');
  t.same(commandLines(text), [], 'no workflow command');
  t.ok(text.includes('\\r::error title=forged::all cells passed'), 'the forged annotation is shown as text');
  t.ok(text.includes('engine said: \\e[2J'), 'the log line too');
});

t.test('TerminalReporter live on a TTY: the hostile text is escaped, only our own escape sequences remain', async (t) => {
  withEnv(t, { CI: undefined, NO_COLOR: undefined, TERM: 'xterm' });
  const s = stream(true);
  // log-update draws the progress line on process.stdout.
  let progress = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((d: string | Uint8Array) => ((progress += String(d)), true)) as typeof process.stdout.write;
  try {
    hostileRun(new TerminalReporter(s.out));
  } finally {
    process.stdout.write = write;
  }
  const all = s.text() + progress;
  for (const raw of ['\x1b[2J', '\x1b]8;;', '\x1b]52;', '\x07', '\x00', '\r::', '\u202e', '\x85', '\x9b'])
    t.notOk(all.includes(raw), `no raw ${JSON.stringify(raw)} from the case`);
  t.ok(progress.includes('running: \\e[2J'), 'the live line shows the running cell escaped');
  t.ok(s.text().includes('\\e]52;c;'), 'the cell line shows the clipboard write as text');
});

t.test('load refuses a label, link or reason that is not one line of plain text, naming file and field', async (t) => {
  const rule = { when: {}, verdict: 'fail', match: 'x', link: 'https://github.com/golang/go/issues/1', label: 'ok' };
  const refused = (over: object) => {
    const r = parseCaseFile('cases/evil/case.json', JSON.stringify(minimalCaseFile({ expect: [{ ...rule, ...over }] } as never)));
    return r.ok ? [] : r.problems;
  };
  t.same(refused({ label: 'x\n::warning::forged' }), [
    'cases/evil/case.json: /expect/0/label: must be one line of plain text: no newline, CR, tab, escape or other control character, no Unicode bidi control; write it on one line',
  ]);
  t.same(refused({ reason: 'a\x1b]52;c;x\x07' }), [
    'cases/evil/case.json: /expect/0/reason: must be one line of plain text: no newline, CR, tab, escape or other control character, no Unicode bidi control; write it on one line',
  ]);
  t.same(refused({ label: 'ab\u202edc' }), [
    'cases/evil/case.json: /expect/0/label: must be one line of plain text: no newline, CR, tab, escape or other control character, no Unicode bidi control; write it on one line',
  ]);
  const link =
    'cases/evil/case.json: /expect/0/link: must be an http(s) link to the upstream issue (no spaces or control characters), or for a finding nobody has reported, its write-up here (cases/<case>/README.md#<section>)';
  t.same(refused({ link: 'https://x.example/\n::warning::forged' }), [link]);
  t.same(refused({ link: 'https://x.example/a b' }), [link]);
  t.same(refused({ link: 'javascript:alert(1)' }), [link]);
  t.same(refused({ link: 'cases/x/README.md#a\n::warning::y' }), [link]);
  t.same(
    refused({ label: 'go#1 ::warning:: ##[error] <b>', reason: '# ✅ All cells passed <details open>' }),
    [],
    'one line of text is accepted: the renderers escape it',
  );
});

t.test('pauseWorkflowCommands: in GitHub Actions, stop-commands with a random token on both streams, resumed on exit', async (t) => {
  const written: { stream: string; text: string }[] = [];
  const capture = (stream: 'stdout' | 'stderr') => {
    const write = process[stream].write.bind(process[stream]);
    // tap writes its own report to stdout meanwhile: that goes through.
    process[stream].write = ((d: string) =>
      String(d).startsWith('::') ? (written.push({ stream, text: String(d) }), true) : write(d)) as typeof process.stdout.write;
    return () => (process[stream].write = write);
  };
  const before = process.listeners('exit');
  const restore = [capture('stdout'), capture('stderr')];
  try {
    pauseWorkflowCommands({});
    pauseWorkflowCommands({ GITHUB_ACTIONS: 'false' });
    t.same(written, [], 'outside GitHub Actions: nothing');
    pauseWorkflowCommands({ GITHUB_ACTIONS: 'true' });
    pauseWorkflowCommands({ GITHUB_ACTIONS: 'true' });
    const added = process.listeners('exit').filter((l) => !before.includes(l));
    t.equal(added.length, 2, 'one exit hook per call');
    for (const hook of added) (hook as () => void)();
    for (const hook of added) process.removeListener('exit', hook);
  } finally {
    for (const r of restore) r();
  }
  const [a, b, c, d, resumeA, resumeB] = written;
  const token = /^::stop-commands::(csm-[0-9a-f]{32})\n$/.exec(a!.text)?.[1];
  t.ok(token, 'a 128-bit random token');
  t.same([a!.stream, b], ['stdout', { stream: 'stderr', text: `::stop-commands::${token}\n` }], 'the same pause on stdout and stderr');
  t.not(c!.text, a!.text, 'another run, another token');
  t.equal(d!.stream, 'stderr');
  t.same(resumeA, { stream: 'stdout', text: `::${token}::\n` }, 'resumed on stdout at exit');
  t.equal(resumeB!.stream, 'stdout');
});
