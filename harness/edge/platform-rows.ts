import { join } from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import { describeSchemaError } from '../core/cases.js';
import { parsePlatformRows } from '../core/platforms.js';
import type { Platform } from '../core/types.js';
import { readText, REPO_ROOT } from './repo.js';

const Ajv = AjvModule.default ?? AjvModule;

/** The schema of a platform row: what a rows file may say, field by field. */
export const PLATFORM_SCHEMA_PATH = join(REPO_ROOT, 'harness', 'platform.schema.json');

let check: ValidateFunction | undefined;
/**
 * One row checked against harness/platform.schema.json: "<pointer>: <problem>" lines.
 * A command line's first word is a tuple's first item followed by any number of
 * arguments, a shape Ajv's strictTuples would refuse; every other strict check stays.
 */
export function validateRow(row: unknown): string[] {
  check ??= new Ajv({ allErrors: true, strict: true, strictTuples: false }).compile(JSON.parse(readText(PLATFORM_SCHEMA_PATH)) as object);
  return check(row) ? [] : (check.errors ?? []).map((e) => describeSchemaError('', e).replace(/^: /, ''));
}

/** The rows of a `--platforms` file (or a config file's platformFiles), refused one line per problem before the engine is touched. */
export const readPlatformRows = (file: string): Platform[] => parsePlatformRows(file, readText(file), validateRow);
