import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import { crossCheck } from '../../harness/core/cases.js';
import { outcomeOf } from '../../harness/core/classify.js';
import { expandMatrix } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { probeCases } from '../../harness/core/probes.js';
import {
  actualErrorLine,
  errorSignature,
  findReproduction,
  type GeneratedCase,
  type ParsedReport,
  parseDirectoryReport,
  parseMarkdownReport,
  type ReportFile,
  reportToCase,
  shortenPaths,
} from '../../harness/core/report.js';
import type { CaseSpec, GoToolchain } from '../../harness/core/types.js';
import { parseCaseFile } from '../../harness/edge/case-files.js';
import { hostCompileCmd, hostEnv } from '../../harness/sandbox/commands.js';
import { planSteps } from '../../harness/sandbox/steps.js';
import { HELLO_GO } from '../support/helpers.js';

const REPORTS = join(import.meta.dirname, '..', 'fixtures', 'reports');
const ALPINE_MD = readFileSync(join(REPORTS, 'alpine-python.md'), 'utf8');
const GLIBC_MD = readFileSync(join(REPORTS, 'glibc-too-old.md'), 'utf8');
const GLIBC_ERROR = "./host: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by ./libhello.so)";

const ALPINE_ERROR = 'OSError: Error relocating ./cc.so: : initial-exec TLS resolves to dynamic definition in ./cc.so';
const IE_TLS = 'initial-exec TLS resolves to dynamic definition';
const MUSL_OUT = '/work/out/go1.27/amd64-musl/golib/cc-557e453b68b6/cc.so';
const MUSL_LOAD_FAILED = `csm-load-failed ${MUSL_OUT}: Error relocating ${MUSL_OUT}: free: initial-exec TLS resolves to dynamic definition in ${MUSL_OUT}`;
const QEMU_SEGV = 'qemu: uncaught target signal 11 (Segmentation fault) - core dumped';
const GO_NIL = 'panic: runtime error: invalid memory address or nil pointer dereference';

const fence = (lang: string, body: string): string => `\`\`\`${lang}\n${body.replace(/\n$/, '')}\n\`\`\`\n`;
const md = (...parts: string[]): string => parts.join('\n');

const C_DLOPEN_HOST = `#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *h = dlopen("./libgreet.so", RTLD_NOW);
    if (!h) { fprintf(stderr, "dlopen: %s\\n", dlerror()); return 1; }
    return 0;
}
`;
const C_LINK_HOST = `#include <stdio.h>
#include "libgreet.h"

int main(void) {
    printf("%d\\n", Greet(41));
    return 0;
}
`;
const PY_HOST = (path: string) => `import ctypes\nlib = ctypes.cdll.LoadLibrary('${path}')\nprint(lib.add(1, 2))\n`;

/** A ParsedReport with one Go file and the given fields. */
const parsed = (over: Partial<ParsedReport> = {}): ParsedReport => ({
  goFiles: [{ path: 'main.go', content: HELLO_GO }],
  reportedErrors: [],
  ignored: [],
  ...over,
});

/** The generated case.json must pass the real schema, and name only files and libraries the case has. */
function assertValidCase(t: Test, g: GeneratedCase): void {
  const text = JSON.stringify(g.caseFile);
  const r = parseCaseFile(`${g.name}/case.json`, text);
  t.same(r, { ok: true, value: JSON.parse(text) }, `${g.name}: case.json validates against cases/case.schema.json`);
  const exists = (rel: string): 'file' | 'dir' | 'missing' =>
    g.files.some((f) => f.path === rel) ? 'file' : g.files.some((f) => f.path.startsWith(`${rel}/`)) ? 'dir' : 'missing';
  t.same(crossCheck(`${g.name}/case.json`, g.caseFile, exists), [], `${g.name}: every file and library it names is generated`);
}

t.test('parseMarkdownReport on the Alpine/Python fixture', async (t) => {
  const r = parseMarkdownReport(ALPINE_MD);
  t.equal(r.goFiles.length, 1, 'one Go file');
  const go = r.goFiles[0]!;
  t.equal(go.path, 'main.go');
  t.match(go.content, /^package main\n/);
  t.match(go.content, /\/\/export add\nfunc add\(left, right int\) int/);
  t.ok(go.content.endsWith('func main() {}\n'), 'the block verbatim, newline-terminated');
  t.ok(r.pythonHost, 'the python block is the host');
  t.equal(r.pythonHost!.path, 'host.py');
  t.match(r.pythonHost!.content, /ctypes\.cdll\.LoadLibrary\('\.\/cc\.so'\)/);
  t.equal(r.cHost, undefined, 'no C host');
  t.equal(r.output, 'cc.so', 'the -o of the go build line');
  t.ok(r.reportedErrors.includes(ALPINE_ERROR), 'the exact OSError line is a reported error');
  t.equal(r.reportedErrors[0], ALPINE_ERROR, 'and the first one (the prose says nothing errorish)');
  t.same(r.ignored, []);
});

