// The in-container programs are copied and hashed as one list (edge/programs.ts):
// a host's artifact key moves when any of them changes, csm.py included (issue 25:
// the old hash covered harness/c and Csm.java, not csm.py).
import { readdirSync } from 'node:fs';
import t from 'tap';
import { PROGRAMS_DIR, programFiles, programsHash } from '../../harness/edge/programs.js';

t.test('every program file is listed, so copied and hashed: C, Python and Java alike', async (t) => {
  t.same(programFiles(), readdirSync(PROGRAMS_DIR).sort(), 'the list is the whole folder');
  for (const f of ['csm.h', 'csm-run.c', 'csm-probe.c', 'csm-calib.c', 'csm.py', 'Csm.java'])
    t.ok(programFiles().includes(f), `lists ${f}`);
});

t.test('the hash is of the files, and the same each time', async (t) => {
  t.match(programsHash(), /^[0-9a-f]{64}$/);
  t.equal(programsHash(), programsHash());
});
