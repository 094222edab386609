import { constants } from 'node:os';
import { shortLink } from './expect.js';
import type { LineCounts } from './frames.js';
import { describeDeadline } from './hang-deadline.js';
import { regexMatches } from './regex.js';
import type { CaseFile, CellObservation, Classification, ExpectationRule, ProcessEnd, Stage } from './types.js';

// Several names share a number (SIGABRT/SIGIOT, SIGIO/SIGPOLL); the first listed is the usual one.
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);
export const signalName = (n: number): string => SIGNAL_NAMES.get(n) ?? `SIG${n}`;

/** The marker lines of harness/programs/csm.h. */
const DONE = /^csm-done (\d+)\/(\d+)\s*$/gm;
const CHECK = /^(ok|not ok) \d+ - (.*)$/gm;

/** The protocol lines of stdout, counted as the host server counts them (csm-run.c) when no count came with the run. */
export function countLines(stdout: string): LineCounts {
  const checks = [...stdout.matchAll(CHECK)];
  const ok = checks.filter((m) => m[1] === 'ok').length;
  const last = [...stdout.matchAll(DONE)].at(-1);
  return {
    ok,
    notOk: checks.length - ok,
    csm: (stdout.match(/^csm-/gm) ?? []).length,
    loaded: (stdout.match(/^csm-loaded\b/gm) ?? []).length,
    ...(last ? { done: { passed: Number(last[1]), total: Number(last[2]) } } : {}),
  };
}

export function describeEnd(end: ProcessEnd): string {
  switch (end.kind) {
    case 'exit':
      return `exited with code ${end.code}`;
    case 'signal':
      return `killed by signal ${end.signal} (${end.name})`;
    case 'timeout':
      return `timed out after ${(end.afterMs / 1000).toFixed(1)} s and was killed${end.deadline ? `: an expected hang, at ${describeDeadline(end.deadline)}` : ''}`;
  }
}

const tail = (s: string, lines: number): string => s.split('\n').slice(-lines).join('\n');

/** The first line that says what went wrong, for a cell's few words. */
function headline(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /^csm-load-failed /.test(l))?.replace(/^csm-load-failed /, '') ??
    lines.find((l) =>
      /qemu: uncaught target signal|error while loading|Error relocating|cannot execute|panic:|fatal error:|not found/i.test(l),
    )
  );
}

interface Outcome {
  kind: 'pass' | 'fail' | 'timeout' | 'error' | 'na';
  stage: Stage;
  summary: string;
  failureText?: string;
}

/** What happened, before expectations are consulted. */
export function outcomeOf(obs: CellObservation, pass: CaseFile['pass']): Outcome & { checks: Classification['checks'] } {
  const none: Classification['checks'] = [];
  if (obs.notApplicable) return { kind: 'na', stage: 'run', summary: obs.notApplicable, checks: none };
  if (obs.infraError)
    return {
      kind: 'error',
      stage: obs.infraError.stage,
      summary: obs.infraError.message,
      failureText: obs.infraError.message,
      checks: none,
    };
  if (obs.buildFailure) return { ...buildFailureOutcome(obs.buildFailure), checks: none };
  const run = obs.run;
  if (!run) return { kind: 'error', stage: 'run', summary: 'the host never ran', failureText: 'the host never ran', checks: none };

  const checks = [...run.stdout.matchAll(CHECK)].map((m) => ({ ok: m[1] === 'ok', text: m[2] ?? '' }));
  const lines = run.lines ?? countLines(run.stdout);
  // Hosts that do not speak the protocol are taken as loaded once they run at all.
  const loaded = lines.loaded > 0 || (lines.csm === 0 && run.end.kind === 'exit' && run.end.code === 0);
  const failureText = `${describeEnd(run.end)}\n${run.stderr}\n${run.stdout}`;
  const stage: Stage = loaded ? 'run' : 'load';
  const why = headline(run.stderr);

  if (run.end.kind === 'timeout') return { kind: 'timeout', stage, summary: `${stage}: ${describeEnd(run.end)}`, failureText, checks };
  const done = lines.done;
  // A host that printed csm-done finished its run; a non-zero exit then just reports failed checks.
  const finished = run.end.kind === 'exit' && !!done;
  if (!finished && (run.end.kind === 'signal' || run.end.code !== 0))
    return { kind: 'fail', stage, summary: `${stage}: ${why ?? describeEnd(run.end)}`, failureText, checks };

  const missing = checkProblems(run, lines, checks, pass);
  if (missing.length)
    return {
      kind: 'fail',
      stage: 'checks',
      summary: `checks: ${missing[0]}${missing.length > 1 ? ` (+${missing.length - 1})` : ''}`,
      failureText: `${missing.join('\n')}\n${failureText}`,
      checks,
    };
  const counted = lines.ok + lines.notOk;
  return { kind: 'pass', stage: 'checks', summary: counted ? `${counted} checks` : 'ran', checks };
}

