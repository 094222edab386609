import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { caseNameProblem, caseSchemaCheck, crossCheck, namedPaths, parseCaseText, type SchemaCheck } from '../core/cases.js';
import { UsageError } from '../core/errors.js';
import { type CompiledPolicy, compilePolicy, type FlagPolicy, flagProblems } from '../core/flags.js';
import { checkProbeExpectations, type ProbeExpectations } from '../core/probes.js';
import type { CaseFile, CaseSpec } from '../core/types.js';
import { DEFAULT_CASES_DIR, readJsonFile } from './repo.js';

export { validateAgainst } from '../core/cases.js';
export { DEFAULT_CASES_DIR, REPO_ROOT, readJsonFile } from './repo.js';

/** Case directories on disk: read, hashed and checked (symlinks, the flag policy) into CaseSpecs. */

export const SCHEMA_PATH = join(DEFAULT_CASES_DIR, 'case.schema.json');
export const FLAG_POLICY_PATH = join(DEFAULT_CASES_DIR, 'flag-policy.json');
export const PROBE_EXPECTATIONS_PATH = join(DEFAULT_CASES_DIR, 'probe-expectations.json');

let policy: CompiledPolicy | undefined;

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

let schemaCheck: SchemaCheck | undefined;

/** Parse and validate one case.json text against cases/case.schema.json. */
export function parseCaseFile(file: string, text: string): { ok: true; value: CaseFile } | { ok: false; problems: string[] } {
  schemaCheck ??= caseSchemaCheck(readJsonFile(SCHEMA_PATH) as object);
  return parseCaseText(file, text, schemaCheck);
}

export function readProbeExpectations(file = PROBE_EXPECTATIONS_PATH): ProbeExpectations {
  return checkProbeExpectations(file, readJsonFile(file));
}

/** sha256 over a directory's names, modes and bytes; `skip` leaves entries out (a Go package's .git, node_modules). */
export function hashTree(root: string, rel = '', skip: (name: string) => boolean = () => false): string {
  const h = createHash('sha256');
  const walk = (dirRel: string) => {
    const entries = readdirSync(join(root, dirRel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (skip(e.name)) continue;
      const r = dirRel ? `${dirRel}/${e.name}` : e.name;
      const abs = join(root, r);
      if (e.isSymbolicLink()) h.update(`L ${r}\0${readlinkSync(abs)}\0`);
      else if (e.isDirectory()) walk(r);
      else if (e.isFile())
        h.update(`F ${r}\0${lstatSync(abs).mode & 0o111 ? 'x' : '-'}`)
          .update(readFileSync(abs))
          .update('\0');
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
export function escapingLinks(
  file: string,
  caseDir: string,
  named: ReadonlySet<string>,
  skip: (name: string) => boolean = () => false,
  where = 'case directory',
): string[] {
  const realCase = realpathSync(caseDir);
  const problems: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(caseDir, rel), { withFileTypes: true })) {
      if (skip(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink() && !named.has(r)) {
        let real: string | undefined;
        try {
          real = realpathSync(join(caseDir, r));
        } catch {
          real = undefined;
        }
        if (!real || (real !== realCase && !real.startsWith(realCase + sep)))
          problems.push(
            `${file}: symlink "${r}" points ${real ? `outside the ${where} (to ${readlinkSync(join(caseDir, r))})` : 'nowhere'}; copy the file into the ${where === 'case directory' ? 'case' : 'package'} instead`,
          );
      } else if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return problems;
}

/** What go build is given for a library directory with these files (see CaseSpec.goTargets). */
export function goTargetsOf(names: readonly string[]): string[] {
  return names.includes('go.mod') ? ['.'] : names.filter((n) => n.endsWith('.go') && !n.endsWith('_test.go')).sort();
}

/** Load one case directory (it holds case.json). */
export function loadCase(dir: string): CaseSpec {
  const caseDir = resolve(dir);
  const file = relative(process.cwd(), join(caseDir, 'case.json')) || 'case.json';
  const name = basename(caseDir);
  const badName = caseNameProblem(file, name);
  if (badName) throw new UsageError(badName);
  const parsed = parseCaseFile(file, readFileSync(join(caseDir, 'case.json'), 'utf8'));
  if (!parsed.ok) throw new UsageError(parsed.problems.join('\n'));
  const problems = [
    ...crossCheck(file, parsed.value, (rel) => classifyPath(caseDir, rel)),
    ...flagProblems(file, parsed.value, flagPolicy()),
    ...escapingLinks(file, caseDir, namedPaths(parsed.value)),
  ];
  if (problems.length) throw new UsageError(problems.join('\n'));
  const libraryHashes: Record<string, string> = {};
  const goTargets: Record<string, string[]> = {};
  for (const l of parsed.value.libraries) {
    // The build's own variables are part of what is built: the same source under GOAMD64=v3 is another library.
    const tree = hashTree(join(caseDir, l.dir));
    libraryHashes[l.name] = l.goenv
      ? createHash('sha256')
          .update(tree)
          .update(JSON.stringify(Object.entries(l.goenv).sort()))
          .digest('hex')
      : tree;
    goTargets[l.name] = goTargetsOf(readdirSync(join(caseDir, l.dir)));
  }
  return { ...parsed.value, name, dir: caseDir, libraryHashes, goTargets, sourceHash: hashTree(caseDir) };
}

/** The cases a directory holds: itself if it has a case.json, else its subdirectories that have one, by name. */
export function casesIn(abs: string): string[] {
  if (existsSync(join(abs, 'case.json'))) return [abs];
  return readdirSync(abs, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .filter((e) => e.isDirectory() && existsSync(join(abs, e.name, 'case.json')))
    .map((e) => join(abs, e.name));
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
    const found = casesIn(abs);
    if (!found.length)
      problems.push(
        `${d}: no case here (neither ${d}/case.json nor a subdirectory with one); point --cases at a case or a folder of cases`,
      );
    caseDirs.push(...found);
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
