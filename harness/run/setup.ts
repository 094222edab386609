import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseCalibration, type Slowdown, slowdownFrom } from '../core/emulation.js';
import { isEmulated } from '../core/platforms.js';
import type { ImageInfo } from '../core/results.js';
import { gccgoOf } from '../core/toolchains.js';
import type { CaseSpec, Platform } from '../core/types.js';
import { prepareVolume, shareGoCache } from '../edge/build-step.js';
import { JsonCache } from '../edge/files.js';
import type { BuiltImage } from '../edge/images.js';
import type { Session } from '../edge/sandbox.js';
import { asLane, laneEnv } from '../sandbox/commands.js';
import { calibrationCmd } from '../sandbox/scripts.js';

/**
 * What a run does once before its cells: the sources into the volume, the
 * toolchains' versions, and each emulated platform's slowdown on this machine.
 */

/**
 * The versions the harness reads as root inside an image: Go, the native gcc,
 * glibc, musl, and each Debian package the rows name ("deb <package>",
 * the script's arguments, which dpkg-query only looks up). Nothing a row names
 * is executed here: rowToolsCommand does that as a lane's user.
 */
export const TOOLS_SCRIPT = `set -u
# A package installed for several architectures (musl, musl-dev) answers once per architecture: one version each, said once.
v() { r=$(dpkg-query -W -f='\${Version}\\n' "$1" 2>/dev/null | sort -u | paste -sd ' ' -); printf '%s\\n' "\${r:-missing}"; }
echo "go=$(go version | cut -d' ' -f3 | sed 's/^go//')"
echo "gcc=$(gcc -dumpfullversion)"
echo "glibc=$(v libc6:amd64)"
echo "musl=$(v musl:amd64)"
for p in "$@"; do printf 'deb %s=%s\\n' "$p" "$(v "$p")"; done
`;

/**
 * The versions of what the rows name, read by running it (so as a lane's user):
 * each compiler ("cc <name>"), the first qemu runner ("qemu"), Wine where a
 * Windows row runs ("wine": what ran its hosts, which every Windows cell
 * records), and in a gccgo image each gccgo ("gccgo <command>"). argv: pairs
 * of a kind and a command.
 */
export const ROW_TOOLS_SCRIPT = `set -u
while [ $# -ge 2 ]; do
  kind=$1 cmd=$2; shift 2
  case $kind in
    cc) v=$("$cmd" -dumpfullversion 2>/dev/null) || v=missing; printf 'cc %s=%s\\n' "$cmd" "$(printf '%s\\n' "$v" | head -n 1)" ;;
    qemu) printf 'qemu=%s\\n' "$("$cmd" --version | head -n 1 | sed 's/^qemu-[a-z0-9_]* version //')" ;;
    gccgo) command -v "$cmd" >/dev/null && printf 'gccgo %s=%s\\n' "$cmd" "$("$cmd" --version | head -n 1)" ;;
    wine) command -v "$cmd" >/dev/null && printf 'wine=%s\\n' "$("$cmd" --version 2>/dev/null | head -n 1)" ;;
  esac
done
`;

export const toolsCommand = (rows: readonly Platform[]): string[] => [
  '/bin/sh',
  '-c',
  TOOLS_SCRIPT,
  'csm-tools',
  ...new Set(rows.flatMap((p) => p.packages ?? [])),
];

/** Derived from the rows, so a new row's toolchain is recorded without a line here; `gcc`: a gccgo image's series. */
export function rowToolsCommand(rows: readonly Platform[], lane: number, gcc?: string): string[] {
  const ccs = [...new Set(rows.map((p) => p.cc))];
  const gccgos = gcc
    ? [
        ...new Set(
          rows.flatMap((p) => {
            const g = gccgoOf(p, gcc);
            return 'command' in g ? [g.command] : [];
          }),
        ),
      ]
    : [];
  const runner = rows.find((p) => p.run[0]?.startsWith('qemu-'))?.run[0];
  const wine = rows.some((p) => p.run[0] === 'wine') ? [['wine', 'wine']] : [];
  const pairs = [...ccs.map((c) => ['cc', c]), ...(runner ? [['qemu', runner]] : []), ...wine, ...gccgos.map((g) => ['gccgo', g])];
  return asLane(lane, ['/bin/sh', '-c', ROW_TOOLS_SCRIPT, 'csm-row-tools', ...pairs.flat()]);
}

/** What the rows' own commands may report: their lines cannot stand for the harness's (go, gcc, glibc, musl, deb). */
const rowToolKey = (key: string): boolean => key === 'qemu' || key === 'wine' || key.startsWith('cc ') || key.startsWith('gccgo ');

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
    this.uploaded ??= prepareVolume(
      this.session,
      builder,
      this.cases.filter((c) => !c.sourceOf),
    );
    await this.uploaded;
    await shareGoCache(this.session, builder, img.id);
    const t = await this.session.exec(builder, toolsCommand(this.rows), { deadlineMs: 60_000 });
    const r = await this.session.exec(builder, rowToolsCommand(this.rows, 0, gcc), { env: laneEnv(0), deadlineMs: 60_000 });
    const rowTools = Object.entries(parseTools(r.stdout)).filter(([k]) => rowToolKey(k));
    return { go, tag: img.tag, id: img.id, tools: { ...parseTools(t.stdout), ...Object.fromEntries(rowTools) } };
  }
}

export interface CalibrationInput {
  session: Session;
  img: BuiltImage;
  platforms: readonly Platform[];
  cacheDir: string;
  rebuild: boolean;
  jobs: number;
  programsHash: string;
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
    createHash('sha256')
      .update(JSON.stringify([a.img.id, p.name, p.cc, p.cflags ?? [], p.run, a.programsHash, cpus()[0]?.model ?? '', cpus().length]))
      .digest('hex')
      .slice(0, 24);
  const missing = rows.filter((p) => !known[keyOf(p)]);
  if (missing.length) {
    const builder = await a.session.builder(a.img.tag);
    // Each row alone, as a lane's user: its output, and so its measurement, is its own.
    const timesOf = async (lane: number, p?: Platform) => {
      const r = await a.session.exec(builder, calibrationCmd(lane, p), { env: laneEnv(lane), deadlineMs: 5 * 60_000 });
      return parseCalibration(r.stdout).get(p?.name ?? 'native') ?? [];
    };
    // The native reference runs alone, before the rows compete for the cores.
    const native = await timesOf(0);
    const emulated = await inLanes(missing, laneCount(a), (p, lane) => timesOf(lane, p));
    missing.forEach((p, i) => {
      const s = slowdownFrom(native, emulated[i]!);
      if (s) known[keyOf(p)] = s;
      else a.say(`could not measure ${p.name}'s emulation slowdown; its timeouts use the table's timeoutScale ${p.timeoutScale}`);
    });
    cache.save();
  }
  for (const p of rows) {
    const s = known[keyOf(p)];
    if (s) slowdowns.set(p.name, s);
  }
  return slowdowns;
}

/** How many rows are measured at once: one per core, each on a build lane of its own. */
export const laneCount = (a: CalibrationInput): number => Math.max(1, Math.min(a.jobs, cpus().length, a.session.lanes));

/**
 * `work` over every item, `lanes` at a time, each worker on a lane of its own
 * (lanes are users: one lane's commands cannot touch another's); results in item order.
 */
export async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T, lane: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (lane: number) => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]!, lane);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, items.length)) }, (_, lane) => worker(lane)));
  return out;
}
