// report.html in a real headless browser (Debian's chromium, driven by playwright-core):
// a hand-built run with log files in a temp run directory, so no engine is needed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { cellFloor } from '../../harness/core/glibc-floor.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { countVerdicts, type RunResults } from '../../harness/core/results.js';
import { type CellResult, type ElfSummary, type ExpectationRule, type Libc, VERDICTS } from '../../harness/core/types.js';
import { aptInstall } from '../../harness/edge/host-packages.js';
import { readPeFile } from '../../harness/edge/pe-file.js';
import { displayText, HtmlReporter, LOG_CAP_BYTES, readLogCapped, renderHtml, scriptJson } from '../../harness/reporters/html.js';
import { DEFAULT_REPORTERS, makeReporters } from '../../harness/reporters/index.js';
import { bigRun } from '../support/big-run.js';
import { IE_TLS_RULE, INIT_ARGV_RULE } from '../support/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/cshared-matrix-report.png';
const OVERVIEW = '/tmp/cshared-matrix-report-overview.png';
// A default-sized run's page, for a person to look at: all of it, and its first screenful.
const BIG_FULL = process.env.CSM_REPORT_SHOT ?? '/tmp/cshared-matrix-report-480.png';
const BIG_TOP = BIG_FULL.replace(/\.png$/, '-top.png');

// The shared fixtures, with the long reasons whose text this test finds on the page.
const IE_TLS: ExpectationRule = {
  ...IE_TLS_RULE,
  reason: "Go c-shared libraries use the initial-exec TLS model (DF_STATIC_TLS); musl's dlopen refuses it",
};
const INIT_ARGV: ExpectationRule = {
  ...INIT_ARGV_RULE,
  reason: 'musl passes no argc/argv/envp to ELF init functions; the Go runtime reads them during init and crashes',
};

/** Case output that tries to become markup: it must stay text. */
const INJECT = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script><!--';

const elfLib = (libc: Libc, arm = false): ElfSummary => ({
  summary: `FLAGS SYMBOLIC STATIC_TLS · FLAGS_1 NODELETE · TLS IE×1 (8 B) · NEEDED ${libc === 'musl' ? 'libc.so' : 'libc.so.6'}`,
  flags: ['SYMBOLIC', 'STATIC_TLS'],
  flags1: ['NODELETE'],
  needed: [libc === 'musl' ? 'libc.so' : 'libc.so.6'],
  tls: { initialExec: 1, dynamic: 0, local: 0, models: ['initial-exec'] },
  exports: ['Add', 'CountRunes', 'Greet'],
  ...(arm ? { arm: { cpuArch: 'v7', floatAbi: 'VFP registers', fpArch: 'VFPv3-D16' } } : {}),
  ...(libc === 'glibc' ? { glibcFloor: cellFloor({ imports: [{ name: 'pthread_create', version: 'GLIBC_2.34' }] }, 'amd64') } : {}),
});
const elfHost = (libc: Libc): ElfSummary => ({
  summary: `FLAGS_1 PIE · NEEDED ${libc === 'musl' ? 'libc.so' : 'libc.so.6'} · INTERP ${libc === 'musl' ? '/lib/ld-musl-x86_64.so.1' : '/lib64/ld-linux-x86-64.so.2'}`,
  flags: [],
  flags1: ['PIE'],
  needed: [],
  tls: { initialExec: 0, dynamic: 0, local: 0, models: [] },
});

const GOS = [
  ['1.26', '1.26.9'],
  ['1.27', '1.27.4'],
] as const;
const PLATS = ['amd64-glibc', 'amd64-musl', 'arm7-musl'];
const CASES = ['link', 'dlopen', 'threads', 'python'];

/** Relative log path → content, written into the run dir. */
const logFiles: Record<string, string> = {};

