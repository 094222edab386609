import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import t from 'tap';
import { type ElfFacts, parseReadelf } from '../../harness/core/elf.js';
import { type MuslLibc, muslFit, muslLibcPath } from '../../harness/core/musl-libc.js';
import { renderMarkdown, renderText } from '../../harness/core/render.js';
import { whereItLoads } from '../../harness/core/where-it-loads.js';
import { REPO_ROOT } from '../../harness/edge/case-files.js';
import { elfOfCell } from '../../harness/run/cell-facts.js';
import { cell, platform, runResults } from '../support/helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'elf');
const facts = (name: string): ElfFacts => parseReadelf(readFileSync(join(FIXTURES, `${name}.txt`), 'utf8'));
// What Debian's amd64 musl libc.so defines, as core/elf-versions.ts reads it (test/fixtures/elf/README.md).
const musl = (version: string): MuslLibc => ({
  name: `musl ${version}`,
  defines: new Set(
    readFileSync(join(FIXTURES, 'musl', `x86_64-musl-${version}.defines.txt`), 'utf8')
      .trim()
      .split('\n'),
  ),
});
const MUSL_125 = musl('1.2.5');
const MUSL_122 = musl('1.2.2');

t.test("a real musl libc.so's defined symbols: 1.2.5 added qsort_r, statx…, dropped the LFS64 names", async (t) => {
  t.equal(MUSL_125.defines.size, 1653);
  t.equal(MUSL_122.defines.size, 1702);
  for (const s of ['malloc', 'pthread_create', 'dlopen', '__errno_location', 'environ', '__stack_chk_fail'])
    t.ok(MUSL_125.defines.has(s) && MUSL_122.defines.has(s), s);
  for (const s of ['qsort_r', 'statx', 'pthread_getname_np', 'renameat2']) t.ok(MUSL_125.defines.has(s) && !MUSL_122.defines.has(s), s);
  t.ok(MUSL_122.defines.has('fopen64') && !MUSL_125.defines.has('fopen64'), 'fopen64: in 1.2.2 only');
});

t.test(
  "a Go library built on trixie's musl needs nothing musl 1.2.2 or 1.2.5 lacks; its host's calls into it are not musl's",
  async (t) => {
    const lib = facts('amd64-musl-go-lib');
    const provided = new Set(lib.exports);
    t.same(muslFit(lib.imports, MUSL_125, provided), { muslMissing: [], muslLine: 'musl 1.2.5 defines every symbol it needs' });
    t.same(muslFit(lib.imports, MUSL_122, provided).muslMissing, []);
    t.same(muslFit(facts('amd64-musl-host').imports, MUSL_122, provided).muslMissing, []);
    t.same(
      muslFit(facts('amd64-musl-host').imports, MUSL_122, new Set()).muslMissing,
      ['Add', 'Hello'],
      'without the library, its exports would be missing',
    );
  },
);

t.test('what the older musl lacks, strong symbols only, in one line', async (t) => {
  const imports = [{ name: 'qsort_r' }, { name: 'statx' }, { name: 'malloc' }, { name: 'pthread_getname_np', weak: true }];
  t.same(muslFit(imports, MUSL_122, new Set()), {
    muslMissing: ['qsort_r', 'statx'],
    muslLine: 'musl 1.2.2 does not define 2 symbols it needs: qsort_r, statx',
  });
  t.same(muslFit(imports, MUSL_125, new Set()).muslMissing, []);
});

t.test("where a row's musl libc.so is: the host's loader, else the row's, under an older userland's directory", async (t) => {
  t.equal(muslLibcPath(platform('amd64-musl'), ''), '/lib/ld-musl-x86_64.so.1');
  t.equal(
    muslLibcPath(platform('arm7-musl'), '/opt/csm/userland/armhf-bullseye-musl'),
    '/opt/csm/userland/armhf-bullseye-musl/lib/ld-musl-armhf.so.1',
  );
  t.equal(muslLibcPath(platform('arm5-musl'), ''), '/lib/ld-musl-arm.so.1');
  t.equal(muslLibcPath(platform('arm64-musl'), '', '/lib/ld-musl-aarch64.so.1'), '/lib/ld-musl-aarch64.so.1');
  t.equal(
    muslLibcPath(platform('amd64-musl'), '', '/lib/ld-musl-../../etc/shadow'),
    '/lib/ld-musl-x86_64.so.1',
    "a host's odd PT_INTERP is not followed",
  );
});

t.test("a musl cell's facts carry what its musl lacks: results.json, the terminal, matrix.md", async (t) => {
  const elf = elfOfCell(
    { libs: new Map([['hello', facts('amd64-musl-go-lib')]]), host: facts('amd64-musl-host') },
    platform('amd64-musl'),
    MUSL_122,
  );
  t.same(elf.libraries.hello?.muslMissing, []);
  t.equal(elf.host?.muslLine, 'musl 1.2.2 defines every symbol it needs');
  t.equal(elf.libraries.hello?.glibcFloor, undefined);
  t.equal(
    elfOfCell({ libs: new Map([['hello', facts('amd64-musl-go-lib')]]) }, platform('amd64-musl')).libraries.hello?.muslLine,
    undefined,
    'unread libc: nothing said',
  );
  const cells = [cell('link', 'amd64-musl', '1.27', { elf })];
  t.same(whereItLoads(cells), [{ line: 'musl 1.2.2 defines every symbol it needs', libraries: ['link/hello'], platforms: ['amd64-musl'] }]);
  t.match(renderText(runResults(cells)), '\nwhere it loads:\n  link/hello on amd64-musl: musl 1.2.2 defines every symbol it needs');
  t.match(renderMarkdown(runResults(cells)), '- link/hello on amd64-musl: musl 1.2.2 defines every symbol it needs');
  const Ajv = AjvModule.default ?? AjvModule;
  const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'harness', 'results.schema.json'), 'utf8')));
  t.ok(validate(JSON.parse(JSON.stringify(runResults(cells)))), 'validates against the schema');
});
