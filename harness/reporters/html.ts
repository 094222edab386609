import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { shortLink } from '../core/expect.js';
import { exitCodeFor, isUnexpected, type RunResults } from '../core/results.js';
import { EXIT } from '../core/errors.js';
import { MEANING, canaryLines, countsLine, emulationLine, toGrid } from '../core/render.js';
import { VERDICTS, type CellResult, type Verdict } from '../core/types.js';
import { axesGo, axesGoLabel, goLabel } from '../core/matrix.js';
import { escapeControls, escapeControlsKeepingLines } from '../core/sanitize.js';
import { writeAtomic } from '../edge/files.js';
import type { Reporter } from './reporter.js';

/** Each log is inlined up to this many bytes: its start and, mostly, its end. */
export const LOG_CAP_BYTES = 64 * 1024;
const LOG_HEAD_BYTES = 8 * 1024;

/** A log file as inlined into the report. */
export interface InlinedLog {
  /** Absent when the file could not be read; `missing` says why. */
  text?: string;
  bytes?: number;
  /** Bytes left out of the middle of a long log. */
  omitted?: number;
  missing?: string;
}

/**
 * Read a log under the run directory, at most `cap` bytes of it (the head and the
 * tail, with a note between), without reading all of a huge file. Paths that
 * leave the run directory are refused: results.json is data, not instructions.
 */
