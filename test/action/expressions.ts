// GitHub Actions expressions (`${{ … }}` and `if:`), as much of them as an
// action's metadata uses: literals, context property access (case-insensitive,
// like GitHub's), ! == != < <= > >= && ||, parentheses and the functions
// contains, startsWith, endsWith, format, join, toJSON, fromJSON and the status
// functions. Comparison is GitHub's: loose across types (both sides become
// numbers), case-insensitive between strings. Used by run-action-steps.ts.

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export interface ExpressionContext {
  /** github, runner, inputs, steps, env, … */
  contexts: Record<string, Value>;
  /** For success(), failure(), cancelled(): has an earlier step failed (and not continued on error)? */
  failed: boolean;
  cancelled?: boolean;
}

type Token =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'id'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'eof' };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',', '*'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in expression: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ kind: 'str', value: s });
      continue;
    }
    const num = /^(?:0x[0-9a-f]+|-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(src[i + 1] ?? ''))) {
      out.push({ kind: 'num', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'id', value: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new Error(`unexpected character ${JSON.stringify(c)} in expression: ${src}`);
    out.push({ kind: 'op', value: op });
    i += op.length;
  }
  out.push({ kind: 'eof' });
  return out;
}

export function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v.trim());
  return NaN;
}

export function truthy(v: Value): boolean {
  return !(v === null || v === false || v === '' || (typeof v === 'number' && (v === 0 || Number.isNaN(v))));
}

/** How a value reads when interpolated into a string. */
export function toText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return JSON.stringify(v, null, 2);
}

const sameType = (a: Value, b: Value) =>
  (a === null ? 'null' : Array.isArray(a) ? 'array' : typeof a) === (b === null ? 'null' : Array.isArray(b) ? 'array' : typeof b);

function looseEqual(a: Value, b: Value): boolean {
  if (sameType(a, b)) {
    if (typeof a === 'string') return a.toLowerCase() === (b as string).toLowerCase();
    return a === b;
  }
  const [x, y] = [toNumber(a), toNumber(b)];
  return !Number.isNaN(x) && x === y;
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = [toNumber(a), toNumber(b)];
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x - y;
}

function property(obj: Value, key: Value): Value {
  if (Array.isArray(obj)) {
    const i = toNumber(key);
    return Number.isInteger(i) && i >= 0 && i < obj.length ? obj[i]! : null;
  }
  if (obj !== null && typeof obj === 'object') {
    const k = toText(key).toLowerCase();
    const hit = Object.keys(obj).find((name) => name.toLowerCase() === k);
    return hit === undefined ? null : obj[hit]!;
  }
  return null;
}

function format(fmt: string, args: Value[]): string {
  return fmt.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const i = Number(n);
    if (i >= args.length) throw new Error(`format: no argument {${i}} for ${JSON.stringify(fmt)}`);
    return toText(args[i]!);
  });
}

function toValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toValue(x)]));
  return String(v);
}

