import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative } from 'node:path';
import t from 'tap';
import ts from 'typescript';

/**
 * harness/DEPS.json says what each folder of harness/ may import; this test
 * reads every file's imports with the TypeScript parser (a comment or a string
 * that looks like an import is neither) and holds them to it.
 */

const HARNESS = join(import.meta.dirname, '..', '..', 'harness');

interface FolderRule {
  why: string;
  harness: string[];
  typesFrom?: string[];
  packages: string[];
  only?: Record<string, string[]>;
  packageTypes?: string[];
}
interface Exception {
  file: string;
  import: string;
  only: string[];
  why: string;
}
interface Deps {
  folders: Record<string, FolderRule>;
  exceptions: Exception[];
}

interface Import {
  spec: string;
  line: number;
  /** Erased at compile time: `import type`, `export type … from`, `import('x').T`. */
  typeOnly: boolean;
  /** What is imported: names, 'default', '*' (a namespace, all of a re-export, or a dynamic import). */
  names: string[];
}

/** Every module a source file imports or re-exports, statically or by import(). */
function importsOf(fileName: string, text: string): Import[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (at: ts.Node, spec: string, typeOnly: boolean, names: string[]) =>
    found.push({ spec, typeOnly, names, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1 });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : [];
      const names = [
        ...(c?.name ? ['default'] : []),
        ...(c?.namedBindings && ts.isNamespaceImport(c.namedBindings) ? ['*'] : []),
        ...named.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text),
      ];
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier.text, typeOnly, c ? names : ['(its side effects)']);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(
        node,
        node.moduleSpecifier.text,
        typeOnly,
        named ? named.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text) : ['*'],
      );
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      add(node, arg && ts.isStringLiteralLike(arg) ? arg.text : '(a computed import)', false, ['*']);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true, ['*']);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

type Target = { kind: 'harness'; folder: string } | { kind: 'outside'; path: string } | { kind: 'package'; name: string };

/** What an import of `file` (relative to harness/, posix) reaches: a folder of harness/, a path outside it, or a package. */
function targetOf(file: string, spec: string): Target {
  if (spec.startsWith('.')) {
    const path = posix.join(posix.dirname(file), spec);
    if (path.startsWith('..')) return { kind: 'outside', path };
    return { kind: 'harness', folder: path.includes('/') ? path.slice(0, path.indexOf('/')) : '' };
  }
  if (isBuiltin(spec)) return { kind: 'package', name: spec.startsWith('node:') ? spec : `node:${spec}` };
  const parts = spec.split('/');
  return { kind: 'package', name: spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]! };
}

const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

/** Whether the rule lets `imp` (reaching package `name`) in. */
function packageAllowed(rule: FolderRule, name: string, imp: Import): boolean {
  if (rule.packages.includes('*') || rule.packages.includes(name)) return true;
  if (imp.typeOnly && rule.packageTypes?.includes(name)) return true;
  const only = rule.only?.[name];
  return !!only && imp.names.length > 0 && imp.names.every((n) => only.includes(n));
}

/**
 * Why `imp` of `file` breaks the rules, in one line naming the file, the
 * import and the rule; undefined when it does not. `used` collects the
 * exceptions that let an import in.
 */
