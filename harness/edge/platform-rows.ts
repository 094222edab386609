import { join } from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import { describeSchemaError } from '../core/cases.js';
import { refusal } from '../core/flags.js';
import { parsePlatformRows } from '../core/platforms.js';
import type { Platform } from '../core/types.js';
import { flagPolicy } from './case-files.js';
import { REPO_ROOT, readText } from './repo.js';

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
  const schema = check(row) ? [] : (check.errors ?? []).map((e) => describeSchemaError('', e).replace(/^: /, ''));
  // A flag the schema refused already has its line; the policy speaks of the others.
  return [...schema, ...cflagProblems(row).filter((p) => !schema.some((l) => l.startsWith(`${p.slice(0, p.indexOf(':'))}:`)))];
}

/**
 * A row's cflags pass the cases' flag policy (cases/flag-policy.json) too: a
 * flag that names a program, a plugin or a spec file (-wrapper, -fplugin=,
 * -specs=, -B) would run it wherever the row's compiler runs, and the musl
 * CPython layer runs it as root in a networked image build.
 */
function cflagProblems(row: unknown): string[] {
  const flags = (row as { cflags?: unknown } | null)?.cflags;
  if (!Array.isArray(flags)) return [];
  return flags.flatMap((flag: unknown, i) => {
    const why = typeof flag === 'string' ? refusal(flagPolicy(), 'compiler', flag) : undefined;
    return why ? [`/cflags/${i}: flag ${JSON.stringify(flag)} is not allowed: ${why} (policy: cases/flag-policy.json)`] : [];
  });
}

/** The rows of a `--platforms` file (or a config file's platformFiles), refused one line per problem before the engine is touched. */
export const readPlatformRows = (file: string): Platform[] => parsePlatformRows(file, readText(file), validateRow);
