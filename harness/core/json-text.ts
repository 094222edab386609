import jsonc from 'jsonc-parser';
import { UsageError } from './errors.js';

/**
 * JSON from a file the user named (a config, a case, platform rows, a
 * results.json). Node's own message quotes the text ('"root:*:202"... is not
 * valid JSON'), and the file may be anything the user can name, a secret one
 * too: a bad file is said by its name, line, column and what was expected,
 * never by its bytes.
 */
export function parseJsonText(text: string, where: string, fix = ''): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not valid JSON: ${jsonSyntaxProblem(text)}${fix}`);
  }
}

/** What the parser expected, in words; never a character of the text. */
const EXPECTED: Record<string, string> = {
  InvalidSymbol: 'unexpected text: expected a JSON value (an object, array, string, number, true, false or null)',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after a property name',
  CommaExpected: 'expected "," or the end of the object or array',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'expected the end of the file after the value',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a malformed \\u escape',
  InvalidEscapeCharacter: 'a malformed escape in a string',
  InvalidCharacter: 'a control character inside a string',
};

/** "line L, column C: what was expected" for text JSON.parse refused. */
export function jsonSyntaxProblem(text: string): string {
  const errors: jsonc.ParseError[] = [];
  jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  // The first error is where a reader looks; later ones follow from it.
  const first = errors.sort((a, b) => a.offset - b.offset)[0];
  const at = first?.offset ?? text.length;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const what = first
    ? (EXPECTED[jsonc.printParseErrorCode(first.error)] ?? 'not JSON here')
    : text.trim()
      ? 'not JSON here'
      : 'the file is empty';
  return `line ${line}, column ${column}: ${what}`;
}
