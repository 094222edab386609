import { marked, type Tokens } from 'marked';
import { DEFAULT_HOST_TIMEOUT_S } from './host-timeout.js';
import type { CaseFile } from './types.js';

/**
 * Turning a pasted bug report into a case. A report is Markdown (or a directory
 * of files): fenced Go, Python and C blocks, a `go build` line, and the error
 * people saw. Everything here is pure: text in, a case and files out.
 */

export interface ReportFile {
  path: string;
  content: string;
}

export interface ParsedReport {
  goFiles: ReportFile[];
  pythonHost?: ReportFile;
  cHost?: ReportFile;
  /** The `-o` of the report's go build line, e.g. "cc.so". */
  output?: string;
  /** Lines the reporter saw fail, verbatim. */
  reportedErrors: string[];
  /** Blocks that were neither code nor output, for the record. */
  ignored: string[];
}

const looksGo = (s: string) => /^\s*package\s+\w+/m.test(s);
const looksPython = (s: string) => /^\s*(import|from)\s+\w+/m.test(s) && !looksGo(s) && !/#include/.test(s);
const looksC = (s: string) => /#include\s*[<"]/.test(s) && /\bmain\s*\(/.test(s);
const ERRORISH = /(error|exception|panic|fatal|segmentation fault|signal \d+|sigsegv|undefined symbol|cannot|not found)/i;
/** Lines that frame an error rather than state one: matching them would "reproduce" any traceback. */
const FRAMING = /^(traceback \(most recent call last\):?|during handling of the above exception.*)$/i;
/** How specific an error line is: "OSError: Error relocating …" beats a sentence that says "cannot". */
const specificity = (l: string): number =>
  (/^[\w.]*(error|exception|panic|fatal)[\w.]*:/i.test(l) ? 4 : 0) +
  (/error|panic|signal \d+|sigsegv/i.test(l) ? 2 : 0) +
  (/:\s/.test(l) ? 1 : 0);

/** `//main.go` or `# test.py` as a block's first line names the file, as people paste them. */
function nameFromFirstLine(text: string, ext: string): string | undefined {
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  const m = new RegExp(`^(?://|#)\\s*([\\w.-]+\\.${ext})\\s*$`).exec(first);
  return m?.[1];
}

/**
 * The names a report's files get: `main.go`, then `main2.go`, `main3.go`… for
 * the same name again. Each name remembers the suffix it reached, so a report
 * of thousands of same-named blocks is named in linear time, not by rescanning
 * from 2 each time.
 */
class FileNames {
  private readonly taken = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();

  claim(base: string): string {
    if (!this.taken.has(base)) return this.take(base);
    const [stem, ext] = base.split(/\.(?=[^.]+$)/) as [string, string];
    let i = this.nextSuffix.get(base) ?? 2;
    while (this.taken.has(`${stem}${i}.${ext}`)) i++;
    this.nextSuffix.set(base, i + 1);
    return this.take(`${stem}${i}.${ext}`);
  }

  private take(name: string): string {
    this.taken.add(name);
    return name;
  }
}

/** The error lines of a report: lines of output blocks and prose that say something failed. */
function errorLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => ERRORISH.test(l) && !FRAMING.test(l) && !/^\s*(\$|#|\/\/)/.test(l) && l.length < 400);
}

function rankErrors(lines: string[]): string[] {
  return [...new Set(lines)]
    .map((l, i) => ({ l, i }))
    .sort((a, b) => specificity(b.l) - specificity(a.l) || a.i - b.i)
    .map((x) => x.l);
}

