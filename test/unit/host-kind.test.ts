// Which kind of host a case has (core/host-kind.ts), decided once: the steps,
// the run line, the environment and the language layers all follow it.
import { join } from 'node:path';
import t from 'tap';
import { hostKind, hostLangOf, isCompiledHost } from '../../harness/core/host-kind.js';
import { expandMatrix } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { probeCases } from '../../harness/core/probes.js';
import type { CaseSpec, GoToolchain } from '../../harness/core/types.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { hostArgv, hostEnv } from '../../harness/sandbox/commands.js';
import { planSteps } from '../../harness/sandbox/steps.js';

const load = (n: string) => loadCase(join(DEFAULT_CASES_DIR, n));
const go = { version: '1.27' } as GoToolchain;
const amd64 = PLATFORMS.find((p) => p.name === 'amd64-glibc')!;
const inputs = { imageId: `sha256:${'a'.repeat(64)}`, programsHash: 'b'.repeat(64) };
const hostSteps = (c: CaseSpec) =>
  planSteps(expandMatrix([c], [amd64], [go])[0]!, c, inputs).filter((s) => s.what === 'the host' || s.what === 'the Java host');

t.test('each kind, from the real cases, and what follows from it', async (t) => {
  const link = load('link');
  const probe = probeCases(link, { dlopen: [], link: [] }).find((c) => c.probe === 'link')!;
  const kinds = { c: link, probe, python: load('python'), java: load('jni') };
  for (const [kind, c] of Object.entries(kinds)) {
    t.equal(hostKind(c), kind, `${c.name}: ${kind}`);
    t.equal(hostLangOf(c), kind === 'python' || kind === 'java' ? kind : undefined);
    t.equal(isCompiledHost(hostKind(c)), kind === 'c' || kind === 'probe');
    const steps = hostSteps(c);
    t.same(
      steps.map((s) => s.what),
      kind === 'python' ? [] : kind === 'java' ? ['the Java host'] : ['the host'],
      `${kind}: its host step`,
    );
  }
  t.equal(hostKind({ ...link, host: undefined }), undefined, 'a case with no host and no probe: no kind, no cells');
  t.match(hostArgv(kinds.python, amd64, '1.27').join(' '), /^python3 \S+\/host\.py$/);
  t.match(hostArgv(kinds.java, amd64, '1.27').join(' '), /\/bin\/java -cp /);
  t.ok(hostEnv(kinds.python, amd64, '1.27', 1000).includes('PYTHONDONTWRITEBYTECODE=1'), "a Python host's environment");
  t.notOk(
    hostEnv(kinds.c, amd64, '1.27', 1000).some((e) => e.startsWith('PYTHON')),
    "a C host's has none of it",
  );
});
