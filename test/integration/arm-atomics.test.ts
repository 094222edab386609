// Why the arm5-musl/arm6-musl CPython did not start, and what it links now
// (images/cpython/atomic64.c, the layer's `libatomic` in core/host-langs.ts),
// shown on a small program rather than a CPython build: every 8-byte
// __atomic_* function ARMv5 has to call, linked against musl by the armel
// rows' compiler, in a container of the base (no network, no capabilities, as
// nobody) and run under the rows' own qemu-arm CPU models.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { langSupport } from '../../harness/core/host-langs.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { currentBaseTag, IMAGES_DIR } from '../../harness/edge/images.js';
import { leftovers, ownerLabels } from '../../harness/edge/sandbox.js';

const t0 = Date.now();
const docker = await ensureEngine((l) => t.comment(l));
const runId = `arm-atomics-${randomBytes(4).toString('hex')}`;
const rows = PLATFORMS.filter((p) => p.name === 'arm5-musl' || p.name === 'arm6-musl');

// Each function once, on values whose high and low words both change: a torn 64-bit access would show.
const PROGRAM = `#include <stdint.h>
#include <stdio.h>
static volatile int64_t v;
#define SHOW(name, expr) do { unsigned long long r = (expr); printf("%s %llx %llx\\n", name, r, (unsigned long long)v); } while (0)
int main(void) {
  int64_t e = 0x100000000;
  v = 0x100000000;
  SHOW("load", __atomic_load_n(&v, __ATOMIC_SEQ_CST));
  __atomic_store_n(&v, 0x2ffffffff, __ATOMIC_SEQ_CST); SHOW("store", 0);
  SHOW("exchange", __atomic_exchange_n(&v, 0x300000001, __ATOMIC_SEQ_CST));
  SHOW("cas-miss", __atomic_compare_exchange_n(&v, &e, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)); SHOW("cas-seen", e);
  SHOW("cas-hit", __atomic_compare_exchange_n(&v, &e, 0xffffffff, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  SHOW("fetch_add", __atomic_fetch_add(&v, 1, __ATOMIC_SEQ_CST)); SHOW("add_fetch", __atomic_add_fetch(&v, 1, __ATOMIC_SEQ_CST));
  SHOW("fetch_sub", __atomic_fetch_sub(&v, 2, __ATOMIC_SEQ_CST)); SHOW("sub_fetch", __atomic_sub_fetch(&v, 1, __ATOMIC_SEQ_CST));
  SHOW("fetch_or", __atomic_fetch_or(&v, 0x500000000, __ATOMIC_SEQ_CST)); SHOW("or_fetch", __atomic_or_fetch(&v, 1, __ATOMIC_SEQ_CST));
  SHOW("fetch_and", __atomic_fetch_and(&v, 0x4ffffffff, __ATOMIC_SEQ_CST)); SHOW("and_fetch", __atomic_and_fetch(&v, 0x4fffffff0, __ATOMIC_SEQ_CST));
  SHOW("fetch_xor", __atomic_fetch_xor(&v, 0x1000000ff, __ATOMIC_SEQ_CST)); SHOW("xor_fetch", __atomic_xor_fetch(&v, 0xf, __ATOMIC_SEQ_CST));
  SHOW("fetch_nand", __atomic_fetch_nand(&v, 0x5000000ff, __ATOMIC_SEQ_CST)); SHOW("nand_fetch", __atomic_nand_fetch(&v, -1, __ATOMIC_SEQ_CST));
  return 0;
}
`;

// What PROGRAM prints built natively by amd64's gcc (its own 64-bit atomic instructions).
const EXPECTED = [
  'load 100000000 100000000',
  'store 0 2ffffffff',
  'exchange 2ffffffff 300000001',
  'cas-miss 0 300000001',
  'cas-seen 300000001 300000001',
  'cas-hit 1 ffffffff',
  'fetch_add ffffffff 100000000',
  'add_fetch 100000001 100000001',
  'fetch_sub 100000001 ffffffff',
  'sub_fetch fffffffe fffffffe',
  'fetch_or fffffffe 5fffffffe',
  'or_fetch 5ffffffff 5ffffffff',
  'fetch_and 5ffffffff 4ffffffff',
  'and_fetch 4fffffff0 4fffffff0',
  'fetch_xor 4fffffff0 5ffffff0f',
  'xor_fetch 5ffffff00 5ffffff00',
  'fetch_nand 5ffffff00 fffffffaffffffff',
  'nand_fetch 500000000 500000000',
];

