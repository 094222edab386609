// The package as a user gets it: `npm pack`, installed into a scratch project
// outside the repository, run with `npx cshared-matrix ./lib` on a Go package
// nobody wrote a case for, then again through a config file.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { $ } from 'zx';
import { engineRefusesUser } from '../../harness/core/engine-address.js';
import type { RunResults } from '../../harness/core/results.js';
import { engineAddressFromEnv, ensureEngine } from '../../harness/edge/engine.js';
import { cacheFileName } from '../../harness/edge/image-cache.js';
import { goImageTag, imageId, readGoVersions } from '../../harness/edge/images.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { BUILD_GID } from '../../harness/sandbox/layout.js';
import { asUser, cannotMakeUsers, type MadeUser, makeUser } from '../support/docker-user.js';

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'csm-user-project-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
// The repository's warm Go build cache: a user's first run compiles the standard library per target, which is not what this test is about.
const sharedCache = join(root, 'results', '.cache');
const go = JSON.parse(readFileSync(join(root, 'images', 'go', 'versions.json'), 'utf8')).versions.at(-1).version as string;
const docker = await ensureEngine((l) => t.comment(l));

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
  for (const need of [
    'bin/cshared-matrix.js',
    'harness/cli/main.ts',
    'harness/cli/commands/matrix.ts',
    'harness/programs/csm-probe.c',
    'harness/programs/csm.py',
    'harness/programs/Csm.java',
    'harness/config.schema.json',
    'images/base/recipe.json',
    'images/go/versions.json',
    'cases/case.schema.json',
    'cases/probe-expectations.json',
    'cases/link/case.json',
    'package.json',
    'README.md',
  ])
    t.ok(files.includes(need), `ships ${need}`);
  const stray = files.filter((f) => /^(test|results|examples|\.ci)\//.test(f) || /(^|\/)(bench|naive)[^/]*$/.test(f));
  t.same(stray, [], 'no tests, results, examples, CI scripts or bench in the package');
  t.ok(info.size < 1_000_000, `a small tarball (${info.size} bytes)`);

  writeFileSync(join(scratch, 'package.json'), '{ "name": "mylib-ci", "private": true }\n');
  const tarball = join(packs, info.filename);
  const i = await $({ cwd: scratch, quiet: true, nothrow: true })`npm install --save-dev --prefer-offline --no-audit --no-fund ${tarball}`;
  t.equal(i.exitCode, 0, `npm install of the tarball\n${i.stderr.slice(-2000)}`);
  packageDir = join(scratch, 'node_modules', 'cshared-matrix');
  // @types/node is left out: protobufjs (under dockerode) depends on it at run time.
  const devOnly = ['tap', 'typescript', 'ts-json-schema-generator', 'playwright-core', 'fast-xml-parser'].filter((d) =>
    existsSync(join(scratch, 'node_modules', d)),
  );
  t.same(devOnly, [], 'no dev dependency is installed, so none can be needed at run time');
});

