import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type CanaryResult, canaryArgv, laxLine, laxRows, parseCanaries } from '../core/canary.js';
import { isEmulated } from '../core/platforms.js';
import type { Platform } from '../core/types.js';
import { JsonCache } from '../edge/files.js';
import { asLane, laneEnv } from '../sandbox/commands.js';
import { laneHome } from '../sandbox/layout.js';
import { type CalibrationInput, inLanes, laneCount } from './setup.js';

/**
 * Run every emulated row's strictness canary (core/canary.ts) in the image its
 * cells use. A result holds for an image, a row's compiler, runner and canary:
 * it is kept in the cache directory under that key, and --rebuild runs it again.
 * A row that does not trap is said loudly here; the run's exit code says it too.
 */
export async function runCanaries(a: CalibrationInput): Promise<Map<string, CanaryResult & { cached: boolean }>> {
  const rows = a.platforms.filter(isEmulated);
  const out = new Map<string, CanaryResult & { cached: boolean }>();
  if (!rows.length) return out;
  const cache = new JsonCache<CanaryResult>(join(a.cacheDir, 'canaries.json'), a.rebuild);
  const known = cache.entries;
  // The row's name too: a row that builds and runs like another still has entries of its own.
  const keyOf = (p: Platform) =>
    createHash('sha256')
      .update(JSON.stringify([a.img.id, p.name, p.cc, p.cflags ?? [], p.run, p.canary ?? p.noCanary ?? '']))
      .digest('hex')
      .slice(0, 24);
  const missing = rows.filter((p) => !known[keyOf(p)]);
  if (missing.length) {
    const builder = await a.session.builder(a.img.tag);
    // Each row alone, as a lane's user: only its own exec's output can speak for it.
    const fresh = await inLanes(missing, laneCount(a), async (p, lane) => {
      if (!p.canary) return parseCanaries('', [p]).get(p.name)!;
      const r = await a.session.exec(builder, asLane(lane, canaryArgv(p, laneHome(lane))), { env: laneEnv(lane), deadlineMs: 5 * 60_000 });
      return parseCanaries(r.stdout, [p]).get(p.name)!;
    });
    missing.forEach((p, i) => {
      const res = fresh[i]!;
      out.set(p.name, { ...res, cached: false });
      // Only a trap is kept: a row that ran, or did not build, is tried again next run.
      if (res.outcome === 'trapped' || res.outcome === 'none') known[keyOf(p)] = res;
    });
    cache.save();
  }
  for (const p of rows) if (!out.has(p.name)) out.set(p.name, { ...known[keyOf(p)]!, cached: true });
  for (const name of laxRows(out)) a.say(`CANARY: ${laxLine(name, out.get(name)!)}`);
  return out;
}
