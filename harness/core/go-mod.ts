/**
 * go.mod read with Go's own grammar (golang.org/x/mod/modfile, read.go and rule.go):
 * tokens, `verb ( … )` blocks with or without a space before `(`, `//` comments,
 * quoted strings. A regular expression over lines let `require(` through, and with
 * it a module the build could not fetch. Pure: text in, directives or Go's error out.
 */

/** One directive: a verb's line, or one line of a verb's `( … )` block. */
export interface GoModDirective {
  verb: string;
  /** The arguments as written (a quoted one still quoted, as modfile keeps them). */
  args: string[];
  line: number;
}

/** Where and why Go's parser would refuse the file. */
export interface GoModError {
  line: number;
  message: string;
}

type Kind = 'ident' | 'string' | 'eol' | 'eof' | '(' | ')' | '[' | ']' | '{' | '}' | ',';

interface Token {
  kind: Kind;
  text: string;
  line: number;
}

class GoModSyntax extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const PUNCTUATION = new Set(['(', ')', '[', ']', '{', '}', ',']);
/** modfile's isIdent: printable, not a space, not punctuation (so `"` inside a word is part of it). */
const isIdent = (ch: string): boolean => !PUNCTUATION.has(ch) && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);

/** Scan one quoted string starting at `start` (a `"` or a backquote); returns the index after it. */
function scanString(text: string, start: number, line: number): number {
  const quote = text[start]!;
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new GoModSyntax(line, 'unexpected EOF in string');
    if (text[i] === '\n') throw new GoModSyntax(line, 'unexpected newline in string');
    const ch = text[i++]!;
    if (ch === quote) return i;
    if (ch === '\\' && quote !== '`') {
      if (i >= text.length) throw new GoModSyntax(line, 'unexpected EOF in string');
      i++;
    }
  }
}

/** Scan a word from `start`; a `//` ends it, as in modfile. Returns the index after it. */
function scanIdent(text: string, start: number, line: number): number {
  let i = start;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (!isIdent(ch) || text.startsWith('//', i)) break;
    if (text.startsWith('/*', i)) throw new GoModSyntax(line, 'mod files must use // comments (not /* */ comments)');
    i += ch.length;
  }
  if (i === start)
    throw new GoModSyntax(line, `unexpected input character U+${text.codePointAt(start)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return i;
}

/** go.mod's tokens. A comment ends its line (it is an end of line to the parser, as in modfile). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') i++;
    else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      tokens.push({ kind: 'eol', text: '\n', line });
      i = end < 0 ? text.length : end + 1;
      line++;
    } else if (text.startsWith('/*', i)) throw new GoModSyntax(line, 'mod files must use // comments (not /* */ comments)');
    else if (ch === '\n') {
      tokens.push({ kind: 'eol', text: ch, line: line++ });
      i++;
    } else if (PUNCTUATION.has(ch)) tokens.push({ kind: ch as Kind, text: text[i++]!, line });
    else {
      const end = ch === '"' || ch === '`' ? scanString(text, i, line) : scanIdent(text, i, line);
      tokens.push({ kind: ch === '"' || ch === '`' ? 'string' : 'ident', text: text.slice(i, end), line });
      i = end;
    }
  }
  tokens.push({ kind: 'eof', text: '', line });
  return tokens;
}

const isEol = (t: Token): boolean => t.kind === 'eol' || t.kind === 'eof';

/** modfile's parser over the tokens: statements, `verb (` blocks, `( )` inside a line kept as words. */
class Parser {
  private at = 0;
  readonly directives: GoModDirective[] = [];

  constructor(private readonly tokens: Token[]) {}

  // Past the end, the last token (eof) again, as modfile's lexer keeps returning EOF.
  private peek(): Token {
    return this.tokens[Math.min(this.at, this.tokens.length - 1)]!;
  }

  private lex(): Token {
    const t = this.peek();
    this.at++;
    return t;
  }

  parseFile(): void {
    for (let t = this.peek(); t.kind !== 'eof'; t = this.peek()) {
      if (t.kind === 'eol') this.lex();
      else this.parseStatement();
    }
  }

