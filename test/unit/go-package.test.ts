import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { UsageError } from '../../harness/core/errors.js';
import { goModRequirements } from '../../harness/core/go-mod.js';
import {
  exportsOf,
  type GoPackageFacts,
  goPackageProblems,
  libraryName,
  packageCase,
  packageCaseName,
  packageRules,
  skippedInPackage,
} from '../../harness/core/go-package.js';
import { probeCases } from '../../harness/core/probes.js';
import { loadGoPackages, sortPaths } from '../../harness/edge/go-package.js';
import { IE_TLS_RULE, INIT_ARGV_RULE, tempDir, writeTree } from '../support/helpers.js';

/** A library as its authors write it: ints and strings across the boundary, a doc comment between //export and func. */
const LIB = `// Package main is mylib.
package main

/*
#include <stdlib.h>
// package notmain (a comment in the cgo preamble)
*/
import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

// Upper returns malloc'd memory.
//
//export Upper
func Upper(s *C.char) *C.char { return C.CString(C.GoString(s)) }

func helper() {} // not exported

func main() {}
`;

const facts = (over: Partial<GoPackageFacts> = {}): GoPackageFacts => ({
  shown: 'lib',
  base: 'lib',
  goFiles: [{ name: 'lib.go', text: LIB }],
  vendored: false,
  ...over,
});

t.test('exports: every //export line, in order', async (t) => {
  t.same(exportsOf([{ text: LIB }, { text: 'package main\n//export Third\nfunc Third() {}\n// //export NotThis\n' }]), [
    'Add',
    'Upper',
    'Third',
  ]);
  t.same(exportsOf([{ text: 'package main\nfunc main() {}\n' }]), []);
});

t.test('go.mod requirements, both forms, comments ignored', async (t) => {
  t.same(goModRequirements('module a\n\ngo 1.22\n'), { modules: [] });
  t.same(goModRequirements('module a\nrequire golang.org/x/sys v0.1.0 // indirect\n'), { modules: ['golang.org/x/sys'] });
  t.same(goModRequirements('module a\nrequire (\n\tgithub.com/x/y v1.2.3\n\t// a comment\n\tgithub.com/z/w v0.0.1 // indirect\n)\n'), {
    modules: ['github.com/x/y', 'github.com/z/w'],
  });
});

t.test('what makes a package unusable: one line each', async (t) => {
  t.same(goPackageProblems(facts()), [], 'a package main with exports');
  t.match(goPackageProblems(facts({ goFiles: [] })), [/^lib: no \.go files here: give a Go package .* or a case directory/]);
  t.match(goPackageProblems(facts({ goFiles: [{ name: 'a.go', text: '// hi\npackage foo\n//export X\n' }] })), [
    /^lib: a\.go is not package main: -buildmode=c-shared builds a package main/,
  ]);
  t.match(goPackageProblems(facts({ goFiles: [{ name: 'a.go', text: 'package main\nfunc main() {}\n' }] })), [
    /^lib: no \/\/export functions: .*mark at least one function with \/\/export Name/,
  ]);
  const mod = 'module example.com/lib\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/sys v0.1.0\n\tgolang.org/x/text v0.3.0\n)\n';
  t.match(goPackageProblems(facts({ goMod: mod })), [
    /^lib\/go\.mod: requires golang\.org\/x\/sys and 1 more, but there is no vendor\/ directory: builds run without network; run "go mod vendor" in lib/,
  ]);
  t.same(goPackageProblems(facts({ goMod: mod, vendored: true })), [], 'vendored: the build uses vendor/');
  t.same(goPackageProblems(facts({ goMod: 'module example.com/lib\n\ngo 1.22\n' })), [], 'a module with no requirements needs no vendor/');
  // The spellings a line regex missed: Go reads all of them as requirements.
  for (const spelling of [
    'require(\n\tgolang.org/x/sys v0.1.0\n)\n',
    'require(// deps\n\tgolang.org/x/sys v0.1.0\n)\n',
    'require\t"golang.org/x/sys" v0.1.0\n',
    'require golang.org/x/sys//comment\n  v0.1.0\n'.replace('//comment\n  ', ' '),
  ])
    t.match(
      goPackageProblems(facts({ goMod: `module example.com/lib\n\ngo 1.22\n\n${spelling}` })),
      [/^lib\/go\.mod: requires golang\.org\/x\/sys, but there is no vendor\/ directory/],
      `refused like "require (": ${JSON.stringify(spelling)}`,
    );
  t.same(
    goPackageProblems(facts({ goMod: 'module example.com/lib\n\nrequire (\n\tgolang.org/x/sys v0.1.0\n' })),
    ['lib/go.mod:3: syntax error (unterminated block started at line 3) (go refuses this go.mod; fix that line)'],
    "a go.mod Go refuses is one line naming the file, the line and Go's reason",
  );
});