t.test(
  'the glibc-too-old fixture: a C host linked to libhello.so, the loader line reported, and the same line found in a cell',
  async (t) => {
    const r = parseMarkdownReport(GLIBC_MD);
    t.equal(r.reportedErrors[0], GLIBC_ERROR, "the loader's line is the first reported error");
    t.equal(r.output, 'libhello.so');
    const gen = reportToCase('repro-glibc-too-old', r);
    t.same(gen.caseFile.host, { sources: ['host.c'], link: ['hello'] }, 'the host links the library, as the report builds it');
    // What Debian 11's loader prints for the host of a run (paths in the sandbox), and for the library.
    const onDebian11 = [
      'exited with code 1',
      "/work/out/go1.27/amd64-glibc/repro/host: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /work/out/go1.27/amd64-glibc/repro/host)",
    ].join('\n');
    t.same(findReproduction(r.reportedErrors, onDebian11), {
      signature: "version `GLIBC_2.34' not found (required by",
      line: "host: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by host)",
    });
    t.equal(
      findReproduction(r.reportedErrors, "host: libc.so.6: version `GLIBC_2.36' not found (required by libhello.so)"),
      undefined,
      'another glibc version is another failure',
    );
  },
);

t.test('parseMarkdownReport variants', async (t) => {
  t.test('an untagged Go block is sniffed by its package clause', async (t) => {
    const r = parseMarkdownReport(md('Here:', '', fence('', HELLO_GO)));
    t.equal(r.goFiles.length, 1);
    t.equal(r.goFiles[0]!.path, 'main.go');
    t.equal(r.goFiles[0]!.content, HELLO_GO);
    t.same(r.ignored, []);
  });

  t.test('a first-line comment names the file', async (t) => {
    const r = parseMarkdownReport(md(fence('go', `//lib.go\n${HELLO_GO}`), fence('go', `// other.go\n${HELLO_GO}`)));
    t.same(
      r.goFiles.map((f) => f.path),
      ['lib.go', 'other.go'],
    );
    t.match(r.goFiles[0]!.content, /^\/\/lib\.go\npackage main/, 'the comment stays in the source');
  });

  t.test('two Go blocks get unique names', async (t) => {
    const r = parseMarkdownReport(md(fence('go', HELLO_GO), 'and', '', fence('go', 'package main\n\nfunc helper() {}\n')));
    t.same(
      r.goFiles.map((f) => f.path),
      ['main.go', 'main2.go'],
      'main.go, then main2.go',
    );
    t.equal(r.goFiles[1]!.content, 'package main\n\nfunc helper() {}\n');
    const named = parseMarkdownReport(
      md(fence('go', `//main.go\n${HELLO_GO}`), fence('go', HELLO_GO), fence('go', `//main.go\n${HELLO_GO}`)),
    );
    t.same(
      named.goFiles.map((f) => f.path),
      ['main.go', 'main2.go', 'main3.go'],
      'a named file and unnamed ones never collide',
    );
  });

  t.test('20 000 same-named blocks: named main.go, main2.go … main20000.go, in linear time', async (t) => {
    // A hostile report: the quadratic rescan from main2.go took 33 s for this many blocks.
    const count = 20_000;
    const blocks = Array.from({ length: count }, (_, i) => fence('go', `//main.go\npackage main\n\nvar X${i} = ${i}\n`));
    const started = performance.now();
    const r = parseMarkdownReport(md(...blocks));
    const elapsedMs = performance.now() - started;
    const names = r.goFiles.map((f) => f.path);
    t.equal(names.length, count, 'one file per block');
    t.equal(new Set(names).size, count, 'every name unique');
    t.same(
      names,
      Array.from({ length: count }, (_, i) => (i === 0 ? 'main.go' : `main${i + 1}.go`)),
      'main.go, then main2.go … in block order',
    );
    t.match(r.goFiles[19_999]!.content, /var X19999 = 19999/, 'the last block keeps its own content');
    t.ok(elapsedMs < 5_000, `a hang guard, not a benchmark: parsed in ${Math.round(elapsedMs)} ms`);
  });

  t.test('a block named like a numbered copy is skipped over, not overwritten', async (t) => {
    const r = parseMarkdownReport(
      md(fence('go', `//main2.go\n${HELLO_GO}`), fence('go', HELLO_GO), fence('go', HELLO_GO), fence('go', `//main2.go\n${HELLO_GO}`)),
    );
    t.same(
      r.goFiles.map((f) => f.path),
      ['main2.go', 'main.go', 'main3.go', 'main22.go'],
      'main.go again goes past the taken main2.go; main2.go again becomes main22.go',
    );
  });

  t.test('a C host: tagged or sniffed (#include and main)', async (t) => {
    const tagged = parseMarkdownReport(md(fence('go', HELLO_GO), fence('c', C_DLOPEN_HOST)));
    t.equal(tagged.cHost?.path, 'host.c');
    t.equal(tagged.cHost?.content, C_DLOPEN_HOST);
    t.equal(tagged.pythonHost, undefined);
    const sniffed = parseMarkdownReport(md(fence('go', HELLO_GO), fence('', C_LINK_HOST)));
    t.equal(sniffed.cHost?.content, C_LINK_HOST, 'an untagged block with #include and main');
    const header = parseMarkdownReport(md(fence('go', HELLO_GO), fence('c', '#include <stdint.h>\nint32_t Greet(int32_t);\n')));
    t.equal(header.cHost, undefined, 'C without main is no host');
    t.same(header.ignored, ['c block']);
  });

  t.test('an untagged Python block is sniffed by its import', async (t) => {
    const r = parseMarkdownReport(md(fence('go', HELLO_GO), fence('', PY_HOST('./cc.so'))));
    t.equal(r.pythonHost?.path, 'host.py');
    t.equal(r.pythonHost?.content, PY_HOST('./cc.so'));
    const py = parseMarkdownReport(md(fence('go', HELLO_GO), fence('py', PY_HOST('a.so')), fence('python', PY_HOST('b.so'))));
    t.equal(py.pythonHost?.content, PY_HOST('a.so'), 'py is a Python tag; the first Python block is the host');
  });

  t.test('a console block with the build command and the error output', async (t) => {
    const r = parseMarkdownReport(
      md(
        fence('go', HELLO_GO),
        fence(
          'console',
          [
            '$ go build -buildmode=c-shared -o build/libfoo.so main.go',
            '$ ./host',
            'Error relocating ./libfoo.so: free: initial-exec TLS resolves to dynamic definition in ./libfoo.so',
            '# a comment: no error here',
          ].join('\n'),
        ),
      ),
    );
    t.equal(r.output, 'libfoo.so', 'the file name of -o, without its directory');
    t.same(
      r.reportedErrors,
      ['Error relocating ./libfoo.so: free: initial-exec TLS resolves to dynamic definition in ./libfoo.so'],
      'commands and comments are not errors',
    );
    t.same(r.ignored, []);
  });

  t.test('the build line in prose, as inline code', async (t) => {
    const r = parseMarkdownReport(
      md(fence('go', HELLO_GO), 'I built it with `go build -o cc.so -buildmode=c-shared main.go` and it failed.'),
    );
    t.equal(r.output, 'cc.so');
  });

  t.test('no build line: no output', async (t) => {
    const r = parseMarkdownReport(fence('go', HELLO_GO));
    t.equal(r.output, undefined);
    t.same(r.reportedErrors, []);
  });

  t.test('an error in a blockquote', async (t) => {
    const r = parseMarkdownReport(
      md(
        fence('go', HELLO_GO),
        'It crashes:',
        '',
        `> ${GO_NIL}`,
        '> [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f3c5e2a1b2c]',
        '',
      ),
    );
    t.same(r.reportedErrors, [GO_NIL, '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f3c5e2a1b2c]']);
  });

  t.test('an error in a list', async (t) => {
    const r = parseMarkdownReport(
      md(fence('go', HELLO_GO), 'Steps:', '', '- build the library', `- run the host: it prints ${ALPINE_ERROR}`, ''),
    );
    t.equal(r.reportedErrors.length, 1, 'the list item holding the error is read');
    t.match(r.reportedErrors[0] ?? '', ALPINE_ERROR);
  });

  t.test('code blocks inside a numbered list', async (t) => {
    const r = parseMarkdownReport(
      md(
        'Steps to reproduce:',
        '',
        '1. Save this as main.go:',
        '',
        fence('go', HELLO_GO).replace(/^/gm, '   '),
        '2. Build it with `go build -o cc.so -buildmode=c-shared main.go`',
        '',
      ),
    );
    t.equal(r.goFiles.length, 1, 'the Go block of a list item is found');
    t.equal(r.output, 'cc.so', 'the build line of a list item is found');
  });

  t.test('duplicate error lines are kept once, in order', async (t) => {
    const r = parseMarkdownReport(md(fence('go', HELLO_GO), ALPINE_ERROR, '', fence('text', `${GO_NIL}\n${ALPINE_ERROR}`)));
    t.same(r.reportedErrors, [ALPINE_ERROR, GO_NIL]);
  });

  t.test('blocks of other languages are recorded in ignored', async (t) => {
    const r = parseMarkdownReport(
      md(
        fence('go', HELLO_GO),
        fence('dockerfile', 'FROM alpine:3.9\nRUN apk add go'),
        fence('rust', 'fn main() {}'),
        fence('YAML', 'a: 1'),
      ),
    );
    t.same(r.ignored, ['dockerfile block', 'rust block', 'yaml block']);
    t.equal(r.goFiles.length, 1);
    t.equal(r.pythonHost, undefined);
    t.equal(r.cHost, undefined);
  });

  t.test('a Python traceback header alone does not reproduce a report', async (t) => {
    const r = parseMarkdownReport(
      md(
        fence('go', HELLO_GO),
        fence(
          'console',
          [
            '$ python3 test.py',
            'Traceback (most recent call last):',
            '  File "test.py", line 2, in <module>',
            "    lib = ctypes.cdll.LoadLibrary('./cc.so')",
            ALPINE_ERROR,
          ].join('\n'),
        ),
      ),
    );
    t.ok(r.reportedErrors.includes(ALPINE_ERROR), 'the OSError line is reported');
    // A header every Python failure prints would match any traceback in any cell (see findReproduction below).
    const hit = findReproduction(
      r.reportedErrors,
      `exited with code 1\nTraceback (most recent call last):\n  File "host.py", line 3, in <module>\nAttributeError: function 'add' not found\n`,
    );
    t.equal(hit, undefined, 'another Python exception does not reproduce the report');
  });

  t.test('a quoted or versioned -o', async (t) => {
    const quoted = parseMarkdownReport(md(fence('go', HELLO_GO), fence('sh', 'go build -o "cc.so" -buildmode=c-shared main.go')));
    t.equal(quoted.output, 'cc.so', 'the quotes are not part of the file name');
    assertValidCase(t, reportToCase('repro-quoted', quoted));
    const versioned = parseMarkdownReport(md(fence('go', HELLO_GO), fence('sh', 'go build -buildmode=c-shared -o libfoo.so.1 .')));
    t.equal(versioned.output, 'libfoo.so.1', 'the whole file name, as the host will load it');
  });
});