t.test('zero-config: npx cshared-matrix ./lib on a plain Go package', async (t) => {
  mkdirSync(join(scratch, 'lib'));
  writeFileSync(join(scratch, 'lib', 'lib.go'), LIB);
  const platforms = 'amd64-glibc,amd64-musl,arm64-glibc,arm5-glibc';
  const p = await $({
    cwd: scratch,
    quiet,
    nothrow: true,
    env: { ...process.env, CI: '1' },
  })`npx cshared-matrix ./lib --platform ${platforms} --cache ${sharedCache}`;
  t.equal(p.exitCode, 0, `exit 0: glibc passes, musl is the known xfails\n${(p.stdout + p.stderr).slice(-3000)}`);
  const resultsDir = join(scratch, 'cshared-matrix-results');
  t.ok(existsSync(join(resultsDir, 'latest', 'results.json')), 'results land in the project, in ./cshared-matrix-results');
  t.notOk(existsSync(join(packageDir, 'results')), 'nothing is written into the installed package');
  const r = readLatest(resultsDir);
  t.same(
    r.cells.map((c) => c.id).sort(),
    ['amd64-glibc', 'amd64-musl', 'arm64-glibc', 'arm5-glibc']
      .flatMap((pl) => [`lib+dlopen-probe/${pl}/go${go}`, `lib+link-probe/${pl}/go${go}`])
      .sort(),
    'two probes per platform, nothing else',
  );
  for (const c of r.cells) {
    if (c.axes.libc === 'glibc') {
      t.equal(c.verdict, 'pass', `${c.id} passes`);
      t.same(
        c.checks.map((x) => x.text.replace(/^\S+: /, '')).filter((x) => x.startsWith('dlsym') || x.startsWith('Go runtime')),
        ['dlsym(Add)', 'dlsym(Shout)', 'dlsym(Len)', 'Go runtime initialized'],
        `${c.id}: every export looked up, and the runtime awaited`,
      );
      t.same(c.elf?.libraries.lib?.exports, ['Add', 'Len', 'Shout'], `${c.id}: the header's exports are in the ELF facts`);
    } else {
      t.equal(c.verdict, 'xfail', `${c.id} is the known musl failure`);
      t.equal(
        c.expectation?.link,
        c.id.includes('dlopen') ? 'https://github.com/golang/go/issues/54805' : 'https://github.com/golang/go/issues/13492',
      );
    }
  }
  t.match(p.stdout, /^lib\+dlopen-probe {2}\. x \. \.$/m, 'the matrix as printed: a glyph a platform');
  t.match(p.stdout, /^ {2}x [^\n]*\(go#54805\): https:\/\/github\.com\/golang\/go\/issues\/54805$/m, 'the xfail says which bug');
});

t.test('the same project through cshared-matrix.config.json, found from a subdirectory', async (t) => {
  const config = {
    libraries: ['lib'],
    platforms: ['amd64-musl', 'arm5-glibc'],
    reporters: ['json', 'junit', 'terminal'],
    results: 'ci-results',
    expect: [
      {
        when: { libc: 'musl' },
        verdict: 'fail',
        match: 'initial-exec TLS|SIGSEGV|signal 11',
        link: 'https://example.com/mylib/issues/7',
        label: 'musl unsupported (mylib#7)',
      },
    ],
  };
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  mkdirSync(join(scratch, 'src', 'deep'), { recursive: true });
  // The shared cache is outside the project: a config file may not name it (issue 23), the command line does.
  const p = await $({
    cwd: join(scratch, 'src', 'deep'),
    quiet,
    nothrow: true,
    env: { ...process.env, CI: '1' },
  })`npx cshared-matrix --cache ${sharedCache}`;
  t.equal(p.exitCode, 0, (p.stdout + p.stderr).slice(-3000));
  t.match(p.stderr, /cshared-matrix: config \.\.\/\.\.\/cshared-matrix\.config\.json/, 'says which config it used');
  const r = readLatest(join(scratch, 'ci-results'));
  t.same([...new Set(r.cells.map((c) => c.axes.platform))].sort(), ['amd64-musl', 'arm5-glibc'], 'the config narrows the platforms');
  t.ok(existsSync(join(scratch, 'ci-results', 'latest', 'junit.xml')), 'the config picks the reporters');
  t.notOk(existsSync(join(scratch, 'ci-results', 'latest', 'report.html')));
  for (const c of r.cells.filter((x) => x.axes.libc === 'musl'))
    t.equal(c.expectation?.label, 'musl unsupported (mylib#7)', `${c.id}: the project's own rule comes first`);
  for (const c of r.cells.filter((x) => x.axes.libc === 'glibc')) t.equal(c.verdict, 'pass', `${c.id} passes`);

  // A flag overrides the file; a bad config is one line naming the file and the field.
  const one = await $({
    cwd: scratch,
    quiet: true,
    nothrow: true,
    env: { ...process.env, CI: '1' },
  })`npx cshared-matrix --platform arm5-glibc --reporter json --cache ${sharedCache}`;
  t.equal(one.exitCode, 0);
  t.same(
    [...new Set(readLatest(join(scratch, 'ci-results')).cells.map((c) => c.axes.platform))],
    ['arm5-glibc'],
    "--platform replaces the file's list",
  );
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), JSON.stringify({ ...config, timeout: -1 }));
  const bad = await $({ cwd: scratch, quiet: true, nothrow: true })`npx cshared-matrix`;
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr.trim(), 'cshared-matrix: cshared-matrix.config.json: /timeout: must be > 0');
  writeFileSync(join(scratch, 'cshared-matrix.config.json'), JSON.stringify({ ...config, cache: sharedCache }));
  const outside = await $({ cwd: scratch, quiet: true, nothrow: true })`npx cshared-matrix`;
  t.equal(outside.exitCode, 2, 'a config naming a cache outside its project is refused');
  t.equal(
    outside.stderr.trim(),
    `cshared-matrix: cshared-matrix.config.json: /cache: "${sharedCache}" is an absolute path, outside the project (the directory that holds this file); a path outside it must come from the command line: pass it as --cache`,
  );
  t.same(readdirSync(join(scratch, 'ci-results')).filter((d) => /^\d{4}-/.test(d)).length, 2, 'the bad configs started no run');
});

