// test/bench/bench-images.ts reads a run's results.json, not its terminal
// output: the time to the first cell comes from the harness's own clock.
import t from 'tap';
import type { RunResults } from '../../harness/core/results.js';
import { firstCellSeconds } from '../../test/bench/bench-images.js';

const results = (phases: Record<string, number>, durations: number[]) =>
  ({
    run: { startedAt: '2026-12-07T12:00:01.500Z', phases },
    cells: durations.map((durationMs) => ({ durationMs })),
  }) as unknown as RunResults;
const spawned = Date.parse('2026-12-07T12:00:00.000Z');

t.test('firstCellSeconds: the start, every phase before the cells, the quickest cell', async (t) => {
  const r = results(
    { load: 500, 'engine+images': 60_000, prepare: 2_000, calibrate: 0, languages: 0, restore: 1_000, cells: 9_000, cleanup: 700 },
    [4_000, 3_000],
  );
  t.equal(firstCellSeconds(r, spawned), 1.5 + 0.5 + 60 + 2 + 1 + 3);
  t.equal(
    firstCellSeconds(results({ load: 500 }, [3_000]), spawned),
    1.5 + 0.5 + 3,
    'a run with no cells phase recorded: every phase counts',
  );
  t.ok(Number.isNaN(firstCellSeconds(results({ load: 500, cells: 0 }, []), spawned)), 'no cell, no first cell');
});

t.test('firstCellSeconds: the harness clock of its first verdict, when results.json has it', async (t) => {
  const r = results({ load: 500, 'engine+images': 60_000, cells: 9_000 }, [4_000, 3_000]);
  r.run.firstVerdictMs = 75_250;
  t.equal(firstCellSeconds(r, spawned), 1.5 + 75.25, 'the start, then the clock: not the phases, which a cell no longer waits for');
});
