import pLimit from 'p-limit';
import { cellImageNeeds } from '../core/cell-images.js';
import {
  describeLayer,
  type HostLang,
  type LangSupport,
  langProbeArgs,
  langStartFailure,
  langSupport,
  parseLangVersion,
} from '../core/host-langs.js';
import type { HostLangInfo } from '../core/results.js';
import type { CaseSpec, CellSpec, Platform } from '../core/types.js';
import type { BuiltImage } from '../edge/images.js';
import type { Session } from '../edge/sandbox.js';
import { type LangCommand, supervisedCmd } from '../sandbox/commands.js';
import type { HostRuns } from './host-runs.js';

/** A row's language, ready for its hosts: the image they run in, how they start it, how long it took to start. */
export interface LangRuntime {
  /**
   * The language's own layer; absent when the row's toolchain image has it,
   * and then each cell's host runs in that cell's image (a gccgo cell's has
   * libgo, which its library NEEDs; the gc image the language was started in has not).
   */
  image?: BuiltImage;
  command: LangCommand;
  startMs: number;
}

/** Ready; n/a where the row cannot have the language; an infrastructure error where its layer could not be built. */
export type LangOutcome = LangRuntime | { notApplicable: string } | { infraError: string };

/** Every (row, language) the cells start (core/cell-images.ts), each once. */
export function langPairs(
  cells: readonly CellSpec[],
  cases: ReadonlyMap<string, CaseSpec>,
  rootfs: boolean,
): { platform: Platform; lang: HostLang }[] {
  const seen = new Map<string, { platform: Platform; lang: HostLang }>();
  for (const cell of cells) {
    const { lang } = cellImageNeeds(cell, cases.get(cell.caseName)!, rootfs);
    if (lang) seen.set(langKey(cell.platform, lang), { platform: cell.platform, lang });
  }
  return [...seen.values()];
}

export const langKey = (p: Platform, lang: HostLang): string => `${p.name}\0${lang}`;

/** What the layer says it is: the .debs a sysroot was extracted from, or how CPython was built. */
async function builtFrom(session: Session, s: LangSupport, image: BuiltImage): Promise<string> {
  if (s.kind !== 'layer') return 'the toolchain image';
  const file = s.layer.kind === 'sysroot' ? `${s.layer.dir}/csm-packages.txt` : `${s.layer.prefix}/csm-build.txt`;
  const r = await session.exec(await session.builder(image.tag), ['cat', file], { deadlineMs: 30_000 });
  const text = r.stdout.trim();
  if (s.layer.kind === 'cpython') return text;
  // The packages the layer asked for, with the versions taken: the rest are their dependencies.
  const wanted = new Set(s.layer.packages);
  const main = text.split('\n').filter((l) => wanted.has(l.split(' ')[0]!));
  return `Debian ${main.join(', ')} (${s.layer.suite}), extracted with ${text.split('\n').length - main.length} dependencies`;
}

interface LangStartsInput {
  /** Where the language runs: the toolchain image, or its layer once the layer is had (run/images.ts langImage). */
  imageOf: (p: Platform, lang: HostLang, s: LangSupport) => Promise<BuiltImage | { error: string }>;
  session: Session;
  hosts: HostRuns;
  jobs: number;
  say: (line: string) => void;
}

/**
 * Each row's language started once, as a host would (the run pool, as nobody,
 * under the row's emulator), as soon as its image is had: the first cell that
 * asks starts it, later ones share the answer. Its start time goes into the
 * hosts' time limits, its version into results.json, and a language that does
 * not start makes its cells n/a with what it printed, instead of failing them.
 */
