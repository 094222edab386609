import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type ElfFacts, parseReadelf } from '../../harness/core/elf.js';
import { explainFailure, FAILURE_RULES, type FailureInput } from '../../harness/core/explain-failure.js';

// Real readelf output; see test/fixtures/elf/README.md for how each was made.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'elf');
const facts = (name: string): ElfFacts => parseReadelf(readFileSync(join(FIXTURES, `${name}.txt`), 'utf8'));

t.test('explainFailure', async (t) => {
  // Failure texts as classify.ts builds them (describeEnd, stderr, stdout), with what the fixtures' binaries printed.
  const SEGV_QEMU = 'killed by signal 11 (SIGSEGV)\nqemu: uncaught target signal 11 (Segmentation fault) - core dumped\n\n';
  const SEGV_NATIVE = 'killed by signal 11 (SIGSEGV)\n\n';
  const SIGILL = 'killed by signal 4 (SIGILL)\nqemu: uncaught target signal 4 (Illegal instruction) - core dumped\n\n';
  const MUSL_IE =
    'exited with code 1\ncsm-load-failed Error relocating ./libx.so: free: initial-exec TLS resolves to dynamic definition in ./libx.so\n\n';
  const GLIBC_SURPLUS = 'exited with code 1\ncsm-load-failed ./libbigie.so: cannot allocate memory in static TLS block\n\n';
  const NO_INTERP = "exited with code 255\nqemu-arm: Could not open '/lib/ld-linux-armhf.so.3': No such file or directory\n\n";
  const base = (over: Partial<FailureInput>): FailureInput => ({ libc: 'glibc', stage: 'load', failureText: '', cpu: 'native', ...over });

  t.test('musl dlopen of initial-exec TLS', async (t) => {
    const x = base({ libc: 'musl', failureText: MUSL_IE, library: facts('amd64-musl-go-lib') });
    t.equal(explainFailure(x), "library uses initial-exec TLS (DF_STATIC_TLS, 1 IE relocation); musl's dlopen cannot place it");
    t.equal(
      explainFailure({ ...x, cpu: 'cortex-a7', library: facts('arm7-musl-go-lib') }),
      "library uses initial-exec TLS (DF_STATIC_TLS, 1 IE relocation); musl's dlopen cannot place it",
    );
    t.equal(explainFailure({ ...x, library: undefined }), "library uses initial-exec TLS; musl's dlopen cannot place it");
    t.equal(explainFailure({ ...x, libc: 'glibc' }), undefined, 'musl only');
    t.equal(explainFailure({ ...x, stage: 'run' }), undefined, 'load only');
  });

  t.test('musl host linked against a Go library: SIGSEGV in init', async (t) => {
    const want =
      "host linked against a Go library on musl: musl calls ELF init functions without argc/argv, which Go's runtime init reads (SIGSEGV)";
    const x = base({
      libc: 'musl',
      failureText: SEGV_QEMU,
      cpu: 'cortex-a7',
      goarm: '7',
      library: facts('arm7-musl-go-lib'),
      host: facts('arm7-musl-host'),
    });
    t.equal(explainFailure(x), want);
    t.equal(
      explainFailure(base({ libc: 'musl', failureText: SEGV_NATIVE, library: facts('amd64-musl-go-lib'), host: facts('amd64-musl-host') })),
      want,
    );
    t.equal(explainFailure({ ...x, cpu: 'arm926', goarm: '5', library: facts('arm5-musl-go-lib'), host: facts('arm5-musl-host') }), want);
    t.equal(explainFailure({ ...x, library: undefined, host: undefined }), want, 'without facts, the text and libc decide');
    t.equal(explainFailure({ ...x, library: facts('arm7-musl-gd-lib') }), undefined, 'not a Go library');
    t.equal(
      explainFailure({ ...x, host: { ...facts('arm7-musl-host'), needed: ['libc.so'] } }),
      undefined,
      'a dlopen host links no library',
    );
    t.equal(explainFailure({ ...x, libc: 'glibc' }), undefined, 'musl only');
  });

  t.test('ARM architecture newer than the CPU model', async (t) => {
    const x = base({ failureText: SIGILL, cpu: 'arm926', goarm: '7', library: facts('arm7-glibc-go-lib'), host: facts('arm7-glibc-host') });
    t.equal(explainFailure(x), 'library built for ARM v7 (Tag_CPU_arch v7, GOARM=7) run on a v5 CPU model (arm926): illegal instruction');
    t.equal(
      explainFailure({ ...x, stage: 'run' }),
      'library built for ARM v7 (Tag_CPU_arch v7, GOARM=7) run on a v5 CPU model (arm926): illegal instruction',
    );
    t.equal(
      explainFailure({ ...x, library: facts('arm5-glibc-go-lib') }),
      'library built for ARM v7 (GOARM=7) run on a v5 CPU model (arm926): illegal instruction',
      'GOARM leaves no attribute: an armel-linked GOARM=7 library says v5TE',
    );
    t.equal(
      explainFailure({ ...x, goarm: undefined, library: undefined }),
      'host built for ARM v7 (Tag_CPU_arch v7) run on a v5 CPU model (arm926): illegal instruction',
    );
    t.equal(
      explainFailure({ ...x, goarm: '5', library: facts('arm5-glibc-go-lib'), host: facts('arm5-glibc-host') }),
      undefined,
      'v5 on v5',
    );
    t.equal(explainFailure({ ...x, cpu: 'cortex-a7' }), undefined, 'v7 on v7');
    t.equal(explainFailure({ ...x, cpu: 'native' }), undefined, 'unknown CPU level');
    t.equal(explainFailure({ ...x, failureText: SEGV_QEMU }), undefined, 'not SIGILL');
  });

  t.test('glibc static TLS surplus', async (t) => {
    const x = base({ failureText: GLIBC_SURPLUS, library: facts('amd64-glibc-ie-lib') });
    t.equal(
      explainFailure(x),
      "glibc's static TLS surplus is exhausted: the library needs 1048576 bytes of initial-exec TLS (PT_TLS memsz)",
    );
    t.equal(
      explainFailure({ ...x, library: undefined }),
      "glibc's static TLS surplus is exhausted: the library's initial-exec TLS does not fit",
    );
    t.equal(explainFailure({ ...x, libc: 'musl' }), undefined, 'glibc only');
  });

  t.test("the host's interpreter is missing", async (t) => {
    const x = base({
      failureText: NO_INTERP,
      cpu: 'cortex-a7',
      goarm: '7',
      host: facts('arm7-glibc-host'),
      library: facts('arm7-glibc-go-lib'),
    });
    t.equal(explainFailure(x), "the host's interpreter /lib/ld-linux-armhf.so.3 is not installed where it runs");
    t.equal(explainFailure({ ...x, host: facts('arm7-musl-host') }), undefined, 'another interpreter');
    t.equal(explainFailure({ ...x, host: undefined }), undefined, 'needs the host facts');
  });

  t.test('nothing applies', async (t) => {
    const lib = facts('amd64-glibc-go-lib');
    t.equal(
      explainFailure(base({ stage: 'checks', failureText: 'not ok 1 - Add(2,3) == 5\nexited with code 1\n', library: lib })),
      undefined,
    );
    t.equal(
      explainFailure(base({ stage: 'run', failureText: SEGV_NATIVE, library: lib, host: facts('amd64-glibc-host') })),
      undefined,
      'SIGSEGV on glibc',
    );
    t.equal(
      explainFailure(base({ stage: 'build', libc: 'musl', failureText: `go build of x failed\n${MUSL_IE}` })),
      undefined,
      'build stage',
    );
    t.equal(explainFailure(base({ failureText: '' })), undefined);
  });

  t.test('rule table', async (t) => {
    const ids = FAILURE_RULES.map((r) => r.id);
    t.strictSame(ids, [
      'glibc-version-not-found',
      'missing-interpreter',
      'musl-initial-exec-tls',
      'glibc-static-tls-surplus',
      'arm-arch-mismatch',
      'musl-go-init-args',
    ]);
    t.equal(new Set(ids).size, ids.length, 'ids are unique');
  });
});
