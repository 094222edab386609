import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { caseSchemaCheck, type SchemaCheck } from '../core/cases.js';
import { configInputs, findConfig, parseConfig, type RunInputs } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { readJsonFile, readText, REPO_ROOT } from './repo.js';
import { SCHEMA_PATH } from './case-files.js';

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
  if (explicit !== undefined && !existsSync(resolve(cwd, explicit))) throw new UsageError(`--config ${explicit}: no such file (give the path of a cshared-matrix.config.json)`);
  const file = explicit !== undefined ? resolve(cwd, explicit) : findConfig(cwd, existsSync);
  if (!file) return undefined;
  const shown = relative(cwd, file) || file;
  return { file, inputs: configInputs(parseConfig(shown, readText(file), configSchemaCheck()), file) };
}
