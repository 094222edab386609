import type { CaseFile } from './types.js';

/**
 * The compiler and linker flags a case may give, as data (cases/flag-policy.json).
 * Cases come from bug reports: a flag such as -B, -fplugin= or @file makes the
 * compiler driver run or read something of the case's choosing while it is
 * built. So a flag must match an allowed pattern of its kind, in the spirit of
 * Go's own cgo flag policy (cmd/go/internal/work/security.go). Pure: the file is
 * read at the edge.
 */

export type FlagKind = 'compiler' | 'linker';

interface Rule {
  pattern: string;
  what?: string;
  why?: string;
}

export interface FlagPolicy {
  compiler: { allow: Rule[] };
  linker: { allow: Rule[] };
  /** Words for a refusal; never an allowance. */
  refused: Rule[];
}

export interface CompiledPolicy {
  allow: Record<FlagKind, RegExp[]>;
  refused: { re: RegExp; why: string }[];
}

/** Compile the policy; a pattern that is not a regular expression is named. */
export function compilePolicy(file: string, p: FlagPolicy): CompiledPolicy {
  const re = (r: Rule, where: string): RegExp => {
    try {
      return new RegExp(r.pattern);
    } catch (e) {
      throw new Error(`${file}: ${where}: "${r.pattern}" is not a regular expression: ${(e as Error).message}`);
    }
  };
  const list = (kind: FlagKind) => {
    const rules = p[kind]?.allow;
    if (!Array.isArray(rules)) throw new Error(`${file}: /${kind}/allow: must be a list of {pattern, what}`);
    return rules.map((r, i) => re(r, `/${kind}/allow/${i}`));
  };
  return {
    allow: { compiler: list('compiler'), linker: list('linker') },
    refused: (p.refused ?? []).map((r, i) => ({ re: re(r, `/refused/${i}`), why: r.why ?? 'not on the list' })),
  };
}

/** Why a flag is refused, or undefined when the policy allows it. */
export function refusal(policy: CompiledPolicy, kind: FlagKind, flag: string): string | undefined {
  // -Wl,a,b passes a and b on as separate arguments: none may be a file of more arguments.
  const atFile = flag.split(',').some((part) => part.startsWith('@'));
  if (!atFile && policy.allow[kind].some((re) => re.test(flag))) return undefined;
  const known = policy.refused.find((r) => r.re.test(flag) || (atFile && r.re.test('@')));
  return known?.why ?? `not on the list of allowed ${kind} flags`;
}

/** Every refused flag of a case, one line each: the file, the field, the flag and why. */
export function flagProblems(file: string, c: CaseFile, policy: CompiledPolicy): string[] {
  const fields: [string, FlagKind, readonly string[] | undefined][] = [
    ['/host/cflags', 'compiler', c.host?.cflags],
    ['/host/ldflags', 'linker', c.host?.ldflags],
    // A Windows host's flags replace host's on the Windows rows: the same policy binds them.
    ...(c.windows && 'sources' in c.windows
      ? ([
          ['/windows/cflags', 'compiler', c.windows.cflags],
          ['/windows/ldflags', 'linker', c.windows.ldflags],
        ] as [string, FlagKind, readonly string[] | undefined][])
      : []),
    ...(c.cLibraries ?? []).map((l, i): [string, FlagKind, readonly string[] | undefined] => [
      `/cLibraries/${i}/cflags`,
      'compiler',
      l.cflags,
    ]),
  ];
  const problems: string[] = [];
  for (const [field, kind, flags] of fields)
    (flags ?? []).forEach((flag, i) => {
      const why = refusal(policy, kind, flag);
      if (why) problems.push(`${file}: ${field}/${i}: flag "${flag}" is not allowed: ${why} (policy: cases/flag-policy.json)`);
    });
  return problems;
}
