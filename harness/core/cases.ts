import type { ErrorObject } from 'ajv';
import AjvModule from 'ajv';
import { hostLangOf } from './host-kind.js';
import { jsonSyntaxProblem } from './json-text.js';
import { regexProblem } from './regex.js';
import type { CaseFile } from './types.js';

const Ajv = AjvModule.default ?? AjvModule;

/**
 * A case file, judged without touching the disk: the schema's errors in words,
 * cross-checks against a lookup of the case's paths. Reading case directories
 * is edge/case-files.ts's job.
 */

export type SchemaCheck = (data: unknown) => ErrorObject[];

/** The case schema compiled once (edge/case-files.ts reads it); `refs` are schemas it may $ref (the config's refers to the case's). */
export function caseSchemaCheck(schema: object, ...refs: object[]): SchemaCheck {
  // strictRequired off: host's oneOf names properties declared beside it, which is what oneOf is for.
  // verbose: a bad pattern's error carries the pattern, so the line can say what RE2 refused.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  // A pattern is matched with RE2 (core/regex.ts), so RE2 judges it, not JavaScript's RegExp.
  ajv.addFormat('regex', { validate: (s: string) => regexProblem(s) === undefined });
  for (const r of refs) ajv.addSchema(r);
  const validator = ajv.compile(schema);
  return (data) => (validator(data) ? [] : (validator.errors ?? []));
}

/** The schema's patterns in words (cases/case.schema.json): a person reads the rule, not the regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  '^(?!/)(?![-@])(?!.*(^|/)\\.\\.(/|$)).+$':
    'must be a relative path inside the case directory: no leading "/", no ".." component, not starting with "-" or "@"',
  '^[a-z][a-z0-9_]{0,31}$': 'must be a library name: a lower-case letter, then up to 31 lower-case letters, digits or "_"',
  '^-': 'a flag starts with "-"',
  '^https?://': 'must be an http(s) link to the upstream issue',
  '^(https?://[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]+|cases/[a-z0-9][a-z0-9_.-]*/README\\.md#[a-z0-9-]+)$':
    'must be an http(s) link to the upstream issue (no spaces or control characters), or for a finding nobody has reported, its write-up here (cases/<case>/README.md#<section>)',
  // Labels and reasons are shown in terminals, CI logs and Markdown: one line of text (the renderers escape the rest anyway).
  '^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]*$':
    'must be one line of plain text: no newline, CR, tab, escape or other control character, no Unicode bidi control; write it on one line',
  '^(all|[0-9]+\\.[0-9]+)$': 'must be a Go release series such as "1.27", or "all"',
  '^[A-Za-z0-9_.+-]+\\.so(\\.[0-9]+)*$': 'must be a file name ending in .so (optionally .so.N)',
};

const TIER_SHAPE =
  'must be "push" or "nightly", or a list of rules such as [{ "when": { "platform": "amd64-musl" }, "tier": "push" }, { "tier": "nightly" }] (cases/README.md, Tiers)';

const SCHEMA_HINT: [string, string][] = [
  ['case.json', ' (see cases/case.schema.json)'],
  ['config.json', ' (see harness/config.schema.json)'],
];

/**
 * A oneOf that failed is said once: the errors of each of its shapes underneath it would only repeat it.
 * An if/then/else's own error ("must match "else" schema") is dropped: the branch's errors say what is wrong, deeper.
 */
export function withoutOneOfDetail(errors: ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  return errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      !oneOfs.some((o) => o !== e && e.schemaPath.startsWith(`${o.schemaPath}/`) && e.instancePath.startsWith(o.instancePath)),
  );
}

