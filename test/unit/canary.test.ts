import { execFileSync } from 'node:child_process';
import t from 'tap';
import {
  CANARY_MARK,
  CANARY_SCRIPT,
  canaryArgv,
  canarySource,
  laxLine,
  laxRows,
  outcomeOf,
  parseCanaries,
} from '../../harness/core/canary.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { Platform } from '../../harness/core/types.js';

const row = (name: string): Platform => PLATFORMS.find((p) => p.name === name)!;

t.test('canarySource: the asm text as one C string literal', async (t) => {
  t.equal(
    canarySource('.arch armv7-a\n\tmovw r0, #1'),
    'int main(void) {\n  __asm__ volatile(".arch armv7-a\\n\\tmovw r0, #1");\n  return 0;\n}\n',
  );
  t.match(canarySource('say "hi" \\'), /volatile\("say \\"hi\\" \\\\"\)/, 'quotes and backslashes escaped');
});

t.test("canaryArgv: the row's name, source, compiler and runner are arguments of a constant script", async (t) => {
  const p = row('arm64-musl');
  const argv = canaryArgv(p, '/h');
  const compile = ['aarch64-linux-musl-gcc', '-mno-outline-atomics', '-O0', '-o', '/h/canary', '/h/canary.c'];
  t.same(argv, [
    '/bin/sh',
    '-c',
    CANARY_SCRIPT,
    'csm-canary',
    'arm64-musl',
    canarySource(p.canary!.asm),
    '/h/canary',
    String(compile.length),
    ...compile,
    ...p.run,
  ]);
  execFileSync('sh', ['-n', '-c', CANARY_SCRIPT]);
  t.pass('the script parses');
});

t.test('the canary script runs: a stand-in compiler and runner report each outcome', async (t) => {
  // "cc" is sh copying the source ($4 of its words: -O0 -o bin bin.c); the runner is sh -c 'exit N', so no compiler is needed here.
  const copy = { cc: 'sh', cflags: ['-c', 'cp "$4" "$3"', 'sh'] };
  const rows: Platform[] = [132, 0, 139].map((rc, i) => ({
    ...row('arm5-glibc'),
    name: `r${i}`,
    ...copy,
    run: ['sh', '-c', `exit ${rc}`, 'sh'],
  }));
  const broken: Platform = { ...row('arm5-glibc'), name: 'r3', cc: 'false' };
  const got = new Map(
    [...rows, broken].map((p) => {
      const dir = t.testdir();
      const [sh, ...args] = canaryArgv(p, dir);
      return [p.name, parseCanaries(execFileSync(sh!, args, { encoding: 'utf8' }), [p]).get(p.name)!];
    }),
  );
  t.same(
    [...got].map(([n, r]) => [n, r.outcome, r.detail]),
    [
      ['r0', 'trapped', 'SIGILL'],
      ['r1', 'ran', 'exit 0: the instruction ran'],
      ['r2', 'other', 'signal 11'],
      ['r3', 'unbuilt', ''],
    ],
  );
  t.same(laxRows(got), ['r1', 'r2', 'r3'], 'anything but a trap is lax: the model is not known to be strict');
});

t.test('parseCanaries: a row the script never reported is unbuilt; a row without a canary says why', async (t) => {
  const nothing = parseCanaries('', [row('arm5-glibc')]);
  t.same(nothing.get('arm5-glibc'), {
    outcome: 'unbuilt',
    level: row('arm5-glibc').canary!.level,
    detail: 'the canary script did not report this row',
  });
  const none = parseCanaries('', [{ ...row('arm5-glibc'), canary: undefined, noCanary: 'no stricter model' } as Platform]);
  t.same(none.get('arm5-glibc'), { outcome: 'none', level: 'no stricter model', detail: '' });
  t.same(laxRows(none), [], 'a declared absence is not lax');
  const s390 = parseCanaries(`${CANARY_MARK} s390x-glibc built 132\n`, [row('s390x-glibc')]).get('s390x-glibc')!;
  t.equal(s390.outcome, 'trapped');
  t.match(s390.note, /z14 and z15/, "the row's note comes along");
  t.same(outcomeOf(132), { outcome: 'trapped', detail: 'SIGILL' });
  t.same(outcomeOf(1).outcome, 'other');
  t.match(
    laxLine('riscv64-glibc', { outcome: 'ran', level: 'RVA22U64 (Zbb)', detail: 'exit 0: the instruction ran' }),
    /^riscv64-glibc: its CPU model did not refuse RVA22U64 \(Zbb\) \(exit 0: the instruction ran\): this row may hide bugs/,
  );
});