// A developer's first run is as themselves, in the docker group, not as root:
// the same project and installed package, with the images present.
t.test("as a user in the docker group, not root: the run needs no root, and all it writes is the user's", async (t) => {
  const user =
    process.getuid?.() === 0 ? makeUser(t, 'csmpkg') : { name: userInfo().username, uid: process.getuid!(), gid: process.getgid!() };
  if (!user) return t.fail(`this machine does not let the test make a user (${cannotMakeUsers()}), and this process is root`);
  const [home, sudoCalls] = userHome(t, user);
  // The earlier subtest left a config this run is not about; the project stays root's, so a write into it would fail the run.
  rmSync(join(scratch, 'cshared-matrix.config.json'));
  chmodSync(scratch, 0o755);
  const projectBefore = readdirSync(scratch).sort();
  const tmpBefore = tmpFilesOf(user, home);
  const results = join(home, 'results');
  const cache = join(home, 'cache');
  const t0 = Date.now();
  const p = await userRun(user, home, userPath(home), [
    './lib',
    '--platform',
    'amd64-glibc,arm64-glibc,amd64-musl',
    '--results',
    results,
    '--cache',
    cache,
  ]);
  t.comment(`${user.name} (uid ${user.uid}): 6 cells in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.equal(p.exitCode, 0, `exit 0: glibc passes, musl is the known xfails${p.exitCode ? `\n${(p.stdout + p.stderr).slice(-3000)}` : ''}`);
  const r = readLatest(results);
  t.same(
    r.cells.map((c) => `${c.id} ${c.verdict} ${c.expectation?.link ?? ''}`.trim()).sort(),
    [
      `lib+dlopen-probe/amd64-glibc/go${go} pass`,
      `lib+dlopen-probe/amd64-musl/go${go} xfail https://github.com/golang/go/issues/54805`,
      `lib+dlopen-probe/arm64-glibc/go${go} pass`,
      `lib+link-probe/amd64-glibc/go${go} pass`,
      `lib+link-probe/amd64-musl/go${go} xfail https://github.com/golang/go/issues/13492`,
      `lib+link-probe/arm64-glibc/go${go} pass`,
    ],
    'glibc passes, musl is the known failures with their links',
  );
  t.same(
    notOwnedBy([results, cache], user),
    [],
    `every file and directory under the results and the cache is ${user.name}'s, in its group (the Go build cache in the lanes' group ${BUILD_GID}, which they share it through)`,
  );
  t.notOk(existsSync(sudoCalls), `sudo was never called${existsSync(sudoCalls) ? `, but it was: ${readFileSync(sudoCalls, 'utf8')}` : ''}`);
  t.same(await leftovers(docker, r.run.id), [], 'no container or volume left');
  t.same(readdirSync(scratch).sort(), projectBefore, 'nothing written into the project');
  t.same(
    tmpFilesOf(user, home).filter((f) => !tmpBefore.includes(f)),
    [],
    `nothing new of ${user.name}'s in /tmp or /var/tmp besides its home and tsx's compile cache`,
  );

  // A run killed before its builders handed the cache back leaves it root's, and each artifact's .log and .elf are 0600: root's alone.
  t.equal(spawnSync('chown', ['-R', '0:0', join(cache, 'artifacts')]).status, 0, "the artifacts made root's, as such a run leaves them");
  const again = await userRun(user, home, userPath(home), ['./lib', '--platform', 'amd64-glibc', '--results', results, '--cache', cache]);
  t.equal(
    again.exitCode,
    0,
    `after a killed run, the next one reads the cache it left${again.exitCode ? `\n${(again.stdout + again.stderr).slice(-3000)}` : ''}`,
  );
  const rerun = readLatest(results);
  t.equal(rerun.run.builds?.cacheHits, 3, 'its three builds (the library, the two probe hosts) from that cache');
  t.same(notOwnedBy([results, cache], user), [], `and the cache is ${user.name}'s again`);
  t.same(await leftovers(docker, rerun.run.id), [], 'no container or volume left');

  // An image that must come from the image cache, on a host without zstd: not root and no sudo, the harness cannot install it.
  const tag = goImageTag(readGoVersions().find((g) => g.version === '1.19')!);
  t.equal(await imageId(docker, tag), undefined, `premise: the engine has no ${tag}, so the run must load it`);
  const imageCache = join(home, 'image-cache');
  mkdirSync(imageCache);
  writeFileSync(join(imageCache, cacheFileName(tag)), 'never read: zstd is missing\n');
  for (const p of [imageCache, join(imageCache, cacheFileName(tag))]) chownSync(p, user.uid, user.gid);
  const noZstd = await userRun(user, home, userPath(home, { hide: /^(zstd|unzstd|zstdcat|zstdmt|pzstd)$/ }), [
    './lib',
    '--platform',
    'amd64-glibc',
    '--go',
    '1.19',
    '--image-cache',
    imageCache,
    '--results',
    results,
    '--cache',
    cache,
  ]);
  t.equal(noZstd.exitCode, 3, 'an infrastructure error');
  t.equal(
    noZstd.stderr,
    `cshared-matrix: zstd (needed for the image cache's tarballs) is missing, and the harness cannot install it: this user (uid ${user.uid}) is not root and sudo -n refused (sudo: the test's user may not use sudo); run: sudo apt-get install zstd (or allow this user sudo without a password)\n`,
    'one line: the tool, the cause, the fix',
  );
  t.equal(noZstd.stdout, '', 'and nothing else: no stack trace');
  t.equal(readFileSync(sudoCalls, 'utf8'), '-n true\n', 'sudo was asked once, without a password, whether it may');
  const failedRun = readdirSync(results).filter((d) => /^\d{4}-/.test(d) && d !== r.run.id && d !== rerun.run.id);
  t.equal(failedRun.length, 1, 'the failed run has a directory of its own');
  t.same(await leftovers(docker, failedRun[0]), [], 'it left no container or volume');
  t.same(notOwnedBy([results, cache, imageCache], user), [], `what it wrote is ${user.name}'s too`);

  // Outside the docker group: the engine runs and refuses the user, which is what it is told.
  const outsider = makeUser(t, 'csmpkg', false);
  if (!outsider) return;
  const [outsiderHome] = userHome(t, outsider);
  const refused = await userRun(outsider, outsiderHome, userPath(outsiderHome), [
    './lib',
    '--platform',
    'amd64-glibc',
    '--results',
    join(outsiderHome, 'results'),
  ]);
  t.equal(refused.exitCode, 3, 'an infrastructure error');
  t.equal(
    refused.stderr,
    `cshared-matrix: ${engineRefusesUser(engineAddressFromEnv(), outsider.uid)}\n`,
    'told to join the docker group, not to start an engine',
  );
});

