import { classify } from './classify.js';
import type { CaseFile, CellObservation, CellResult, Classification, ExpectationRule } from './types.js';

/** A run of a declared race where the failure did not show: a pass, since the race decides, not a fix. */
function raceRun(v: Classification, rule: ExpectationRule | undefined): Classification {
  if (!rule?.race || v.verdict !== 'xpass') return v;
  return { ...v, verdict: 'pass', stageOk: true, summary: `pass: the declared race (${rule.label}) did not show in this run` };
}

/** Repetitions of a declared race, some failing as expected and some not: the expected failure, counted. */
function raceShown(all: Classification[], repeats: NonNullable<CellResult['repeats']>): Classification {
  const shown = all.find((v) => v.verdict === 'xfail')!;
  return { ...shown, summary: `race: shown in ${repeats.xfail} of ${all.length} runs: ${shown.summary}` };
}

/**
 * A cell's verdict from what was observed: the last observation judged against
 * the case's pass rules and its expectation, and, with --repeat, the
 * repetitions folded. Repetitions that disagree make the cell "flaky", never a
 * pass: the cell shows the first repetition that was neither pass nor xfail.
 * Pure: unit-tested without Docker.
 */
export function judge(
  last: CellObservation,
  repetitions: readonly CellObservation[],
  pass: CaseFile['pass'],
  rule: ExpectationRule | undefined,
): { verdict: Classification; repeats?: CellResult['repeats'] } {
  const judged = (o: CellObservation) => raceRun(classify(o, pass, rule), rule);
  const verdict = judged(last);
  if (repetitions.length <= 1) return { verdict };
  const all = repetitions.map(judged);
  const repeats: NonNullable<CellResult['repeats']> = {};
  for (const v of all) repeats[v.verdict] = (repeats[v.verdict] ?? 0) + 1;
  if (Object.keys(repeats).length === 1) return { verdict, repeats };
  if (rule?.race && Object.keys(repeats).every((v) => v === 'pass' || v === 'xfail')) return { verdict: raceShown(all, repeats), repeats };
  const worst = all.find((v) => v.verdict !== 'pass' && v.verdict !== 'xfail') ?? all[0]!;
  const counts = Object.entries(repeats)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return { verdict: { ...worst, verdict: 'flaky', summary: `flaky over ${all.length} runs (${counts}): ${worst.summary}` }, repeats };
}
