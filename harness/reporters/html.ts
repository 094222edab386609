import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { EXIT } from '../core/errors.js';
import { shortLink } from '../core/expect.js';
import { axesGo, axesGoLabel, goLabel, userlandOfAxes } from '../core/matrix.js';
import { canaryLines, countsLine, emulationLine, MEANING, needsAttention, stageSummary, toGrid } from '../core/render.js';
import { exitCodeFor, isUnexpected, type RunResults } from '../core/results.js';
import { escapeControls, escapeControlsKeepingLines } from '../core/sanitize.js';
import { type CellResult, VERDICTS, type Verdict } from '../core/types.js';
import { floorGroupLine, whereItLoads } from '../core/where-it-loads.js';
import { wineLabel } from '../core/windows.js';
import { readAsset } from '../edge/assets.js';
import { writeAtomic } from '../edge/files.js';
import { readLogHeadTail } from '../edge/run-logs.js';
import type { HtmlData, InlinedLog } from './html/data.js';
import type { Reporter } from './reporter.js';

export type { HtmlData, InlinedLog };

/** Each log is inlined up to this many bytes: its start and, mostly, its end. */
export const LOG_CAP_BYTES = 64 * 1024;
const LOG_HEAD_BYTES = 8 * 1024;

/** A log under the run directory as the report shows it: at most `cap` bytes (its head and, mostly, its tail), as text. */
export function readLogCapped(runDir: string, rel: string, cap = LOG_CAP_BYTES): InlinedLog {
  const log = readLogHeadTail(runDir, rel, cap, Math.min(LOG_HEAD_BYTES, Math.floor(cap / 4)));
  return 'missing' in log ? log : { ...log, text: displayText(log.text) };
}

/**
 * Terminal output made readable as text: ANSI escape sequences dropped, carriage
 * returns turned into line ends, other control characters shown as \xNN, C1
 * and bidi controls (which reorder what a browser shows) as escapes too.
 */
export function displayText(s: string): string {
  return s
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[^\n\t]+/g, (run) => escapeControls(run));
}

/** Read every log the cells name, once per file (build logs are shared between cells). */
export function collectLogs(results: Pick<RunResults, 'cells'>, runDir: string, cap = LOG_CAP_BYTES): Record<string, InlinedLog> {
  const out: Record<string, InlinedLog> = {};
  for (const c of results.cells) for (const p of Object.values(c.logs)) if (!(p in out)) out[p] = readLogCapped(runDir, p, cap);
  return out;
}

