import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import { crossCheck } from '../../harness/core/cases.js';
import { EXIT, UsageError } from '../../harness/core/errors.js';
import type { CaseFile } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCase, loadCases, parseCaseFile } from '../../harness/edge/case-files.js';
import { HELLO_GO, minimalCaseFile, tempDir, writeCase, writeTree } from '../support/helpers.js';

const RELPATH = '^(?!/)(?!.*(^|/)\\.\\.(/|$)).+$';

/** Parse an object (as JSON text) and return its problems, failing the test if it parsed. */
function problemsOf(t: Test, data: unknown, file = 'cases/x/case.json'): string[] {
  const r = parseCaseFile(file, JSON.stringify(data));
  if (r.ok) {
    t.fail('expected the case to be rejected');
    return [];
  }
  return r.problems;
}

/** The `file` loadCase puts in front of its messages. */
const fileOf = (dir: string): string => relative(process.cwd(), join(dir, 'case.json'));

/** Call fn, which must throw a UsageError; return it. */
function usageError(t: Test, fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    t.type(e, UsageError, 'throws a UsageError');
    t.equal((e as UsageError).exitCode, EXIT.usage, 'with exit code 2');
    return e as UsageError;
  }
  t.fail('expected a UsageError');
  return new UsageError('');
}

t.test('parseCaseFile', async (t) => {
  t.test('accepts a valid case and returns it unchanged', async (t) => {
    const full: CaseFile = {
      description: 'everything',
      libraries: [{ name: 'hello', dir: 'golib' }],
      cLibraries: [{ name: 'tlsc', sources: ['tlsc.c'], cflags: ['-O2'] }],
      host: { sources: ['host.c'], link: ['tlsc'], dlopen: ['hello'], cflags: ['-Wall'], ldflags: ['-lm'] },
      run: { args: ['a'], env: { CSM_X: 'y' }, timeout: 30 },
      pass: { stdout: ['csm-done \\d+/\\d+\\b'] },
      expect: [
        {
          when: { libc: 'musl', platform: ['arm5-musl', 'arm7-musl'], emulated: true, go: '>=1.19 <1.28' },
          verdict: 'fail',
          stage: 'load',
          match: 'initial-exec TLS',
          link: 'https://github.com/golang/go/issues/54805',
          label: 'IE TLS (go#54805)',
          reason: 'because',
        },
      ],
    };
    const r = parseCaseFile('case.json', JSON.stringify(full));
    t.same(r, { ok: true, value: full });
  });

  t.test('invalid JSON: one problem naming the file', async (t) => {
    const r = parseCaseFile('cases/broken/case.json', '{ "description": ');
    t.equal(r.ok, false);
    if (r.ok) return;
    t.equal(r.problems.length, 1);
    t.match(r.problems[0], /^cases\/broken\/case\.json: not valid JSON: \S/);
  });

  t.test('unknown field: file, JSON pointer and the field name', async (t) => {
    t.same(problemsOf(t, { ...minimalCaseFile(), bogus: 1 }), ['cases/x/case.json: /: unknown field "bogus" (see cases/case.schema.json)']);
    t.same(problemsOf(t, { ...minimalCaseFile(), host: { sources: ['host.c'], linkk: ['hello'] } }), [
      'cases/x/case.json: /host: unknown field "linkk" (see cases/case.schema.json)',
    ]);
    const rule = { when: { arch: 'arm' }, verdict: 'fail', match: 'x', link: 'https://example.com/1', label: 'l' };
    t.same(problemsOf(t, { ...minimalCaseFile(), expect: [rule] }), [
      'cases/x/case.json: /expect/0/when: unknown field "arch" (see cases/case.schema.json)',
    ]);
  });

  t.test('wrong type', async (t) => {
    t.same(problemsOf(t, { ...minimalCaseFile(), run: { timeout: 'ten' } }), ['cases/x/case.json: /run/timeout: must be number']);
    t.same(problemsOf(t, { ...minimalCaseFile(), description: 7 }), ['cases/x/case.json: /description: must be string']);
  });

  t.test('timeout bounds', async (t) => {
    t.same(problemsOf(t, { ...minimalCaseFile(), run: { timeout: 0 } }), ['cases/x/case.json: /run/timeout: must be > 0']);
    t.same(problemsOf(t, { ...minimalCaseFile(), run: { timeout: 3601 } }), ['cases/x/case.json: /run/timeout: must be <= 3600']);
  });

  t.test('missing required field', async (t) => {
    const { description: _description, ...noDescription } = minimalCaseFile();
    t.same(problemsOf(t, noDescription), ['cases/x/case.json: /: missing required field "description"']);
    // A case without a host is valid: it has only its generated load probes.
    const { host: _host, ...noHost } = minimalCaseFile();
    t.ok(parseCaseFile('cases/x/case.json', JSON.stringify(noHost)).ok);
    t.same(problemsOf(t, { ...minimalCaseFile(), libraries: [{ name: 'hello' }] }), [
      'cases/x/case.json: /libraries/0: missing required field "dir"',
    ]);
    const rule = { when: {}, verdict: 'fail', match: 'x', link: 'https://example.com/1' };
    t.same(problemsOf(t, { ...minimalCaseFile(), expect: [rule] }), ['cases/x/case.json: /expect/0: missing required field "label"']);
  });

  t.test('enum: a verdict outside fail/timeout', async (t) => {
    const rule = { when: {}, verdict: 'pass', match: 'x', link: 'https://example.com/1', label: 'l' };
    t.same(problemsOf(t, { ...minimalCaseFile(), expect: [rule] }), [
      'cases/x/case.json: /expect/0/verdict: must be "fail" or "timeout", or a list of them',
    ]);
  });

  t.test('bad regexes are rejected where they are written', async (t) => {
    t.same(problemsOf(t, { ...minimalCaseFile(), pass: { stdout: ['ok', 'csm-done ('] } }), [
      'cases/x/case.json: /pass/stdout/1: not a regular expression RE2 accepts (missing closing ): `csm-done (`); see https://github.com/google/re2/wiki/Syntax',
    ]);
    const rule = { when: {}, verdict: 'fail', match: '[unclosed', link: 'https://example.com/1', label: 'l' };
    t.same(problemsOf(t, { ...minimalCaseFile(), expect: [rule] }), [
      'cases/x/case.json: /expect/0/match: not a regular expression RE2 accepts (missing closing ]: `[unclosed`); see https://github.com/google/re2/wiki/Syntax',
    ]);
  });

  t.test('relPath: "..", absolute paths rejected; plain relative paths accepted', async (t) => {
    const bad = 'must be a relative path inside the case directory: no leading "/", no ".." component, not starting with "-" or "@"';
    t.notMatch(bad, RELPATH, 'words, not the regular expression');
    t.same(problemsOf(t, { ...minimalCaseFile(), libraries: [{ name: 'hello', dir: '../x' }] }), [
      `cases/x/case.json: /libraries/0/dir: ${bad}`,
    ]);
    t.same(problemsOf(t, { ...minimalCaseFile(), host: { sources: ['/abs/host.c'] } }), [`cases/x/case.json: /host/sources/0: ${bad}`]);
    t.same(problemsOf(t, { ...minimalCaseFile(), host: { sources: ['src/../../host.c'] } }), [
      `cases/x/case.json: /host/sources/0: ${bad}`,
    ]);
    t.same(problemsOf(t, { ...minimalCaseFile(), host: { sources: ['src/..'] } }), [`cases/x/case.json: /host/sources/0: ${bad}`]);
    t.same(problemsOf(t, { ...minimalCaseFile(), cLibraries: [{ name: 'c', sources: ['..'] }] }), [
      `cases/x/case.json: /cLibraries/0/sources/0: ${bad}`,
    ]);
    t.same(
      problemsOf(t, { ...minimalCaseFile(), host: { sources: ['-fplugin=evil.so'] } }),
      [`cases/x/case.json: /host/sources/0: ${bad}`],
      'a source named like a flag would be one on the command line',
    );
    t.same(
      problemsOf(t, { ...minimalCaseFile(), host: { sources: ['@flags'] } }),
      [`cases/x/case.json: /host/sources/0: ${bad}`],
      'and one named @file would read flags from it',
    );
    for (const ok of ['host.c', 'src/host.c', '..host.c', 'a..b/c.c', 'src/-odd.c'])
      t.equal(
        parseCaseFile('case.json', JSON.stringify({ ...minimalCaseFile(), host: { sources: [ok] } })).ok,
        true,
        `"${ok}" is accepted`,
      );
  });

  t.test('library names and flags', async (t) => {
    t.same(problemsOf(t, { ...minimalCaseFile(), libraries: [{ name: 'Hello', dir: 'golib' }] }), [
      'cases/x/case.json: /libraries/0/name: must be a library name: a lower-case letter, then up to 31 lower-case letters, digits or "_"',
    ]);
    t.same(problemsOf(t, { ...minimalCaseFile(), host: { sources: ['host.c'], cflags: ['O2'] } }), [
      'cases/x/case.json: /host/cflags/0: a flag starts with "-"',
    ]);
    t.same(
      problemsOf(t, { ...minimalCaseFile(), run: { env: { 'BAD-KEY': 'x', GOOD: 'y' } } }),
      [
        'cases/x/case.json: /run/env: "BAD-KEY" is not a valid name here (an environment variable name: letters, digits and _, not starting with a digit)',
      ],
      'a bad run.env key is named, once',
    );
  });

  t.test('every problem is reported, one line each', async (t) => {
    const p = problemsOf(t, { description: '', libraries: [], host: { sources: ['host.c'] }, extra: true });
    t.same(p.sort(), [
      'cases/x/case.json: /: unknown field "extra" (see cases/case.schema.json)',
      'cases/x/case.json: /description: must NOT have fewer than 1 characters',
      'cases/x/case.json: /libraries: must NOT have fewer than 1 items',
    ]);
    for (const line of p) t.notMatch(line, /\n/);
  });
});