export function readLogCapped(runDir: string, rel: string, cap = LOG_CAP_BYTES): InlinedLog {
  const root = resolve(runDir);
  const abs = resolve(root, rel);
  if (!abs.startsWith(root + sep)) return { missing: 'outside the run directory; not read' };
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (e) {
    return { missing: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found in the run directory' : `cannot read: ${(e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { missing: 'not a regular file' };
    const read = (pos: number, len: number): string => {
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.subarray(0, n).toString('utf8');
    };
    if (st.size <= cap) return { text: displayText(read(0, st.size)), bytes: st.size };
    const head = Math.min(LOG_HEAD_BYTES, Math.floor(cap / 4));
    const tailLen = cap - head;
    return { text: displayText(`${read(0, head)}\n${read(st.size - tailLen, tailLen)}`), bytes: st.size, omitted: st.size - cap };
  } finally {
    closeSync(fd);
  }
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
export const HTML_SYMBOL: Record<Verdict, string> = { pass: '✓', fail: '✗', xfail: '○', xpass: '!', timeout: '◷', error: '⚠', flaky: '≈', na: '–' };

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

const fmtSecs = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

const STATUS: Record<string, { cls: string; text: string }> = {
  ok: { cls: 'pass', text: 'As expected: every cell passed, or failed exactly as a known upstream bug says' },
  unexpected: { cls: 'fail', text: 'Unexpected results: some cells failed, timed out, or passed despite a known bug' },
  infra: { cls: 'error', text: 'Incomplete: the harness or the engine failed for some cells' },
  interrupted: { cls: 'timeout', text: 'Interrupted: the run was stopped before every cell ran' },
};

function statusOf(r: RunResults): { cls: string; text: string } {
  const code = exitCodeFor(r.counts, r.run.interrupted, r.run.canaries);
  return code === EXIT.interrupted ? STATUS.interrupted! : code === EXIT.infra ? STATUS.infra! : code === EXIT.unexpected ? STATUS.unexpected! : STATUS.ok!;
}

/** The second line of a matrix cell. */
function cellNote(c: CellResult): string {
  if (c.verdict === 'pass') return c.summary;
  if (c.verdict === 'xfail' && c.expectation) return shortLink(c.expectation.link);
  if (c.verdict === 'xpass' && c.expectation) return `${shortLink(c.expectation.link)} did not show`;
  if (c.verdict === 'na') return c.summary;
  return c.summary.startsWith(`${c.stage}:`) ? c.summary : `${c.stage}: ${c.summary}`;
}

function matrixHtml(r: RunResults): string {
  const g = toGrid(r);
  const index = new Map(r.cells.map((c, i) => [c, i]));
  const gos = new Set(r.cells.map((c) => c.axes.go));
  const desc = new Map(r.cases.map((c) => [c.name, c.description]));
  const head = g.columns.map((label, ci) => {
    const any = g.rows.map((row) => row.cells[ci]).find((c): c is CellResult => !!c);
    if (!any) return `<th scope="col">${esc(label)}</th>`;
    const a = any.axes;
    const arch = `${a.goarch}${a.goarm ? `v${a.goarm}` : ''} · ${a.libc}${a.cpu && a.cpu !== 'native' ? ` · ${a.cpu}` : ''}`;
    const go = gos.size > 1 ? `<span class="go">${esc(axesGoLabel(a))}</span>` : '';
    return `<th scope="col"><span class="plat">${esc(a.platform)}</span>${go}<span class="arch">${esc(arch)}</span></th>`;
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
        `<span class="note">${esc(cellNote(c))}</span></button></td>`
      );
    });
    return `<tr><th scope="row"${d ? ` title="${esc(d)}"` : ''}>${esc(row.name)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="matrix"><thead><tr><th class="corner">case</th>${head.join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function countsHtml(r: RunResults): string {
  const chips = VERDICTS.map(
    (v) =>
      `<button type="button" class="chip v-${v}${r.counts[v] ? '' : ' zero'}" data-verdict="${v}" title="${esc(`${MEANING[v]} (click to highlight)`)}">` +
      `<span class="sym" aria-hidden="true">${esc(HTML_SYMBOL[v])}</span><b>${r.counts[v]}</b> ${v}</button>`,
  );
  return `<div class="counts" aria-label="${esc(countsLine(r.counts))}"><span class="total"><b>${r.counts.total}</b> cells</span>${chips.join('')}</div>`;
}

function metaHtml(r: RunResults): string {
  const gos = [...new Set(r.cells.map((c) => axesGo(c.axes)))];
  const rows: [string, string][] = [
    ['Go', esc(gos.length ? gos.join(', ') : r.images.map((i) => i.tools.go ?? i.go).join(', ') || '—')],
    ['Started', `<time datetime="${esc(r.run.startedAt)}">${esc(r.run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`],
    ['Duration', `${esc(fmtSecs(r.run.durationMs))} · ${r.run.jobs} job${r.run.jobs === 1 ? '' : 's'}${r.run.interrupted ? ' · <b>interrupted</b>' : ''}`],
    ['Command', `<code>${esc(r.run.command)}</code>`],
    ['Harness', `${esc(r.harness.name)} ${esc(r.harness.version)} · Node ${esc(r.run.node)}`],
  ];
  const emu = emulationLine(r);
  if (emu) rows.push(['Emulation', `${esc(emu)} <span class="dim">(measured here; emulated timeouts scale by it)</span>`]);
  const can = canaryLines(r);
  if (can.length) rows.push(['CPU models', `<ul class="canaries">${can.map((l) => `<li>${esc(l).replace(/\*\*(.+)\*\*/, '<b>$1</b>')}</li>`).join('')}</ul><span class="dim">each row's canary, an instruction above its baseline, must die with SIGILL</span>`]);
  if (r.run.rootfs) rows.push(['Root fs', `<code>${esc(r.run.rootfs.path)}</code> (${esc(r.run.rootfs.tag)})`]);
  for (const img of r.images) {
    const tools = Object.entries(img.tools).map(([k, v]) => `<span class="tool"><b>${esc(k)}</b> ${esc(v)}</span>`);
    rows.push([`Image ${esc(goLabel(img.go))}`, `<code>${esc(img.tag)}</code> <span class="dim">${esc(img.id.replace(/^sha256:/, '').slice(0, 12))}</span><div class="tools">${tools.join('')}</div>`]);
  }
  const langs = (r.hostLangs ?? []).map((l) => `<li><b>${esc(l.platform)}</b> ${l.lang === 'python' ? 'Python' : 'JVM'} ${l.version ? `${esc(l.version)}${l.startMs !== undefined ? ` <span class="dim">starts in ${(l.startMs / 1000).toFixed(1)} s</span>` : ''}` : `<b>does not start</b>: ${esc(l.error ?? '')}`} <span class="dim">${esc(l.builtFrom)}</span></li>`);
  if (langs.length) rows.push(['Host languages', `<ul class="canaries">${langs.join('')}</ul>`]);
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function notesHtml(r: RunResults): string {
  const out: string[] = [];
  const bugs = new Map<string, { label: string; reason?: string; n: number }>();
  for (const c of r.cells) {
    if (!c.expectation) continue;
    const b = bugs.get(c.expectation.link) ?? { label: c.expectation.label, ...(c.expectation.reason ? { reason: c.expectation.reason } : {}), n: 0 };
    b.n++;
    bugs.set(c.expectation.link, b);
  }
  if (bugs.size) {
    const items = [...bugs].map(([link, b]) => {
      const a = isHttp(link) ? `<a href="${esc(link)}" target="_blank" rel="noopener noreferrer">${esc(shortLink(link))}</a>` : `<code>${esc(link)}</code>`;
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
  return out.length ? `<div class="notes">${out.join('')}</div>` : '';
}

function legendHtml(): string {
  const items = VERDICTS.map((v) => `<li><span class="swatch v-${v}"><span class="sym">${esc(HTML_SYMBOL[v])}</span> ${v}</span> ${esc(MEANING[v])}</li>`);
  return `<section class="legend"><h2>Legend</h2><ul>${items.join('')}</ul></section>`;
}

const CSS = `
:root{--bg:#fff;--fg:#1f2328;--dim:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--link:#0969da;--panel:#fff;
--pass-bg:#d7f5dd;--pass-fg:#116329;--pass-bd:#4ac26b;
--fail-bg:#ffe0dd;--fail-fg:#a40e26;--fail-bd:#ff8182;
--xfail-bg:#e4ecf7;--xfail-fg:#1b4b91;--xfail-bd:#8fb3e6;
--xpass-bg:#f6e3ff;--xpass-fg:#7a1fa8;--xpass-bd:#c98ef0;
--timeout-bg:#ffe8d1;--timeout-fg:#953800;--timeout-bd:#f0a35c;
--error-bg:#fff3b0;--error-fg:#7d4e00;--error-bd:#d4a72c;
--na-bg:#f0f1f3;--na-fg:#6e7781;--na-bd:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--dim:#9198a1;--line:#3d444d;--soft:#151b23;--link:#4493f8;--panel:#151b23;
--pass-bg:#12361f;--pass-fg:#7ee2a0;--pass-bd:#2f7d46;--fail-bg:#4a1518;--fail-fg:#ffa198;--fail-bd:#b62324;
--xfail-bg:#172a45;--xfail-fg:#9cc3f5;--xfail-bd:#30588f;--xpass-bg:#3a1a4d;--xpass-fg:#e2a8ff;--xpass-bd:#8a3fb5;
--timeout-bg:#45260c;--timeout-fg:#ffb870;--timeout-bd:#a4561b;--error-bg:#3d3008;--error-fg:#f2cc60;--error-bd:#9e7a14;
--na-bg:#1e242c;--na-fg:#8b949e;--na-bd:#3d444d}}
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12.5px}
a{color:var(--link)}
main{padding:20px 28px 40px;transition:margin-right .15s}
body.open main{margin-right:min(660px,46vw)}
header h1{font-size:20px;margin:0 0 2px}
header h1 .run{font-weight:400;color:var(--dim);font-size:15px;margin-left:6px}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);margin:0 0 8px}
.status{display:inline-block;margin:8px 0 12px;padding:5px 12px;border-radius:6px;font-weight:600;border:1px solid}
.v-pass{--c-bg:var(--pass-bg);--c-fg:var(--pass-fg);--c-bd:var(--pass-bd)}
.v-fail{--c-bg:var(--fail-bg);--c-fg:var(--fail-fg);--c-bd:var(--fail-bd)}
.v-xfail{--c-bg:var(--xfail-bg);--c-fg:var(--xfail-fg);--c-bd:var(--xfail-bd)}
.v-xpass,.v-flaky{--c-bg:var(--xpass-bg);--c-fg:var(--xpass-fg);--c-bd:var(--xpass-bd)}
.v-timeout{--c-bg:var(--timeout-bg);--c-fg:var(--timeout-fg);--c-bd:var(--timeout-bd)}
.v-error{--c-bg:var(--error-bg);--c-fg:var(--error-fg);--c-bd:var(--error-bd)}
.v-na{--c-bg:var(--na-bg);--c-fg:var(--na-fg);--c-bd:var(--na-bd)}
.status,.chip,.cell,.swatch,.badge{background:var(--c-bg);color:var(--c-fg);border-color:var(--c-bd)}
.top{display:flex;flex-wrap:wrap;gap:18px 40px;align-items:flex-start;margin-bottom:18px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:0;max-width:860px}
.meta dt{color:var(--dim)}
.meta dd{margin:0;min-width:0;overflow-wrap:anywhere}
.tools{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.tool{font-size:12px;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 6px}
.tool b{font-weight:600}
.dim{color:var(--dim)}
.counts{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0 0 14px}
.counts .total{margin-right:6px;font-size:15px}
.chip{font:inherit;border:1px solid;border-radius:999px;padding:2px 10px;cursor:pointer}
.chip b{font-size:14px}
.chip .sym{margin-right:4px}
.chip.zero{opacity:.45}
.chip.active{outline:2px solid var(--c-fg);outline-offset:1px}
.scroll{overflow-x:auto;padding-bottom:4px}
table.matrix{border-collapse:separate;border-spacing:4px}
.matrix th{font-weight:600;text-align:left;vertical-align:bottom;padding:2px 4px}
.matrix thead th{width:150px;max-width:150px;overflow-wrap:anywhere}
.matrix th.corner{color:var(--dim);font-weight:400}
.matrix tbody th{white-space:nowrap;padding-right:12px;font-family:ui-monospace,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:13px}
.matrix .plat{display:block}
.matrix .go{display:block;font-weight:400}
.matrix .arch{display:block;font-weight:400;font-size:11.5px;color:var(--dim)}
.matrix td{padding:0}
.matrix td.empty{text-align:center;color:var(--dim)}
.cell{display:block;width:150px;text-align:left;font:inherit;border:1px solid;border-radius:6px;padding:5px 9px;cursor:pointer;line-height:1.3}
.cell:hover{filter:brightness(.96);box-shadow:0 1px 4px rgba(0,0,0,.15)}
.cell:focus-visible{outline:2px solid var(--link);outline-offset:1px}
.cell.selected{outline:3px solid var(--c-fg);outline-offset:1px}
.cell .sym{display:inline-block;width:1.2em;font-weight:700}
.cell .vd{font-weight:700}
.cell .note{display:block;font-size:12px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
body.filtering .cell:not(.hit){opacity:.22}
.notes{display:flex;flex-wrap:wrap;gap:14px;margin-top:22px}
.note-box{flex:1 1 380px;max-width:640px;border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--soft)}
.note-box ul{margin:0;padding-left:18px}
.note-box li{margin:3px 0}
.legend{margin-top:22px}
.legend ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;align-items:center}
.legend li{display:contents}
.swatch{display:inline-block;border:1px solid;border-radius:4px;padding:0 8px;font-weight:600;min-width:86px}
footer{margin-top:26px;color:var(--dim);font-size:12px}
#panel{position:fixed;top:0;right:0;bottom:0;width:min(660px,46vw);background:var(--panel);border-left:1px solid var(--line);box-shadow:-6px 0 18px rgba(0,0,0,.12);overflow-y:auto;padding:0 22px 30px;display:none}
body.open #panel{display:block}
@media (max-width:900px){body.open main{margin-right:0}#panel{width:100vw}}
.ph{position:sticky;top:0;background:var(--panel);padding:16px 0 10px;border-bottom:1px solid var(--line);margin-bottom:12px;z-index:1}
.ph h2{font-size:16px;text-transform:none;letter-spacing:0;color:var(--fg);margin:0 40px 6px 0;font-family:ui-monospace,"Liberation Mono","DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.close{position:absolute;right:0;top:12px;font:inherit;font-size:20px;line-height:1;background:none;border:1px solid var(--line);border-radius:6px;width:32px;height:32px;cursor:pointer;color:var(--fg)}
.badge{display:inline-block;border:1px solid;border-radius:4px;padding:1px 8px;font-weight:700;margin-right:8px}
.axes{color:var(--dim);font-size:12.5px;margin-top:4px}
.summary{margin:6px 0 0;font-weight:500;overflow-wrap:anywhere}
#panel section{margin:16px 0}
#panel h3{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);margin:0 0 6px}
.why{border-left:4px solid var(--c-bd);background:var(--c-bg);color:var(--fg);padding:8px 12px;border-radius:0 6px 6px 0}
.expect{border:1px solid var(--xfail-bd);background:var(--xfail-bg);padding:8px 12px;border-radius:6px}
.expect .label{font-weight:700}
.expect .rule{font-size:12px;color:var(--dim);margin-top:4px;overflow-wrap:anywhere}
.checks{list-style:none;margin:0;padding:0}
.checks li{font-family:ui-monospace,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12.5px;padding:1px 0;overflow-wrap:anywhere}
.checks .ok{color:var(--pass-fg);font-weight:700}
.checks .bad{color:var(--fail-fg);font-weight:700}
.elf{border-collapse:collapse;width:100%}
.elf th{text-align:left;vertical-align:top;padding:4px 10px 4px 0;white-space:nowrap;font-weight:600}
.elf td{padding:4px 0;overflow-wrap:anywhere}
.elf .sub{font-size:12px;color:var(--dim)}
details.log{border:1px solid var(--line);border-radius:6px;margin:6px 0}
details.log>summary{cursor:pointer;padding:5px 10px;background:var(--soft);border-radius:6px}
details.log>summary .path{color:var(--dim);font-size:12px;margin-left:6px}
pre{margin:0;padding:8px 10px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto;background:var(--soft);border-radius:0 0 6px 6px}
.trunc{font-size:12px;color:var(--timeout-fg);padding:4px 10px}
noscript p{color:var(--fail-fg)}
`;

// Plain browser JavaScript, kept free of backticks and "${" so it sits in this
// template unchanged. Untrusted strings only ever reach the page as text nodes
// or through validated href values.
const JS = String.raw`
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('csm-data').textContent);
  var panel = document.getElementById('panel');
  var selected = null;

  function h(tag, props, kids) {
    var el = document.createElement(tag);
    if (props) for (var k in props) {
      var v = props[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, String(v));
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return el;
  }
  function isHttp(u) { return typeof u === 'string' && /^https?:\/\/\S+$/i.test(u); }
  function link(u, text) {
    return isHttp(u) ? h('a', { href: u, target: '_blank', rel: 'noopener noreferrer', text: text || u }) : h('code', { text: u });
  }
  function section(title, kids, cls) {
    return h('section', cls ? { class: cls } : null, [h('h3', { text: title })].concat(kids));
  }
  function kib(n) { return n < 1024 ? n + ' B' : (n / 1024).toFixed(1) + ' KiB'; }
  function exitText(c) {
    var e = c.exit;
    if (!e) return null;
    if (e.timedOut) return 'timed out and was killed';
    if (e.signal !== undefined) return 'killed by signal ' + e.signal + (e.signalName ? ' (' + e.signalName + ')' : '');
    if (e.code !== undefined) return 'exited with code ' + e.code;
    return null;
  }
  // The log the reader wants first: the one of the stage the cell stopped at.
  function primaryLog(c) {
    var names = Object.keys(c.logs || {});
    var want = c.stage === 'build' ? /^build/ : c.stage === 'host-compile' ? /^compile/ : /^run/;
    for (var i = 0; i < names.length; i++) if (want.test(names[i])) return names[i];
    return names[0];
  }

  function elfRow(name, e) {
    var sub = [];
    if (e.soname) sub.push('SONAME ' + e.soname);
    if (e.exports && e.exports.length) sub.push('exports ' + e.exports.slice(0, 24).join(', ') + (e.exports.length > 24 ? ', … (' + e.exports.length + ')' : ''));
    if (e.arm) {
      var a = [];
      if (e.arm.cpuArch) a.push('CPU ' + e.arm.cpuArch);
      if (e.arm.floatAbi) a.push('float ABI ' + e.arm.floatAbi);
      if (e.arm.fpArch) a.push('FP ' + e.arm.fpArch);
      if (a.length) sub.push('ARM ' + a.join(', '));
    }
    return h('tr', null, [h('th', { text: name }), h('td', null, [h('code', { text: e.summary || '—' })].concat(sub.map(function (s) { return h('div', { class: 'sub', text: s }); })))]);
  }

  function render(c) {
    var kids = [];
    var head = h('div', { class: 'ph' }, [
      h('button', { type: 'button', class: 'close', title: 'Close (Esc)', 'aria-label': 'Close', text: '×' }),
      h('h2', { text: c.id }),
      h('div', null, [
        h('span', { class: 'badge v-' + c.verdict, text: (DATA.symbols[c.verdict] || '') + ' ' + c.verdict }),
        c.verdict === 'pass' ? null : h('span', { text: 'at ' + c.stage + (c.stageOk ? '' : ' (failed)') })
      ]),
      h('p', { class: 'summary', text: c.summary }),
      h('div', { class: 'axes', text: [
        c.axes.platform, c.axes.goarch + (c.axes.goarm ? 'v' + c.axes.goarm : ''), c.axes.libc,
        'cpu ' + c.axes.cpu, (c.axes.toolchain === 'gccgo' ? c.axes.go : 'go' + (c.axes.goVersion || c.axes.go)), exitText(c), (c.durationMs / 1000).toFixed(2) + ' s'
      ].filter(Boolean).join(' · ') })
    ]);
    head.querySelector('.close').addEventListener('click', close);
    kids.push(head);
    var caseDesc = DATA.cases[c.axes.case];
    if (caseDesc) kids.push(section('Case', [h('div', { class: 'dim', text: caseDesc })]));

    if (c.explanation) kids.push(section('Why', [h('div', { class: 'why v-' + c.verdict, text: c.explanation })], 'explanation'));

    if (c.expectation) {
      var x = c.expectation;
      var whenParts = [];
      for (var k in (x.when || {})) whenParts.push(k + '=' + JSON.stringify(x.when[k]));
      kids.push(section('Expectation', [h('div', { class: 'expect' }, [
        h('div', null, [h('span', { class: 'label', text: x.label }), ' ', link(x.link)]),
        x.reason ? h('div', { class: 'reason', text: x.reason }) : null,
        h('div', { class: 'matched', text: x.matched ? 'Matched: the cell failed exactly as recorded.' : 'Did not match' + (x.why ? ': ' + x.why : '.') }),
        h('div', { class: 'rule', text: 'expects ' + [x.verdict].flat().join(' or ') + (x.stage ? ' at ' + x.stage : '') + ' matching /' + x.match + '/' + (whenParts.length ? ' when ' + whenParts.join(', ') : '') })
      ])], 'expectation'));
    }

    if (c.checks && c.checks.length) {
      kids.push(section('Checks (' + c.checks.filter(function (k) { return k.ok; }).length + '/' + c.checks.length + ' ok)', [h('ul', { class: 'checks' }, c.checks.map(function (k) {
        return h('li', null, [h('span', { class: k.ok ? 'ok' : 'bad', text: k.ok ? '✓ ok ' : '✗ not ok ' }), k.text]);
      }))], 'checks-box'));
    }

    if (c.elf) {
      var rows = [];
      Object.keys(c.elf.libraries || {}).forEach(function (n) { rows.push(elfRow('lib ' + n, c.elf.libraries[n])); });
      if (c.elf.host) rows.push(elfRow('host', c.elf.host));
      if (rows.length) kids.push(section('ELF facts', [h('table', { class: 'elf' }, [h('tbody', null, rows)])], 'elf-box'));
    }

    if (c.failureText && c.verdict !== 'pass') {
      kids.push(section('Failure text', [h('details', { class: 'log' }, [h('summary', { text: 'what expectations were matched against' }), h('pre', { text: c.failureText })])]));
    }

    var names = Object.keys(c.logs || {});
    if (names.length) {
      var first = primaryLog(c);
      kids.push(section('Logs', names.map(function (n) {
        var path = c.logs[n];
        var log = DATA.logs[path] || { missing: 'not recorded' };
        var sum = h('summary', null, [h('b', { text: n }), h('span', { class: 'path', text: path + (log.bytes !== undefined ? ' · ' + kib(log.bytes) : '') })]);
        var body = log.missing !== undefined ? h('div', { class: 'trunc', text: '(' + log.missing + ')' }) : h('pre', { text: log.text });
        var note = log.omitted ? h('div', { class: 'trunc', text: 'Long log: ' + kib(log.omitted) + ' from the middle are not shown here; the whole file is ' + path + ' in the run directory.' }) : null;
        return h('details', { class: 'log', open: n === first ? '' : undefined, 'data-log': n }, [sum, note, body]);
      }), 'logs'));
    }
    panel.replaceChildren.apply(panel, kids);
    panel.scrollTop = 0;
  }

  function open(i, btn) {
    var c = DATA.cells[i];
    if (!c) return;
    if (selected) selected.classList.remove('selected');
    selected = btn || document.querySelector('.cell[data-i="' + i + '"]');
    if (selected) selected.classList.add('selected');
    render(c);
    document.body.classList.add('open');
    panel.setAttribute('aria-hidden', 'false');
    if (history.replaceState) history.replaceState(null, '', '#' + encodeURIComponent(c.id));
  }
  function close() {
    document.body.classList.remove('open');
    panel.setAttribute('aria-hidden', 'true');
    if (selected) { selected.classList.remove('selected'); selected.focus(); }
    selected = null;
    if (history.replaceState) history.replaceState(null, '', location.pathname + location.search);
  }

  document.querySelectorAll('.cell').forEach(function (b) {
    b.addEventListener('click', function () {
      if (selected === b && document.body.classList.contains('open')) close();
      else open(Number(b.getAttribute('data-i')), b);
    });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && document.body.classList.contains('open')) close(); });

  // Clicking a count highlights the cells with that verdict; clicking it again clears.
  var chips = document.querySelectorAll('.chip');
  chips.forEach(function (chip) {
    chip.addEventListener('click', function () {
      var v = chip.getAttribute('data-verdict');
      var on = !chip.classList.contains('active');
      chips.forEach(function (x) { x.classList.remove('active'); });
      document.body.classList.toggle('filtering', on);
      document.querySelectorAll('.cell').forEach(function (b) { b.classList.toggle('hit', on && b.classList.contains('v-' + v)); });
      if (on) chip.classList.add('active');
    });
  });

  if (location.hash.length > 1) {
    var id = decodeURIComponent(location.hash.slice(1));
    for (var i = 0; i < DATA.cells.length; i++) if (DATA.cells[i].id === id) { open(i); break; }
  }
})();
`;

export interface HtmlData {
  cells: CellResult[];
  logs: Record<string, InlinedLog>;
  cases: Record<string, string>;
  symbols: Record<Verdict, string>;
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
  const csp = [`default-src 'none'`, `style-src ${sha256(CSS)}`, `script-src ${sha256(JS)}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`, `connect-src 'none'`].join('; ');
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
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>cshared-matrix <span class="run">run ${esc(r.run.id)}</span></h1>
<div class="status v-${status.cls}">${esc(status.text)}</div>
</header>
<div class="top">${metaHtml(r)}</div>
${countsHtml(r)}
<noscript><p>Click-through details need JavaScript; results.json and matrix.md hold the same data.</p></noscript>
<div class="scroll">${matrixHtml(r)}</div>
${notesHtml(r)}
${legendHtml()}
<footer>Click a cell for its details and logs. Written by ${esc(r.harness.name)} ${esc(r.harness.version)}; logs are inlined up to ${LOG_CAP_BYTES / 1024} KiB each, the full files are under the run directory.</footer>
</main>
<aside id="panel" aria-hidden="true" aria-label="cell details"></aside>
<script type="application/json" id="csm-data">${scriptJson(data)}</script>
<script>${JS}</script>
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
