import t from 'tap';
import { execFileSync } from 'node:child_process';
import { CANARY_MARK, canaryScript, canarySource, laxLine, laxRows, outcomeOf, parseCanaries } from '../../harness/core/canary.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { Platform } from '../../harness/core/types.js';

const row = (name: string): Platform => PLATFORMS.find((p) => p.name === name)!;

t.test('canarySource: the asm text as one C string literal', async (t) => {
  t.equal(canarySource('.arch armv7-a\n\tmovw r0, #1'), 'int main(void) {\n  __asm__ volatile(".arch armv7-a\\n\\tmovw r0, #1");\n  return 0;\n}\n');
  t.match(canarySource('say "hi" \\'), /volatile\("say \\"hi\\" \\\\"\)/, 'quotes and backslashes escaped');
});

t.test('canaryScript: every emulated row with a canary, in streams; asm never shell text', async (t) => {
  const rows = [row('amd64-glibc'), row('arm5-glibc'), row('arm64-musl'), { ...row('arm7-glibc'), name: "evil'$(x)", canary: { level: 'x', asm: "'; rm -rf / #" } }];
  const s = canaryScript(rows, '/v/canary', 2);
  t.notMatch(s, /amd64-glibc/, 'a native row has none');
  t.match(s, /'arm-linux-gnueabi-gcc' -O0 -o "\$d\/c0" "\$d\/c0"\.c/);
  t.match(s, /'aarch64-linux-musl-gcc' '-mno-outline-atomics' -O0/, "the row's C flags");
  t.match(s, /'qemu-arm' '-cpu' 'arm926' '-L' '\/usr\/arm-linux-gnueabi' "\$d\/c0"/, "the row's runner");
  t.notMatch(s, /rm -rf \//, 'the asm travels as base64');
  t.equal((s.match(/\) &$/gm) ?? []).length, 2, 'two streams');
  execFileSync('sh', ['-n', '-c', s]);
  t.pass('the script parses');
});

t.test('canaryScript runs: a stand-in compiler and runner report each outcome', async (t) => {
  // "cc" copies the source; the runner is sh -c 'exit N' with N by row, so no compiler is needed here.
  const rows: Platform[] = [132, 0, 139].map((rc, i) => ({
    ...row('arm5-glibc'), name: `r${i}`, cc: 'cp', run: ['sh', '-c', `exit ${rc}`, 'sh'],
  }));
  const broken: Platform = { ...row('arm5-glibc'), name: 'r3', cc: 'false' };
  const dir = t.testdir();
  const s = canaryScript([...rows, broken], dir, 2).replace(/ -O0 -o ("\$d\/c\d") ("\$d\/c\d"\.c)/g, ' $2 $1');
  const out = execFileSync('sh', ['-c', s], { encoding: 'utf8' });
  const got = parseCanaries(out, [...rows, broken]);
  t.same([...got].map(([n, r]) => [n, r.outcome, r.detail]), [
    ['r0', 'trapped', 'SIGILL'],
    ['r1', 'ran', 'exit 0: the instruction ran'],
    ['r2', 'other', 'signal 11'],
    ['r3', 'unbuilt', ''],
  ]);
  t.same(laxRows(got), ['r1', 'r2', 'r3'], 'anything but a trap is lax: the model is not known to be strict');
});

t.test('parseCanaries: a row the script never reported is unbuilt; a row without a canary says why', async (t) => {
  const nothing = parseCanaries('', [row('arm5-glibc')]);
  t.same(nothing.get('arm5-glibc'), { outcome: 'unbuilt', level: row('arm5-glibc').canary!.level, detail: 'the canary script did not report this row' });
  const none = parseCanaries('', [{ ...row('arm5-glibc'), canary: undefined, noCanary: 'no stricter model' } as Platform]);
  t.same(none.get('arm5-glibc'), { outcome: 'none', level: 'no stricter model', detail: '' });
  t.same(laxRows(none), [], 'a declared absence is not lax');
  const s390 = parseCanaries(`${CANARY_MARK} s390x-glibc built 132\n`, [row('s390x-glibc')]).get('s390x-glibc')!;
  t.equal(s390.outcome, 'trapped');
  t.match(s390.note, /z14 and z15/, "the row's note comes along");
  t.same(outcomeOf(132), { outcome: 'trapped', detail: 'SIGILL' });
  t.same(outcomeOf(1).outcome, 'other');
  t.match(laxLine('riscv64-glibc', { outcome: 'ran', level: 'RVA22U64 (Zbb)', detail: 'exit 0: the instruction ran' }), /^riscv64-glibc: its CPU model did not refuse RVA22U64 \(Zbb\) \(exit 0: the instruction ran\): this row may hide bugs/);
});
