import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../../harness/core/errors.js';
import { readBugReport, writeCaseFiles } from '../../harness/edge/bug-report.js';
import { tempDir, writeTree } from '../support/helpers.js';

t.test('a report file is its text; a missing one is one line saying what to give', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'report.md'), '```go\npackage main\n```\n');
  t.same(readBugReport(join(dir, 'report.md')), { text: '```go\npackage main\n```\n' });
  t.throws(
    () => readBugReport(join(dir, 'nope.md')),
    new UsageError(
      `${join(dir, 'nope.md')}: no such file or directory (give a bug report: a .md/.txt file with fenced code blocks, or a directory of sources)`,
    ),
  );
});

t.test('a report directory: its files three levels deep, no dot-directories, nothing of 1 MiB or more', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    'main.go': 'package main\n',
    'host/host.c': 'int main(void) { return 0; }\n',
    'a/b/c/deep.go': 'package deep\n',
    'a/b/c/d/too-deep.go': 'package x\n',
    '.git/config': '[core]\n',
  });
  writeFileSync(join(dir, 'big.txt'), Buffer.alloc(1 << 20, 'x'));
  const got = readBugReport(dir);
  t.ok('files' in got);
  if (!('files' in got)) return;
  t.same(got.files.map((f) => f.path).sort(), ['a/b/c/deep.go', 'host/host.c', 'main.go']);
  t.equal(got.files.find((f) => f.path === 'main.go')?.content, 'package main\n');
});

t.test('writeCaseFiles writes each file, its directories made', async (t) => {
  const dir = join(tempDir(t), 'case');
  writeCaseFiles(dir, [
    { path: 'go/main.go', content: 'package main\n' },
    { path: 'case.json', content: '{}\n' },
  ]);
  t.equal(readFileSync(join(dir, 'go', 'main.go'), 'utf8'), 'package main\n');
  t.equal(readFileSync(join(dir, 'case.json'), 'utf8'), '{}\n');
});
