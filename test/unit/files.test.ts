import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { InfraError } from '../../harness/core/errors.js';
import {
  appendText,
  JsonCache,
  makeDir,
  pointLatest,
  pointLatestIfResults,
  presentIn,
  untilFileExists,
  writeAtomic,
} from '../../harness/edge/files.js';
import { tempDir } from '../support/helpers.js';

t.test('writeAtomic writes the content and leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'results.json');
  writeAtomic(file, '{"a":1}\n');
  t.equal(readFileSync(file, 'utf8'), '{"a":1}\n');
  t.same(readdirSync(dir), ['results.json']);
  writeAtomic(file, 'second');
  t.equal(readFileSync(file, 'utf8'), 'second', 'replaces the old content');
  t.same(readdirSync(dir), ['results.json']);
  writeAtomic(file, '');
  t.equal(readFileSync(file, 'utf8'), '');
});

t.test('writeAtomic creates missing directories', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'run-1', 'logs', 'builds', 'x.log');
  writeAtomic(file, 'log ✓\n');
  t.equal(readFileSync(file, 'utf8'), 'log ✓\n');
  t.same(readdirSync(join(dir, 'run-1', 'logs', 'builds')), ['x.log']);
});

t.test('writeAtomic: a failed write leaves the old file and no temp file, and says so in one line', async (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'matrix.md');
  mkdirSync(target); // a directory where the file should go: rename fails
  writeFileSync(join(target, 'keep'), 'x');
  let err: unknown;
  try {
    writeAtomic(target, 'new');
  } catch (e) {
    err = e;
  }
  t.type(err, InfraError);
  t.equal((err as InfraError).exitCode, 3);
  {
    const e = err;
    t.match((e as Error).message, new RegExp(`^cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    t.notMatch((e as Error).message, /\n/);
  }
  t.same(readdirSync(dir), ['matrix.md'], 'no temp file left behind');
  t.same(readdirSync(target), ['keep']);
});

t.test('pointLatest', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'run-1'));
  mkdirSync(join(dir, 'run-2'));
  pointLatest(dir, 'run-1');
  const latest = join(dir, 'latest');
  t.ok(lstatSync(latest).isSymbolicLink());
  t.equal(readlinkSync(latest), 'run-1', 'a relative link to the run id');
  pointLatest(dir, 'run-2');
  t.ok(lstatSync(latest).isSymbolicLink());
  t.equal(readlinkSync(latest), 'run-2', 're-pointed');
  t.same(readdirSync(dir).sort(), ['latest', 'run-1', 'run-2'], 'no temp link left');
  writeFileSync(join(dir, 'run-2', 'results.json'), '{}');
  t.equal(readFileSync(join(latest, 'results.json'), 'utf8'), '{}', 'resolves into the run directory');
  pointLatest(dir, 'run-2');
  t.equal(readlinkSync(latest), 'run-2', 'pointing again at the same run is fine');
});

t.test('JsonCache: missing or broken files are empty, fresh ignores the file, save round-trips', async (t) => {
  const dir = t.testdir({ 'broken.json': '{', 'good.json': '{"k":{"factor":2}}' });
  t.same(new JsonCache(join(dir, 'none.json')).entries, {});
  t.same(new JsonCache(join(dir, 'broken.json')).entries, {}, 'a broken file is measured again, not an error');
  t.same(new JsonCache(join(dir, 'good.json')).entries, { k: { factor: 2 } });
  t.same(new JsonCache(join(dir, 'good.json'), true).entries, {}, '--rebuild: fresh');
  const c = new JsonCache<number>(join(dir, 'sub', 'new.json'));
  c.entries.a = 1;
  c.save();
  t.same(new JsonCache(join(dir, 'sub', 'new.json')).entries, { a: 1 });
  const ro = new JsonCache<number>(join(dir, 'good.json', 'x.json'));
  ro.entries.b = 2;
  t.doesNotThrow(() => ro.save(), 'a write that fails is dropped, never an error');
});

t.test('pointLatestIfResults moves latest only to a run whose results.json exists', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'run-a'));
  pointLatestIfResults(dir, 'run-a');
  t.notOk(readdirSync(dir).includes('latest'), 'no results.json: latest not made');
  writeFileSync(join(dir, 'run-a', 'results.json'), '{}');
  pointLatestIfResults(dir, 'run-a');
  t.equal(readlinkSync(join(dir, 'latest')), 'run-a');
  mkdirSync(join(dir, 'run-b'));
  pointLatestIfResults(dir, 'run-b');
  t.equal(readlinkSync(join(dir, 'latest')), 'run-a', 'left where it was');
});

t.test('presentIn, appendText, makeDir', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'matrix.md'), '');
  writeFileSync(join(dir, 'results.json'), '');
  t.same(presentIn(dir, ['results.json', 'report.html', 'matrix.md']), ['results.json', 'matrix.md'], 'in the order given');
  appendText(join(dir, 'summary'), 'one\n');
  appendText(join(dir, 'summary'), 'two\n');
  t.equal(readFileSync(join(dir, 'summary'), 'utf8'), 'one\ntwo\n');
  const made = makeDir(join(dir, 'a', 'b'));
  t.ok(lstatSync(made).isDirectory());
  t.equal(made, join(realpathSync(dir), 'a', 'b'), 'its real path');
});

t.test(
  'untilFileExists (the layer gate of early-cells.test): resolves once the file is there; the run ending first rejects it',
  async (t) => {
    const gate = join(tempDir(t), 'open');
    const open = new AbortController();
    let opened = false;
    const waiting = untilFileExists(gate, open.signal, 10).then(() => (opened = true));
    await new Promise((r) => setTimeout(r, 50));
    t.notOk(opened, 'still waiting while the file is absent');
    writeFileSync(gate, '');
    await waiting;
    t.ok(opened, 'resolved once it exists');
    const ended = new AbortController();
    const never = untilFileExists(join(tempDir(t), 'never'), ended.signal, 10);
    ended.abort();
    await t.rejects(never, { message: 'the run ended before it was built' });
    await t.rejects(untilFileExists(gate, ended.signal), { message: 'the run ended before it was built' }, 'already ended: at once');
  },
);