t.test('parseDirectoryReport', async (t) => {
  const files: ReportFile[] = [
    {
      path: 'README.md',
      content: md(
        "A C program on Alpine can't dlopen my Go library.",
        '',
        '    go build -o libgreet.so -buildmode=c-shared greet.go',
        '    cc -o host host.c',
        '',
        'Running ./host prints:',
        '',
        '    dlopen: Error relocating ./libgreet.so: free: initial-exec TLS resolves to dynamic definition in ./libgreet.so',
        '',
      ),
    },
    { path: 'greet.go', content: HELLO_GO },
    { path: 'greet_test.go', content: 'package main\n\nimport "testing"\n\nfunc TestX(t *testing.T) {}\n' },
    { path: 'util/extra.go', content: 'package main\n\nfunc extra() {}\n' },
    { path: 'host.c', content: C_DLOPEN_HOST },
    { path: 'helper.c', content: 'int helper(void) { return 1; }\n' },
    { path: 'Dockerfile', content: 'FROM alpine:3.9\n' },
    { path: 'go.sum', content: '' },
  ];
  const r = parseDirectoryReport(files);
  t.same(
    r.goFiles.map((f) => f.path),
    ['greet.go', 'extra.go'],
    '.go files by file name, sorted by path; no _test.go',
  );
  t.equal(r.goFiles[0]!.content, HELLO_GO, 'content verbatim');
  t.equal(r.cHost?.path, 'host.c');
  t.equal(r.cHost?.content, C_DLOPEN_HOST);
  t.equal(r.pythonHost, undefined);
  t.equal(r.output, 'libgreet.so', 'the build line of the README');
  t.same(r.reportedErrors, [
    'dlopen: Error relocating ./libgreet.so: free: initial-exec TLS resolves to dynamic definition in ./libgreet.so',
  ]);
  t.same(r.ignored, ['Dockerfile', 'go.sum', 'greet_test.go', 'helper.c'], 'everything else, by path (a C file without main is no host)');

  t.test('a Python host, and notes in .txt', async (t) => {
    const r = parseDirectoryReport([
      { path: 'src/test.py', content: PY_HOST('/usr/src/app/cc.so') },
      { path: 'main.go', content: HELLO_GO },
      { path: 'notes.txt', content: `go build -o cc.so -buildmode=c-shared main.go\n\n${ALPINE_ERROR}\n` },
      { path: 'z.py', content: 'print("second")\n' },
    ]);
    t.equal(r.pythonHost?.path, 'host.py', 'renamed to host.py');
    t.equal(r.pythonHost?.content, PY_HOST('/usr/src/app/cc.so'), 'the first .py by path');
    t.equal(r.output, 'cc.so');
    t.same(r.reportedErrors, [ALPINE_ERROR]);
    t.same(r.ignored, []);
  });

  t.test('the input is not reordered', async (t) => {
    const input: ReportFile[] = [
      { path: 'b.go', content: HELLO_GO },
      { path: 'a.go', content: HELLO_GO },
    ];
    t.same(
      parseDirectoryReport(input).goFiles.map((f) => f.path),
      ['a.go', 'b.go'],
    );
    t.same(
      input.map((f) => f.path),
      ['b.go', 'a.go'],
    );
  });

  t.test('no Go files: reportToCase says so', async (t) => {
    const r = parseDirectoryReport([{ path: 'host.c', content: C_LINK_HOST }]);
    t.same(r.goFiles, []);
    t.throws(() => reportToCase('repro-x', r), { message: /no Go source/ });
  });
});

