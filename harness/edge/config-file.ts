import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { caseSchemaCheck, type SchemaCheck } from '../core/cases.js';
import {
  configInputs,
  configPathProblems,
  configPaths,
  findConfig,
  isInside,
  outsideProject,
  type ProjectConfig,
  parseConfig,
  type RunInputs,
} from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { SCHEMA_PATH } from './case-files.js';
import { REPO_ROOT, readJsonFile, readText } from './repo.js';

export const CONFIG_SCHEMA_PATH = join(REPO_ROOT, 'harness', 'config.schema.json');

let check: SchemaCheck | undefined;

/** The config schema, which takes its expectation rules from the case schema. */
export function configSchemaCheck(): SchemaCheck {
  return (check ??= caseSchemaCheck(readJsonFile(CONFIG_SCHEMA_PATH) as object, readJsonFile(SCHEMA_PATH) as object));
}

/**
 * The project's config: --config FILE if given, else cshared-matrix.config.json
 * in the current directory or the nearest parent that has one; none is fine.
 */
export function readProjectConfig(explicit: string | undefined, cwd: string): { file: string; inputs: RunInputs } | undefined {
  if (explicit !== undefined && !existsSync(resolve(cwd, explicit)))
    throw new UsageError(`--config ${explicit}: no such file (give the path of a cshared-matrix.config.json)`);
  const file = explicit !== undefined ? resolve(cwd, explicit) : findConfig(cwd, existsSync);
  if (!file) return undefined;
  const shown = relative(cwd, file) || file;
  const config = parseConfig(shown, readText(file), configSchemaCheck());
  const lexical = configPathProblems(config, file, shown);
  const problems = lexical.length ? lexical : symlinkProblems(config, file, shown);
  if (problems.length) throw new UsageError(problems.join('\n'));
  return { file, inputs: configInputs(config, file) };
}

/** Paths that stay inside the project by name but leave it through a symlink (the path itself, or a directory on the way). */
function symlinkProblems(config: ProjectConfig, file: string, shown: string): string[] {
  const project = realpathSync(dirname(file));
  return configPaths(config, file)
    .filter((p) => {
      const real = realExisting(p.resolved);
      return real === undefined || !isInside(project, real);
    })
    .map((p) => outsideProject(shown, p, 'leaves through a symlink'));
}

/**
 * The real path of `path`, or of its nearest existing ancestor (a cache or
 * results directory may not exist yet); undefined for a symlink that resolves
 * nowhere (dangling, or a loop): creating the directory would follow it.
 */
function realExisting(path: string): string | undefined {
  for (let p = path; ; p = dirname(p)) {
    try {
      return realpathSync(p);
    } catch {
      if (isSymlink(p)) return undefined;
      if (dirname(p) === p) return p;
    }
  }
}

const isSymlink = (p: string): boolean => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};