export function parseMarkdownReport(markdown: string): ParsedReport {
  const out: ParsedReport = { goFiles: [], reportedErrors: [], ignored: [] };
  const names = new FileNames();
  const commands: string[] = [];
  const tokens = marked.lexer(markdown);
  const visit = (toks: readonly { type: string }[]) => {
    for (const t of toks) {
      if (t.type === 'code') {
        const { lang = '', text } = t as Tokens.Code;
        const l = lang.toLowerCase();
        if (l === 'go' || l === 'golang' || (!l && looksGo(text)))
          out.goFiles.push({ path: names.claim(nameFromFirstLine(text, 'go') ?? 'main.go'), content: `${text}\n` });
        else if (l === 'python' || l === 'py' || (!l && looksPython(text))) out.pythonHost ??= { path: 'host.py', content: `${text}\n` };
        else if ((l === 'c' || !l) && looksC(text)) out.cHost ??= { path: 'host.c', content: `${text}\n` };
        else if (/^(sh|bash|console|shell|shell-session|text|txt|)$/.test(l)) {
          commands.push(...text.split('\n'));
          out.reportedErrors.push(...errorLines(text));
        } else out.ignored.push(`${l || 'untagged'} block`);
      } else if (t.type === 'paragraph' || t.type === 'blockquote' || t.type === 'text') {
        const text = (t as Tokens.Paragraph).text ?? '';
        commands.push(...text.split('\n'));
        out.reportedErrors.push(...errorLines(text));
      } else {
        // Lists keep their content in items, list items and the rest in tokens ("Steps to reproduce: 1. … 2. …").
        const inner = t as { tokens?: { type: string }[]; items?: { type: string }[] };
        if (Array.isArray(inner.items)) visit(inner.items);
        if (Array.isArray(inner.tokens)) visit(inner.tokens);
      }
    }
  };
  visit(tokens);
  for (const line of commands) {
    const m = /go\s+build\b.*?-o[\s=]+["']?([^\s"']+\.so(?:\.\d+)*)["']?/.exec(line);
    if (m) {
      out.output = m[1]!.split('/').pop()!;
      break;
    }
  }
  out.reportedErrors = rankErrors(out.reportedErrors);
  return out;
}

/** A directory report: its .go files, one host (.py or .c), and any .md/.txt for the error text and build line. */
export function parseDirectoryReport(files: ReportFile[]): ParsedReport {
  const out: ParsedReport = { goFiles: [], reportedErrors: [], ignored: [] };
  const names = new FileNames();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (f.path.endsWith('.go') && !f.path.endsWith('_test.go'))
      out.goFiles.push({ path: names.claim(f.path.split('/').pop()!), content: f.content });
    else if (f.path.endsWith('.py')) out.pythonHost ??= { path: 'host.py', content: f.content };
    else if (f.path.endsWith('.c') && looksC(f.content)) out.cHost ??= { path: 'host.c', content: f.content };
    else if (/\.(md|markdown|txt)$/.test(f.path)) {
      const inner = parseMarkdownReport(f.content);
      out.reportedErrors.push(...inner.reportedErrors);
      out.output ??= inner.output;
      out.reportedErrors = rankErrors(out.reportedErrors);
    } else out.ignored.push(f.path);
  }
  return out;
}

export interface GeneratedCase {
  name: string;
  caseFile: CaseFile;
  files: ReportFile[];
  libName: string;
  output: string;
}

/**
 * The case a report describes: the Go sources as one library named after the
 * report's `-o` (so `./cc.so` in the host resolves: hosts run in the library's
 * directory), the host as written, and no expectations, because the question
 * is what really happens.
 */