t.test(
  "a reproduced report that builds cc.so: its build, a failure's summary, the probes and the host name cc.so, never libcc.so",
  async (t) => {
    const g = reportToCase('repro-alpine-python', parseMarkdownReport(ALPINE_MD));
    const c: CaseSpec = {
      ...g.caseFile,
      name: g.name,
      dir: '/report',
      libraryHashes: { cc: 'a'.repeat(64) },
      goTargets: { cc: ['main.go'] },
      sourceHash: 'b'.repeat(64),
    };
    const go = { version: '1.27' } as GoToolchain;
    const p = PLATFORMS.find((x) => x.name === 'amd64-musl')!;
    const inputs = { imageId: `sha256:${'c'.repeat(64)}`, programsHash: 'd'.repeat(64) };
    const [build] = planSteps(expandMatrix([c], [p], [go])[0]!, c, inputs);
    t.equal(build!.what, 'cc.so');
    t.match(build!.target, /\/cc\.so$/);
    const failed = outcomeOf({ buildFailure: { stage: 'build', what: build!.what, log: 'main.go:3: syntax error' } }, undefined);
    t.equal(failed.summary, 'go build cc.so failed', 'the failure summary');
    t.match(failed.failureText, /^go build of cc\.so failed\n/);
    const probes = probeCases(c, { dlopen: [], link: [] });
    const linkProbe = probes.find((x) => x.probe === 'link');
    const dlopenProbe = probes.find((x) => x.probe === 'dlopen');
    t.equal(
      planSteps(expandMatrix([linkProbe!], [p], [go])[0]!, linkProbe!, inputs)[0]!.what,
      'cc.so',
      'a probe shares the build, under its name',
    );
    t.ok(hostCompileCmd(linkProbe!, p, go.version).includes('-l:cc.so'), 'the link probe links the file by name');
    t.notOk(hostCompileCmd(linkProbe!, p, go.version).some((a) => a.includes('libcc')));
    t.ok(
      hostEnv(dlopenProbe!, p, go.version, 1000).some((e) => /^CSM_LIB_CC=\S+\/cc\.so$/.test(e)),
      'the dlopen probe is handed cc.so',
    );
  },
);