/** A build step that failed: the case's doing, so a fail, at its stage. */
function buildFailureOutcome(b: NonNullable<CellObservation['buildFailure']>): Outcome {
  // Built, but above --glibc-floor: the floor's line says it all; the log is the build's, which succeeded.
  if (b.floor) return { kind: 'fail', stage: b.stage, summary: b.floor, failureText: `${b.floor}\n${tail(b.log, 20)}` };
  const text = `${b.stage === 'build' ? 'go build' : 'C compile'} of ${b.what} failed\n${tail(b.log, 60)}`;
  // Over quota is the case's doing (what it builds is that big), so a fail, saying the limit.
  const why = b.quotaMiB !== undefined ? `exceeded the disk quota of ${b.quotaMiB} MiB (--build-quota)` : 'failed';
  const summary = `${b.stage === 'build' ? 'go build' : 'compile'} ${b.what} ${why}`;
  return {
    kind: 'fail',
    stage: b.stage,
    summary: b.underFloor ? underFloorSummary(summary, b.underFloor, b.log) : summary,
    failureText: text,
  };
}

/**
 * A build for a glibc floor that failed: the compiler's own line for what the
 * older libc lacks (a function it does not declare, or the linker cannot
 * find), with the floor it was built for.
 */
function underFloorSummary(summary: string, floor: string, log: string): string {
  const cause = log
    .split('\n')
    .find((l) => /undefined reference to|implicit declaration of function|undeclared \(first use/.test(l))
    ?.replace(/^.*?(undefined reference to|implicit declaration of function|‘?\w+’? undeclared)/, '$1')
    .trim();
  return `${summary} building for ${floor}${cause ? `: ${cause}` : ''}`;
}

/** Why a host that ran to its end did not pass its checks, one line each (none: it passed). */
function checkProblems(
  run: NonNullable<CellObservation['run']>,
  lines: LineCounts,
  checks: Classification['checks'],
  pass: CaseFile['pass'],
): string[] {
  const done = lines.done;
  const missing: string[] = [];
  const failed = checks.filter((c) => !c.ok);
  for (const c of failed) missing.push(`not ok - ${c.text}`);
  // Counted over the whole output: failed checks in a dropped middle still count.
  if (lines.notOk > failed.length) missing.push(`${lines.notOk - failed.length} more not ok lines in the output that was dropped`);
  for (const p of pass?.stdout ?? []) if (!regexMatches(p, run.stdout)) missing.push(`stdout does not match /${p}/`);
  if (lines.csm > 0 && !done) missing.push('the host exited 0 without printing csm-done');
  // The host's own tally must agree with the lines it printed: "csm-done 9/9" after two checks is not a pass.
  if (done && (done.passed !== lines.ok || done.total !== lines.ok + lines.notOk))
    missing.push(
      `csm-done says ${done.passed}/${done.total}, but the host printed ${lines.ok + lines.notOk} checks (${lines.ok} ok, ${lines.notOk} not ok)`,
    );
  if (!missing.length && run.end.kind === 'exit' && run.end.code !== 0) missing.push(`${describeEnd(run.end)} after csm-done`);
  return missing;
}

/**
 * The verdict: the outcome judged against the expectation ledger. A known bug
 * that shows up exactly as recorded is xfail; the same bug failing some other
 * way is a plain fail, so a changed failure mode is never hidden.
 */
export function classify(obs: CellObservation, pass: CaseFile['pass'], rule: ExpectationRule | undefined): Classification {
  const o = outcomeOf(obs, pass);
  const base = { stage: o.stage, checks: o.checks, failureText: o.failureText };
  // Not applicable is not a result: expectations neither match nor miss it.
  if (o.kind === 'na') return { ...base, verdict: 'na', stageOk: false, summary: o.summary };
  if (o.kind === 'error')
    return {
      ...base,
      verdict: 'error',
      stageOk: false,
      summary: o.summary,
      ...(rule ? { expectation: { ...rule, matched: false, why: 'infrastructure error' } } : {}),
    };
  if (!rule) return { ...base, verdict: o.kind, stageOk: o.kind === 'pass', summary: o.summary };
  const tag = `${rule.label.replace(/\s*\([^)]*\)$/, '')} (${shortLink(rule.link)})`;
  if (o.kind === 'pass')
    return {
      ...base,
      verdict: 'xpass',
      stageOk: true,
      summary: `expected ${tag} did not happen`,
      expectation: { ...rule, matched: false, why: 'the expected failure did not happen' },
    };
  const problems: string[] = [];
  const verdicts: string[] = [rule.verdict].flat();
  if (!verdicts.includes(o.kind)) problems.push(`expected ${verdicts.join(' or ')}, got ${o.kind}`);
  if (rule.stage && rule.stage !== o.stage) problems.push(`expected it at ${rule.stage}, got ${o.stage}`);
  if (!regexMatches(rule.match, o.failureText ?? '')) problems.push(`message does not match /${rule.match}/`);
  // A hang killed at its declared deadline says so: the reader should not take the short wait for the case's whole limit.
  const end = obs.run?.end;
  const summary = end?.kind === 'timeout' && end.deadline ? `${tag}: killed after ${describeDeadline(end.deadline)}` : tag;
  if (problems.length === 0) return { ...base, verdict: 'xfail', stageOk: false, summary, expectation: { ...rule, matched: true } };
  return {
    ...base,
    verdict: o.kind,
    stageOk: false,
    summary: `${o.summary} [not as expected: ${problems.join('; ')}]`,
    expectation: { ...rule, matched: false, why: problems.join('; ') },
  };
}
