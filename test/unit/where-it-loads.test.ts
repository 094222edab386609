import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import t from 'tap';
import { type ElfFacts, parseReadelf } from '../../harness/core/elf.js';
import { explainFailure } from '../../harness/core/explain-failure.js';
import { renderMarkdown, renderText } from '../../harness/core/render.js';
import { whereItLoads } from '../../harness/core/where-it-loads.js';
import { REPO_ROOT } from '../../harness/edge/case-files.js';
import { elfOfCell } from '../../harness/run/cell-facts.js';
import { cell, platform, runResults } from '../support/helpers.js';

// Real readelf output of go1.27.4 c-shared libraries and hosts built on trixie (test/fixtures/elf/README.md).
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'elf');
const facts = (name: string): ElfFacts => parseReadelf(readFileSync(join(FIXTURES, `${name}.txt`), 'utf8'));

const AMD64_LINE =
  'needs glibc ≥ 2.34 (pthread_attr_getstack, pthread_attr_getstacksize, pthread_create, pthread_key_create, pthread_setspecific from GLIBC_2.34): ' +
  'loads on Debian 12+, Ubuntu 22.04+, RHEL 9+, Amazon Linux 2023+; not on Debian 11, Ubuntu 20.04, RHEL 8, Amazon Linux 2';

t.test("a glibc cell's ELF facts carry each file's floor; a musl cell's do not", async (t) => {
  const amd64 = elfOfCell(
    { libs: new Map([['hello', facts('amd64-glibc-go-lib')]]), host: facts('amd64-glibc-host') },
    platform('amd64-glibc'),
  );
  const lib = amd64.libraries.hello?.glibcFloor;
  t.equal(lib?.glibc, '2.34');
  t.equal(lib?.line, `${AMD64_LINE}; manylinux_2_34_x86_64`);
  t.same(lib?.needs[1], { version: '2.32', symbols: ['pthread_getattr_np', 'pthread_sigmask'] });
  t.same(amd64.host?.glibcFloor?.needs[0], { version: '2.34', symbols: ['__libc_start_main'] });
  const arm7 = elfOfCell({ libs: new Map([['hello', facts('arm7-glibc-go-lib')]]) }, platform('arm7-glibc'));
  t.match(
    arm7.libraries.hello?.glibcFloor?.line,
    /^needs glibc ≥ 2\.34 \(__nanosleep64, pthread_attr_getstack, .*; manylinux_2_34_armv7l$/,
  );
  const musl = elfOfCell({ libs: new Map([['hello', facts('amd64-musl-go-lib')]]) }, platform('amd64-musl'));
  t.equal(musl.libraries.hello?.glibcFloor, undefined);
});

t.test('where it loads: one line per floor, in the terminal and in matrix.md', async (t) => {
  const elf = (name: string, row: string) => elfOfCell({ libs: new Map([['hello', facts(name)]]) }, platform(row));
  const cells = [
    cell('link', 'amd64-glibc', '1.27', { elf: elf('amd64-glibc-go-lib', 'amd64-glibc') }),
    cell('probe', 'amd64-glibc', '1.27', { elf: elf('amd64-glibc-go-lib', 'amd64-glibc') }),
    cell('probe+dlopen-probe', 'amd64-glibc', '1.27', { elf: elf('amd64-glibc-go-lib', 'amd64-glibc') }),
    cell('link+link-probe', 'amd64-glibc', '1.27', { elf: elf('amd64-glibc-go-lib', 'amd64-glibc') }),
    cell('link', 'arm7-glibc', '1.27', { elf: elf('arm7-glibc-go-lib', 'arm7-glibc') }),
    cell('link', 'amd64-musl', '1.27', { elf: elf('amd64-musl-go-lib', 'amd64-musl') }),
  ];
  const groups = whereItLoads(cells);
  t.same(
    groups.map((g) => [g.libraries, g.platforms]),
    [
      [['link/hello', 'probe/hello'], ['amd64-glibc']], // a probe's library is its case's: once
      [['link/hello'], ['arm7-glibc']],
    ],
  );
  t.equal(groups[0]?.line, `${AMD64_LINE}; manylinux_2_34`, 'without the row architecture');
  const text = renderText(runResults(cells), { width: 400 });
  t.match(
    text,
    `\nwhere it loads:\n  link/hello, probe/hello on amd64-glibc: ${AMD64_LINE}; manylinux_2_34\n  link/hello on arm7-glibc: needs glibc ≥ 2.34 (__nanosleep64,`,
  );
  const at120 = renderText(runResults(cells)).split('\n');
  const from = at120.indexOf('where it loads:');
  t.ok(
    at120.slice(from).every((l) => [...l].length <= 120),
    'at the default width each line wraps to fit',
  );
  t.equal(
    at120
      .slice(from + 1, at120.indexOf('', from))
      .map((l) => l.trim())
      .join(' '),
    `link/hello, probe/hello on amd64-glibc: ${AMD64_LINE}; manylinux_2_34 link/hello on arm7-glibc: ${groups[1]?.line}`,
    'and says the same words',
  );
  const md = renderMarkdown(runResults(cells));
  t.match(
    md,
    '\nWhere it loads (glibc floor, or what musl lacks, of each Go library):\n\n- link/hello, probe/hello on amd64-glibc: needs glibc ≥ 2.34 (pthread\\_attr\\_getstack,',
  );
  t.notMatch(renderText(runResults([cells[5]!])), 'where it loads', 'musl only: no floor lines');
  const Ajv = AjvModule.default ?? AjvModule;
  const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'harness', 'results.schema.json'), 'utf8')));
  t.ok(validate(JSON.parse(JSON.stringify(runResults(cells)))), 'results.json with the floors validates against the schema');
});

t.test("the loader's `GLIBC_x.y' not found: which file needs it, and its floor line", async (t) => {
  const base = {
    libc: 'glibc' as const,
    stage: 'load',
    cpu: 'native',
    library: facts('amd64-glibc-go-lib'),
    host: facts('amd64-glibc-host'),
  };
  const text = "./host: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by ./host)\n";
  t.equal(
    explainFailure({ ...base, failureText: text }),
    `library and host need GLIBC_2.34, which this glibc does not have; library ${AMD64_LINE}; manylinux_2_34`,
  );
  t.equal(
    explainFailure({ ...base, failureText: "version `GLIBC_2.32' not found (required by ./libhello.so)" }),
    `library needs GLIBC_2.32, which this glibc does not have; library ${AMD64_LINE}; manylinux_2_34`,
  );
  t.equal(
    explainFailure({ ...base, library: undefined, host: undefined, failureText: text }),
    'a file needs GLIBC_2.34, which this glibc does not have',
  );
  t.equal(explainFailure({ ...base, libc: 'musl', failureText: text }), undefined, 'glibc only');
  t.equal(explainFailure({ ...base, stage: 'build', failureText: text }), undefined, 'a loader message, not a build one');
});