t.test('names: a library name the case schema accepts, a unique case name', async (t) => {
  t.equal(libraryName('mylib'), 'mylib');
  t.equal(libraryName('My-Lib.v2'), 'my_lib_v2');
  t.equal(libraryName('2fast'), 'lib_2fast');
  t.equal(libraryName('---'), 'lib');
  t.match(libraryName('x'.repeat(50)), /^x{32}$/);
  t.equal(packageCaseName('lib', new Set()), 'lib');
  t.equal(packageCaseName('lib', new Set(['lib', 'lib-2'])), 'lib-3', 'two packages called lib do not collide');
  t.equal(packageCaseName('my lib!', new Set()), 'my-lib-');
  t.equal(
    skippedInPackage('.git') &&
      skippedInPackage('node_modules') &&
      skippedInPackage('_tools') &&
      skippedInPackage('testdata') &&
      skippedInPackage('cshared-matrix-results'),
    true,
  );
  t.equal(skippedInPackage('vendor') || skippedInPackage('internal'), false, 'vendor and subpackages go along');
});

t.test('zero-config case generation: one library, no host, so its cells are the two probes', async (t) => {
  const c = packageCase(facts({ shown: './lib' }), 'lib');
  t.same(c.libraries, [{ name: 'lib', dir: '.' }]);
  t.same(c.exports, ['Add', 'Upper']);
  t.match(c.description, /Go package \.\/lib \(exports Add, Upper\)/);
  const own = { ...IE_TLS_RULE, label: 'ours' };
  const rules = packageRules([own], { dlopen: [IE_TLS_RULE], link: [INIT_ARGV_RULE] });
  t.same(rules.dlopen, [own, IE_TLS_RULE], "the project's rules are tried first");
  t.same(rules.link, [own, INIT_ARGV_RULE]);
});

t.test('from disk: packages load as probe-only cases; bad ones are all reported', async (t) => {
  const root = tempDir(t);
  writeTree(root, {
    'lib/lib.go': LIB,
    'lib/lib_test.go': 'package main\n',
    'lib/.git/HEAD': 'ref: x',
    'lib/node_modules/x/y.go': 'package y',
    'lib/internal/util/util.go': 'package util',
    'mod/go.mod': 'module example.com/mod\n\ngo 1.22\n',
    'mod/main.go': LIB,
    'cases/one/case.json': '{}',
    'bad/a.go': 'package foo\n',
    'file.txt': 'x',
  });
  const [lib, mod] = loadGoPackages([join(root, 'lib'), join(root, 'mod')], new Set(['mod']));
  t.equal(lib!.name, 'lib');
  t.equal(lib!.goPackage, true);
  t.same(lib!.goTargets, { lib: ['lib.go'] }, 'GOPATH-style: its .go files, tests left out');
  t.equal(mod!.name, 'mod-2', 'a name a case already has is not reused');
  t.same(mod!.goTargets, { mod: ['.'] }, 'a module builds as "."');
  t.equal(lib!.host, undefined);
  const probes = probeCases(lib!, { dlopen: [IE_TLS_RULE], link: [INIT_ARGV_RULE] });
  t.same(
    probes.map((p) => [p.name, p.probe, p.sourceOf]),
    [
      ['lib+dlopen-probe', 'dlopen', 'lib'],
      ['lib+link-probe', 'link', 'lib'],
    ],
  );
  t.same(probes[1]!.host?.link, ['lib']);

  // What go build ignores (.git, node_modules) does not change the hash: the artifact cache still hits.
  const before = lib!.libraryHashes.lib;
  writeTree(root, { 'lib/.git/HEAD': 'ref: y', 'lib/node_modules/z.txt': 'z' });
  t.equal(loadGoPackages([join(root, 'lib')], new Set())[0]!.libraryHashes.lib, before);
  writeTree(root, { 'lib/internal/util/util.go': 'package util // changed' });
  t.not(loadGoPackages([join(root, 'lib')], new Set())[0]!.libraryHashes.lib, before, 'a subpackage does');

  mkdirSync(join(root, 'leaky'));
  writeTree(root, { 'leaky/lib.go': LIB });
  symlinkSync('/etc/passwd', join(root, 'leaky', 'secret'));
  const err = t.throws(() => loadGoPackages([join(root, 'bad'), join(root, 'leaky')], new Set())) as UsageError;
  const lines = err.message.split('\n');
  t.equal(lines.length, 2, "both packages' problems");
  t.match(lines[0], /a\.go is not package main/);
  t.match(lines[1], /symlink "secret" points outside the package directory \(to \/etc\/passwd\); copy the file into the package instead/);

  const gone = t.throws(() => loadGoPackages([join(root, 'lib'), join(root, 'no-such-lib')], new Set())) as UsageError;
  t.match(
    gone.message,
    /^\S*no-such-lib: not a directory: give a Go package/,
    "a config file's library that does not exist is one line, not a crash",
  );
  t.equal(gone.message.split('\n').length, 1);

  const sorted = sortPaths([
    join(root, 'lib'),
    join(root, 'cases'),
    join(root, 'cases', 'one'),
    join(root, 'file.txt'),
    join(root, 'nope'),
  ]);
  t.same(sorted.packages, [join(root, 'lib')]);
  t.same(sorted.caseDirs, [join(root, 'cases'), join(root, 'cases', 'one')], 'a folder of cases and one case are both case directories');
  t.equal(sorted.problems.length, 2);
  t.match(sorted.problems[0], /file\.txt: not a directory: give a Go package/);
});
