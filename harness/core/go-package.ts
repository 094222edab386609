import { RESULTS_DIR_NAME } from './config.js';
import { goModRequirements } from './go-mod.js';
import type { ProbeExpectations } from './probes.js';
import type { ExpectationRule } from './types.js';

/**
 * Zero-config mode: a Go package on its own (`cshared-matrix ./mylib`) becomes
 * a case with one library and no host, so it gets the generated load probes
 * (dlopen, and linked at build time), which look up every export the header
 * cgo writes beside the library lists. Pure: edge/go-package.ts reads the
 * directory and hands its facts here.
 */

export interface GoPackageFacts {
  /** The path as the user gave it, for messages. */
  shown: string;
  /** The directory's own name. */
  base: string;
  /** Its .go files (not tests), name and text. */
  goFiles: { name: string; text: string }[];
  /** go.mod's text, if there is one. */
  goMod?: string;
  /** vendor/modules.txt exists. */
  vendored: boolean;
}

/** Entries never copied into the sandbox nor hashed: what go build ignores, and what is plainly not the package's. */
export function skippedInPackage(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name === 'testdata' || name === 'node_modules' || name === RESULTS_DIR_NAME;
}

/** The names of the package's //export functions, in file order. */
export function exportsOf(goFiles: readonly { text: string }[]): string[] {
  return goFiles.flatMap((f) => [...f.text.matchAll(/^\/\/export\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!));
}

const packageName = (text: string): string | undefined =>
  /^package\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))?.[1];

/** Why this directory cannot be a c-shared library here, one line each (empty: it can). */
export function goPackageProblems(f: GoPackageFacts): string[] {
  if (!f.goFiles.length)
    return [`${f.shown}: no .go files here: give a Go package (package main with //export functions) or a case directory (with case.json)`];
  const problems: string[] = [];
  const notMain = f.goFiles.filter((g) => packageName(g.text) !== 'main').map((g) => g.name);
  if (notMain.length)
    problems.push(
      `${f.shown}: ${notMain.join(', ')} ${notMain.length > 1 ? 'are' : 'is'} not package main: -buildmode=c-shared builds a package main whose //export functions a C host calls`,
    );
  else if (!exportsOf(f.goFiles).length)
    problems.push(
      `${f.shown}: no //export functions: the library would give a host nothing to call; mark at least one function with //export Name`,
    );
  const read = f.goMod ? goModRequirements(f.goMod) : { modules: [] };
  // go build would stop at this line; saying so now keeps every problem of the input before the engine.
  if ('error' in read)
    return [...problems, `${f.shown}/go.mod:${read.error.line}: ${read.error.message} (go refuses this go.mod; fix that line)`];
  const needs = read.modules;
  if (needs.length && !f.vendored)
    problems.push(
      `${f.shown}/go.mod: requires ${needs[0]}${needs.length > 1 ? ` and ${needs.length - 1} more` : ''}, but there is no vendor/ directory: builds run without network; run "go mod vendor" in ${f.shown} and keep vendor/`,
    );
  return problems;
}

/** A Go library name (cases/case.schema.json: lower-case, digits, "_") from a directory's name. */
export function libraryName(base: string): string {
  const n = base
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (/^[a-z]/.test(n) ? n : `lib_${n}`).slice(0, 32).replace(/_+$/, '') || 'lib';
}

/** A case name from a directory's name, unique among `taken` (two packages both called "lib" become lib and lib-2). */
export function packageCaseName(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'lib';
  let name = stem;
  for (let i = 2; taken.has(name); i++) name = `${stem}-${i}`;
  return name;
}

/** The case a package becomes: one Go library at its root, no host (its cells are the probes). */
export function packageCase(f: GoPackageFacts, name: string) {
  const lib = libraryName(f.base);
  const exports = exportsOf(f.goFiles);
  return {
    name,
    description: `Go package ${f.shown} (exports ${exports.join(', ')}), built with -buildmode=c-shared and loaded by the generated probes`,
    libraries: [{ name: lib, dir: '.' }],
    exports,
  };
}

/** The project's rules first: they name what the team already knows of its own library; then what any Go library hits. */
export function packageRules(own: readonly ExpectationRule[], probe: ProbeExpectations): ProbeExpectations {
  return { dlopen: [...own, ...probe.dlopen], link: [...own, ...probe.link] };
}