  private parseStatement(): void {
    const first = this.lex();
    const words = [first.text];
    for (;;) {
      const t = this.lex();
      if (isEol(t)) return void this.directives.push({ verb: first.text, args: words.slice(1), line: first.line });
      if (t.kind !== '(') {
        words.push(t.text);
        continue;
      }
      if (isEol(this.peek())) return void this.parseBlock(words, first.line);
      if (this.peek().kind !== ')') {
        words.push(t.text);
        continue;
      }
      const close = this.lex();
      if (isEol(this.peek())) return void this.lex(); // `verb ()`: an empty block
      words.push(t.text, close.text);
    }
  }

  private parseBlock(words: string[], line: number): void {
    if (words.length > 1) throw new GoModSyntax(line, `unknown block type: ${words.join(' ')}`);
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eol') this.lex();
      else if (t.kind === 'eof') throw new GoModSyntax(line, `syntax error (unterminated block started at line ${line})`);
      else if (t.kind === ')') {
        this.lex();
        if (!isEol(this.peek())) throw new GoModSyntax(this.peek().line, 'syntax error (expected newline after closing paren)');
        this.lex();
        return;
      } else this.directives.push({ verb: words[0]!, ...this.parseBlockLine() });
    }
  }

  private parseBlockLine(): { args: string[]; line: number } {
    const first = this.lex();
    const args = [first.text];
    for (let t = this.lex(); !isEol(t); t = this.lex()) args.push(t.text);
    return { args, line: first.line };
  }
}

/** Every directive of a go.mod, or the first error Go's parser would stop at. */
export function parseGoMod(text: string): { directives: GoModDirective[] } | { error: GoModError } {
  try {
    const parser = new Parser(tokenize(text));
    parser.parseFile();
    return { directives: parser.directives };
  } catch (e) {
    if (e instanceof GoModSyntax) return { error: { line: e.line, message: e.message } };
    throw e;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
const HEX_ESCAPE_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** strconv.Unquote of a double-quoted Go string, or undefined where Go would refuse it. */
function unquoteGo(quoted: string): string | undefined {
  if (quoted.length < 2 || !quoted.endsWith('"')) return undefined;
  let out = '';
  const body = quoted.slice(1, -1);
  for (let i = 0; i < body.length; ) {
    const ch = body[i++]!;
    if (ch === '"') return undefined;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[i++] ?? '';
    const hexDigits = HEX_ESCAPE_DIGITS[e] ?? 0;
    const hex = body.slice(i, i + hexDigits);
    const octal = e + body.slice(i, i + 2);
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (hexDigits && hex.length === hexDigits && /^[0-9a-fA-F]+$/.test(hex) && Number.parseInt(hex, 16) <= 0x10ffff) {
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += hexDigits;
    } else if (/^[0-7]{3}$/.test(octal) && Number.parseInt(octal, 8) <= 0xff) {
      out += String.fromCharCode(Number.parseInt(octal, 8));
      i += 2;
    } else return undefined;
  }
  return out;
}

/** modfile's parseString: a quoted argument unquoted; other quotes in a bare word are refused. */
export function goModString(arg: string): string | undefined {
  if (arg.startsWith('"')) return unquoteGo(arg);
  return /["'`]/.test(arg) ? undefined : arg;
}

/**
 * The module paths a go.mod requires, one per `require` directive (line or block line),
 * or the first problem Go would report for the file or a `require` directive.
 */
export function goModRequirements(text: string): { modules: string[] } | { error: GoModError } {
  const parsed = parseGoMod(text);
  if ('error' in parsed) return parsed;
  const modules: string[] = [];
  for (const d of parsed.directives.filter((x) => x.verb === 'require')) {
    if (d.args.length !== 2) return { error: { line: d.line, message: 'usage: require module/path v1.2.3' } };
    const path = goModString(d.args[0]!);
    if (path === undefined) return { error: { line: d.line, message: `invalid quoted string: ${d.args[0]}` } };
    modules.push(path);
  }
  return { modules };
}
