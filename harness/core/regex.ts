import { RE2JS } from 're2js';

/**
 * The regular expressions a case, a config file or a row supplies (`match`,
 * `pass.stdout`), matched with RE2's semantics (re2js, pure JS): time linear
 * in the text, so no host output can make a pattern backtrack for minutes
 * (JavaScript's own engine takes exponential time on `(a+)+$` against
 * "aaa…a!"). RE2 has no backreferences and no lookaround; such a pattern is
 * refused when the file is loaded (`regexProblem`), never at match time.
 * Multi-line, as the patterns always were: `^` and `$` match at each line.
 */
const compiled = new Map<string, RE2JS>();

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern, RE2JS.MULTILINE);
    compiled.set(pattern, re);
  }
  return re;
}

/** Why RE2 cannot use the pattern, in one line, or undefined when it can. */
export function regexProblem(pattern: string): string | undefined {
  try {
    compile(pattern);
    return undefined;
  } catch (e) {
    const why = (e as Error).message.replace(/^error parsing regexp: /, '').replace('`(?m)', '`');
    const hint = /\\[1-9]/.test(pattern)
      ? 'RE2 has no backreferences (for "csm-done (\\d+)/\\1" write "csm-done \\d+/\\d+": the harness already checks that csm-done agrees with the ok and not ok lines)'
      : /\(\?<?[=!]/.test(pattern)
        ? 'RE2 has no lookahead or lookbehind'
        : 'see https://github.com/google/re2/wiki/Syntax';
    return `not a regular expression RE2 accepts (${why}); ${hint}`;
  }
}

/** True when the pattern matches anywhere in the text. The pattern must have passed regexProblem. */
export const regexMatches = (pattern: string, text: string): boolean => compile(pattern).test(text);
