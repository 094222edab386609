import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { canaryScript, laxLine, laxRows, parseCanaries, type CanaryResult } from '../core/canary.js';
import { isEmulated } from '../core/platforms.js';
import type { Platform } from '../core/types.js';
import { JsonCache } from '../edge/files.js';
import { CSM_DIR } from '../layout.js';
import type { CalibrationInput } from './setup.js';

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
  const keyOf = (p: Platform) => createHash('sha256').update(JSON.stringify([a.img.id, p.cc, p.cflags ?? [], p.run, p.canary ?? p.noCanary ?? ''])).digest('hex').slice(0, 24);
  const missing = rows.filter((p) => !known[keyOf(p)]);
  if (missing.length) {
    const builder = await a.session.builder(a.img.tag);
    const r = await a.session.exec(builder, ['/bin/sh', '-c', canaryScript(missing, `${CSM_DIR}/canary`, Math.min(a.jobs, cpus().length))], { deadlineMs: 5 * 60_000 });
    const fresh = parseCanaries(r.stdout, missing);
    for (const p of missing) {
      const res = fresh.get(p.name)!;
      out.set(p.name, { ...res, cached: false });
      // Only a trap is kept: a row that ran, or did not build, is tried again next run.
      if (res.outcome === 'trapped' || res.outcome === 'none') known[keyOf(p)] = res;
    }
    cache.save();
  }
  for (const p of rows) if (!out.has(p.name)) out.set(p.name, { ...known[keyOf(p)]!, cached: true });
  for (const name of laxRows(out)) a.say(`CANARY: ${laxLine(name, out.get(name)!)}`);
  return out;
}
