import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo.js';

/**
 * The harness's own programs that run inside the sandbox: the supervisor
 * (csm-run.c), the probe and calibration hosts, and the protocol helpers a
 * host includes or imports (csm.h, csm.py, Csm.java). They are copied into the
 * volume together and hashed together, so a change to any of them is a new
 * artifact key for every host that compiles or runs against them.
 */
export const PROGRAMS_DIR = join(REPO_ROOT, 'harness', 'programs');

/** Every program file, sorted: what is copied and what is hashed are the same list. */
export const programFiles = (): string[] =>
  readdirSync(PROGRAMS_DIR)
    .filter((f) => !f.endsWith('.md'))
    .sort();

/** One hash over every program file's name and bytes. */
export function programsHash(): string {
  const h = createHash('sha256');
  for (const f of programFiles())
    h.update(f)
      .update('\0')
      .update(readFileSync(join(PROGRAMS_DIR, f)))
      .update('\0');
  return h.digest('hex');
}

/** Copy every program file into `dir` (the volume's csm/ directory as staged). */
export function copyPrograms(dir: string): void {
  for (const f of programFiles()) cpSync(join(PROGRAMS_DIR, f), join(dir, f));
}
