import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { parseJsonText } from '../core/json-text.js';

/** The repository's own files: where the harness finds its cases, recipes and schemas. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_CASES_DIR = join(REPO_ROOT, 'cases');

/** package.json's version, which results.json records. */
export const harnessVersion = (): string => (readJsonFile(join(REPO_ROOT, 'package.json')) as { version: string }).version;

/** A file the user named or the harness needs; unreadable, it is one line naming it (exit 2). */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A JSON data file of the harness's own; unreadable or broken, it is one line naming it (exit 2). */
export function readJsonFile(file: string): unknown {
  return parseJsonText(readText(file), file, '; fix or restore the file');
}
