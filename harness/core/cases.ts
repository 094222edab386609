import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import type { CaseFile, CaseSpec } from './types.js';
import { UsageError } from './errors.js';

const Ajv = AjvModule.default ?? AjvModule;

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_CASES_DIR = join(REPO_ROOT, 'cases');
export const SCHEMA_PATH = join(DEFAULT_CASES_DIR, 'case.schema.json');

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

/** One line per problem: the file, the field as a JSON pointer, and what was expected. */
export function describeSchemaError(file: string, e: ErrorObject): string {
  const field = e.instancePath || '/';
  const p = e.params as Record<string, unknown>;
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
  if (errors.length) return { ok: false, problems: errors.map((e) => describeSchemaError(file, e)) };
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

/** Load one case directory (it holds case.json). */
export function loadCase(dir: string): CaseSpec {
  const caseDir = resolve(dir);
  const file = relative(process.cwd(), join(caseDir, 'case.json')) || 'case.json';
  const name = basename(caseDir);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`${file}: case directory name "${name}" must be letters, digits, "-", "_" or "."`);
  const parsed = parseCaseFile(file, readFileSync(join(caseDir, 'case.json'), 'utf8'));
  if (!parsed.ok) throw new UsageError(parsed.problems.join('\n'));
  const problems = crossCheck(file, parsed.value, (rel) => classifyPath(caseDir, rel));
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
    else
      for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)))
        if (e.isDirectory() && existsSync(join(abs, e.name, 'case.json'))) caseDirs.push(join(abs, e.name));
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
