import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import type { CaseFile, CaseSpec } from './types.js';
import { UsageError } from './errors.js';
import { compilePolicy, flagProblems, type CompiledPolicy, type FlagPolicy } from './flags.js';

const Ajv = AjvModule.default ?? AjvModule;

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_CASES_DIR = join(REPO_ROOT, 'cases');
export const SCHEMA_PATH = join(DEFAULT_CASES_DIR, 'case.schema.json');
export const FLAG_POLICY_PATH = join(DEFAULT_CASES_DIR, 'flag-policy.json');

let policy: CompiledPolicy | undefined;

/** A JSON data file of the harness's own; unreadable or broken, it is one line naming it (exit 2). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}; fix or restore the file`);
  }
}

/** The flag policy, read once; a broken policy file is one line naming it. */
export function flagPolicy(file = FLAG_POLICY_PATH): CompiledPolicy {
  if (policy && file === FLAG_POLICY_PATH) return policy;
  const data = readJsonFile(file) as FlagPolicy;
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(file, data);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (file === FLAG_POLICY_PATH) policy = compiled;
  return compiled;
}

let validator: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    // strictRequired off: host's oneOf names properties declared beside it, which is what oneOf is for.
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    // Regexes are checked by compiling them below; ajv's own "regex" format would need ajv-formats.
    ajv.addFormat('regex', { validate: (s: string) => isRegex(s) });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

function isRegex(s: string): boolean {
  try {
    new RegExp(s, 'm');
    return true;
  } catch {
    return false;
  }
}