export class LangStarts {
  private readonly started = new Map<string, Promise<{ outcome: LangOutcome; info?: HostLangInfo }>>();
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly a: LangStartsInput) {
    this.limit = pLimit(Math.max(1, a.jobs));
  }

  private start(p: Platform, lang: HostLang): Promise<{ outcome: LangOutcome; info?: HostLangInfo }> {
    const key = langKey(p, lang);
    let s = this.started.get(key);
    if (!s) {
      const sup = langSupport(p, lang);
      // The image first, outside the limit: a language waiting for its layer holds no place of the ones that can start.
      s =
        sup.kind === 'none'
          ? Promise.resolve({ outcome: { notApplicable: sup.reason } })
          : this.a.imageOf(p, lang, sup).then((image) => this.limit(() => probeLang(this.a, { p, lang, sup }, image)));
      this.started.set(key, s);
    }
    return s;
  }

  /** The language of a cell's host: ready, n/a with why, or the error that left it without an image. */
  async outcome(p: Platform, lang: HostLang): Promise<LangOutcome> {
    return (await this.start(p, lang)).outcome;
  }

  /** Start each of `pairs` now, so that none waits for the first cell that needs it. */
  startAll(pairs: readonly { platform: Platform; lang: HostLang }[]): void {
    // Its error (an internal one: the answer is always an outcome) reaches the cells that await it, not this caller.
    for (const { platform, lang } of pairs) this.start(platform, lang).catch(() => undefined);
  }

  /** What results.json says of every language started (once each has its answer), by row then language. */
  async infos(): Promise<HostLangInfo[]> {
    const all = await Promise.all(this.started.values());
    return all
      .flatMap((x) => (x.info ? [x.info] : []))
      .sort((x, y) => x.platform.localeCompare(y.platform) || x.lang.localeCompare(y.lang));
  }
}

/** One row's language started once: its outcome for the cells, and what results.json says of it (none when the row has no such language). */
async function probeLang(
  a: LangStartsInput,
  { p, lang, sup: s }: { p: Platform; lang: HostLang; sup: Exclude<LangSupport, { kind: 'none' }> },
  image: BuiltImage | { error: string },
): Promise<{ outcome: LangOutcome; info?: HostLangInfo }> {
  if ('error' in image) {
    const builtFrom = s.kind === 'layer' ? describeLayer(s.layer) : 'the toolchain image';
    return { outcome: { infraError: image.error }, info: { platform: p.name, lang, image: '', builtFrom, error: image.error } };
  }
  const command = { run: s.run, cmd: s.cmd };
  const timeoutMs = 120_000;
  const cmd = supervisedCmd(timeoutMs, a.hosts.nonce, [...s.run, ...s.cmd, ...langProbeArgs(lang)]);
  const r = await a.hosts.run({ image: image.tag, cmd, env: [], workdir: '/tmp', timeoutMs, logPath: `logs/langs/${p.name}-${lang}.log` });
  const from = await builtFrom(a.session, s, image).catch((e: Error) => `(unknown: ${e.message})`);
  const info = { platform: p.name, lang, image: image.tag, builtFrom: from };
  if (r.kind !== 'ran') {
    const reason = r.kind === 'infra' ? r.message : 'the run was stopped';
    return { outcome: { infraError: reason }, info: { ...info, error: reason } };
  }
  const version = r.end.kind === 'exit' && r.end.code === 0 ? parseLangVersion(lang, r.stdout, r.stderr) : undefined;
  if (!version) {
    const how =
      r.end.kind === 'exit'
        ? `exit ${r.end.code}`
        : r.end.kind === 'signal'
          ? `killed by ${r.end.name}`
          : `no answer in ${timeoutMs / 1000} s`;
    const reason = langStartFailure(lang, s.run, how, `${r.stdout}\n${r.stderr}`);
    a.say(`${p.name}: ${reason}`);
    return { outcome: { notApplicable: reason }, info: { ...info, error: reason } };
  }
  a.say(`${p.name}: ${lang === 'python' ? 'Python' : 'JVM'} ${version} starts in ${(r.ms / 1000).toFixed(1)} s (${from})`);
  return { outcome: { ...(s.kind === 'layer' ? { image } : {}), command, startMs: r.ms }, info: { ...info, version, startMs: r.ms } };
}
