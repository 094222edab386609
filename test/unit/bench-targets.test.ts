// The targets npm run bench holds its figures to (test/bench/targets.ts).
import t from 'tap';
import { checkTargets, SCENARIO, targetLines } from '../../test/bench/targets.js';

t.test('each target reads its own scenario; peak RSS is over every run', async (t) => {
  const outcomes = checkTargets([
    { name: SCENARIO.pushWarm, wallS: 40, floorS: 30, maxRssMiB: 150 },
    { name: SCENARIO.nightlyWarm, wallS: 250, floorS: 200, maxRssMiB: 180 },
    { name: SCENARIO.bare, wallS: 700, firstVerdictS: 300, maxRssMiB: 160 },
  ]);
  t.same(
    outcomes.map((o) => [o.what, o.value, o.met]),
    [
      ['per-push default, warm: wall', 40, true],
      ['per-push default, warm: wall / floor', 40 / 30, true],
      ['nightly, warm: wall', 250, false],
      ['bare machine: first verdict', 300, true],
      ['bare machine: the whole per-push default', 700, true],
      ['peak RSS, every run', 180, true],
    ],
  );
  t.same(targetLines(outcomes).slice(1, 3), [
    '- per-push default, warm: wall / floor: 1.33× (target ≤ 1.50×): met',
    '- nightly, warm: wall: 250.0 s (target ≤ 240.0 s): MISSED by 10.0 s',
  ]);
});

t.test('a scenario the run skipped is neither met nor missed', async (t) => {
  const outcomes = checkTargets([{ name: SCENARIO.pushWarm, wallS: 40 }]);
  t.equal(outcomes[1]!.met, undefined, 'no floor, no ratio');
  t.equal(outcomes[3]!.met, undefined, 'no bare run');
  t.equal(targetLines(outcomes)[3], '- bare machine: first verdict: not measured in this run (≤ 360.0 s)');
  t.equal(targetLines(outcomes)[5], '- peak RSS, every run: not measured in this run (≤ 200.0 MiB)');
});