/** The schema's patterns in words (cases/case.schema.json): a person reads the rule, not the regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  '^(?!/)(?![-@])(?!.*(^|/)\\.\\.(/|$)).+$': 'must be a relative path inside the case directory: no leading "/", no ".." component, not starting with "-" or "@"',
  '^[a-z][a-z0-9_]{0,31}$': 'must be a library name: a lower-case letter, then up to 31 lower-case letters, digits or "_"',
  '^-': 'a flag starts with "-"',
  '^https?://': 'must be an http(s) link to the upstream issue',
  '^[A-Za-z0-9_.+-]+\\.so(\\.[0-9]+)*$': 'must be a file name ending in .so (optionally .so.N)',
};

/** One line per problem: the file, the field as a JSON pointer, and what was expected. */
export function describeSchemaError(file: string, e: ErrorObject): string {
  const field = e.instancePath || '/';
  const p = e.params as Record<string, unknown>;
  // A key that breaks propertyNames comes as the key's own error too: say it once, naming the key.
  const key = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (key !== undefined && e.keyword !== 'propertyNames') return describeSchemaError(file, { ...e, keyword: 'propertyNames', params: { propertyName: key } });
  switch (e.keyword) {
    case 'additionalProperties':
      return `${file}: ${field}: unknown field "${String(p.additionalProperty)}"${file.endsWith('case.json') ? ' (see cases/case.schema.json)' : ''}`;
    case 'required':
      return `${file}: ${field}: missing required field "${String(p.missingProperty)}"`;
    case 'oneOf':
      return field === '/host'
        ? `${file}: /host: give exactly one of "sources" (a C host) or "python" (a Python host)`
        : `${file}: ${field}: must match exactly one of its allowed shapes`;
    case 'enum':
      return `${file}: ${field}: must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'pattern':
      return `${file}: ${field}: ${PATTERN_WORDS[String(p.pattern)] ?? e.message ?? `must match ${String(p.pattern)}`}`;
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
  c.libraries.forEach((l, i) => claim(l.name, `/libraries/${i}`));
  (c.cLibraries ?? []).forEach((l, i) => claim(l.name, `/cLibraries/${i}`));
  const want = (rel: string, field: string, kind: 'file' | 'dir') => {
    const got = exists(rel);
    if (got === 'escapes') problems.push(`${file}: ${field}: "${rel}" points outside the case directory`);
    else if (got === 'missing') problems.push(`${file}: ${field}: ${kind} "${rel}" does not exist`);
    else if (got !== kind) problems.push(`${file}: ${field}: "${rel}" must be a ${kind}`);
  };
  c.libraries.forEach((l, i) => want(l.dir, `/libraries/${i}/dir`, 'dir'));
  (c.cLibraries ?? []).forEach((l, i) => l.sources.forEach((s, j) => want(s, `/cLibraries/${i}/sources/${j}`, 'file')));
  (c.host?.sources ?? []).forEach((s, j) => want(s, `/host/sources/${j}`, 'file'));
  if (c.host?.python) want(c.host?.python, '/host/python', 'file');
  if (c.run?.cwd && !names.has(c.run.cwd)) problems.push(`${file}: /run/cwd: "${c.run.cwd}" is not a library of this case`);
  for (const key of ['link', 'dlopen'] as const) {
    (c.host?.[key] ?? []).forEach((n, i) => {
      if (!names.has(n)) problems.push(`${file}: /host/${key}/${i}: "${n}" is not a library of this case (${[...names.keys()].join(', ')})`);
    });
  }
  return problems;
}

/** Parse and validate one case.json text. Returns the case or the problems, one line each. */
export function parseCaseFile(file: string, text: string): { ok: true; value: CaseFile } | { ok: false; problems: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [`${file}: not valid JSON: ${(e as Error).message}`] };
  }
  const errors = validate(data);
  if (errors.length) return { ok: false, problems: [...new Set(errors.map((e) => describeSchemaError(file, e)))] };
  return { ok: true, value: data as CaseFile };
}

function hashTree(root: string, rel = ''): string {
  const h = createHash('sha256');
  const walk = (dirRel: string) => {
    const entries = readdirSync(join(root, dirRel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = dirRel ? `${dirRel}/${e.name}` : e.name;
      const abs = join(root, r);
      if (e.isSymbolicLink()) h.update(`L ${r}\0${readlinkSync(abs)}\0`);
      else if (e.isDirectory()) walk(r);
      else if (e.isFile()) h.update(`F ${r}\0${lstatSync(abs).mode & 0o111 ? 'x' : '-'}`).update(readFileSync(abs)).update('\0');
    }
  };
  walk(rel);
  return h.digest('hex');
}

function classifyPath(caseDir: string, rel: string): 'file' | 'dir' | 'missing' | 'escapes' {
  const abs = resolve(caseDir, rel);
  if (abs !== caseDir && !abs.startsWith(caseDir + sep)) return 'escapes';
  if (!existsSync(abs)) return 'missing';
  // A symlink may point anywhere on this machine; the sources that reach the sandbox must stay inside the case.
  const real = realpathSync(abs);
  const realCase = realpathSync(caseDir);
  if (real !== realCase && !real.startsWith(realCase + sep)) return 'escapes';
  return statSync(real).isDirectory() ? 'dir' : 'file';
}

/**
 * Every symlink in the case must resolve inside it: the whole directory is
 * copied into the sandbox, and a link to /etc/passwd or to another case would
 * bring a file of this machine along or let a build read what it should not.
 */
function escapingLinks(file: string, caseDir: string, named: ReadonlySet<string>): string[] {
  const realCase = realpathSync(caseDir);
  const problems: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(caseDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink() && !named.has(r)) {
        let real: string | undefined;
        try {
          real = realpathSync(join(caseDir, r));
        } catch {
          real = undefined;
        }
        if (!real || (real !== realCase && !real.startsWith(realCase + sep)))
          problems.push(`${file}: symlink "${r}" points ${real ? `outside the case directory (to ${readlinkSync(join(caseDir, r))})` : 'nowhere'}; copy the file into the case instead`);
      } else if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return problems;
}

/** The paths case.json names itself: crossCheck already judges those. */
function namedPaths(c: CaseFile): Set<string> {
  const norm = (p: string) => p.replace(/^\.\//, '').replace(/\/+$/, '');
  return new Set(
    [...c.libraries.map((l) => l.dir), ...(c.cLibraries ?? []).flatMap((l) => l.sources), ...(c.host?.sources ?? []), ...(c.host?.python ? [c.host.python] : [])].map(norm),
  );
}

/** Load one case directory (it holds case.json). */
export function loadCase(dir: string): CaseSpec {
  const caseDir = resolve(dir);
  const file = relative(process.cwd(), join(caseDir, 'case.json')) || 'case.json';
  const name = basename(caseDir);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`${file}: case directory name "${name}" must be letters, digits, "-", "_" or "."`);
  const parsed = parseCaseFile(file, readFileSync(join(caseDir, 'case.json'), 'utf8'));
  if (!parsed.ok) throw new UsageError(parsed.problems.join('\n'));
  const problems = [...crossCheck(file, parsed.value, (rel) => classifyPath(caseDir, rel)), ...flagProblems(file, parsed.value, flagPolicy()), ...escapingLinks(file, caseDir, namedPaths(parsed.value))];
  if (problems.length) throw new UsageError(problems.join('\n'));
  const libraryHashes: Record<string, string> = {};
  for (const l of parsed.value.libraries) libraryHashes[l.name] = hashTree(join(caseDir, l.dir));
  return { ...parsed.value, name, dir: caseDir, libraryHashes, sourceHash: hashTree(caseDir) };
}

/**
 * Load every case under the given directories. A directory is either one case
 * (it holds case.json) or a collection of cases (its subdirectories do).
 * Every problem in every case is reported before anything is built.
 */
export function loadCases(dirs: string[]): CaseSpec[] {
  const caseDirs: string[] = [];
  const problems: string[] = [];
  for (const d of dirs) {
    const abs = resolve(d);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      problems.push(`${d}: not a directory (--cases takes a directory of cases, or one case directory)`);
      continue;
    }
    if (existsSync(join(abs, 'case.json'))) caseDirs.push(abs);
    else {
      const found = readdirSync(abs, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .filter((e) => e.isDirectory() && existsSync(join(abs, e.name, 'case.json')))
        .map((e) => join(abs, e.name));
      if (!found.length) problems.push(`${d}: no case here (neither ${d}/case.json nor a subdirectory with one); point --cases at a case or a folder of cases`);
      caseDirs.push(...found);
    }
  }
  const cases: CaseSpec[] = [];
  const seen = new Map<string, string>();
  for (const cd of caseDirs) {
    try {
      const c = loadCase(cd);
      const prev = seen.get(c.name);
      if (prev) problems.push(`${cd}: case name "${c.name}" is already used by ${prev}; rename one directory`);
      else {
        seen.set(c.name, cd);
        cases.push(c);
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return cases;
}

/** Validate against any small schema; returns "<pointer>: <problem>" lines. */
export function validateAgainst(schema: object, data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const check = ajv.compile(schema);
  return check(data) ? [] : (check.errors ?? []).map((e) => describeSchemaError('', e).replace(/^: /, '').replace(/^\//, '/'));
}