function mkCell(caseName: string, platform: string, go: string, goVersion: string): CellResult {
  const p = PLATFORMS.find((x) => x.name === platform)!;
  const musl = p.libc === 'musl';
  const base = `logs/go${go}/${platform}/${caseName}`;
  const build = `logs/builds/go${go}/${platform}/hello-bd28202dedbe.log`;
  logFiles[build] ??= `$ go build -buildmode=c-shared -o libhello.so .\n# GOARCH=${p.goarch} CC=${p.cc}\nok\n`;
  const c: CellResult = {
    id: `${caseName}/${platform}/go${go}`,
    axes: { case: caseName, platform, goarch: p.goarch, ...(p.goarm ? { goarm: p.goarm } : {}), libc: p.libc, cpu: p.cpu, go, goVersion },
    verdict: 'pass',
    stage: 'checks',
    stageOk: true,
    summary: '7 checks',
    checks: [
      { ok: true, text: 'Add(2, 3) == 5' },
      { ok: true, text: 'Greet("dlopen") == "hello, dlopen"' },
    ],
    exit: { code: 0 },
    durationMs: musl && p.goarch === 'arm' ? 840 : 12,
    logs: { 'build-hello': build, compile: `${base}/compile.log`, run: `${base}/run.log` },
    elf: { libraries: { hello: elfLib(p.libc, p.goarch === 'arm') }, host: elfHost(p.libc) },
  };
  logFiles[`${base}/compile.log`] = `$ ${p.cc} -o host host.c -L. -lhello\n`;
  logFiles[`${base}/run.log`] =
    `$ /work/csm/csm-run 30000 -- ./host\n[{"kind":"exit","code":0}]\n--- stdout\ncsm-loaded\nok 1 - Add(2, 3) == 5\ncsm-done\n`;

  if (caseName === 'python' && musl)
    return {
      ...c,
      verdict: 'na',
      stage: 'run',
      stageOk: false,
      summary: `no Python for ${platform} in the image`,
      checks: [],
      logs: {},
      exit: undefined,
    };
  if (caseName === 'dlopen' && musl) {
    logFiles[`${base}/run.log`] =
      `$ CSM_LIB_HELLO=/work/out/libhello.so /work/csm/csm-run 30000 -- ./host\n[{"kind":"exit","code":3}]\n--- stdout\ncsm-load-failed hello\n\n--- stderr\n` +
      'csm-load-failed hello: Error relocating /work/out/libhello.so: free: initial-exec TLS resolves to dynamic definition in /work/out/libhello.so\n';
    return {
      ...c,
      verdict: 'xfail',
      stage: 'load',
      stageOk: false,
      summary: IE_TLS.label,
      checks: [],
      exit: { code: 3 },
      failureText:
        'exited with code 3\ncsm-load-failed hello: Error relocating /work/out/libhello.so: free: initial-exec TLS resolves to dynamic definition\n',
      expectation: { ...IE_TLS, matched: true },
      explanation: "library uses initial-exec TLS (DF_STATIC_TLS, 1 IE relocation); musl's dlopen cannot place it",
    };
  }
  if (caseName === 'link' && musl)
    return {
      ...c,
      verdict: go === '1.27' && p.goarch === 'arm' ? 'xpass' : 'xfail',
      stage: 'load',
      stageOk: false,
      summary: go === '1.27' && p.goarch === 'arm' ? 'expected musl init argv (go#13492) did not happen' : INIT_ARGV.label,
      checks: [],
      exit: { signal: 11, signalName: 'SIGSEGV' },
      expectation: {
        ...INIT_ARGV,
        matched: !(go === '1.27' && p.goarch === 'arm'),
        ...(go === '1.27' && p.goarch === 'arm' ? { why: 'the expected failure did not happen' } : {}),
      },
      explanation:
        "host linked against a Go library on musl: musl calls ELF init functions without argc/argv/envp, and Go's runtime init reads (SIGSEGV)",
    };
  if (caseName === 'threads' && platform === 'amd64-glibc' && go === '1.27') {
    // The fail cell: HTML in its summary and stdout, failed checks, an explanation.
    logFiles[`${base}/run.log`] =
      `$ /work/csm/csm-run 30000 -- ./host\n[{"kind":"exit","code":1}]\n--- stdout\ncsm-loaded\nok 1 - Add(2, 3) == 5\nnot ok 2 - 8 threads call Greet concurrently\n${INJECT}\ncsm-done\n--- stderr\n\x1b[31mfatal error: concurrent map writes\x1b[0m\n`;
    return {
      ...c,
      verdict: 'fail',
      stage: 'checks',
      stageOk: false,
      summary: `checks: not ok - 8 threads call Greet concurrently <b>${INJECT}</b>`,
      checks: [
        { ok: true, text: 'Add(2, 3) == 5' },
        { ok: false, text: `8 threads call Greet concurrently ${INJECT}` },
      ],
      exit: { code: 1 },
      failureText: `not ok - 8 threads call Greet concurrently\nexited with code 1\n${INJECT}`,
      explanation: 'the library was built with -race off and the host calls it from 8 threads: Go reports concurrent map writes',
    };
  }
  if (caseName === 'threads' && platform === 'arm7-musl' && go === '1.26') {
    // A run log far past the cap: the report keeps its head and tail.
    logFiles[`${base}/run.log`] = `FIRST LINE OF THE LOG\n${'spinning…\n'.repeat(12_000)}LAST LINE OF THE LOG\n`;
    return {
      ...c,
      verdict: 'timeout',
      stage: 'run',
      stageOk: false,
      summary: 'run: timed out after 120.0 s and was killed',
      exit: { timedOut: true },
      durationMs: 120_000,
    };
  }
  if (caseName === 'threads' && platform === 'amd64-musl' && go === '1.26')
    return {
      ...c,
      verdict: 'error',
      stage: 'build',
      stageOk: false,
      summary: 'the engine went away: connect ENOENT /var/run/docker.sock',
      checks: [],
      logs: { 'build-hello': build, missing: 'logs/not-there.log', escape: '../../etc/passwd' },
      elf: undefined,
      exit: undefined,
    };
  return c;
}