/** A home of the user's own under tmpdir, and where its failing sudo records being called; both removed in teardown. */
function userHome(t: Test, user: MadeUser): [string, string] {
  const home = mkdtempSync(join(tmpdir(), `csm-home-${user.name}-`));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const calls = join(home, 'sudo-calls');
  mkdirSync(join(home, 'shim'));
  // A sudo that refuses loudly and records each call: a run that needed root would fail, and say so.
  writeFileSync(
    join(home, 'shim', 'sudo'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\necho "sudo: the test's user may not use sudo" >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
  return [home, calls];
}

/**
 * The user's PATH: its failing sudo first, then this process's PATH without
 * npm's additions (node_modules/.bin); with `hide`, every tool of those
 * directories but the matching ones, through links in the home.
 */
function userPath(home: string, o: { hide?: RegExp } = {}): string {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => d && !d.includes('node_modules'));
  if (!o.hide) return [join(home, 'shim'), ...dirs].join(':');
  const farm = join(home, 'bin');
  mkdirSync(farm, { recursive: true });
  const linked = new Set(['sudo']);
  for (const d of dirs.filter((x) => existsSync(x)))
    for (const f of readdirSync(d)) {
      if (o.hide.test(f) || linked.has(f)) continue;
      linked.add(f);
      symlinkSync(join(d, f), join(farm, f));
    }
  return [join(home, 'shim'), farm].join(':');
}

/** `npx cshared-matrix ARGS` in the scratch project as `user`, with only the environment a login gives it (nothing of this test runner's). */
function userRun(user: MadeUser, home: string, path: string, args: string[]) {
  const env = {
    HOME: home,
    USER: user.name,
    LOGNAME: user.name,
    PATH: path,
    CI: '1',
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
  };
  // env -i: zx lays its `env` over this process's, whose NODE_OPTIONS load the test runner's instrumentation.
  const login = ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'npx', 'cshared-matrix', ...args];
  const [cmd, argv] = user.uid === process.getuid?.() ? ['env', login] : asUser(user.name, 'env', login);
  return $({ cwd: scratch, quiet, nothrow: true })`${cmd} ${argv}`;
}

/** Every path under `dirs` (links not followed) that is not `user`'s, or not in its group outside the Go build cache's image directories (the lanes' group there). */
function notOwnedBy(dirs: string[], user: MadeUser): string[] {
  const all = dirs.flatMap((d) => [d, ...readdirSync(d, { recursive: true, encoding: 'utf8' }).map((p) => join(d, p))]);
  return all.flatMap((p) => {
    const s = lstatSync(p);
    const lanes = /\/go-build\/[^/]+(\/|$)/.test(p) && s.gid === BUILD_GID;
    return s.uid === user.uid && (s.gid === user.gid || lanes) ? [] : [`${p} (uid ${s.uid}, gid ${s.gid})`];
  });
}

/** What `user` owns directly under /tmp and /var/tmp, but its home and tsx's compile cache (tsx-<uid>, tsx's own). */
function tmpFilesOf(user: MadeUser, home: string): string[] {
  return [tmpdir(), '/var/tmp']
    .flatMap((d) => readdirSync(d).map((f) => join(d, f)))
    .filter((p) => p !== home && p !== join(tmpdir(), `tsx-${user.uid}`) && lstatSync(p, { throwIfNoEntry: false })?.uid === user.uid);
}