export function reportToCase(name: string, r: ParsedReport): GeneratedCase {
  if (!r.goFiles.length) throw new Error('the report has no Go source (a fenced ```go block, or .go files)');
  const output = r.output ?? 'libreport.so';
  const libName = (
    output
      .replace(/\.so(\.\d+)*$/, '')
      .replace(/^lib/, '')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .replace(/^[^a-z]+/, '') || 'report'
  ).slice(0, 32);
  const files: ReportFile[] = r.goFiles.map((f) => ({ path: `go/${f.path}`, content: f.content }));
  const caseFile: CaseFile = {
    description: `Reproduction of a bug report: ${r.reportedErrors[0] ?? 'no error text given'}`.slice(0, 500),
    libraries: [{ name: libName, dir: 'go', output }],
    host: { sources: [] },
    run: { cwd: libName, timeout: DEFAULT_HOST_TIMEOUT_S },
  };
  if (r.pythonHost) {
    // A path the reporter had (./cc.so, /usr/src/app/cc.so) becomes the built library beside the host.
    const content = r.pythonHost.content.replace(/(['"])(?:[^'"\n]*\/)?([^'"/\n]+\.so(?:\.\d+)*)\1/g, (m, q: string, file: string) =>
      file === output ? `${q}./${output}${q}` : m,
    );
    files.push({ path: 'host.py', content });
    caseFile.host = { python: 'host.py' };
  } else if (r.cHost) {
    files.push({ path: 'host.c', content: r.cHost.content });
    const dl = /\bdlopen\s*\(/.test(r.cHost.content);
    caseFile.host = { sources: ['host.c'], ...(dl ? { dlopen: [libName] } : { link: [libName] }) };
  } else {
    delete (caseFile as Partial<CaseFile>).host;
  }
  return { name, caseFile, files, libName, output };
}

/**
 * The part of a reported error that should appear again if it reproduces: the
 * longest stretch between paths and colons, e.g. "initial-exec TLS resolves to
 * dynamic definition" out of "OSError: Error relocating ./cc.so: : initial-exec
 * TLS resolves to dynamic definition in ./cc.so".
 */
export function errorSignature(line: string): string | undefined {
  const parts = line
    .replace(/(?:\.{0,2}\/)?(?:[\w.+-]*\/)+[\w.+-]*|\b\w+\.so(?:\.\d+)*\b/g, '\0')
    .replace(/0x[0-9a-f]+/gi, '\0')
    .split(/[\0:]/)
    .map((s) =>
      s
        .trim()
        .replace(/\s+(in|at|of|from)$/i, '')
        .trim(),
    )
    .filter((s) => s.length >= 6);
  return parts.sort((a, b) => b.length - a.length)[0];
}

/** Does a cell's failure text show the reported error? Returns the line that does. */
/** "OSError" of "OSError: Error relocating …": the exception the report's own host must raise again. */
export const reportedException = (line: string): string | undefined => /^\s*([A-Za-z_][\w.]*(?:Error|Exception))\b:/.exec(line)?.[1];

/**
 * The reported error in a cell's failure text. With `sameException`, for the
 * report's own host: a line must carry the reported exception too (Python's
 * OSError around the loader's text), so the reproduction is the report's
 * program failing the report's way, not just the same loader message.
 */
export function findReproduction(
  reported: readonly string[],
  failureText: string,
  opts: { sameException?: boolean } = {},
): { signature: string; line: string } | undefined {
  const lines = failureText.split('\n');
  for (const r of reported) {
    const sig = errorSignature(r);
    if (!sig) continue;
    const exc = opts.sameException ? reportedException(r) : undefined;
    const hit = lines.find((l) => l.toLowerCase().includes(sig.toLowerCase()) && (!exc || l.includes(exc)));
    if (hit) return { signature: sig, line: shortenPaths(hit.trim().replace(/^csm-load-failed \S+: /, '')) };
  }
  return undefined;
}

/** Paths inside the sandbox are long and say nothing to a reader: keep the file name. */
export const shortenPaths = (line: string): string => line.replace(/\/work\/(?:[\w.+-]+\/)+([\w.+-]+)/g, '$1');

/** The line to show for a cell: the first line that says what went wrong. */
export function actualErrorLine(failureText: string | undefined): string {
  if (!failureText) return '';
  const lines = failureText
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return shortenPaths(
    lines.find((l) =>
      /Error relocating|error while loading|OSError|qemu: uncaught|panic:|fatal error|cannot execute|^csm-load-failed/i.test(l),
    ) ??
      lines[0] ??
      '',
  );
}