const STATUS_FUNCTIONS = /\b(success|failure|always|cancelled)\s*\(/i;

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly ctx: ExpressionContext,
    private readonly src: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === v;
  }
  private expect(v: string): void {
    if (!this.isOp(v)) throw new Error(`expected "${v}" in expression: ${this.src}`);
    this.pos++;
  }

  parse(): Value {
    const v = this.or();
    if (this.peek().kind !== 'eof') throw new Error(`unexpected ${JSON.stringify(this.peek())} in expression: ${this.src}`);
    return v;
  }

  private or(): Value {
    let left = this.and();
    while (this.isOp('||')) {
      this.pos++;
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }
  private and(): Value {
    let left = this.equality();
    while (this.isOp('&&')) {
      this.pos++;
      const right = this.equality();
      left = truthy(left) ? right : left;
    }
    return left;
  }
  private equality(): Value {
    let left = this.comparison();
    while (this.isOp('==') || this.isOp('!=')) {
      const op = (this.tokens[this.pos++] as { value: string }).value;
      const right = this.comparison();
      left = op === '==' ? looseEqual(left, right) : !looseEqual(left, right);
    }
    return left;
  }
  private comparison(): Value {
    let left = this.unary();
    for (;;) {
      const op = ['<=', '>=', '<', '>'].find((o) => this.isOp(o));
      if (!op) return left;
      this.pos++;
      const c = compare(left, this.unary());
      left = Number.isNaN(c) ? false : op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
  private unary(): Value {
    if (this.isOp('!')) {
      this.pos++;
      return !truthy(this.unary());
    }
    return this.postfix();
  }
  private postfix(): Value {
    let v = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.pos++;
        const t = this.peek();
        if (t.kind !== 'id') throw new Error(`expected a property name after "." in expression: ${this.src}`);
        this.pos++;
        v = property(v, t.value);
      } else if (this.isOp('[')) {
        this.pos++;
        const key = this.or();
        this.expect(']');
        v = property(v, key);
      } else return v;
    }
  }
  private primary(): Value {
    const t = this.tokens[this.pos++]!;
    if (t.kind === 'num' || t.kind === 'str') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const v = this.or();
      this.expect(')');
      return v;
    }
    if (t.kind !== 'id') throw new Error(`unexpected ${JSON.stringify(t)} in expression: ${this.src}`);
    const name = t.value;
    if (this.isOp('(')) {
      this.pos++;
      const args: Value[] = [];
      while (!this.isOp(')')) {
        args.push(this.or());
        if (!this.isOp(')')) this.expect(',');
      }
      this.pos++;
      return this.call(name, args);
    }
    switch (name) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case 'NaN':
        return NaN;
      case 'Infinity':
        return Infinity;
    }
    const ctx = Object.keys(this.ctx.contexts).find((k) => k.toLowerCase() === name.toLowerCase());
    if (ctx === undefined) throw new Error(`unknown context "${name}" in expression: ${this.src}`);
    return this.ctx.contexts[ctx]!;
  }

  private call(name: string, args: Value[]): Value {
    const s = (i: number) => toText(args[i] ?? null);
    switch (name.toLowerCase()) {
      case 'success':
        return !this.ctx.failed && !this.ctx.cancelled;
      case 'failure':
        return this.ctx.failed;
      case 'cancelled':
        return !!this.ctx.cancelled;
      case 'always':
        return true;
      case 'contains': {
        const hay = args[0] ?? null;
        if (Array.isArray(hay)) return hay.some((x) => looseEqual(x, args[1] ?? null));
        return s(0).toLowerCase().includes(s(1).toLowerCase());
      }
      case 'startswith':
        return s(0).toLowerCase().startsWith(s(1).toLowerCase());
      case 'endswith':
        return s(0).toLowerCase().endsWith(s(1).toLowerCase());
      case 'format':
        return format(s(0), args.slice(1));
      case 'join': {
        const a = args[0] ?? null;
        return Array.isArray(a) ? a.map(toText).join(args.length > 1 ? s(1) : ',') : toText(a);
      }
      case 'tojson':
        return JSON.stringify(args[0] ?? null, null, 2);
      case 'fromjson':
        return toValue(JSON.parse(s(0)));
      case 'hashfiles':
        throw new Error('hashFiles() is not emulated (and ignores files outside the workspace on GitHub too)');
      default:
        throw new Error(`unknown function ${name}() in expression: ${this.src}`);
    }
  }
}

/** The value of one expression (the text between `${{` and `}}`). */
export function evaluate(src: string, ctx: ExpressionContext): Value {
  return new Parser(tokenize(src), ctx, src).parse();
}

/** Where the `}}` closing the expression that starts at `from` is (quotes skipped). */
function closing(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    if (s[i] === "'") quoted = !quoted;
    else if (!quoted && s.startsWith('}}', i)) return i;
  }
  throw new Error(`unterminated \${{ in ${JSON.stringify(s)}`);
}

/** A string with every `${{ expression }}` in it replaced by the expression's text. */
export function interpolate(s: string, ctx: ExpressionContext): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = s.indexOf('${{', i);
    if (start < 0) return out + s.slice(i);
    const end = closing(s, start + 3);
    out += s.slice(i, start) + toText(evaluate(s.slice(start + 3, end), ctx));
    i = end + 2;
  }
}

/** Whether a step's `if:` holds: with or without `${{ }}`; success() && … unless it names a status function. */
export function condition(cond: unknown, ctx: ExpressionContext): boolean {
  if (cond === undefined || cond === null) return !ctx.failed && !ctx.cancelled;
  if (typeof cond === 'boolean') return cond && !ctx.failed && !ctx.cancelled;
  let src = String(cond).trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(src);
  if (whole && closing(src, 3) === src.length - 2) src = whole[1]!;
  if (!STATUS_FUNCTIONS.test(src)) src = `success() && (${src})`;
  return truthy(evaluate(src, ctx));
}

export { toValue };
