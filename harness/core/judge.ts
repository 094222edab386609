import { classify } from './classify.js';
import type { CaseFile, CellObservation, CellResult, Classification, ExpectationRule } from './types.js';

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
  const verdict = classify(last, pass, rule);
  if (repetitions.length <= 1) return { verdict };
  const all = repetitions.map((o) => classify(o, pass, rule));
  const repeats: NonNullable<CellResult['repeats']> = {};
  for (const v of all) repeats[v.verdict] = (repeats[v.verdict] ?? 0) + 1;
  if (Object.keys(repeats).length === 1) return { verdict, repeats };
  const worst = all.find((v) => v.verdict !== 'pass' && v.verdict !== 'xfail') ?? all[0]!;
  const counts = Object.entries(repeats).map(([k, n]) => `${n} ${k}`).join(', ');
  return { verdict: { ...worst, verdict: 'flaky', summary: `flaky over ${all.length} runs (${counts}): ${worst.summary}` }, repeats };
}
