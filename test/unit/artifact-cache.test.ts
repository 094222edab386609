import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  hasArtifact,
  makeArtifactDir,
  markWarm,
  readArtifactRecord,
  warmGroups,
  withCacheFile,
} from '../../harness/edge/artifact-cache.js';
import { WARM_MARK } from '../../harness/sandbox/paths.js';
import { tempDir } from '../support/helpers.js';

t.test('an entry is restorable only once its .ok is there; its log and readelf text are read back', async (t) => {
  const cache = tempDir(t);
  makeArtifactDir(cache);
  t.equal(hasArtifact(cache, 'k1'), false, 'no entry');
  mkdirSync(join(cache, 'artifacts', 'k1'));
  writeFileSync(join(cache, 'artifacts', 'k1', '.log'), 'go build ok\n');
  writeFileSync(join(cache, 'artifacts', 'k1', '.elf'), '@@csm-elf end\n');
  t.equal(hasArtifact(cache, 'k1'), false, 'an entry being published has no .ok yet');
  writeFileSync(join(cache, 'artifacts', 'k1', '.ok'), '');
  t.equal(hasArtifact(cache, 'k1'), true);
  t.same(readArtifactRecord(cache, 'k1'), { log: 'go build ok\n', elf: '@@csm-elf end\n' });
});

t.test('withCacheFile: the file is there while it is used, under a fresh name, and gone after, even when the use fails', async (t) => {
  const cache = tempDir(t);
  let seen = '';
  const got = await withCacheFile(cache, 'restore', 'k1\t/work/out/a\n', async (name) => {
    seen = name;
    t.match(name, /^restore-[0-9a-f]{12}\.list$/);
    t.same(readdirSync(cache), [name]);
    return 42;
  });
  t.equal(got, 42);
  t.notOk(existsSync(join(cache, seen)));
  await t.rejects(
    withCacheFile(cache, 'restore', 'x', async () => Promise.reject(new Error('exec failed'))),
    { message: 'exec failed' },
  );
  t.same(readdirSync(cache), [], 'removed after a failure too');
});

t.test('warm marks: what markWarm writes, warmGroups reads back; no Go build cache yet is no group', async (t) => {
  const cache = tempDir(t);
  t.same(warmGroups(cache), []);
  markWarm(cache, 'abc-amd64');
  t.same(warmGroups(cache), [], 'no go-build directory: the mark is lost, never an error');
  mkdirSync(join(cache, 'go-build'));
  writeFileSync(join(cache, 'go-build', 'not-a-mark'), '');
  markWarm(cache, 'abc-amd64');
  markWarm(cache, 'abc-arm-v7');
  t.same(warmGroups(cache).sort(), ['abc-amd64', 'abc-arm-v7']);
  t.ok(existsSync(join(cache, 'go-build', `${WARM_MARK}abc-amd64`)));
});
