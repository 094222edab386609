/**
 * Untrusted text made safe for the place it is shown: one sanitizer per output
 * format. Whatever a case, a host, a config file or a results.json supplies
 * goes through one of these at the edge that renders it (terminal and CI log,
 * Markdown); HTML and XML have their own escaping in their reporters.
 */

/**
 * Control characters (C0, DEL, C1), the Unicode bidi controls ("Trojan
 * Source": text that reads differently from what it is) and the Unicode line
 * and paragraph separators. Newline and tab are in the set; a caller that keeps
 * lines splits on newline first.
 */
const UNSAFE_CLASS = '\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, 'g');

const NAMED: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
};

/** The escape a reader sees instead of the character: `\e`, `\r`, `\x01`, `\u{202e}`. */
function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
}

/** Every unsafe character shown as its escape; tabs kept when `keepTabs`. Never throws on a non-string (results.json is untrusted). */
export function escapeControls(text: unknown, keepTabs = false): string {
  return String(text ?? '').replace(UNSAFE, (ch) => (keepTabs && ch === '\t' ? ch : visible(ch)));
}

/**
 * One field of a terminal or CI-log line: no control character at all (a CR
 * would be a line break to GitHub's runner, an ESC a terminal command), and
 * nothing the Actions runner takes as a workflow command: it trims leading
 * white space and runs `::cmd::` at the start of a line (ActionCommand.TryParseV2),
 * and runs the legacy `##[cmd]` anywhere in a line (ActionCommand.TryParse).
 */
export function terminalField(text: unknown): string {
  return commandFree(escapeControls(text));
}

function commandFree(escaped: string): string {
  return escaped.replace(/##\[/g, '##\\[').replace(/^(\s*):(?=:)/, '$1\\:');
}

/** Several lines with every other control character, bidi control and separator escaped: for formats (HTML) that need nothing more. */
export function escapeControlsKeepingLines(text: unknown): string {
  return String(text ?? '')
    .split('\n')
    .map((line) => escapeControls(line, true))
    .join('\n');
}

/** Several lines for a terminal or a CI log: each line a field, tabs kept. */
export function terminalText(text: unknown): string {
  return escapeControlsKeepingLines(text).split('\n').map(commandFree).join('\n');
}

/**
 * Text inside one Markdown line (a list item, a table cell): control
 * characters shown as escapes (so no CR or newline can start a line, which
 * would open a heading, a block or HTML), and every character that could open
 * inline markup backslash-escaped: HTML and autolinks (`<`), links and images
 * (`[`), code, emphasis, strike-through, math (`$`), entities (`&`, which could
 * spell a bidi control), table cells (`|`). Bare URLs are broken so GitHub
 * links none it did not get from us.
 */
export function markdownText(text: unknown): string {
  return escapeControls(text)
    .replace(/[\\`*_[\]<>|~&$]/g, '\\$&')
    .replace(/:\/\//g, '\\://')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\\.`);
}

/**
 * An inline code span holding untrusted text: a fence longer than any run of
 * backticks in it, controls escaped. Text holding a legacy workflow command
 * (`##[`, which a diff printed to a CI log would run) is escaped text instead.
 */
export function markdownCode(text: unknown): string {
  const body = escapeControls(text);
  if (body.includes('##[')) return markdownText(text);
  const fence = '`'.repeat(Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fenced code block around several lines of untrusted text, its fence longer than any run of backticks inside. */
export function markdownFence(text: unknown): string {
  const body = escapeControlsKeepingLines(text);
  const fence = '`'.repeat(Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return `${fence}\n${body}\n${fence}`;
}

/** Only a plain http(s) URL with nothing that would end an autolink becomes a link. */
const LINKABLE = new RegExp(`^https?://[^\\s<>${UNSAFE_CLASS}]+$`);

/** What would end a Markdown link's destination or a table cell, percent-encoded (a URL means the same with them so). */
const destination = (url: string): string => url.replace(/[()|`'"]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An expectation's link: an autolink when it is a plain http(s) URL (what a
 * reader clicks to reach the issue), else its text, escaped; with a label, a
 * Markdown link whose label is escaped text.
 */
export function markdownLink(url: unknown, label?: unknown): string {
  const u = String(url ?? '');
  if (!LINKABLE.test(u) || !URL.canParse(u)) return label === undefined ? markdownText(u) : `${markdownText(label)} (${markdownText(u)})`;
  const href = destination(new URL(u).href);
  return label === undefined ? `<${href}>` : `[${markdownText(label)}](${href})`;
}

/** A link to a file beside the report (a log): relative paths only, every character a URL needs escaped. */
export function markdownFileLink(label: string, path: unknown): string {
  const p = escapeControls(path);
  if (/^[a-z][a-z0-9+.-]*:|^\/\/|^\\/i.test(p)) return markdownText(p);
  try {
    return `[${markdownText(label)}](${destination(encodeURI(p))})`;
  } catch {
    return markdownText(p); // a lone surrogate, which encodeURI refuses
  }
}
