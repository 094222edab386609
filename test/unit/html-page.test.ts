// report.html's style and script are real files (harness/reporters/html/):
// inlined as their exact bytes, the page's CSP allowing exactly those bytes'
// hashes, and the page still one file that loads nothing; its files and logs
// are read at the edge.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EXIT, InfraError } from '../../harness/core/errors.js';
import { needsAttention } from '../../harness/core/render.js';
import { readAsset } from '../../harness/edge/assets.js';
import { readLogHeadTail } from '../../harness/edge/run-logs.js';
import { breaksElement, readLogCapped, renderHtml } from '../../harness/reporters/html.js';
import { bigRun } from '../support/big-run.js';
import { cell, IE_TLS_RULE, runResults, tempDir, writeTree } from '../support/helpers.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'harness', 'reporters', 'html');
const results = runResults(
  [
    cell('link', 'amd64-glibc', '1.27', { logs: { run: 'logs/link/run.log' } }),
    cell('dlopen', 'amd64-musl', '1.27', {
      verdict: 'xfail',
      stage: 'load',
      stageOk: false,
      summary: IE_TLS_RULE.label,
      expectation: { ...IE_TLS_RULE, matched: true },
    }),
  ],
  { cases: [{ name: 'link', dir: '/cases/link', description: 'linked at build time' }] },
);
const page = renderHtml(results, { 'logs/link/run.log': { text: 'ok 1 - Add\n', bytes: 11 } });

/** The one element's content, by its exact opening tag (the JSON island's <script> has attributes). */
function content(open: string, close: string): string {
  const parts = page.split(open);
  if (parts.length !== 2) throw new Error(`${parts.length - 1} ${open} in the page, not one`);
  return (parts[1] ?? '').split(close)[0] ?? '';
}
const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

t.test('the style and the script are the files, byte for byte', async (t) => {
  t.equal(content('<style>', '</style>'), readFileSync(join(ASSETS, 'page.css'), 'utf8'), 'page.css inlined unchanged');
  t.equal(content('<script>', '</script>'), readFileSync(join(ASSETS, 'page.js'), 'utf8'), 'page.js inlined unchanged');
  t.equal(renderHtml(results, {}), renderHtml(results, {}), 'the same run renders the same page');
});

t.test("the CSP allows exactly the inlined bytes' hashes", async (t) => {
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1]?.replace(/&#39;/g, "'");
  t.ok(meta, 'the page has a CSP');
  const policy = new Map((meta ?? '').split('; ').map((d): [string, string] => [d.split(' ')[0] ?? '', d.split(' ').slice(1).join(' ')]));
  t.equal(policy.get('style-src'), sha256(content('<style>', '</style>')), 'style-src: the hash of the <style> as rendered');
  t.equal(policy.get('script-src'), sha256(content('<script>', '</script>')), 'script-src: the hash of the inline <script> as rendered');
  t.equal(policy.get('default-src'), "'none'");
  t.equal(policy.get('connect-src'), "'none'");
  t.equal(policy.get('img-src'), 'data:', 'images only from data: URLs (the favicon)');
});