t.test('reportToCase', async (t) => {
  t.test('the Alpine fixture', async (t) => {
    const g = reportToCase('repro-alpine-python', parseMarkdownReport(ALPINE_MD));
    t.equal(g.name, 'repro-alpine-python');
    t.equal(g.libName, 'cc');
    t.equal(g.output, 'cc.so');
    t.same(g.caseFile.libraries, [{ name: 'cc', dir: 'go', output: 'cc.so' }]);
    t.same(g.caseFile.host, { python: 'host.py' });
    t.same(g.caseFile.run, { cwd: 'cc', timeout: 30 });
    t.equal(g.caseFile.expect, undefined, 'no expectations: the question is what happens');
    t.match(g.caseFile.description, ALPINE_ERROR, 'the description quotes the reported error');
    t.same(
      g.files.map((f) => f.path),
      ['go/main.go', 'host.py'],
    );
    t.match(g.files[1]!.content, /LoadLibrary\('\.\/cc\.so'\)/);
    assertValidCase(t, g);
  });

  t.test('library names from the output', async (t) => {
    for (const [output, libName] of [
      ['cc.so', 'cc'],
      ['libfoo.so', 'foo'],
      ['libFoo-bar.so.1', 'foo_bar'],
      ['libgreet.so.1.2', 'greet'],
      ['My.Lib.so', 'my_lib'],
      ['123.so', 'report'],
      ['_x9.so', 'x9'],
      [`lib${'a'.repeat(40)}.so`, 'a'.repeat(32)],
    ] as const) {
      const g = reportToCase('repro-names', parsed({ output }));
      t.equal(g.libName, libName, `${output} → ${libName}`);
      t.match(g.libName, /^[a-z][a-z0-9_]{0,31}$/, `${output}: a valid libName`);
      t.equal(g.output, output, `${output}: output kept`);
      t.equal(g.caseFile.libraries[0]!.output, output);
      t.equal(g.caseFile.run?.cwd, libName, `${output}: the host runs in the library's directory`);
      assertValidCase(t, g);
    }
    const none = reportToCase('repro-default', parsed());
    t.equal(none.output, 'libreport.so', 'no build line: libreport.so');
    t.equal(none.libName, 'report');
    assertValidCase(t, none);
  });

  t.test("the Python host's library path becomes the built library beside it", async (t) => {
    for (const path of ['./cc.so', '/usr/src/app/cc.so', 'cc.so', '../build/cc.so']) {
      const g = reportToCase('repro-py', parsed({ output: 'cc.so', pythonHost: { path: 'host.py', content: PY_HOST(path) } }));
      t.equal(g.files.find((f) => f.path === 'host.py')?.content, PY_HOST('./cc.so'), `'${path}' → './cc.so'`);
      assertValidCase(t, g);
    }
    const dq = reportToCase(
      'repro-py',
      parsed({ output: 'cc.so', pythonHost: { path: 'host.py', content: 'import ctypes\nlib = ctypes.CDLL("/opt/cc.so")\n' } }),
    );
    t.equal(dq.files[1]!.content, 'import ctypes\nlib = ctypes.CDLL("./cc.so")\n', 'double quotes too');
    for (const other of ['/usr/lib/libother.so', './libcc.so', 'cc.so.6', '/lib/libc.so']) {
      const content = `import ctypes\nother = ctypes.CDLL('${other}')\nlib = ctypes.CDLL('/usr/src/app/cc.so')\n`;
      const g = reportToCase('repro-py', parsed({ output: 'cc.so', pythonHost: { path: 'host.py', content } }));
      t.equal(
        g.files[1]!.content,
        `import ctypes\nother = ctypes.CDLL('${other}')\nlib = ctypes.CDLL('./cc.so')\n`,
        `'${other}' is another library's path: unchanged`,
      );
    }
  });

  t.test('a C host: dlopen or link', async (t) => {
    const dl = reportToCase('repro-c', parsed({ output: 'libgreet.so', cHost: { path: 'host.c', content: C_DLOPEN_HOST } }));
    t.same(dl.caseFile.host, { sources: ['host.c'], dlopen: ['greet'] });
    t.same(
      dl.files.map((f) => f.path),
      ['go/main.go', 'host.c'],
    );
    t.equal(dl.files[1]!.content, C_DLOPEN_HOST, 'the C host as written');
    t.same(dl.caseFile.run, { cwd: 'greet', timeout: 30 });
    assertValidCase(t, dl);
    const ln = reportToCase('repro-c', parsed({ output: 'libgreet.so', cHost: { path: 'host.c', content: C_LINK_HOST } }));
    t.same(ln.caseFile.host, { sources: ['host.c'], link: ['greet'] });
    assertValidCase(t, ln);
  });

  t.test('Python wins over C when a report has both', async (t) => {
    const g = reportToCase(
      'repro-both',
      parsed({
        output: 'cc.so',
        pythonHost: { path: 'host.py', content: PY_HOST('./cc.so') },
        cHost: { path: 'host.c', content: C_LINK_HOST },
      }),
    );
    t.same(g.caseFile.host, { python: 'host.py' });
    t.same(
      g.files.map((f) => f.path),
      ['go/main.go', 'host.py'],
    );
    assertValidCase(t, g);
  });

  t.test('no host: no host field (probes only)', async (t) => {
    const g = reportToCase('repro-none', parsed({ output: 'libfoo.so', reportedErrors: [GO_NIL] }));
    t.notOk('host' in g.caseFile, 'no host key at all');
    t.same(
      g.files.map((f) => f.path),
      ['go/main.go'],
    );
    t.equal(g.caseFile.description, `Reproduction of a bug report: ${GO_NIL}`);
    assertValidCase(t, g);
  });

  t.test('several Go files land in one library directory', async (t) => {
    const r = parseMarkdownReport(
      md(fence('go', `//lib.go\n${HELLO_GO}`), fence('go', 'package main\n'), fence('sh', 'go build -o libx.so -buildmode=c-shared .')),
    );
    const g = reportToCase('repro-multi', r);
    t.same(
      g.files.map((f) => f.path),
      ['go/lib.go', 'go/main.go'],
    );
    t.same(g.caseFile.libraries, [{ name: 'x', dir: 'go', output: 'libx.so' }]);
    assertValidCase(t, g);
  });

  t.test('description: the first error, or a note, at most 500 characters', async (t) => {
    t.equal(reportToCase('r', parsed()).caseFile.description, 'Reproduction of a bug report: no error text given');
    const long = reportToCase('r', parsed({ reportedErrors: [`fatal error: ${'x'.repeat(600)}`] }));
    t.equal(long.caseFile.description.length, 500);
    assertValidCase(t, long);
  });

  t.test('a report with no Go throws a clear message', async (t) => {
    const r = parseMarkdownReport(md('# It crashes', '', fence('python', PY_HOST('./cc.so')), ALPINE_ERROR));
    t.same(r.goFiles, []);
    t.throws(() => reportToCase('repro-nogo', r), new Error('the report has no Go source (a fenced ```go block, or .go files)'));
  });

  t.test('the Markdown variants all give valid cases', async (t) => {
    const variants: Record<string, string> = {
      untagged: md(fence('', HELLO_GO), fence('sh', 'go build -o cc.so -buildmode=c-shared')),
      cDlopen: md(
        fence('go', HELLO_GO),
        fence('c', C_DLOPEN_HOST),
        fence(
          'console',
          '$ go build -buildmode=c-shared -o libgreet.so\n$ ./host\ndlopen: Error relocating ./libgreet.so: free: initial-exec TLS resolves to dynamic definition in ./libgreet.so',
        ),
      ),
      cLink: md(fence('go', HELLO_GO), fence('', C_LINK_HOST)),
      twoGo: md(fence('go', HELLO_GO), fence('go', HELLO_GO), 'go build -o libFoo-bar.so.1 -buildmode=c-shared'),
      other: md(fence('go', HELLO_GO), fence('rust', 'fn main() {}'), `> ${GO_NIL}`),
    };
    for (const [name, text] of Object.entries(variants)) assertValidCase(t, reportToCase(`repro-${name}`, parseMarkdownReport(text)));
  });
});

