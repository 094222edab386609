import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WARM_MARK } from '../sandbox/paths.js';

/**
 * The artifact and Go build cache as this machine sees it (--cache; the build
 * containers mount it at CACHE_DIR): an entry is published whole by the step
 * that built it (sandbox/scripts.ts CACHED_STEP), so its `.ok` says it can be
 * restored, and the restore reads its log and readelf facts from here.
 */
export const makeArtifactDir = (cacheDir: string): void => void mkdirSync(join(cacheDir, 'artifacts'), { recursive: true });

export const hasArtifact = (cacheDir: string, akey: string): boolean => existsSync(join(cacheDir, 'artifacts', akey, '.ok'));

/** A cached step's log and readelf output, as it was built. */
export function readArtifactRecord(cacheDir: string, akey: string): { log: string; elf: string } {
  const dir = join(cacheDir, 'artifacts', akey);
  return { log: readFileSync(join(dir, '.log'), 'utf8'), elf: readFileSync(join(dir, '.elf'), 'utf8') };
}

/**
 * Hand a container a file through the cache mount for the time `use` takes
 * (its name, relative to the cache directory): a list that grows with the
 * matrix, which argv would not hold.
 */
export async function withCacheFile<T>(cacheDir: string, prefix: string, content: string, use: (name: string) => Promise<T>): Promise<T> {
  const name = `${prefix}-${randomBytes(6).toString('hex')}.list`;
  writeFileSync(join(cacheDir, name), content);
  try {
    return await use(name);
  } finally {
    rmSync(join(cacheDir, name), { force: true });
  }
}

/** Groups (sandbox/paths.ts stdGroup) an earlier run left warm in this cache directory. */
export function warmGroups(cacheDir: string): string[] {
  const dir = join(cacheDir, 'go-build');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(WARM_MARK))
    .map((f) => f.slice(WARM_MARK.length));
}

/** Mark a group warm; only scheduling depends on it, so a mark that cannot be written costs one serial build next run. */
export function markWarm(cacheDir: string, group: string): void {
  try {
    writeFileSync(join(cacheDir, 'go-build', `${WARM_MARK}${group}`), '');
  } catch {
    // See above.
  }
}