t.test('crossCheck', async (t) => {
  const allThere = (rel: string): 'file' | 'dir' => (rel.includes('.') ? 'file' : 'dir');

  t.test('a consistent case has no problems', async (t) => {
    const c = minimalCaseFile({
      cLibraries: [{ name: 'tlsc', sources: ['tlsc.c'] }],
      host: { sources: ['host.c'], link: ['tlsc'], dlopen: ['hello'] },
    });
    t.same(crossCheck('f', c, allThere), []);
  });

  t.test('duplicate library names, within and across Go and C libraries', async (t) => {
    const c = minimalCaseFile({
      libraries: [
        { name: 'hello', dir: 'a' },
        { name: 'hello', dir: 'b' },
      ],
      cLibraries: [{ name: 'hello', sources: ['c.c'] }],
      host: { sources: ['host.c'] },
    });
    t.same(crossCheck('f', c, allThere), [
      'f: /libraries/1/name: library name "hello" is used twice',
      'f: /cLibraries/0/name: library name "hello" is used twice',
    ]);
  });

  t.test('host.link and host.dlopen naming unknown libraries', async (t) => {
    const c = minimalCaseFile({
      cLibraries: [{ name: 'tlsc', sources: ['tlsc.c'] }],
      host: { sources: ['host.c'], link: ['hello', 'nope'], dlopen: ['gone'] },
    });
    t.same(crossCheck('f', c, allThere), [
      'f: /host/link/1: "nope" is not a library of this case (hello, tlsc)',
      'f: /host/dlopen/0: "gone" is not a library of this case (hello, tlsc)',
    ]);
  });

  t.test('missing files and directories, wrong kinds, escapes', async (t) => {
    const c = minimalCaseFile({ cLibraries: [{ name: 'tlsc', sources: ['tlsc.c', 'link.c'] }], host: { sources: ['host.c', 'extra.c'] } });
    const seen: string[] = [];
    const exists = (rel: string) => {
      seen.push(rel);
      const table: Record<string, 'file' | 'dir' | 'missing' | 'escapes'> = {
        golib: 'missing',
        'tlsc.c': 'dir',
        'link.c': 'escapes',
        'host.c': 'file',
        'extra.c': 'missing',
      };
      return table[rel] ?? 'missing';
    };
    t.same(crossCheck('cases/x/case.json', c, exists), [
      'cases/x/case.json: /libraries/0/dir: dir "golib" does not exist',
      'cases/x/case.json: /cLibraries/0/sources/0: "tlsc.c" must be a file',
      'cases/x/case.json: /cLibraries/0/sources/1: "link.c" points outside the case directory',
      'cases/x/case.json: /host/sources/1: file "extra.c" does not exist',
    ]);
    t.same(seen, ['golib', 'tlsc.c', 'link.c', 'host.c', 'extra.c'], 'every path is asked about once, in order');
  });

  t.test('a library dir that is a file', async (t) => {
    t.same(
      crossCheck('f', minimalCaseFile(), () => 'file'),
      ['f: /libraries/0/dir: "golib" must be a dir'],
    );
  });
});

