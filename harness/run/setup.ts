import { createHash } from 'node:crypto';
import { shellQuote } from '../core/shell.js';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseCalibration, slowdownFrom, type Slowdown } from '../core/emulation.js';
import { isEmulated } from '../core/platforms.js';
import { gccgoOf } from '../core/toolchains.js';
import type { ImageInfo } from '../core/results.js';
import type { CaseSpec, Platform } from '../core/types.js';
import { prepareVolume, shareGoCache } from '../edge/build-step.js';
import { JsonCache } from '../edge/files.js';
import type { BuiltImage } from '../edge/images.js';
import type { Session } from '../edge/sandbox.js';
import * as plan from '../plan.js';

/**
 * What a run does once before its cells: the sources into the volume, the
 * toolchains' versions, and each emulated platform's slowdown on this machine.
 */

/**
 * The versions read inside an image: Go, the native gcc, glibc, musl, qemu,
 * and for every row its compiler ("cc <name>") and each of its Debian packages ("deb <package>").
 * Derived from the rows, so a new row's toolchain is recorded without a line here.
 */
export function toolsScript(rows: readonly Platform[], gcc?: string): string {
  const ccs = [...new Set(rows.map((p) => p.cc))];
  const gccgos = gcc ? [...new Set(rows.flatMap((p) => { const g = gccgoOf(p, gcc); return 'command' in g ? [g.command] : []; }))] : [];
  const pkgs = [...new Set(rows.flatMap((p) => p.packages ?? []))];
  const runner = rows.find((p) => p.run[0]?.startsWith('qemu-'))?.run[0];
  return [
    // A package installed for several architectures (musl, musl-dev) answers once per architecture: one version each, said once.
    `v() { r=$(dpkg-query -W -f='\${Version}\\n' "$1" 2>/dev/null | sort -u | paste -sd ' ' -); echo "\${r:-missing}"; }`,
    `echo "go=$(go version | cut -d' ' -f3 | sed 's/^go//')"`,
    'echo "gcc=$(gcc -dumpfullversion)"',
    'echo "glibc=$(v libc6:amd64)"',
    'echo "musl=$(v musl:amd64)"',
    ...(runner ? [`echo "qemu=$(${shellQuote(runner)} --version | head -1 | sed 's/^qemu-[a-z0-9_]* version //')"`] : []),
    ...ccs.map((cc) => `echo "cc ${cc}=$(${shellQuote(cc)} -dumpfullversion 2>/dev/null || echo missing)"`),
    ...pkgs.map((p) => `echo "deb ${p}=$(v ${shellQuote(p)})"`),
    // Only a gccgo layer has one: its version line, for every gccgo cell's results.
    ...gccgos.map((g) => `command -v ${shellQuote(g)} >/dev/null && echo "gccgo ${g}=$(${shellQuote(g)} --version | head -1)"`),
    '',
  ].join('\n');
}

/** `key=value` lines → a record (values may contain "="). */
export function parseTools(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => l.split('='))
      .filter((kv): kv is [string, string] => kv.length >= 2 && !!kv[0])
      .map(([k, ...v]) => [k, v.join('=').trim()]),
  );
}

/** Uploads the sources once however many images ask: every image's builder sees the one volume. */
export class Preparer {
  private uploaded?: Promise<void>;

  constructor(
    private readonly session: Session,
    private readonly cases: readonly CaseSpec[],
    private readonly rows: readonly Platform[],
  ) {}

  /** The volume's sources (once), the image's Go build cache, and its tool versions. */
  /** `gcc`: the gccgo series of a gccgo image, whose compilers' versions are read too. */
  async prepare(go: string, img: BuiltImage, gcc?: string): Promise<ImageInfo> {
    const builder = await this.session.builder(img.tag);
    // One upload for everything: a request per case cost the engine seconds on large catalogues.
    this.uploaded ??= prepareVolume(this.session, builder, this.cases.filter((c) => !c.sourceOf));
    await this.uploaded;
    await shareGoCache(this.session, builder, img.id);
    const t = await this.session.exec(builder, ['/bin/sh', '-c', toolsScript(this.rows, gcc)], { deadlineMs: 60_000 });
    return { go, tag: img.tag, id: img.id, tools: parseTools(t.stdout) };
  }
}

/** One hash over every file of some directories (the harness's C and Java helpers: hosts compile against them). */
export function hashFiles(...dirs: string[]): string {
  const h = createHash('sha256');
  for (const dir of dirs) for (const f of readdirSync(dir).sort()) h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  return h.digest('hex');
}

export interface CalibrationInput {
  session: Session;
  img: BuiltImage;
  platforms: readonly Platform[];
  cacheDir: string;
  rebuild: boolean;
  jobs: number;
  harnessCHash: string;
  say: (line: string) => void;
}

/**
 * Measure each emulated platform's slowdown on this machine, before any build
 * competes for the CPU. Kept in the cache directory per machine, image and row,
 * so only the first run pays for it (about a second for the four ARM rows).
 */
export async function calibrate(a: CalibrationInput): Promise<Map<string, Slowdown>> {
  const rows = a.platforms.filter(isEmulated);
  const slowdowns = new Map<string, Slowdown>();
  if (!rows.length) return slowdowns;
  // --rebuild measures again too: a factor taken on a busy machine is not kept forever.
  const cache = new JsonCache<Slowdown>(join(a.cacheDir, 'emulation.json'), a.rebuild);
  const known = cache.entries;
  const keyOf = (p: Platform) =>
    createHash('sha256').update(JSON.stringify([a.img.id, p.cc, p.run, a.harnessCHash, cpus()[0]?.model ?? '', cpus().length])).digest('hex').slice(0, 24);
  const missing = rows.filter((p) => !known[keyOf(p)]);
  if (missing.length) {
    const builder = await a.session.builder(a.img.tag);
    const r = await a.session.exec(builder, ['/bin/sh', '-c', plan.calibrationScript(missing, Math.min(a.jobs, cpus().length))], { deadlineMs: 5 * 60_000 });
    const times = parseCalibration(r.stdout);
    for (const p of missing) {
      const s = slowdownFrom(times.get('native') ?? [], times.get(p.name) ?? []);
      if (s) known[keyOf(p)] = s;
      else a.say(`could not measure ${p.name}'s emulation slowdown; its timeouts use the table's timeoutScale ${p.timeoutScale}`);
    }
    cache.save();
  }
  for (const p of rows) {
    const s = known[keyOf(p)];
    if (s) slowdowns.set(p.name, s);
  }
  return slowdowns;
}

