import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { ELF_SCRIPT } from '../core/elf.js';
import { InfraError } from '../core/errors.js';
import { skippedInPackage } from '../core/go-package.js';
import { CACHE_DIR, CSM_DIR, SUPERVISOR, VOL } from '../sandbox/layout.js';
import { goCacheRel, warmMarkPrefix } from '../sandbox/paths.js';
import * as scripts from '../sandbox/scripts.js';
import { readStatus } from '../sandbox/status.js';
import { copyPrograms } from './programs.js';
import type { ExecResult, Session } from './sandbox.js';

/**
 * The build side of the sandbox: what goes into the run volume before any
 * step, and one build step on one lane of a builder. The runner and the
 * containment tests use these same functions, so what the tests attack is what
 * a run does.
 */

/**
 * Put the harness's programs (edge/programs.ts) and every case's sources into the
 * volume in one upload, then compile the supervisor. The staging copy keeps a
 * case's symlinks as symlinks (the loader already refused any pointing outside
 * its case), and afterwards nothing in the volume is writable but by root: a
 * build step, as its lane's user, reads every case and writes none.
 */
export async function prepareVolume(
  session: Session,
  builder: Docker.Container,
  cases: { name: string; dir: string; goPackage?: boolean }[],
): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'csm-sources-'));
  try {
    mkdirSync(join(stage, 'csm'));
    copyPrograms(join(stage, 'csm'));
    for (const c of cases) {
      // A user's package directory may hold its repository's .git or node_modules: go build ignores them, and so does the copy.
      const filter = c.goPackage ? (src: string) => src === c.dir || !skippedInPackage(basename(src)) : undefined;
      cpSync(c.dir, join(stage, 'src', c.name), { recursive: true, verbatimSymlinks: true, ...(filter ? { filter } : {}) });
    }
    await session.putArchive(builder, tar.c({ cwd: stage, portable: true }, ['csm', 'src']), VOL);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // Static, so the supervisor runs in any image or user-supplied rootfs.
  const script = `chmod -R go-w ${VOL}/src ${CSM_DIR} && gcc -O2 -static -o ${SUPERVISOR} ${CSM_DIR}/csm-run.c`;
  const r = await session.exec(builder, ['/bin/sh', '-c', script], { deadlineMs: 120_000 });
  if (r.exitCode !== 0) throw new InfraError(`cannot compile the run supervisor: ${r.stderr.trim()}`);
}

/**
 * Make an image's Go build cache (under /cache) shareable by the lanes' users,
 * emptied first if it is over the session's budget; then its warm marks go too,
 * so the scheduler warms the standard library again before building in parallel.
 * Returns the KiB it held when it was emptied.
 */
export async function shareGoCache(session: Session, builder: Docker.Container, imageId: string): Promise<number | undefined> {
  const g = await session.exec(
    builder,
    scripts.shareGoCache(`${CACHE_DIR}/${goCacheRel(imageId)}`, session.limits.goCacheBudgetMiB * 1024),
    { deadlineMs: 10 * 60_000 },
  );
  if (g.exitCode !== 0) throw new InfraError(`cannot prepare the Go build cache: ${g.stderr.trim().split('\n').pop() ?? ''}`);
  const trimmed = /^csm-trimmed (\d+)$/m.exec(g.stdout);
  if (!trimmed) return undefined;
  const marks = session.cacheDir ? join(session.cacheDir, 'go-build') : undefined;
  if (marks && existsSync(marks))
    for (const f of readdirSync(marks)) if (f.startsWith(warmMarkPrefix(imageId))) rmSync(join(marks, f), { force: true });
  return Number(trimmed[1]);
}

export interface BuildStep {
  /** Artifact-cache key. */
  akey: string;
  out: string;
  target: string;
  cmd: string[];
  env: string[];
  workdir: string;
}

/**
 * One build step through the artifact cache (scripts.ts cachedStep), on `lane`: the
 * command runs as that lane's user and can write only `out` and the lane's
 * home, within the session's build quota. The exit code is the command's,
 * 128+N for a signal, -1 at the deadline, 123 when the step reached its quota.
 */
/** What a build step's output may hold: its log and its artifact's facts (readelf's text, or a DLL's bytes). */
const BUILD_OUTPUT_BYTES = 16 * 2 ** 20;

export async function runBuildStep(
  session: Session,
  builder: Docker.Container,
  lane: number,
  step: BuildStep,
  opts: { nonce: string; rebuild: boolean; deadlineMs: number },
): Promise<ExecResult> {
  const cmd = scripts.cachedStep(step.akey, step.out, step.target, opts.rebuild, lane, session.limits.buildQuotaMiB * 2 ** 20, step.cmd);
  // The wrapper reads the artifact's ELF facts with the harness's own script.
  const env = [...step.env, `CSM_ELF_SCRIPT=${ELF_SCRIPT}`];
  const res = await session.runSupervised(
    builder,
    [SUPERVISOR, String(opts.deadlineMs), opts.nonce, '--', ...cmd],
    // A PE file's facts are its bytes (core/elf.ts ELF_SCRIPT): a Go DLL sends 1.7 MB, past the 1 MiB an exec keeps by default.
    { env, workdir: step.workdir, deadlineMs: opts.deadlineMs + 20_000, maxOutput: BUILD_OUTPUT_BYTES },
    lane,
  );
  const status = readStatus(res.status ?? '');
  const end = status.end;
  if (!end && !res.deadlineHit)
    throw new InfraError(
      `the build supervisor reported nothing${status.error ? `: ${status.error}` : ''}: ${res.stderr.trim().split('\n').pop() ?? ''}`,
    );
  const exitCode = end?.kind === 'exit' ? end.code : end?.kind === 'signal' ? 128 + end.signal : -1;
  return { ...res, exitCode, deadlineHit: res.deadlineHit || end?.kind === 'timeout' };
}