/** One line per problem: the file, the field as a JSON pointer, and what was expected. */
export function describeSchemaError(file: string, e: ErrorObject): string {
  const field = e.instancePath || '/';
  const p = e.params as Record<string, unknown>;
  // A key that breaks propertyNames comes as the key's own error too: say it once, naming the key.
  const key = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (key !== undefined && e.keyword !== 'propertyNames')
    return describeSchemaError(file, { ...e, keyword: 'propertyNames', params: { propertyName: key } });
  switch (e.keyword) {
    case 'additionalProperties':
      return `${file}: ${field}: unknown field "${String(p.additionalProperty)}"${SCHEMA_HINT.find(([end]) => file.endsWith(end))?.[1] ?? ''}`;
    case 'required':
      return `${file}: ${field}: missing required field "${String(p.missingProperty)}"`;
    case 'oneOf':
      if (field === '/host')
        return `${file}: /host: give exactly one of "sources" (a C host), "python" (a Python host) or "java" (a Java host)`;
      if (field.endsWith('/verdict')) return `${file}: ${field}: must be "fail" or "timeout", or a list of them`;
      if (field.endsWith('/toolchain')) return `${file}: ${field}: must be "gc" or "gccgo", or a list of them`;
      if (field.endsWith('/userland')) return `${file}: ${field}: must be "debian11", "debian12" or "debian13", or a list of them`;
      return `${file}: ${field}: must match exactly one of its allowed shapes`;
    case 'enum':
      return `${file}: ${field}: must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'type':
      if (field === '/tier') return `${file}: /tier: ${TIER_SHAPE}`;
      return `${file}: ${field}: ${e.message ?? 'is invalid'}`;
    case 'pattern':
      return `${file}: ${field}: ${PATTERN_WORDS[String(p.pattern)] ?? e.message ?? `must match ${String(p.pattern)}`}`;
    case 'format':
      if (p.format === 'regex' && typeof e.data === 'string')
        return `${file}: ${field}: ${regexProblem(e.data) ?? 'is not a regular expression'}`;
      return `${file}: ${field}: ${e.message ?? 'is invalid'}`;
    case 'propertyNames':
      return `${file}: ${field}: "${String(p.propertyName)}" is not a valid name here${field.endsWith('/env') ? ' (an environment variable name: letters, digits and _, not starting with a digit)' : ''}`;
    default:
      return `${file}: ${field}: ${e.message ?? 'is invalid'}`;
  }
}

/** Checks that only a loaded file can answer: referenced names and files. Pure over the parsed file. */
export function crossCheck(file: string, c: CaseFile, exists: (rel: string) => 'file' | 'dir' | 'missing' | 'escapes'): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  const claim = (name: string, where: string) => {
    if (names.has(name)) problems.push(`${file}: ${where}/name: library name "${name}" is used twice`);
    names.set(name, where);
  };
  for (const [i, l] of c.libraries.entries()) claim(l.name, `/libraries/${i}`);
  for (const [i, l] of (c.cLibraries ?? []).entries()) claim(l.name, `/cLibraries/${i}`);
  const want = (rel: string, field: string, kind: 'file' | 'dir') => {
    const got = exists(rel);
    if (got === 'escapes') problems.push(`${file}: ${field}: "${rel}" points outside the case directory`);
    else if (got === 'missing') problems.push(`${file}: ${field}: ${kind} "${rel}" does not exist`);
    else if (got !== kind) problems.push(`${file}: ${field}: "${rel}" must be a ${kind}`);
  };
  for (const [i, l] of c.libraries.entries()) want(l.dir, `/libraries/${i}/dir`, 'dir');
  for (const [i, l] of (c.cLibraries ?? []).entries())
    for (const [j, s] of l.sources.entries()) want(s, `/cLibraries/${i}/sources/${j}`, 'file');
  for (const [j, s] of (c.host?.sources ?? []).entries()) want(s, `/host/sources/${j}`, 'file');
  if (c.host?.python) want(c.host?.python, '/host/python', 'file');
  if (c.host?.java) want(c.host?.java, '/host/java', 'file');
  if (c.host?.java && !/^([A-Za-z_$][A-Za-z0-9_$]*\/)*[A-Za-z_$][A-Za-z0-9_$]*\.java$/.test(c.host.java))
    problems.push(`${file}: /host/java: "${c.host.java}" must be a .java file named like its public class (Host.java holds class Host)`);
  if (c.run?.cwd && !names.has(c.run.cwd)) problems.push(`${file}: /run/cwd: "${c.run.cwd}" is not a library of this case`);
  (c.run?.preload ?? []).forEach((n, i) => {
    if (!names.has(n)) problems.push(`${file}: /run/preload/${i}: "${n}" is not a library of this case (${[...names.keys()].join(', ')})`);
  });
  if (c.run?.preload && hostLangOf(c))
    problems.push(`${file}: /run/preload: only a C host can start with LD_PRELOAD (an interpreter would preload it into itself)`);
  for (const key of ['link', 'dlopen'] as const) {
    (c.host?.[key] ?? []).forEach((n, i) => {
      if (!names.has(n))
        problems.push(`${file}: /host/${key}/${i}: "${n}" is not a library of this case (${[...names.keys()].join(', ')})`);
    });
  }
  return problems;
}

/** Parse and validate one case.json text. Returns the case or the problems, one line each. */
export function parseCaseText(
  file: string,
  text: string,
  check: SchemaCheck,
): { ok: true; value: CaseFile } | { ok: false; problems: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${file}: not valid JSON: ${jsonSyntaxProblem(text)}`] };
  }
  const errors = withoutOneOfDetail(check(data));
  if (errors.length) return { ok: false, problems: [...new Set(errors.map((e) => describeSchemaError(file, e)))] };
  return { ok: true, value: data as CaseFile };
}

/** The paths case.json names itself: crossCheck already judges those. */
export function namedPaths(c: CaseFile): Set<string> {
  const norm = (p: string) => p.replace(/^\.\//, '').replace(/\/+$/, '');
  return new Set(
    [
      ...c.libraries.map((l) => l.dir),
      ...(c.cLibraries ?? []).flatMap((l) => l.sources),
      ...(c.host?.sources ?? []),
      ...(c.host?.python ? [c.host.python] : []),
      ...(c.host?.java ? [c.host.java] : []),
    ].map(norm),
  );
}

/** A case directory's name becomes the case's name: it must be safe as a path and a label. */
export function caseNameProblem(file: string, name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)
    ? undefined
    : `${file}: case directory name "${name}" must be letters, digits, "-", "_" or "."`;
}

/** Validate against any small schema; returns "<pointer>: <problem>" lines. */
export function validateAgainst(schema: object, data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const check = ajv.compile(schema);
  return check(data) ? [] : (check.errors ?? []).map((e) => describeSchemaError('', e).replace(/^: /, '').replace(/^\//, '/'));
}