t.test('errorSignature', async (t) => {
  t.equal(errorSignature(ALPINE_ERROR), IE_TLS, 'the Alpine line: the longest stretch between paths and colons');
  t.equal(errorSignature(GO_NIL), 'invalid memory address or nil pointer dereference');
  t.equal(
    errorSignature('[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f3c5e2a1b2c]'),
    'segmentation violation code=',
    'hex addresses cut the text',
  );
  t.equal(
    errorSignature('Error loading shared library /usr/lib/libgo.so.1.2: No such file or directory'),
    'Error loading shared library',
    'paths with versioned .so are cut out',
  );
  t.equal(errorSignature(QEMU_SEGV), 'uncaught target signal 11 (Segmentation fault) - core dumped');
  t.equal(errorSignature('oops: a: b'), undefined, 'nothing long enough');
  t.equal(errorSignature(''), undefined);
});

t.test('findReproduction', async (t) => {
  t.test('the Alpine report reproduces in the real musl output', async (t) => {
    const hit = findReproduction([ALPINE_ERROR], `exited with code 3\n${MUSL_LOAD_FAILED}\n\n`);
    t.ok(hit, 'reproduced');
    t.equal(hit!.signature, IE_TLS);
    t.equal(
      hit!.line,
      'Error relocating cc.so: free: initial-exec TLS resolves to dynamic definition in cc.so',
      'the loader message, with short paths',
    );
    t.notMatch(hit!.line, /\/work\//, 'no sandbox paths');
    t.notMatch(hit!.line, /csm-load-failed/);
  });

  t.test('glibc segfault text does not reproduce it', async (t) => {
    t.equal(findReproduction([ALPINE_ERROR], 'killed by signal 11 (SIGSEGV)\nSegmentation fault\n'), undefined);
    t.equal(findReproduction([ALPINE_ERROR], ''), undefined);
    t.equal(findReproduction([], MUSL_LOAD_FAILED), undefined, 'nothing reported: nothing reproduces');
  });

  t.test('a Go panic signature; hex addresses ignored', async (t) => {
    const reported = [GO_NIL, '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f3c5e2a1b2c]'];
    const actual = [
      'killed by signal 2 (SIGINT)',
      'panic: runtime error: invalid memory address or nil pointer dereference',
      '[signal SIGSEGV: segmentation violation code=0x2 addr=0x18 pc=0x4a5b6c]',
      'goroutine 1 [running]:',
    ].join('\n');
    t.same(findReproduction(reported, actual), { signature: 'invalid memory address or nil pointer dereference', line: GO_NIL });
    const onlyAddrs = findReproduction(
      ['[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f3c5e2a1b2c]'],
      '[signal SIGSEGV: segmentation violation code=0x2 addr=0x18 pc=0x4a5b6c]',
    );
    t.same(
      onlyAddrs,
      { signature: 'segmentation violation code=', line: '[signal SIGSEGV: segmentation violation code=0x2 addr=0x18 pc=0x4a5b6c]' },
      'other addresses, same failure',
    );
    t.equal(
      findReproduction([GO_NIL], 'panic: runtime error: index out of range [3] with length 2'),
      undefined,
      'another panic is not a reproduction',
    );
  });

  t.test('case-insensitive', async (t) => {
    const hit = findReproduction([ALPINE_ERROR], 'ERROR RELOCATING x.so: INITIAL-EXEC tls RESOLVES TO DYNAMIC DEFINITION');
    t.same(hit, { signature: IE_TLS, line: 'ERROR RELOCATING x.so: INITIAL-EXEC tls RESOLVES TO DYNAMIC DEFINITION' });
  });

  t.test('reported lines without a signature are skipped, the next one counts', async (t) => {
    const hit = findReproduction(['a: b', ALPINE_ERROR], MUSL_LOAD_FAILED);
    t.equal(hit?.signature, IE_TLS);
  });
});

t.test('shortenPaths', async (t) => {
  t.equal(
    shortenPaths(MUSL_LOAD_FAILED),
    'csm-load-failed cc.so: Error relocating cc.so: free: initial-exec TLS resolves to dynamic definition in cc.so',
  );
  t.equal(shortenPaths(QEMU_SEGV), QEMU_SEGV, 'nothing to shorten');
  t.equal(
    shortenPaths('cannot open /usr/lib/libfoo.so and /work/cases/x/host.c'),
    'cannot open /usr/lib/libfoo.so and host.c',
    'only sandbox paths',
  );
  t.equal(shortenPaths(''), '');
});

t.test('actualErrorLine', async (t) => {
  t.equal(actualErrorLine(undefined), '');
  t.equal(actualErrorLine(''), '');
  t.equal(actualErrorLine(`killed by signal 11 (SIGSEGV)\n\n${QEMU_SEGV}\n`), QEMU_SEGV, "qemu's line over the generic end");
  t.equal(actualErrorLine(QEMU_SEGV), QEMU_SEGV);
  t.equal(
    actualErrorLine(`exited with code 3\n${MUSL_LOAD_FAILED}\n`),
    'csm-load-failed cc.so: Error relocating cc.so: free: initial-exec TLS resolves to dynamic definition in cc.so',
    'the load failure, with short paths',
  );
  t.equal(actualErrorLine(`exited with code 2\n\n${GO_NIL}\n\ngoroutine 1 [running]:\n`), GO_NIL);
  t.equal(actualErrorLine('exited with code 1\n\n  some output  \n'), 'exited with code 1', 'else the first non-empty line');
  t.equal(actualErrorLine('\n\n  timed out after 30s\n'), 'timed out after 30s');
});
