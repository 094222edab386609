import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeSchemaError, type SchemaCheck, withoutOneOfDetail } from './cases.js';
import { UsageError } from './errors.js';
import { parseJsonText } from './json-text.js';
import type { ExpectationRule } from './types.js';

/** Where run directories go when nothing names a place: this directory beside the config file, or in the current one (cli/options.ts); Go package discovery skips it. */
export const RESULTS_DIR_NAME = 'cshared-matrix-results';

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
  userlands?: string[];
  /** push or nightly, as --tier (core/tiers.ts). */
  tier?: string;
  reporters?: string[];
  results?: string;
  cache?: string;
  imageCache?: string;
  baseImage?: string;
  glibcFloor?: string;
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
  userland?: string[];
  tier?: string;
  jobs?: string;
  timeout?: string;
  platforms?: string[];
  results?: string;
  cache?: string;
  'image-cache'?: string;
  'base-image'?: string;
  'glibc-floor'?: string;
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
  const data = parseJsonText(text, file);
  const errors = withoutOneOfDetail(check(data));
  if (errors.length) throw new UsageError([...new Set(errors.map((e) => describeSchemaError(file, e)))].join('\n'));
  return data as ProjectConfig;
}

/** The fields that name paths, and the flag that names such a path from the command line instead. */
const PATH_FIELDS = {
  libraries: 'a PATH',
  cases: '--cases',
  platformFiles: '--platforms',
  results: '--results',
  cache: '--cache',
  imageCache: '--image-cache',
} as const;

export interface ConfigPath {
  /** The field as a JSON pointer: /cache, /libraries/0. */
  field: string;
  /** How the command line says it instead. */
  flag: string;
  path: string;
  /** Where it resolves: relative to the file's directory. */
  resolved: string;
}

/** Every path the file names. */
export function configPaths(c: ProjectConfig, file: string): ConfigPath[] {
  const dir = dirname(file);
  return Object.entries(PATH_FIELDS).flatMap(([key, flag]) => {
    const v = c[key as keyof typeof PATH_FIELDS];
    const list = v === undefined ? [] : Array.isArray(v) ? v.map((p, i) => [`/${key}/${i}`, p] as const) : [[`/${key}`, v] as const];
    return list.map(([field, path]) => ({ field, flag, path, resolved: resolve(dir, path) }));
  });
}

/** The message for a path that leaves the project: the file, the field, and the flag to use instead. */
export const outsideProject = (shown: string, p: ConfigPath, how: string): string =>
  `${shown}: ${p.field}: "${p.path}" ${how} the project (the directory that holds this file); a path outside it must come from the command line: pass it as ${p.flag}`;

/** True when `path` is `dir` or below it (both absolute and normalized). */
export const isInside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * A config file is data a pull request can change, and the harness may run as
 * root (the Action's sudo), writing its cache and results: its paths stay
 * inside the project that holds it, which is the file's own directory (not the
 * enclosing git checkout: a file a change adds in a subdirectory would reach
 * the whole checkout). An absolute path or one that climbs out with ".." is
 * refused here; one that leaves through a symlink, by the caller, which can
 * read the disk (edge/config-file.ts).
 */
export function configPathProblems(c: ProjectConfig, file: string, shown: string): string[] {
  return configPaths(c, file)
    .filter((p) => isAbsolute(p.path) || !isInside(dirname(file), p.resolved))
    .map((p) => outsideProject(shown, p, isAbsolute(p.path) ? 'is an absolute path, outside' : 'leaves'));
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
    userland: c.userlands,
    tier: c.tier,
    jobs: num(c.jobs),
    timeout: num(c.timeout),
    platforms: c.platformFiles?.map(at),
    // Results beside the config file, not wherever the command was typed.
    results: at(c.results ?? RESULTS_DIR_NAME),
    cache: c.cache === undefined ? undefined : at(c.cache),
    'image-cache': c.imageCache === undefined ? undefined : at(c.imageCache),
    'base-image': c.baseImage,
    'glibc-floor': c.glibcFloor,
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