/** Like render's TEXT_SYMBOL, with glyphs that common web fonts (and DejaVu) all have. */
export const HTML_SYMBOL: Record<Verdict, string> = {
  pass: '✓',
  fail: '✗',
  xfail: '○',
  xpass: '!',
  timeout: '◷',
  error: '⚠',
  flaky: '≈',
  na: '–',
};

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** For the parts written on the server side: text and attribute values alike; control and bidi characters shown as escapes (a bidi override reorders HTML too). */
export const esc = (s: string): string => escapeControlsKeepingLines(s).replace(/[&<>"']/g, (ch) => ESC[ch]!);

/**
 * JSON that is safe inside <script type="application/json">: no "<" (so no
 * "</script>" or "<!--"), and no raw U+2028/U+2029.
 */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const isHttp = (u: string): boolean => /^https?:\/\/[^\s]+$/i.test(u);

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

const fmtSecs = (ms: number): string =>
  ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;

const STATUS: Record<string, { cls: string; text: string }> = {
  ok: { cls: 'pass', text: 'As expected: every cell passed, or failed exactly as a known upstream bug says' },
  unexpected: { cls: 'fail', text: 'Unexpected results: some cells failed, timed out, or passed despite a known bug' },
  infra: { cls: 'error', text: 'Incomplete: the harness or the engine failed for some cells' },
  interrupted: { cls: 'timeout', text: 'Interrupted: the run was stopped before every cell ran' },
};

function statusOf(r: RunResults): { cls: string; text: string } {
  const code = exitCodeFor(r.counts, r.run.interrupted, r.run.canaries);
  return code === EXIT.interrupted
    ? STATUS.interrupted!
    : code === EXIT.infra
      ? STATUS.infra!
      : code === EXIT.unexpected
        ? STATUS.unexpected!
        : STATUS.ok!;
}

/** The second line of a matrix cell. */
function cellNote(c: CellResult): string {
  if (c.verdict === 'pass') return c.summary;
  if (c.verdict === 'xfail' && c.expectation) return shortLink(c.expectation.link);
  if (c.verdict === 'xpass' && c.expectation) return `${shortLink(c.expectation.link)} did not show`;
  if (c.verdict === 'na') return c.summary;
  return stageSummary(c);
}

/** More platform columns than this, and the matrix is drawn narrow (a symbol and a word a cell, names upright): 20 rows fit 1400 px. */
export const WIDE_MATRIX_COLUMNS = 10;

/** A narrow cell's word: the bug's number, or the stage that failed; nothing for a pass. */
function shortNote(c: CellResult): string {
  if (c.verdict === 'pass' || c.verdict === 'na') return '';
  if ((c.verdict === 'xfail' || c.verdict === 'xpass') && c.expectation) return shortLink(c.expectation.link).replace(/^go#/, '#');
  return c.stage;
}

function matrixHtml(r: RunResults): string {
  const g = toGrid(r);
  const wide = g.columns.length > WIDE_MATRIX_COLUMNS;
  const index = new Map(r.cells.map((c, i) => [c, i]));
  const gos = new Set(r.cells.map((c) => c.axes.go));
  const uls = new Set(r.cells.map((c) => userlandOfAxes(c.axes)));
  const desc = new Map(r.cases.map((c) => [c.name, c.description]));
  const head = g.columns.map((label, ci) => {
    const any = g.rows.map((row) => row.cells[ci]).find((c): c is CellResult => !!c);
    if (!any) return `<th scope="col">${esc(label)}</th>`;
    const a = any.axes;
    // Wine is not Windows: a Windows column says what ran it.
    const wine = wineLabel(a.wine);
    const arch = `${a.goarch}${a.goarm ? `v${a.goarm}` : ''} · ${a.libc}${a.cpu && a.cpu !== 'native' ? ` · ${a.cpu}` : ''}${wine ? ` · ${wine}` : ''}`;
    const go = gos.size > 1 ? `<span class="go">${esc(axesGoLabel(a))}</span>` : '';
    const ul = uls.size > 1 ? `<span class="go">${esc(userlandOfAxes(a))}</span>` : '';
    return `<th scope="col"><span class="plat">${esc(a.platform)}</span>${go}${ul}<span class="arch">${esc(arch)}</span></th>`;
  });
  const rows = g.rows.map((row) => {
    const d = desc.get(row.name);
    const cells = row.cells.map((c) => {
      if (!c) return '<td class="empty">·</td>';
      const i = index.get(c)!;
      const title = `${c.id}: ${c.verdict}${c.verdict === 'pass' ? '' : ` at ${c.stage}`} — ${c.summary}`;
      return (
        `<td><button type="button" class="cell v-${c.verdict}" data-i="${i}" title="${esc(title)}">` +
        `<span class="sym" aria-hidden="true">${esc(HTML_SYMBOL[c.verdict])}</span><span class="vd">${esc(c.verdict)}</span>` +
        `<span class="note">${esc(wide ? shortNote(c) : cellNote(c))}</span></button></td>`
      );
    });
    return `<tr><th scope="row"${d ? ` title="${esc(d)}"` : ''}>${esc(row.name)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="matrix${wide ? ' wide' : ''}"><thead><tr><th class="corner">case</th>${head.join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function countsHtml(r: RunResults): string {
  const chips = VERDICTS.map(
    (v) =>
      `<button type="button" class="chip v-${v}${r.counts[v] ? '' : ' zero'}" data-verdict="${v}" title="${esc(`${MEANING[v]} (click to highlight)`)}">` +
      `<span class="sym" aria-hidden="true">${esc(HTML_SYMBOL[v])}</span><b>${r.counts[v]}</b> ${v}</button>`,
  );
  return `<div class="counts" aria-label="${esc(countsLine(r.counts))}"><span class="total"><b>${r.counts.total}</b> cells</span>${chips.join('')}</div>`;
}

/** One line under the status: which Go, how long, when; the rest of the provenance is one click away. */
function runLineHtml(r: RunResults): string {
  const gos = [...new Set(r.cells.map((c) => axesGo(c.axes)))];
  const parts = [
    `Go ${esc(gos.join(', ') || '—')}`,
    `${esc(fmtSecs(r.run.durationMs))} · ${r.run.jobs} job${r.run.jobs === 1 ? '' : 's'}${r.run.interrupted ? ' · <b>interrupted</b>' : ''}`,
    `started <time datetime="${esc(r.run.startedAt)}">${esc(r.run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`,
  ];
  return `<p class="runline">${parts.join(' · ')}</p>`;
}

/** Cells that need attention, each linked to its details: the same list, in the same order, as the terminal's. */
function attentionHtml(r: RunResults): string {
  const bad = needsAttention(r.cells);
  if (!bad.length) return '';
  const index = new Map(r.cells.map((c, i) => [c, i]));
  const items = bad.map(
    (c) =>
      `<li><a class="att v-${c.verdict}" href="#${esc(encodeURIComponent(c.id))}" data-i="${index.get(c)}">` +
      `<span class="sym" aria-hidden="true">${esc(HTML_SYMBOL[c.verdict])}</span> ${c.verdict}</a> ` +
      `<code>${esc(c.id)}</code> <span class="att-summary" title="${esc(stageSummary(c))}">${esc(stageSummary(c))}</span></li>`,
  );
  return `<section class="attention"><h2>Needs attention: ${bad.length} of ${r.cells.length} cells</h2><ol>${items.join('')}</ol></section>`;
}

/** Where the run's answers come from: collapsed below the matrix, complete. */
function provenanceHtml(r: RunResults): string {
  const has = (o: object | undefined) => Object.keys(o ?? {}).length > 0;
  const what = [
    'the run',
    has(r.run.emulation) && 'emulation',
    has(r.run.canaries) && 'CPU models',
    r.run.rootfs && 'root fs',
    r.images.length > 0 && 'toolchain images',
    has(r.hostLangs) && 'host languages',
  ];
  return `<details class="provenance"><summary><h2 class="prov-title">Provenance</h2> <span class="dim">${esc(what.filter(Boolean).join(', '))}</span></summary><div class="prov-body">${metaHtml(r)}</div></details>`;
}

function metaHtml(r: RunResults): string {
  const gos = [...new Set(r.cells.map((c) => axesGo(c.axes)))];
  const rows: [string, string][] = [
    ['Go', esc(gos.length ? gos.join(', ') : r.images.map((i) => i.tools.go ?? i.go).join(', ') || '—')],
    ['Started', `<time datetime="${esc(r.run.startedAt)}">${esc(r.run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`],
    [
      'Duration',
      `${esc(fmtSecs(r.run.durationMs))} · ${r.run.jobs} job${r.run.jobs === 1 ? '' : 's'}${r.run.interrupted ? ' · <b>interrupted</b>' : ''}`,
    ],
    ['Command', `<code>${esc(r.run.command)}</code>`],
    ['Harness', `${esc(r.harness.name)} ${esc(r.harness.version)} · Node ${esc(r.run.node)}`],
  ];
  const emu = emulationLine(r);
  if (emu) rows.push(['Emulation', `${esc(emu)} <span class="dim">(measured here; emulated timeouts scale by it)</span>`]);
  const can = canaryLines(r);
  if (can.length)
    rows.push([
      'CPU models',
      `<ul class="canaries">${can.map((l) => `<li>${esc(l).replace(/\*\*(.+)\*\*/, '<b>$1</b>')}</li>`).join('')}</ul><span class="dim">each row's canary, an instruction above its baseline, must die with SIGILL</span>`,
    ]);
  if (r.run.rootfs) rows.push(['Root fs', `<code>${esc(r.run.rootfs.path)}</code> (${esc(r.run.rootfs.tag)})`]);
  for (const img of r.images) {
    const tools = Object.entries(img.tools).map(([k, v]) => `<span class="tool"><b>${esc(k)}</b> ${esc(v)}</span>`);
    rows.push([
      `Image ${esc(goLabel(img.go))}`,
      `<code>${esc(img.tag)}</code> <span class="dim">${esc(img.id.replace(/^sha256:/, '').slice(0, 12))}</span><div class="tools">${tools.join('')}</div>`,
    ]);
  }
  const langs = (r.hostLangs ?? []).map(
    (l) =>
      `<li><b>${esc(l.platform)}</b> ${l.lang === 'python' ? 'Python' : 'JVM'} ${l.version ? `${esc(l.version)}${l.startMs !== undefined ? ` <span class="dim">starts in ${(l.startMs / 1000).toFixed(1)} s</span>` : ''}` : `<b>does not start</b>: ${esc(l.error ?? '')}`} <span class="dim">${esc(l.builtFrom)}</span></li>`,
  );
  if (langs.length) rows.push(['Host languages', `<ul class="canaries">${langs.join('')}</ul>`]);
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function notesHtml(r: RunResults): string {
  const out: string[] = [];
  const bugs = new Map<string, { label: string; reason?: string; n: number }>();
  for (const c of r.cells) {
    if (!c.expectation) continue;
    const b = bugs.get(c.expectation.link) ?? {
      label: c.expectation.label,
      ...(c.expectation.reason ? { reason: c.expectation.reason } : {}),
      n: 0,
    };
    b.n++;
    bugs.set(c.expectation.link, b);
  }
  if (bugs.size) {
    const items = [...bugs].map(([link, b]) => {
      const a = isHttp(link)
        ? `<a href="${esc(link)}" target="_blank" rel="noopener noreferrer">${esc(shortLink(link))}</a>`
        : `<code>${esc(link)}</code>`;
      return `<li><b>${esc(b.label)}</b> ${a} <span class="dim">· ${b.n} cell${b.n > 1 ? 's' : ''}</span>${b.reason ? `<div class="dim">${esc(b.reason)}</div>` : ''}</li>`;
    });
    out.push(`<section class="note-box"><h2>Known upstream bugs in this run</h2><ul>${items.join('')}</ul></section>`);
  }
  const why = new Map<string, number>();
  for (const c of r.cells) if (c.explanation) why.set(c.explanation, (why.get(c.explanation) ?? 0) + 1);
  if (why.size) {
    const items = [...why].map(([text, n]) => `<li>${esc(text)} <span class="dim">· ${n} cell${n > 1 ? 's' : ''}</span></li>`);
    out.push(`<section class="note-box"><h2>Why cells failed</h2><ul>${items.join('')}</ul></section>`);
  }
  const floors = whereItLoads(r.cells);
  if (floors.length)
    out.push(
      `<section class="note-box"><h2>Where it loads</h2><ul>${floors.map((g) => `<li>${esc(floorGroupLine(g))}</li>`).join('')}</ul></section>`,
    );
  return out.length ? `<div class="notes">${out.join('')}</div>` : '';
}

function legendHtml(): string {
  const items = VERDICTS.map(
    (v) => `<li><span class="swatch v-${v}"><span class="sym">${esc(HTML_SYMBOL[v])}</span> ${v}</span> ${esc(MEANING[v])}</li>`,
  );
  return `<section class="legend"><h2>Legend</h2><ul>${items.join('')}</ul></section>`;
}

// A raw text element ends at its own end tag, and a script's "<!--" or "<script"
// changes how the parser looks for that tag.
const ENDS_EARLY = { style: /<\/style/i, script: /<\/script|<!--|<script/i };

/** What in `text` would end or garble it as the content of a <style> or <script>, if anything. */
export function breaksElement(text: string, element: keyof typeof ENDS_EARLY): string | undefined {
  return ENDS_EARLY[element].exec(text)?.[0];
}

/** One of the page's files, its bytes exactly as they go into the page. */
function pageAsset(file: 'page.css' | 'page.js', element: keyof typeof ENDS_EARLY): string {
  const text = readAsset(new URL(`./html/${file}`, import.meta.url));
  const bad = breaksElement(text, element);
  if (bad) throw new Error(`harness/reporters/html/${file} holds "${bad}", which would end or garble its <${element}> in report.html`);
  return text;
}

/** The report page: one file, no external requests, the run's data inlined as JSON. */
export function renderHtml(r: RunResults, logs: Record<string, InlinedLog>): string {
  const data: HtmlData = {
    cells: r.cells.map((c) => (c.failureText ? { ...c, failureText: displayText(c.failureText) } : c)),
    logs,
    cases: Object.fromEntries(r.cases.map((c) => [c.name, c.description])),
    symbols: HTML_SYMBOL,
  };
  const status = statusOf(r);
  const unexpected = r.cells.filter((c) => isUnexpected(c.verdict)).length;
  const favicon = `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="${status.cls === 'pass' ? '#2da44e' : status.cls === 'fail' ? '#cf222e' : '#d4a72c'}"/></svg>`)}`;
  // Only this page's own style and script may run, and nothing may be fetched:
  // a second line of defence should some untrusted text ever slip through as markup.
  const css = pageAsset('page.css', 'style');
  const js = pageAsset('page.js', 'script');
  const csp = [
    `default-src 'none'`,
    `style-src ${sha256(css)}`,
    `script-src ${sha256(js)}`,
    `img-src data:`,
    `base-uri 'none'`,
    `form-action 'none'`,
    `connect-src 'none'`,
  ].join('; ');
  const title = `cshared-matrix ${r.run.id}${unexpected ? ` · ${unexpected} unexpected` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="icon" href="${esc(favicon)}">
<style>${css}</style>
</head>
<body>
<main>
<header>
<h1>cshared-matrix <span class="run">run ${esc(r.run.id)}</span></h1>
<div class="status v-${status.cls}">${esc(status.text)}</div>
</header>
${runLineHtml(r)}
${countsHtml(r)}
${attentionHtml(r)}
<noscript><p>Click-through details need JavaScript; results.json and matrix.md hold the same data.</p></noscript>
<div class="scroll">${matrixHtml(r)}</div>
${notesHtml(r)}
${legendHtml()}
${provenanceHtml(r)}
<footer>Click a cell for its details and logs. Written by ${esc(r.harness.name)} ${esc(r.harness.version)}; logs are inlined up to ${LOG_CAP_BYTES / 1024} KiB each, the full files are under the run directory.</footer>
</main>
<aside id="panel" aria-hidden="true" aria-label="cell details"></aside>
<script type="application/json" id="csm-data">${scriptJson(data)}</script>
<script>${js}</script>
</body>
</html>
`;
}

/** report.html: the matrix to click through, with each cell's details and logs, in one file. */
export class HtmlReporter implements Reporter {
  onEnd(results: RunResults, runDir: string): void {
    writeAtomic(join(runDir, 'report.html'), renderHtml(results, collectLogs(results, runDir)));
  }
}
