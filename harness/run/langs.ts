import pLimit from 'p-limit';
import { hostLangOf } from '../core/host-kind.js';
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
import { toolchainNa } from '../core/toolchains.js';
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

/** Every (row, language) the cells need, each once. */
export function langPairs(cells: readonly CellSpec[], cases: ReadonlyMap<string, CaseSpec>): { platform: Platform; lang: HostLang }[] {
  const seen = new Map<string, { platform: Platform; lang: HostLang }>();
  for (const cell of cells) {
    const lang = hostLangOf(cases.get(cell.caseName)!);
    // A cell of a toolchain the row lacks (gccgo on musl) runs no host: its language is not built for it.
    if (lang && !toolchainNa(cell.platform, cell.go)) seen.set(`${cell.platform.name}\0${lang}`, { platform: cell.platform, lang });
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

/**
 * Start each row's language once, as a host would (the run pool, as nobody,
 * under the row's emulator), before any cell: its start time goes into the
 * hosts' time limits, its version into results.json, and a language that does
 * not start makes its cells n/a with what it printed, instead of failing them.
 */
interface ProbeLangsInput {
  pairs: { platform: Platform; lang: HostLang }[];
  imageOf: (p: Platform, lang: HostLang, s: LangSupport) => BuiltImage | { error: string };
  session: Session;
  hosts: HostRuns;
  jobs: number;
  say: (line: string) => void;
}

export async function probeLangs(a: ProbeLangsInput): Promise<{ outcomes: Map<string, LangOutcome>; infos: HostLangInfo[] }> {
  const outcomes = new Map<string, LangOutcome>();
  const infos: HostLangInfo[] = [];
  const limit = pLimit(Math.max(1, a.jobs));
  await Promise.all(
    a.pairs.map(({ platform: p, lang }) =>
      limit(async () => {
        const { outcome, info } = await probeLang(a, p, lang);
        outcomes.set(langKey(p, lang), outcome);
        if (info) infos.push(info);
      }),
    ),
  );
  infos.sort((x, y) => x.platform.localeCompare(y.platform) || x.lang.localeCompare(y.lang));
  return { outcomes, infos };
}

/** One row's language started once: its outcome for the cells, and what results.json says of it (none when the row has no such language). */
async function probeLang(a: ProbeLangsInput, p: Platform, lang: HostLang): Promise<{ outcome: LangOutcome; info?: HostLangInfo }> {
  const s = langSupport(p, lang);
  if (s.kind === 'none') return { outcome: { notApplicable: s.reason } };
  const image = a.imageOf(p, lang, s);
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