function results(): RunResults {
  const cells = CASES.flatMap((k) => PLATS.flatMap((p) => GOS.map(([g, v]) => mkCell(k, p, g, v))));
  const counts = countVerdicts(cells);
  return {
    schemaVersion: 1,
    harness: { name: 'cshared-matrix', version: '0.1.0' },
    run: {
      id: '2026-11-26T12-15-54Z-bd60',
      startedAt: '2026-11-26T12:15:54.197Z',
      finishedAt: '2026-11-26T12:18:32.934Z',
      durationMs: 158_737,
      command: 'npm run matrix -- --case link,dlopen,threads,python --platform amd64-glibc,amd64-musl,arm7-musl --go 1.26,1.27',
      argv: [],
      jobs: 2,
      interrupted: false,
      node: 'v20.20.2',
    },
    images: GOS.map(([g, v], i) => ({
      go: g,
      tag: `cshared-matrix-go:${g}-555d4c86a73bc6d${i}`,
      id: `sha256:46fc0bb77d68b8b6ef40f3f6a969bca68a22c5d75c621bf7cc2cb30a7fc344c${i}`,
      tools: { go: v, gcc: '14.2.0', glibc: '2.41-12+deb13u5', musl: '1.2.5-3.1~deb13u1', qemu: '10.0.13' },
    })),
    platforms: PLATFORMS.filter((p) => PLATS.includes(p.name)),
    cases: [
      { name: 'link', dir: '/cases/link', description: 'A C host linked against a Go c-shared library at build time.' },
      { name: 'dlopen', dir: '/cases/dlopen', description: "The link case's Go library, loaded with dlopen(RTLD_NOW)." },
      { name: 'threads', dir: '/cases/threads', description: `Exports called from 8 C threads at once ${INJECT}` },
      { name: 'python', dir: '/cases/python', description: 'A Python ctypes host.' },
    ],
    cells,
    counts,
    exitCode: 3,
  };
}

const runDir = mkdtempSync(join(tmpdir(), 'csm-html-'));
t.teardown(() => rmSync(runDir, { recursive: true, force: true }));
const res = results();
for (const [rel, text] of Object.entries(logFiles)) {
  mkdirSync(dirname(join(runDir, rel)), { recursive: true });
  writeFileSync(join(runDir, rel), text);
}
const cellIndex = (id: string) => {
  const i = res.cells.findIndex((c) => c.id === id);
  if (i < 0) throw new Error(`no cell ${id}`);
  return i;
};

t.test('html is a default reporter and writes report.html', async (t) => {
  t.ok(DEFAULT_REPORTERS.includes('html'));
  const [rep] = makeReporters(['html']);
  t.ok(rep instanceof HtmlReporter);
  await rep!.onEnd!(res, runDir);
  t.ok(existsSync(join(runDir, 'report.html')));
});