t.test('loadCase', async (t) => {
  t.test('a valid case loads with its name, dir and hashes', async (t) => {
    const root = tempDir(t);
    const dir = writeCase(root, 'good');
    const c = loadCase(dir);
    t.equal(c.name, 'good');
    t.equal(c.dir, dir);
    t.same(c.libraries, [{ name: 'hello', dir: 'golib' }]);
    t.same(Object.keys(c.libraryHashes), ['hello']);
    t.match(c.libraryHashes.hello, /^[0-9a-f]{64}$/);
    t.match(c.sourceHash, /^[0-9a-f]{64}$/);
    t.not(c.sourceHash, c.libraryHashes.hello, 'the source hash covers more than the library');
    t.same(loadCase(dir), c, 'loading twice gives the same result');
  });

  t.test('library hashes: equal for identical sources, different after a one-byte change', async (t) => {
    const root = tempDir(t);
    const a = loadCase(writeCase(root, 'a'));
    // Same Go source in a differently named directory, and a different host: still one build.
    const bDir = join(root, 'b');
    writeTree(bDir, {
      'case.json': minimalCaseFile({ libraries: [{ name: 'hello', dir: 'lib/go' }] }),
      'host.c': 'int main(void) { return 1; }\n',
      'lib/go/hello.go': HELLO_GO,
    });
    const b = loadCase(bDir);
    t.equal(b.libraryHashes.hello, a.libraryHashes.hello);
    t.not(b.sourceHash, a.sourceHash);

    const cDir = writeCase(root, 'c', minimalCaseFile(), HELLO_GO.replace('a + b', 'a - b'));
    t.not(loadCase(cDir).libraryHashes.hello, a.libraryHashes.hello, 'one byte differs');

    const dDir = writeCase(root, 'd');
    writeFileSync(join(dDir, 'golib', 'extra.go'), '');
    t.not(loadCase(dDir).libraryHashes.hello, a.libraryHashes.hello, 'an added empty file counts');

    const eDir = writeCase(root, 'e');
    chmodSync(join(eDir, 'golib', 'hello.go'), 0o755);
    t.not(loadCase(eDir).libraryHashes.hello, a.libraryHashes.hello, 'the executable bit counts');

    const fDir = writeCase(root, 'f');
    renameSync(join(fDir, 'golib', 'hello.go'), join(fDir, 'golib', 'other.go'));
    t.not(loadCase(fDir).libraryHashes.hello, a.libraryHashes.hello, 'a file name counts');
  });

  t.test('a symlinked source that points outside the case is rejected as escaping', async (t) => {
    const root = tempDir(t);
    writeFileSync(join(root, 'outside.c'), 'int main(void) { return 0; }\n');
    const dir = join(root, 'sneaky');
    writeTree(dir, { 'case.json': minimalCaseFile(), 'golib/hello.go': HELLO_GO });
    symlinkSync(join(root, 'outside.c'), join(dir, 'host.c'));
    const e = usageError(t, () => loadCase(dir));
    t.equal(e.message, `${fileOf(dir)}: /host/sources/0: "host.c" points outside the case directory`);
  });

  t.test('a relative symlink escaping through .. is rejected; one staying inside is fine', async (t) => {
    const root = tempDir(t);
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'hello.go'), HELLO_GO);
    const dir = join(root, 'libout');
    writeTree(dir, { 'case.json': minimalCaseFile(), 'host.c': 'int main(void){return 0;}\n' });
    symlinkSync('../elsewhere', join(dir, 'golib'));
    t.equal(usageError(t, () => loadCase(dir)).message, `${fileOf(dir)}: /libraries/0/dir: "golib" points outside the case directory`);

    const ok = join(root, 'inside');
    writeTree(ok, { 'case.json': minimalCaseFile(), 'src/host.c': 'int main(void){return 0;}\n', 'golib/hello.go': HELLO_GO });
    symlinkSync('src/host.c', join(ok, 'host.c'));
    t.equal(loadCase(ok).name, 'inside');
  });

  t.test('a symlink inside a library directory that points outside the case is rejected too', async (t) => {
    const root = tempDir(t);
    writeFileSync(join(root, 'secret.go'), HELLO_GO);
    const dir = join(root, 'deep');
    writeTree(dir, { 'case.json': minimalCaseFile(), 'host.c': 'int main(void){return 0;}\n', 'golib/hello.go': HELLO_GO });
    symlinkSync(join(root, 'secret.go'), join(dir, 'golib', 'extra.go'));
    symlinkSync('/etc/passwd', join(dir, 'notes.txt'));
    t.same(usageError(t, () => loadCase(dir)).message.split('\n'), [
      `${fileOf(dir)}: symlink "golib/extra.go" points outside the case directory (to ${join(root, 'secret.go')}); copy the file into the case instead`,
      `${fileOf(dir)}: symlink "notes.txt" points outside the case directory (to /etc/passwd); copy the file into the case instead`,
    ]);
  });

  t.test('a case whose flags the policy refuses is rejected before anything is built, naming file, field and flag', async (t) => {
    const dir = join(tempDir(t), 'attack');
    writeTree(dir, {
      'case.json': {
        ...minimalCaseFile(),
        host: { sources: ['host.c'], cflags: ['-O2', '-B/work/src/attack/bin/'], ldflags: ['-Wl,-T,evil.ld'] },
      },
      'host.c': 'int main(void){return 0;}\n',
      'golib/hello.go': HELLO_GO,
    });
    const e = usageError(t, () => loadCase(dir));
    t.same(e.message.split('\n'), [
      `${fileOf(dir)}: /host/cflags/1: flag "-B/work/src/attack/bin/" is not allowed: names a directory the compiler driver runs its programs (cc1, as, ld) from (policy: cases/flag-policy.json)`,
      `${fileOf(dir)}: /host/ldflags/0: flag "-Wl,-T,evil.ld" is not allowed: a linker script, another dynamic linker or rewritten symbols change what the host runs (policy: cases/flag-policy.json)`,
    ]);
  });

  t.test('a missing source and a dangling symlink are missing', async (t) => {
    const root = tempDir(t);
    const dir = join(root, 'holes');
    writeTree(dir, {
      'case.json': minimalCaseFile({ host: { sources: ['host.c', 'gone.c'], link: ['hello'] } }),
      'golib/hello.go': HELLO_GO,
    });
    symlinkSync('nowhere.c', join(dir, 'host.c'));
    t.equal(
      usageError(t, () => loadCase(dir)).message,
      [
        `${fileOf(dir)}: /host/sources/0: file "host.c" does not exist`,
        `${fileOf(dir)}: /host/sources/1: file "gone.c" does not exist`,
      ].join('\n'),
    );
  });

  t.test('a case directory name that is not a plain name', async (t) => {
    const root = tempDir(t);
    const dir = writeCase(root, 'has space');
    t.equal(
      usageError(t, () => loadCase(dir)).message,
      `${fileOf(dir)}: case directory name "has space" must be letters, digits, "-", "_" or "."`,
    );
  });

  t.test('schema problems come through with the file name', async (t) => {
    const root = tempDir(t);
    const dir = writeCase(root, 'typo', { ...minimalCaseFile(), libary: [] });
    t.equal(usageError(t, () => loadCase(dir)).message, `${fileOf(dir)}: /: unknown field "libary" (see cases/case.schema.json)`);
  });
});

