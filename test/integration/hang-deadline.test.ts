// Issue 27, the nightly tier's time: an expected hang is killed at the short
// deadline its expectation declares, not at the case's whole run.timeout, and
// says so. preload-free on amd64-glibc hangs (golang/go#26184) and declares
// 2 s against its run.timeout of 5 s. Its own results and cache directories.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CaseFile } from '../../harness/core/types.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO, ROOT } from '../support/cli-run.js';

const scratch = mkdtempSync(join(tmpdir(), 'csm-hang-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-hang-cache-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const caseFile = JSON.parse(readFileSync(join(ROOT, 'cases', 'preload-free', 'case.json'), 'utf8')) as CaseFile;
const hang = caseFile.expect!.find((r) => r.verdict === 'timeout' && r.when.toolchain === 'gc')!;
// The supervisor's kill and the container's exec around it; below the 3 s more the whole run.timeout would take.
const MARGIN_MS = 1500;

t.test('preload-free on amd64-glibc: xfail as a timeout, killed at its declared deadline and saying so', async (t) => {
  t.equal(hang.deadline, 2, 'the case declares 2 s (cases/preload-free/README.md says why)');
  t.equal(caseFile.run?.timeout, 5, 'against a run.timeout of 5 s');
  const r = await matrixRunner(mkdtempSync(join(scratch, 'run-')), cacheDir)('--platform', 'amd64-glibc', '--case', 'preload-free');
  if (!t.equal(r.code, 0, 'an expected failure only: exit 0')) t.comment(r.out.slice(-3000));
  const cell = r.cell(`preload-free/amd64-glibc/go${NEWEST_GO}`);
  t.equal(cell.verdict, 'xfail');
  t.equal(cell.summary, `${hang.label}: killed after its declared 2 s deadline`, 'the summary says the declared deadline');
  t.same(cell.exit, { timedOut: true });
  t.match(cell.failureText, /^timed out after 2\.0 s and was killed: an expected hang, at its declared 2 s deadline\n/);
  t.equal(cell.expectation?.deadline, 2, 'the applied expectation carries it into results.json');
  t.ok(
    cell.durationMs >= 2000 && cell.durationMs <= 2000 + MARGIN_MS,
    `the host ran ${cell.durationMs} ms: its 2 s deadline, not its run.timeout's 5 s`,
  );
  t.same(await leftovers(docker, r.results!.run.id), [], 'no container left');
});