t.test('the file itself: self-contained, untrusted text escaped', async (t) => {
  const html = readFileSync(join(runDir, 'report.html'), 'utf8');
  t.notMatch(html, /<img/i, 'no injected markup');
  t.notMatch(html, /<script>window/i, 'no injected script');
  t.equal(html.match(/<\/script>/g)?.length, 2, 'only the two scripts of the page end a script');
  t.notMatch(html, /<link[^>]+stylesheet|@import|url\(/i, 'no external stylesheet or CSS import');
  t.notMatch(html, /<(?:iframe|object|embed|base)\b/i);
  t.match(html, /http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;/);
  t.match(html, '&lt;img src=x', 'the case description is escaped in the row title');
  t.notMatch(html, 'root:x:0:0', 'a log path leaving the run dir is not read');
});

t.test('readLogCapped and scriptJson', async (t) => {
  const big = readLogCapped(runDir, 'logs/go1.26/arm7-musl/threads/run.log');
  t.ok(big.text!.length <= LOG_CAP_BYTES + 1, 'capped');
  t.ok(big.omitted! > 0);
  t.match(big.text!, /^FIRST LINE OF THE LOG/);
  t.match(big.text!, /LAST LINE OF THE LOG\n$/);
  t.same(readLogCapped(runDir, '../../etc/passwd'), { missing: 'outside the run directory; not read' });
  t.same(readLogCapped(runDir, 'logs/nope.log'), { missing: 'not found in the run directory' });
  const s = scriptJson({ a: '</script><!-- \u2028 & >' });
  t.notMatch(s, /[<>&\u2028]/);
  t.same(JSON.parse(s), { a: '</script><!-- \u2028 & >' });
  t.equal(
    displayText('a\x1b[31mred\x1b[0m\r\nb\rc\x00d\x1b]0;title\x07e\tf'),
    'ared\nb\nc\\x00de\tf',
    'ANSI dropped, CR to LF, NUL visible',
  );
  const one = renderHtml({ ...res, cells: res.cells.filter((c) => c.axes.go === '1.27') }, {});
  t.notMatch(one, /class="go"/, 'one Go version: plain platform columns');
});

t.test('in a headless browser', async (t) => {
  // Like the engine: installed here when missing, as root on Debian; elsewhere one line says how.
  if (!existsSync(CHROMIUM)) {
    try {
      t.comment(`${CHROMIUM} is missing: installing Debian's chromium`);
      await aptInstall(['chromium'], (l) => t.comment(l));
    } catch (e) {
      t.fail(`${CHROMIUM} is missing and could not be installed: ${(e as Error).message}`);
      return;
    }
  }
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
  const url = pathToFileURL(join(runDir, 'report.html')).href;
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  await page.goto(url, { waitUntil: 'load' });

  const panel = page.locator('#panel');
  const cell = (id: string) => page.locator(`.cell[data-i="${cellIndex(id)}"]`);

  t.test('the matrix, counts and metadata', async (t) => {
    const heads = await page.locator('table.matrix thead th').allTextContents();
    t.equal(heads.length, 1 + PLATS.length * GOS.length, 'one column per platform × Go, plus the case column');
    t.match(heads[1], /amd64-glibc\s*go1\.26\.9/);
    t.match(heads[2], /amd64-glibc\s*go1\.27\.4/);
    t.same(await page.locator('table.matrix tbody th').allTextContents(), CASES);
    t.equal(await page.locator('.cell').count(), res.cells.length);
    t.equal(await page.locator('.cell.v-xfail').count(), res.counts.xfail);
    t.match(await page.locator('.chip[data-verdict="xfail"]').textContent(), new RegExp(`${res.counts.xfail}\\s*xfail`));
    t.match(await page.locator('.counts .total').textContent(), `${res.counts.total} cells`);
    const meta = (await page.locator('.meta').textContent())!;
    for (const s of ['1.26.9, 1.27.4', '2 min 39 s', 'cshared-matrix-go:1.27-555d4c86a73bc6d1', 'qemu 10.0.13', 'npm run matrix'])
      t.match(meta, s);
    t.match(await page.locator('.status').textContent(), /Incomplete/);
    t.equal(await page.locator('.legend li').count(), VERDICTS.length, 'one legend entry per verdict');
    const bg = (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate((el) => getComputedStyle(el).backgroundColor);
    t.not(await bg('.cell.v-pass'), await bg('.cell.v-fail'), 'verdicts have their own colours');
    t.not(await bg('.cell.v-xfail'), await bg('.cell.v-fail'));
    t.notOk(await panel.isVisible(), 'no panel before a click');
    await page.screenshot({ path: OVERVIEW, fullPage: true });
    const external = await page.evaluate(() =>
      [...document.querySelectorAll('[src], link[href]:not([rel="icon"]), iframe, object, embed')].map((e) => e.outerHTML.slice(0, 120)),
    );
    t.same(external, [], 'no element that loads anything');
    t.match(await page.locator('link[rel="icon"]').getAttribute('href'), /^data:/, 'the favicon is inline');
  });

  t.test('an xfail cell', async (t) => {
    await cell('dlopen/amd64-musl/go1.27').click();
    await panel.waitFor({ state: 'visible' });
    t.match(await panel.locator('h2').textContent(), 'dlopen/amd64-musl/go1.27');
    t.match(await panel.locator('.badge').textContent(), 'xfail');
    const exp = panel.locator('.expect');
    t.match(await exp.locator('.label').textContent(), 'IE TLS (go#54805)');
    t.equal(await exp.locator('a').getAttribute('href'), 'https://github.com/golang/go/issues/54805', 'the link is a real link');
    t.match(await exp.textContent(), "musl's dlopen refuses it");
    t.match(await exp.textContent(), 'Matched');
    t.match(await panel.locator('.explanation').textContent(), 'initial-exec TLS');
    t.match(await panel.locator('.elf').textContent(), 'FLAGS SYMBOLIC STATIC_TLS');
    const runLog = panel.locator('details.log[data-log="run"]');
    t.ok(await runLog.evaluate((d) => (d as HTMLDetailsElement).open), 'the log of the failing stage is open');
    const line = runLog.locator('pre');
    t.ok(await line.isVisible());
    t.match(await line.textContent(), 'initial-exec TLS resolves to dynamic definition');
    t.match(page.url(), /#dlopen%2Famd64-musl%2Fgo1\.27$/, 'the URL names the cell');
  });

  t.test('a fail cell, with HTML in its output', async (t) => {
    await cell('threads/amd64-glibc/go1.27').click();
    t.match(await panel.locator('h2').textContent(), 'threads/amd64-glibc/go1.27');
    t.match(await panel.locator('.explanation').textContent(), 'Go reports concurrent map writes');
    t.match(
      await panel.locator('.elf').textContent(),
      'glibc floor: needs glibc ≥ 2.34 (pthread_create from GLIBC_2.34): loads on Debian 12+',
      "the library's glibc floor on its cell page",
    );
    t.match(await page.locator('.note-box').last().textContent(), 'Where it loads', 'and once for the run');
    const checks = await panel.locator('.checks li').allTextContents();
    t.equal(checks.length, 2);
    t.match(checks[0], /✓ ok\s+Add\(2, 3\) == 5/);
    t.match(checks[1], /✗ not ok\s+8 threads call Greet concurrently <img src=x onerror=/, 'a failed check, its markup as text');
    t.match(await panel.locator('.summary').textContent(), `<b>${INJECT}</b>`, 'summary shown as text');
    t.match(await panel.locator('details.log[data-log="run"] pre').textContent(), `${INJECT}\ncsm-done`, 'injected stdout shown as text');
    const stderr = (await panel.locator('details.log[data-log="run"] pre').textContent())!;
    t.match(stderr, '--- stderr\nfatal error: concurrent map writes\n', 'ANSI colours dropped from logs');
    t.notMatch(stderr, /\x1b/);
    t.equal(await page.locator('img').count(), 0, 'no <img> anywhere on the page');
    t.equal(await page.locator('#panel script, main script').count(), 0, 'no script element injected');
    t.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected code ran');
    t.equal(await panel.locator('.expect').count(), 0, 'no expectation for this cell');
    await page.screenshot({ path: SCREENSHOT });
  });

  t.test('a long log, a missing log, Escape', async (t) => {
    await cell('threads/arm7-musl/go1.26').click();
    const log = panel.locator('details.log[data-log="run"]');
    t.match(await log.locator('.trunc').textContent(), /KiB from the middle are not shown/);
    t.match(await log.locator('pre').textContent(), /^FIRST LINE OF THE LOG[\s\S]*LAST LINE OF THE LOG\n$/);
    await cell('threads/amd64-musl/go1.26').click();
    t.match(await panel.locator('details.log[data-log="missing"]').textContent(), 'not found in the run directory');
    t.match(await panel.locator('details.log[data-log="escape"]').textContent(), 'outside the run directory');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  t.test('a link to a cell opens it', async (t) => {
    await page.goto(`${url}#${encodeURIComponent('link/arm7-musl/go1.27')}`, { waitUntil: 'load' });
    await page.reload({ waitUntil: 'load' });
    await panel.waitFor({ state: 'visible' });
    t.match(await panel.locator('.badge').textContent(), 'xpass');
  });

  t.test('a 480-cell run: the answer in the first screenful at 1400×900, the provenance one click away', async (t) => {
    const big = bigRun();
    const dir = mkdtempSync(join(tmpdir(), 'csm-html-big-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'report.html'), renderHtml(big, {}));
    const view = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    t.teardown(() => view.close());
    const errors: string[] = [];
    view.on('pageerror', (e) => errors.push(e.message));
    await view.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
    const top = async (sel: string) => (await view.locator(sel).boundingBox())!.y;
    t.ok((await top('.attention li:first-child')) < 900, 'the first cell that needs attention is in the first screenful');
    t.ok((await top('table.matrix tbody tr:first-child')) < 900, "and so is the matrix's first row");
    const [tableWidth, room] = await view.evaluate(() => [
      document.querySelector('table.matrix')!.getBoundingClientRect().width,
      document.querySelector('.scroll')!.clientWidth,
    ]);
    t.ok(tableWidth <= room, `all 20 platform columns fit the width, no scrolling sideways (${tableWidth} of ${room} px)`);
    const details = view.locator('details.provenance');
    t.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'the provenance starts collapsed');
    t.notOk(await view.locator('.meta').isVisible(), 'its facts hidden');
    const height = await view.evaluate(() => document.documentElement.scrollHeight);
    t.comment(`report.html of ${big.cells.length} cells: ${height} px tall at 1400 wide`);
    await view.screenshot({ path: BIG_TOP });
    await view.screenshot({ path: BIG_FULL, fullPage: true });
    await details.locator('summary').click();
    t.ok(await view.locator('.meta').isVisible(), 'one click shows them');
    t.match(await view.locator('.meta').textContent(), 'ppc64-glibc 21× slower', 'emulation factors among them');
    await view.locator('.attention a.att').nth(2).click();
    await view.locator('#panel').waitFor({ state: 'visible' });
    t.match(await view.locator('#panel h2').textContent(), 'setenv-race/arm64-glibc/go1.27', "an entry opens its cell's details");
    t.match(await view.locator('#panel .badge').textContent(), 'timeout');
    t.same(errors, [], 'no page errors');
  });

  t.test('a Windows cell: its column says Wine, its details its PE facts and the Wine that ran it', async (t) => {
    const fixture = readPeFile(join(import.meta.dirname, '..', 'fixtures', 'pe', 'libhello-amd64.dll'));
    if (!('pe' in fixture)) return void t.fail(fixture.error);
    const w = mkCell('link', 'windows-amd64', '1.27', '1.27.4');
    const win: CellResult = {
      ...w,
      axes: { ...w.axes, os: 'windows', wine: 'wine-10.0 (Debian 10.0~repack-6)' },
      elf: undefined,
      pe: { libraries: { hello: fixture.pe } },
    };
    const dir = mkdtempSync(join(tmpdir(), 'csm-html-win-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const cells = [win];
    writeFileSync(join(dir, 'report.html'), renderHtml({ ...res, cells, counts: countVerdicts(cells) }, {}));
    const view = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    t.teardown(() => view.close());
    await view.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
    t.match(
      await view.locator('table.matrix thead').textContent(),
      /windows-amd64\s*amd64 · msvcrt · Wine 10\.0/,
      'the column says what ran it',
    );
    await view.locator('.cell').first().click();
    await view.locator('#panel').waitFor({ state: 'visible' });
    t.match(await view.locator('#panel .axes').textContent(), 'under wine-10.0 (Debian 10.0~repack-6)');
    const facts = (await view.locator('#panel .pe').textContent())!;
    // The committed fixture is the link case's Go 1.27.4 DLL stripped (-s -w): no symbols to name DllMain or the entry by.
    t.match(facts, 'PE32+ DLL amd64, 3 exports, needs KERNEL32.dll msvcrt.dll, TLS directory (2 callbacks), DllMain unknown (stripped)');
    t.match(facts, 'exports Add, CountRunes, Greet');
    t.match(facts, /imports msvcrt\.dll: \d+ functions/);
    t.match(facts, /entry 0x[0-9a-f]+, C runtime msvcrt/);
  });

  t.test('nothing but the file itself was requested, and nothing complained', async (t) => {
    t.ok(requests.length >= 1);
    t.same([...new Set(requests.map((u) => u.replace(/#.*$/, '')))], [url], `requests: ${requests.join(', ')}`);
    t.same(problems, [], 'no page errors, CSP violations or console errors');
  });
});