t.test('one self-contained file: nothing loaded from anywhere', async (t) => {
  t.notMatch(page, /\ssrc=/i, 'no src attribute at all');
  t.same(
    page.match(/<link\b[^>]*>/gi)?.map((l) => /rel="([^"]*)"/.exec(l)?.[1]),
    ['icon'],
    'the only <link> is the icon',
  );
  t.match(page, /<link rel="icon" href="data:image\/svg\+xml,/, 'and it is a data: URL');
  t.same(
    page.match(/<script\b[^>]*>/gi),
    ['<script type="application/json" id="csm-data">', '<script>'],
    'two scripts: the data, and the inline script',
  );
  t.notMatch(content('<style>', '</style>'), /@import|url\(/i, 'the style imports nothing');
  const hrefs = [...page.matchAll(/<(\w+)\b[^>]*\shref="([^"]*)"/gi)].map((m) => `${m[1]} ${m[2]}`);
  t.same(
    hrefs.filter((h) => !h.startsWith('link data:')),
    [`a ${IE_TLS_RULE.link}`],
    'every other href is a link the reader may follow (a known bug)',
  );
});

t.test('a file that would end or garble its element is named, not inlined', async (t) => {
  t.equal(breaksElement('a{b:c}', 'style'), undefined);
  t.equal(breaksElement('p::after{content:"</STYLE>"}', 'style'), '</STYLE');
  t.equal(breaksElement('const s = "<!-- x";', 'style'), undefined, 'a comment opener is harmless in a style');
  t.equal(breaksElement('const a = 1;', 'script'), undefined);
  for (const [bad, named] of [
    ['</script>', '</script'],
    ['</Script ', '</Script'],
    ['<!--', '<!--'],
    ['<SCRIPT>', '<SCRIPT'],
  ] as const)
    t.equal(breaksElement(`x = "${bad}";`, 'script'), named, `a script holding ${bad}`);
  t.equal(breaksElement(readFileSync(join(ASSETS, 'page.js'), 'utf8'), 'script'), undefined, 'page.js can be inlined');
  t.equal(breaksElement(readFileSync(join(ASSETS, 'page.css'), 'utf8'), 'style'), undefined, 'page.css can be inlined');
});

t.test('a shipped file that cannot be read is an infrastructure error naming it', async (t) => {
  const missing = new URL('file:///nonexistent/cshared-matrix/page.css');
  t.throws(() => readAsset(missing), {
    name: 'InfraError',
    message: /^cannot read \/nonexistent\/cshared-matrix\/page\.css, a file cshared-matrix ships: ENOENT.*\(reinstall the package\)$/,
  });
  const err = (() => {
    try {
      readAsset(missing);
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof InfraError && err.exitCode === EXIT.infra, 'exit 3, not a usage error');
});

t.test('the logs it inlines: read by edge/run-logs.ts, shown as text by the reporter', async (t) => {
  const run = tempDir(t);
  writeTree(run, {
    'logs/short.log': 'a\x1b[31mred\x1b[0m\r\n',
    'logs/long.log': `${'h'.repeat(10)}${'m'.repeat(100)}${'t'.repeat(30)}`,
    'logs/dir/x': '',
  });
  t.same(readLogHeadTail(run, 'logs/short.log', 64, 16), { text: 'a\x1b[31mred\x1b[0m\r\n', bytes: 15 }, 'a short log whole, as its bytes');
  t.same(readLogCapped(run, 'logs/short.log'), { text: 'ared\n', bytes: 15 }, 'and as the page shows it');
  t.same(
    readLogHeadTail(run, 'logs/long.log', 40, 10),
    { text: `${'h'.repeat(10)}\n${'t'.repeat(30)}`, bytes: 140, omitted: 100 },
    'a long one: its head, a line end, its tail',
  );
  t.same(readLogHeadTail(run, 'logs/dir', 40, 10), { missing: 'not a regular file' });
  t.same(readLogHeadTail(run, '../outside.log', 40, 10), { missing: 'outside the run directory; not read' });
  t.same(readLogHeadTail(run, 'logs/none.log', 40, 10), { missing: 'not found in the run directory' });
});

t.test('the answer first: counts, what needs attention, the matrix; the provenance collapsed below, complete', async (t) => {
  const big = bigRun();
  const html = renderHtml(big, {});
  const at = (s: string) => {
    const i = html.indexOf(s);
    if (i < 0) throw new Error(`no ${s} in the page`);
    return i;
  };
  const order = [
    '<p class="runline">',
    '<div class="counts"',
    '<section class="attention">',
    '<table class="matrix wide">',
    '<section class="legend">',
    '<details class="provenance">',
  ];
  t.same(
    order.map(at),
    [...order.map(at)].sort((a, b) => a - b),
    'in this order on the page',
  );
  t.notMatch(html, /<details class="provenance" open/, 'the provenance starts collapsed');
  t.match(
    html,
    '<summary><h2 class="prov-title">Provenance</h2> <span class="dim">the run, emulation, CPU models, toolchain images, host languages</span></summary>',
    'its one line says what it holds',
  );
  t.match(page, '<span class="dim">the run</span></summary>', 'a run without emulation, images or languages: only the run');
  const provenance = html.slice(at('<details class="provenance">'), at('</details>') + '</details>'.length);
  for (const [what, text] of <[string, string][]>[
    ['emulation factors', 'ppc64-glibc 21× slower'],
    ['CPU models', 'arm5-glibc: arm926 baseline + 1: SIGILL'],
    ['toolchain packages', '<b>musl</b> 1.2.5-3.1~deb13u1'],
    ['host languages', 'Debian trixie openjdk-21-jdk-headless'],
    ['the command', 'npm run matrix'],
  ])
    t.ok(provenance.includes(text), `${what}: in it`);
  t.notMatch(html.slice(0, at('<table class="matrix wide">')), /slower|openjdk|SIGILL/, 'and none of it comes before the matrix');

  const list = html.slice(at('<section class="attention">'), html.indexOf('</section>', at('<section class="attention">')));
  t.match(list, '<h2>Needs attention: 12 of 480 cells</h2>');
  const links = [...list.matchAll(/<a class="att v-(\w+)" href="#([^"]+)" data-i="(\d+)">/g)];
  t.same(
    links.map((m) => [m[1], decodeURIComponent(m[2]!), big.cells[Number(m[3])]!.id]),
    needsAttention(big.cells).map((c) => [c.verdict, c.id, c.id]),
    "the terminal's list, in its order, each linked to its cell",
  );
  t.match(
    list,
    '<code>setenv-race/arm64-glibc/go1.27</code> <span class="att-summary" title="run: timed out after 44.0 s and was killed">',
  );
  t.notMatch(page, 'class="attention"', 'nothing needs attention: no list');
  t.match(html, '<table class="matrix wide">', 'more than 10 platform columns: the narrow matrix');
  t.match(page, '<table class="matrix">', 'two: the usual one');
  const note = (id: string, of = html) =>
    new RegExp(`data-i="${big.cells.findIndex((c) => c.id === id)}"[^>]*>.*?<span class="note">([^<]*)</span>`).exec(of)?.[1];
  t.same(
    [
      'link/amd64-glibc/go1.27',
      'link/amd64-musl/go1.27',
      'dlopen/loong64-glibc/go1.27',
      'setenv-race/arm64-glibc/go1.27',
      'python/arm5-musl/go1.27',
    ].map((id) => note(id)),
    ['', '#13492', '#54805', 'run', ''],
    "a narrow cell's word: the bug's number or the stage; nothing for a pass or n/a",
  );
  t.match(page, '<p class="runline">Go 1.27 · 1 min 23 s · 2 jobs · started', 'one line of run facts under the status');
});