t.test('loadCases', async (t) => {
  t.test('a collection directory and a single case directory', async (t) => {
    const root = tempDir(t);
    const coll = join(root, 'coll');
    writeCase(coll, 'zeta');
    writeCase(coll, 'alpha');
    mkdirSync(join(coll, 'not-a-case'));
    writeFileSync(join(coll, 'README.md'), 'x');
    const single = writeCase(root, 'solo');
    const cases = loadCases([coll, single]);
    t.same(
      cases.map((c) => c.name),
      ['alpha', 'zeta', 'solo'],
      'collection members sorted by name, then the next directory',
    );
  });

  t.test('the same case name in two --cases directories is an error', async (t) => {
    const root = tempDir(t);
    const first = writeCase(join(root, 'one'), 'dup');
    const second = writeCase(join(root, 'two'), 'dup');
    const e = usageError(t, () => loadCases([join(root, 'one'), join(root, 'two')]));
    t.equal(e.message, `${second}: case name "dup" is already used by ${first}; rename one directory`);
  });

  t.test('every problem of every broken case is reported together', async (t) => {
    const root = tempDir(t);
    const coll = join(root, 'cases');
    writeCase(coll, 'fine');
    const unknown = writeCase(coll, 'unknown-field', { ...minimalCaseFile(), colour: 'blue' });
    const missing = join(coll, 'missing-file');
    writeTree(missing, {
      'case.json': minimalCaseFile({ host: { sources: ['host.c'], link: ['hello', 'ghost'] } }),
      'golib/hello.go': HELLO_GO,
    });
    const badJson = join(coll, 'bad-json');
    writeTree(badJson, { 'case.json': '{ nope' });
    const nowhere = join(root, 'no-such-dir');

    const e = usageError(t, () => loadCases([coll, nowhere]));
    const lines = e.message.split('\n');
    t.same(lines.length, 5, 'five problems, one line each');
    t.equal(
      lines[0],
      `${nowhere}: not a directory (--cases takes a directory of cases, or one case directory)`,
      'directory problems first',
    );
    t.match(lines[1], new RegExp(`^${escapeRe(fileOf(badJson))}: not valid JSON: `));
    t.equal(lines[2], `${fileOf(missing)}: /host/sources/0: file "host.c" does not exist`);
    t.equal(lines[3], `${fileOf(missing)}: /host/link/1: "ghost" is not a library of this case (hello)`);
    t.equal(lines[4], `${fileOf(unknown)}: /: unknown field "colour" (see cases/case.schema.json)`);
  });

  t.test('a path that is not a directory gives one line', async (t) => {
    const root = tempDir(t);
    const file = join(root, 'case.json');
    writeFileSync(file, '{}');
    for (const p of [file, join(root, 'absent')]) {
      const e = usageError(t, () => loadCases([p]));
      t.equal(e.message, `${p}: not a directory (--cases takes a directory of cases, or one case directory)`);
      t.notMatch(e.message, /\n/);
    }
  });

  t.test('an empty list loads nothing; a directory with no case in it is an error naming it', async (t) => {
    t.same(loadCases([]), []);
    const dir = tempDir(t);
    const e = usageError(t, () => loadCases([dir]));
    t.equal(
      e.message,
      `${dir}: no case here (neither ${dir}/case.json nor a subdirectory with one); point --cases at a case or a folder of cases`,
    );
  });
});