function problemOf(deps: Deps, file: string, imp: Import, used = new Set<Exception>()): string | undefined {
  const folder = folderOf(file);
  const rule = deps.folders[folder];
  const at = `harness/${file}:${imp.line} imports ${imp.spec}`;
  if (!rule)
    return `${at}, but harness/${folder || file} is in no folder of harness/DEPS.json: put the file in one, or give its folder a rule`;
  const because = `harness/DEPS.json folders.${folder}: ${rule.why}`;
  const target = targetOf(file, imp.spec);
  if (target.kind === 'outside') return `${at}, outside harness/ (${target.path}); harness/ imports only itself and packages (${because})`;
  if (target.kind === 'harness') {
    if (rule.harness.includes(target.folder) || (imp.typeOnly && rule.typesFrom?.includes(target.folder))) return undefined;
    const types = rule.typesFrom?.length ? `, and types from ${rule.typesFrom.map((f) => `${f}/`).join(', ')}` : '';
    return `${at}: ${folder}/ imports from ${rule.harness.map((f) => `${f}/`).join(', ')} only${types} (${because})`;
  }
  if (packageAllowed(rule, target.name, imp)) return undefined;
  const exception = deps.exceptions.find((e) => e.file === file && e.import === target.name && imp.names.every((n) => e.only.includes(n)));
  if (exception) {
    used.add(exception);
    return undefined;
  }
  const only = rule.only?.[target.name];
  const names = imp.names.join(', ');
  if (only) return `${at} (${names}): ${folder}/ may import only ${only.join(', ')} from ${target.name} (${because})`;
  return `${at}${imp.typeOnly ? ' (types)' : ''}: ${folder}/ may not import ${target.name} (${because})`;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(HARNESS, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

const DEPS = JSON.parse(readFileSync(join(HARNESS, 'DEPS.json'), 'utf8')) as Deps;

t.test('DEPS.json: every rule has only the known keys, and names folders that exist', async (t) => {
  const known = ['why', 'harness', 'typesFrom', 'packages', 'only', 'packageTypes'];
  const folders = Object.keys(DEPS.folders);
  for (const [name, rule] of Object.entries(DEPS.folders)) {
    t.same(
      Object.keys(rule).filter((k) => !known.includes(k)),
      [],
      `folders.${name}: no unknown key`,
    );
    t.ok(rule.why, `folders.${name} says why`);
    t.same(
      [...rule.harness, ...(rule.typesFrom ?? [])].filter((f) => !folders.includes(f)),
      [],
      `folders.${name} names only folders with rules`,
    );
  }
  for (const e of DEPS.exceptions) t.ok(e.why && e.only.length, `the exception for ${e.file} says why and what`);
});

t.test('the checker: real imports only, by the rules', async (t) => {
  const check = (file: string, text: string) =>
    importsOf(file, text)
      .map((i) => problemOf(DEPS, file, i))
      .filter(Boolean);

  t.test('a comment or a string that looks like an import is not one', async (t) => {
    const text =
      "// import { readFileSync } from 'node:fs';\n/* import('node:child_process') */\nconst s = \"import x from 'dockerode'\";\nexport const n = 1;\n";
    t.same(importsOf('core/x.ts', text), []);
  });

  t.test('core: a pure package is in, the disk and processes are out, one line each naming file, import and rule', async (t) => {
    t.same(check('core/x.ts', "import semver from 'semver';\nimport { join } from 'node:path';\n"), []);
    t.same(check('core/x.ts', "import { readFileSync } from 'node:fs';\nimport { execFile } from 'child_process';\n"), [
      `harness/core/x.ts:1 imports node:fs: core/ may not import node:fs (harness/DEPS.json folders.core: ${DEPS.folders.core!.why})`,
      `harness/core/x.ts:2 imports child_process: core/ may not import node:child_process (harness/DEPS.json folders.core: ${DEPS.folders.core!.why})`,
    ]);
    t.match(check('core/x.ts', "import Docker from 'dockerode';\n"), [/may not import dockerode/]);
    t.match(check('core/x.ts', "import { $ } from 'zx';\n"), [/may not import zx/]);
  });

  t.test('only: the names listed, and no namespace or default import', async (t) => {
    t.same(check('core/x.ts', "import { constants } from 'node:os';\n"), []);
    t.match(check('core/x.ts', "import { constants, cpus } from 'node:os';\n"), [
      /core\/x\.ts:1 imports node:os \(constants, cpus\): core\/ may import only constants from node:os/,
    ]);
    t.match(check('core/x.ts', "import * as os from 'node:os';\n"), [/\(\*\): core\/ may import only constants/]);
    t.match(check('core/x.ts', "import os from 'os';\n"), [/\(default\): core\/ may import only constants/]);
    t.same(check('reporters/x.ts', "import { chalk } from 'zx';\n"), []);
    t.match(check('reporters/x.ts', "import { $, chalk } from 'zx';\n"), [/may import only chalk from zx/]);
  });

  t.test('types: erased at compile time, allowed where the rule says so', async (t) => {
    t.same(
      check(
        'run/x.ts',
        "import type Docker from 'dockerode';\nimport { type RunConfig } from '../cli/options.js';\nexport type { X } from '../cli/x.js';\n",
      ),
      [],
    );
    t.same(check('run/x.ts', "type C = import('dockerode').Container;\n"), []);
    t.match(check('run/x.ts', "import Docker from 'dockerode';\n"), [/run\/ may not import dockerode/]);
    t.match(check('run/x.ts', "import { resolveRunConfig } from '../cli/options.js';\n"), [
      /run\/ imports from core\/, sandbox\/, edge\/, reporters\/, run\/ only, and types from cli\//,
    ]);
    t.match(
      check('run/x.ts', "import { type RunConfig, resolveRunConfig } from '../cli/options.js';\n"),
      [/only, and types from cli/],
      'one value import among types is a value import',
    );
    t.match(check('core/x.ts', "import type Docker from 'dockerode';\n"), [/\(types\): core\/ may not import dockerode/]);
  });

  t.test('folders: inward only', async (t) => {
    t.same(check('edge/x.ts', "import { VOL } from '../sandbox/layout.js';\nimport { y } from './y.js';\n"), []);
    t.match(check('core/x.ts', "import { writeAtomic } from '../edge/files.js';\n"), [
      /harness\/core\/x\.ts:1 imports \.\.\/edge\/files\.js: core\/ imports from core\/ only \(harness\/DEPS\.json folders\.core/,
    ]);
    t.match(check('sandbox/x.ts', "import { Session } from '../edge/sandbox.js';\n"), [/sandbox\/ imports from core\/, sandbox\/ only/]);
    t.match(check('edge/x.ts', "import { runMatrix } from '../run/runner.js';\n"), [/edge\/ imports from core\/, sandbox\/, edge\/ only/]);
    t.match(
      check('cli/commands/x.ts', "import { readFileSync } from 'node:fs';\n"),
      [/harness\/cli\/commands\/x\.ts:1 imports node:fs: cli\/ may not/],
      "a subfolder keeps its folder's rule",
    );
    t.match(check('core/x.ts', "import x from '../../test/unit/helpers.js';\n"), [/outside harness\/ \(\.\.\/test\/unit\/helpers\.js\)/]);
  });

  t.test('re-exports and import() count as imports', async (t) => {
    t.match(check('core/x.ts', "export { readFileSync } from 'node:fs';\n"), [/imports node:fs: core\/ may not/]);
    t.match(check('core/x.ts', "export * from '../edge/files.js';\n"), [/core\/ imports from core\/ only/]);
    t.match(check('core/x.ts', "const load = () => import('node:child_process');\n"), [/imports node:child_process: core\/ may not/]);
    t.match(check('core/x.ts', "const m = 'node:fs';\nconst load = () => import(m);\n"), [
      /harness\/core\/x\.ts:2 imports \(a computed import\): core\/ may not/,
    ]);
  });

  t.test('a file in no folder with a rule', async (t) => {
    t.match(check('loose.ts', "import { join } from 'node:path';\n"), [
      /harness\/loose\.ts:1 imports node:path, but harness\/loose\.ts is in no folder of harness\/DEPS\.json/,
    ]);
  });

  t.test("an exception lets in its file's listed names only", async (t) => {
    const deps: Deps = { ...DEPS, exceptions: [{ file: 'reporters/x.ts', import: 'node:fs', only: ['readSync'], why: 'a test' }] };
    const checkWith = (file: string, text: string) =>
      importsOf(file, text)
        .map((i) => problemOf(deps, file, i))
        .filter(Boolean);
    t.same(checkWith('reporters/x.ts', "import { readSync } from 'node:fs';\n"), []);
    t.match(checkWith('reporters/x.ts', "import { readSync, writeFileSync } from 'node:fs';\n"), [/reporters\/ may not import node:fs/]);
    t.match(checkWith('reporters/y.ts', "import { readSync } from 'node:fs';\n"), [/reporters\/ may not import node:fs/], 'another file');
  });
});

t.test('harness/ keeps the rules of harness/DEPS.json', async (t) => {
  const files = tsFiles(HARNESS);
  t.ok(files.length > 50, `${files.length} files read`);
  const used = new Set<Exception>();
  const problems = files
    .flatMap((f) => importsOf(f, readFileSync(join(HARNESS, f), 'utf8')).map((i) => problemOf(DEPS, f, i, used)))
    .filter((p): p is string => !!p);
  t.same(problems, [], problems.join('\n'));
  const stale = DEPS.exceptions
    .filter((e) => !used.has(e))
    .map((e) => `harness/DEPS.json exceptions: ${e.file} no longer imports ${e.import} (${e.only.join(', ')}); remove the exception`);
  t.same(stale, [], stale.join('\n'));
  const foldersWithCode = [...new Set(files.map(folderOf))].sort();
  t.same(foldersWithCode, Object.keys(DEPS.folders).sort(), 'every folder with code has a rule, and every rule a folder');
});
