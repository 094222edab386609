// The package as a user gets it: `npm pack`, installed into a scratch project
// outside the repository, run with `npx cshared-matrix ./lib` on a Go package
// nobody wrote a case for, then again through a config file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'csm-user-project-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
// The repository's warm Go build cache: a user's first run compiles the standard library per target, which is not what this test is about.
const sharedCache = join(root, 'results', '.cache');
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;
await ensureEngine((l) => t.comment(l));

const LIB = `package main

import "C"

import "strings"

//export Add
func Add(a, b C.int) C.int { return a + b }

// Shout returns memory from C.CString; the caller frees it.
//
//export Shout
func Shout(s *C.char) *C.char { return C.CString(strings.ToUpper(C.GoString(s)) + "!") }

//export Len
func Len(s string) int { return len(s) }

func main() {}
`;

const readLatest = (dir: string) => JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8')) as RunResults;
const quiet = !process.env.CSM_TEST_VERBOSE;

let packageDir = '';

t.test('npm pack: the tarball holds what runs, and nothing of the repository besides', async (t) => {
  const packs = mkdtempSync(join(tmpdir(), 'csm-pack-'));
  t.teardown(() => rmSync(packs, { recursive: true, force: true }));
  const p = await $({ cwd: root, quiet: true })`npm pack --json --pack-destination ${packs}`;
  const [info] = JSON.parse(p.stdout) as [{ filename: string; size: number; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const need of ['bin/cshared-matrix.js', 'harness/cli.ts', 'harness/commands/matrix.ts', 'harness/c/csm-probe.c', 'harness/config.schema.json', 'images/base/recipe.json', 'images/go/versions.json', 'cases/case.schema.json', 'cases/probe-expectations.json', 'cases/link/case.json', 'package.json', 'README.md'])
    t.ok(files.includes(need), `ships ${need}`);
  const stray = files.filter((f) => /^(test|results|examples|\.ci)\//.test(f) || /^harness\/(bench|bench-images|naive)\.ts$/.test(f));
  t.same(stray, [], 'no tests, results, examples, CI scripts or bench in the package');
  t.ok(info.size < 1_000_000, `a small tarball (${info.size} bytes)`);

  writeFileSync(join(scratch, 'package.json'), '{ "name": "mylib-ci", "private": true }\n');
  const tarball = join(packs, info.filename);
  const i = await $({ cwd: scratch, quiet: true, nothrow: true })`npm install --save-dev --prefer-offline --no-audit --no-fund ${tarball}`;
  t.equal(i.exitCode, 0, `npm install of the tarball\n${i.stderr.slice(-2000)}`);
  packageDir = join(scratch, 'node_modules', 'cshared-matrix');
  // @types/node is left out: protobufjs (under dockerode) depends on it at run time.
  const devOnly = ['tap', 'typescript', 'ts-json-schema-generator', 'playwright-core', 'fast-xml-parser'].filter((d) => existsSync(join(scratch, 'node_modules', d)));
  t.same(devOnly, [], 'no dev dependency is installed, so none can be needed at run time');
});

t.test('zero-config: npx cshared-matrix ./lib on a plain Go package', async (t) => {
  mkdirSync(join(scratch, 'lib'));
  writeFileSync(join(scratch, 'lib', 'lib.go'), LIB);
  const platforms = 'amd64-glibc,amd64-musl,arm64-glibc,arm5-glibc';
  const p = await $({ cwd: scratch, quiet, nothrow: true, env: { ...process.env, CI: '1' } })`npx cshared-matrix ./lib --platform ${platforms} --cache ${sharedCache}`;
  t.equal(p.exitCode, 0, `exit 0: glibc passes, musl is the known xfails\n${(p.stdout + p.stderr).slice(-3000)}`);
  const resultsDir = join(scratch, 'cshared-matrix-results');
  t.ok(existsSync(join(resultsDir, 'latest', 'results.json')), 'results land in the project, in ./cshared-matrix-results');
  t.notOk(existsSync(join(packageDir, 'results')), 'nothing is written into the installed package');
  const r = readLatest(resultsDir);
  t.same(r.cells.map((c) => c.id).sort(), ['amd64-glibc', 'amd64-musl', 'arm64-glibc', 'arm5-glibc'].flatMap((pl) => [`lib+dlopen-probe/${pl}/go${go}`, `lib+link-probe/${pl}/go${go}`]).sort(), 'two probes per platform, nothing else');
  for (const c of r.cells) {
    if (c.axes.libc === 'glibc') {
      t.equal(c.verdict, 'pass', `${c.id} passes`);
      t.same(c.checks.map((x) => x.text.replace(/^\S+: /, '')).filter((x) => x.startsWith('dlsym') || x.startsWith('Go runtime')), ['dlsym(Add)', 'dlsym(Shout)', 'dlsym(Len)', 'Go runtime initialized'], `${c.id}: every export looked up, and the runtime awaited`);
      t.same(c.elf?.libraries.lib?.exports, ['Add', 'Len', 'Shout'], `${c.id}: the header's exports are in the ELF facts`);
    } else {
      t.equal(c.verdict, 'xfail', `${c.id} is the known musl failure`);
      t.equal(c.expectation?.link, c.id.includes('dlopen') ? 'https://github.com/golang/go/issues/54805' : 'https://github.com/golang/go/issues/13492');
    }
  }
  t.match(p.stdout, /lib\+dlopen-probe\s+✓ pass\s+○ xfail go#54805\s+✓ pass\s+✓ pass/, 'the matrix as printed');
});

t.test('the same project through cshared-matrix.config.json, found from a subdirectory', async (t) => {
  const config = {
    libraries: ['lib'],
    platforms: ['amd64-musl', 'arm5-glibc'],
    reporters: ['json', 'junit', 'terminal'],
    results: 'ci-results',
    expect: [{ when: { libc: 'musl' }, verdict: 'fail', match: 'initial-exec TLS|SIGSEGV|signal 11', link: 'https://example.com/mylib/issues/7', label: 'musl unsupported (mylib#7)' }],
  };
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  mkdirSync(join(scratch, 'src', 'deep'), { recursive: true });
  // The shared cache is outside the project: a config file may not name it (issue 23), the command line does.
  const p = await $({ cwd: join(scratch, 'src', 'deep'), quiet, nothrow: true, env: { ...process.env, CI: '1' } })`npx cshared-matrix --cache ${sharedCache}`;
  t.equal(p.exitCode, 0, (p.stdout + p.stderr).slice(-3000));
  t.match(p.stderr, /cshared-matrix: config \.\.\/\.\.\/cshared-matrix\.config\.json/, 'says which config it used');
  const r = readLatest(join(scratch, 'ci-results'));
  t.same([...new Set(r.cells.map((c) => c.axes.platform))].sort(), ['amd64-musl', 'arm5-glibc'], 'the config narrows the platforms');
  t.ok(existsSync(join(scratch, 'ci-results', 'latest', 'junit.xml')), 'the config picks the reporters');
  t.notOk(existsSync(join(scratch, 'ci-results', 'latest', 'report.html')));
  for (const c of r.cells.filter((x) => x.axes.libc === 'musl')) t.equal(c.expectation?.label, 'musl unsupported (mylib#7)', `${c.id}: the project's own rule comes first`);
  for (const c of r.cells.filter((x) => x.axes.libc === 'glibc')) t.equal(c.verdict, 'pass', `${c.id} passes`);

  // A flag overrides the file; a bad config is one line naming the file and the field.
  const one = await $({ cwd: scratch, quiet: true, nothrow: true, env: { ...process.env, CI: '1' } })`npx cshared-matrix --platform arm5-glibc --reporter json --cache ${sharedCache}`;
  t.equal(one.exitCode, 0);
  t.same([...new Set(readLatest(join(scratch, 'ci-results')).cells.map((c) => c.axes.platform))], ['arm5-glibc'], '--platform replaces the file\'s list');
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), JSON.stringify({ ...config, timeout: -1 }));
  const bad = await $({ cwd: scratch, quiet: true, nothrow: true })`npx cshared-matrix`;
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr.trim(), 'cshared-matrix: cshared-matrix.config.json: /timeout: must be > 0');
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), JSON.stringify({ ...config, cache: sharedCache }));
  const outside = await $({ cwd: scratch, quiet: true, nothrow: true })`npx cshared-matrix`;
  t.equal(outside.exitCode, 2, 'a config naming a cache outside its project is refused');
  t.equal(outside.stderr.trim(), `cshared-matrix: cshared-matrix.config.json: /cache: "${sharedCache}" is an absolute path, outside the project (the directory that holds this file); a path outside it must come from the command line: pass it as --cache`);
  t.same(readdirSync(join(scratch, 'ci-results')).filter((d) => /^\d{4}-/.test(d)).length, 2, 'the bad configs started no run');
});
