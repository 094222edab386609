// The figures issue 27 asked of the tiers, held against what one `npm run
// bench` measured. Pure, so it is unit-tested; the bench prints its lines
// under the table and writes them into bench-*.json.

/** What a target reads of one scenario of the bench. */
export interface Measured {
  name: string;
  wallS: number;
  floorS?: number;
  firstVerdictS?: number;
  maxRssMiB?: number;
}

export interface Target {
  what: string;
  /** The scenario it reads, by name. */
  scenario: string;
  value: (s: Measured) => number | undefined;
  limit: number;
  unit: string;
}

export interface TargetOutcome {
  what: string;
  value?: number;
  limit: number;
  unit: string;
  met: boolean | undefined;
}

/** The scenario names the bench gives its runs: the targets find them by these. */
export const SCENARIO = {
  pushCold: 'push tier: cold Go cache, images present',
  pushWarm: 'push tier: warm re-run, no change',
  pushChanged: 'push tier: one case changed (link: Go source edited)',
  nightlyFirst: 'nightly tier: first run (push builds cached)',
  nightlyWarm: 'nightly tier: warm re-run, no change',
  bare: 'bare machine: push tier, no image, empty caches',
} as const;

const ratioToFloor = (s: Measured) => (s.floorS ? s.wallS / s.floorS : undefined);

export const TARGETS: readonly Target[] = [
  { what: 'per-push default, warm: wall', scenario: SCENARIO.pushWarm, value: (s) => s.wallS, limit: 45, unit: 's' },
  { what: 'per-push default, warm: wall / floor', scenario: SCENARIO.pushWarm, value: ratioToFloor, limit: 1.5, unit: '×' },
  { what: 'nightly, warm: wall', scenario: SCENARIO.nightlyWarm, value: (s) => s.wallS, limit: 240, unit: 's' },
  { what: 'bare machine: first verdict', scenario: SCENARIO.bare, value: (s) => s.firstVerdictS, limit: 360, unit: 's' },
  { what: 'bare machine: the whole per-push default', scenario: SCENARIO.bare, value: (s) => s.wallS, limit: 900, unit: 's' },
];

/** Every target against the scenarios measured; one a run skipped is neither met nor missed. */
export function checkTargets(scenarios: readonly Measured[], targets: readonly Target[] = TARGETS): TargetOutcome[] {
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const rss = scenarios.flatMap((s) => (s.maxRssMiB ? [s.maxRssMiB] : []));
  const outcomes = targets.map(({ what, scenario, value, limit, unit }) => {
    const s = byName.get(scenario);
    const v = s ? value(s) : undefined;
    return { what, ...(v === undefined ? {} : { value: v }), limit, unit, met: v === undefined ? undefined : v <= limit };
  });
  const peak = rss.length ? Math.max(...rss) : undefined;
  outcomes.push({
    what: 'peak RSS, every run',
    ...(peak === undefined ? {} : { value: peak }),
    limit: 200,
    unit: 'MiB',
    met: peak === undefined ? undefined : peak <= 200,
  });
  return outcomes;
}

/** One line per target: the figure, the limit, and by how much it is missed when it is. */
export function targetLines(outcomes: readonly TargetOutcome[]): string[] {
  const fmt = (v: number, unit: string) => (unit === '×' ? `${v.toFixed(2)}×` : `${v.toFixed(1)} ${unit}`);
  return outcomes.map((o) => {
    if (o.value === undefined) return `- ${o.what}: not measured in this run (≤ ${fmt(o.limit, o.unit)})`;
    const verdict = o.met ? 'met' : `MISSED by ${fmt(o.value - o.limit, o.unit)}`;
    return `- ${o.what}: ${fmt(o.value, o.unit)} (target ≤ ${fmt(o.limit, o.unit)}): ${verdict}`;
  });
}