t.test('the real cases', async (t) => {
  const cases = loadCases([DEFAULT_CASES_DIR]);
  const names = cases.map((c) => c.name);
  t.same(names, [...names].sort(), 'loaded in name order');
  for (const seed of ['dlopen', 'environ', 'link', 'multi', 'tls']) t.ok(names.includes(seed), `seed case ${seed} is in the catalogue`);
  const byName = new Map(cases.map((c) => [c.name, c]));
  const link = byName.get('link')!;
  const dlopen = byName.get('dlopen')!;
  t.equal(link.dir, join(DEFAULT_CASES_DIR, 'link'));
  t.equal(link.libraryHashes.hello, dlopen.libraryHashes.hello, 'link and dlopen share one Go library build');
  t.not(link.sourceHash, dlopen.sourceHash, 'their hosts differ');
  const multi = byName.get('multi')!;
  t.not(multi.libraryHashes.alpha, multi.libraryHashes.beta);
  t.not(byName.get('environ')!.libraryHashes.envgo, link.libraryHashes.hello);
  const tls = byName.get('tls')!;
  t.same(tls.cLibraries, [{ name: 'tlsc', sources: ['tlsc.c'] }]);
  t.same(Object.keys(tls.libraryHashes), ['tlsgo'], 'C libraries get no library hash');
  // Every case whose host runs on musl fails there today (C and Python hosts alike); a Java host is n/a on musl (no JVM), so it needs none.
  for (const c of cases) if (!c.host?.java) t.ok(c.expect && c.expect.length > 0, `${c.name} records its known failures`);
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

t.test('a verdict may be a list (a race that hangs or throws); a bad one is one line', async (t) => {
  const ok = { when: {}, verdict: ['fail', 'timeout'], match: 'x', link: 'https://example.com/1', label: 'l', race: true };
  t.ok(parseCaseFile('cases/x/case.json', JSON.stringify({ ...minimalCaseFile(), expect: [ok] })).ok, 'fail or timeout, as a list');
  const bad = { ...ok, verdict: ['fail', 'hang'] };
  t.same(problemsOf(t, { ...minimalCaseFile(), expect: [bad] }), [
    'cases/x/case.json: /expect/0/verdict: must be "fail" or "timeout", or a list of them',
  ]);
  const tc = { ...ok, when: { toolchain: 'clang' } };
  t.same(problemsOf(t, { ...minimalCaseFile(), expect: [tc] }), [
    'cases/x/case.json: /expect/0/when/toolchain: must be "gc" or "gccgo", or a list of them',
  ]);
});
