import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describeSchemaError, withoutOneOfDetail, type SchemaCheck } from './cases.js';
import { UsageError } from './errors.js';
import type { ExpectationRule } from './types.js';

/**
 * cshared-matrix.config.json: a project's matrix in one file at its root. Pure:
 * finding it takes an `exists` lookup, reading it is the caller's, so discovery,
 * validation and precedence are unit-tested without a disk.
 */
export const CONFIG_FILE = 'cshared-matrix.config.json';

export interface ProjectConfig {
  libraries?: string[];
  cases?: string[];
  platforms?: string[];
  platformFiles?: string[];
  go?: string[];
  toolchains?: string[];
  reporters?: string[];
  results?: string;
  cache?: string;
  imageCache?: string;
  timeout?: number;
  jobs?: number;
  repeat?: number;
  maxFailures?: number;
  expect?: ExpectationRule[];
}

/**
 * What a run is asked for, from the config file and the command line alike,
 * in the command line's own shape (strings, as parseArgs gives them), plus what
 * only a config file or the positional PATHS can say.
 */
export interface RunInputs {
  platform?: string[];
  go?: string[];
  toolchain?: string[];
  jobs?: string;
  timeout?: string;
  platforms?: string[];
  results?: string;
  cache?: string;
  'image-cache'?: string;
  repeat?: string;
  'max-failures'?: string;
  reporter?: string[];
  /** Go packages to build and probe (zero-config). */
  libraries?: string[];
  /** The user's own case directories (they leave out the seed cases). */
  ownCases?: string[];
  /** PATHS on the command line: each a Go package or a case directory, told apart on load. */
  paths?: string[];
  /** The project's own rules for its libraries' cells. */
  expect?: ExpectationRule[];
}

/** The directory to start from, then each parent up to the root: the first that holds the file wins. */
export function findConfig(cwd: string, exists: (file: string) => boolean): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, CONFIG_FILE);
    if (exists(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Parse and validate a config text: every problem, one line each naming the file and the field. */
export function parseConfig(file: string, text: string, check: SchemaCheck): ProjectConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const errors = withoutOneOfDetail(check(data));
  if (errors.length) throw new UsageError([...new Set(errors.map((e) => describeSchemaError(file, e)))].join('\n'));
  return data as ProjectConfig;
}

/** The file's fields as run inputs; its paths are relative to the file, so the same config works from any subdirectory. */
export function configInputs(c: ProjectConfig, file: string): RunInputs {
  const dir = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const num = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const out: RunInputs = {
    platform: c.platforms,
    go: c.go,
    toolchain: c.toolchains,
    jobs: num(c.jobs),
    timeout: num(c.timeout),
    platforms: c.platformFiles?.map(at),
    // Results beside the config file, not wherever the command was typed.
    results: at(c.results ?? 'cshared-matrix-results'),
    cache: c.cache === undefined ? undefined : at(c.cache),
    'image-cache': c.imageCache === undefined ? undefined : at(c.imageCache),
    repeat: num(c.repeat),
    'max-failures': num(c.maxFailures),
    reporter: c.reporters,
    libraries: c.libraries?.map(at),
    ownCases: c.cases?.map(at),
    expect: c.expect,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as RunInputs;
}

/**
 * The command line over the file: a flag given replaces the field (a list
 * flag replaces the whole list), and PATHS replace both the file's libraries
 * and its cases: `cshared-matrix ./other` runs ./other alone.
 */
export function withFlags(file: RunInputs, flags: RunInputs): RunInputs {
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && !v.length)));
  const base = given.paths ? { ...file, libraries: undefined, ownCases: undefined } : file;
  const merged = { ...base, ...given };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as RunInputs;
}
