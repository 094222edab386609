import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { type GoPackageFacts, goPackageProblems, packageCase, packageCaseName, skippedInPackage } from '../core/go-package.js';
import type { CaseSpec } from '../core/types.js';
import { casesIn, escapingLinks, goTargetsOf, hashTree } from './case-files.js';

const isDirectory = (abs: string): boolean => existsSync(abs) && statSync(abs).isDirectory();
const notADirectory = (shown: string): string =>
  `${shown}: not a directory: give a Go package (package main with //export functions) or a case directory`;

/** Sort PATHS into case directories and Go packages; a path that is neither is one line naming it. */
export function sortPaths(paths: readonly string[]): { caseDirs: string[]; packages: string[]; problems: string[] } {
  const out = { caseDirs: [] as string[], packages: [] as string[], problems: [] as string[] };
  for (const p of paths) {
    const abs = resolve(p);
    if (!isDirectory(abs)) out.problems.push(notADirectory(p));
    // A case (or a folder of cases) if a case.json is there, else a Go package.
    else if (casesIn(abs).length) out.caseDirs.push(abs);
    else out.packages.push(abs);
  }
  return out;
}

function readFacts(dir: string): GoPackageFacts {
  const names = readdirSync(dir);
  const goFiles = names
    .filter((n) => n.endsWith('.go') && !n.endsWith('_test.go') && statSync(join(dir, n)).isFile())
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
  const goMod = names.includes('go.mod') ? readFileSync(join(dir, 'go.mod'), 'utf8') : undefined;
  return {
    shown: relative(process.cwd(), dir) || '.',
    base: basename(dir),
    goFiles,
    ...(goMod !== undefined ? { goMod } : {}),
    vendored: existsSync(join(dir, 'vendor', 'modules.txt')),
  };
}

/**
 * Go packages as cases without a host, so only their probes run. The whole
 * package reaches the sandbox (subpackages, vendor/), but not what go build
 * ignores nor node_modules (core/go-package.ts: skippedInPackage); every problem
 * of every package is reported at once.
 */
export function loadGoPackages(dirs: readonly string[], takenNames: ReadonlySet<string>): CaseSpec[] {
  const problems: string[] = [];
  const taken = new Set(takenNames);
  const cases: CaseSpec[] = [];
  for (const dir of dirs) {
    // A config file's libraries reach here without passing sortPaths.
    if (!isDirectory(dir)) {
      problems.push(notADirectory(relative(process.cwd(), dir) || dir));
      continue;
    }
    const facts = readFacts(dir);
    const found = [...goPackageProblems(facts), ...escapingLinks(facts.shown, dir, new Set(), skippedInPackage, 'package directory')];
    if (found.length) {
      problems.push(...found);
      continue;
    }
    const c = packageCase(facts, packageCaseName(facts.base, taken));
    taken.add(c.name);
    const lib = c.libraries[0]!;
    const hash = hashTree(dir, '', skippedInPackage);
    cases.push({
      name: c.name,
      description: c.description,
      libraries: c.libraries,
      dir,
      libraryHashes: { [lib.name]: hash },
      goTargets: { [lib.name]: goTargetsOf(facts.goMod !== undefined ? ['go.mod'] : facts.goFiles.map((g) => g.name)) },
      sourceHash: hash,
      goPackage: true,
    });
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return cases;
}
