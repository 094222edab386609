// Reading a run back: a run directory, its results.json, or (for merge) a results root.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readRun } from '../../harness/edge/runs.js';
import { runResults, tempDir } from '../support/helpers.js';

t.test('a results root stands for its latest run where a root is accepted', async (t) => {
  const root = tempDir(t);
  const id = '2026-11-26T11-50-59Z-ab12';
  mkdirSync(join(root, id));
  writeFileSync(join(root, id, 'results.json'), JSON.stringify(runResults([])));
  symlinkSync(id, join(root, 'latest'));
  t.equal(readRun(join(root, id)).results.run.id, id, 'a run directory');
  t.equal(readRun(join(root, id, 'results.json')).dir, join(root, id), 'its results.json');
  const viaRoot = readRun(root, { root: true });
  t.equal(viaRoot.results.run.id, id, 'a root: its latest run');
  t.match(viaRoot.dir, new RegExp(`${id}$`), 'and that run is the directory its logs are under');
  t.throws(
    () => readRun(root),
    { name: 'UsageError', message: `${root}: no such run directory or results.json` },
    'elsewhere a root is not a run',
  );
});