// Argument words only; the sources come in the environment. `libatomic` links gcc's archive, `shim` atomic64.c.
const SCRIPT = `set -eu
cd "$(mktemp -d)"
printf '%s' "$CSM_PROGRAM" > t.c; printf '%s' "$CSM_SHIM" > atomic64.c
cc=$1; shift
$cc -O2 -c atomic64.c
$cc -O1 -o with-libatomic t.c "$($cc -print-file-name=libatomic.a)"
$cc -O1 -o with-shim t.c atomic64.o
for f in with-libatomic with-shim; do
  echo "$f IRELATIVE $(arm-linux-gnueabi-readelf -rW $f | grep -c R_ARM_IRELATIVE || true)"
  for cpu; do echo "== $f $cpu"; qemu-arm -cpu "$cpu" ./$f 2>&1 || echo "exit $?"; done
done
`;

async function runInBase(args: string[]): Promise<string> {
  const c = await docker.createContainer({
    Image: currentBaseTag(),
    User: 'nobody',
    Cmd: ['/bin/sh', '-c', SCRIPT, 'csm-arm-atomics', ...args],
    Env: [`CSM_PROGRAM=${PROGRAM}`, `CSM_SHIM=${readFileSync(join(IMAGES_DIR, 'cpython', 'atomic64.c'), 'utf8')}`],
    Labels: ownerLabels(runId),
    HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  });
  try {
    const attached = await c.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    docker.modem.demuxStream(attached, out, out);
    const ended = new Promise((resolve) => attached.on('end', resolve));
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    await ended;
    const text = Buffer.concat(chunks).toString('utf8');
    if (StatusCode !== 0) throw new Error(`the script exited ${StatusCode}:\n${text}`);
    return text;
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** The lines `what` printed under `cpu`: between its "==" line and the next. */
const section = (text: string, what: string, cpu: string): string[] => {
  const lines = text.split('\n');
  const from = lines.indexOf(`== ${what} ${cpu}`);
  const to = lines.findIndex((l, i) => i > from && (l.startsWith('==') || / IRELATIVE /.test(l)));
  return lines.slice(from + 1, to < 0 ? undefined : to).filter((l) => l);
};

t.test(
  "armel's musl rows: libatomic.a's IFUNCs stop musl's loader; atomic64.c's functions need none and compute gcc's answers",
  async (t) => {
    const cc = new Set(rows.map((p) => p.cc));
    t.same([...cc], ['arm-linux-musleabi-gcc'], 'arm5-musl and arm6-musl share one compiler, so one CPython layer');
    for (const p of rows)
      t.match(langSupport(p, 'python'), { layer: { libatomic: 'atomic64-shim' } }, `${p.name}'s layer links atomic64.c`);
    const cpus = rows.map((p) => p.run[p.run.indexOf('-cpu') + 1]!);
    t.same(cpus, ['arm926', 'arm1176'], "the rows' CPU models, ARMv5TE and ARMv6");
    const text = await runInBase([[...cc][0]!, ...cpus]);
    t.comment(
      text
        .split('\n')
        .filter((l) => / IRELATIVE /.test(l))
        .join('; '),
    );
    t.match(text, /^with-libatomic IRELATIVE [1-9]\d*$/m, 'linked with libatomic.a: R_ARM_IRELATIVE relocations');
    t.match(text, /^with-shim IRELATIVE 0$/m, 'with atomic64.c: none');
    for (const cpu of cpus) {
      t.match(
        section(text, 'with-libatomic', cpu).join('\n'),
        /Error relocating \.\/with-libatomic: unsupported relocation type 160/,
        `${cpu}: the loader refuses it, as python did`,
      );
      t.same(section(text, 'with-shim', cpu), EXPECTED, `${cpu}: every function, gcc's answers`);
    }
    t.same(await leftovers(docker, runId), [], 'no container left');
    t.comment(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },
);
