// The action's path as a library's workflow gets it, for the tests that run
// action.yml's steps (test/integration/action.test.ts, first-run-apt.test.ts).
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';

export type PackedFiles = [{ filename: string; files: { path: string }[] }];

/**
 * What `npm pack` ships of the repository at `root`, unpacked under `work`,
 * plus the two files a checkout of the repository at a tag has and a package
 * never does (npm leaves package-lock.json out of every package; action.yml
 * is not in "files").
 */
export async function packAction(root: string, work: string): Promise<{ actionPath: string; packed: PackedFiles }> {
  const packed = JSON.parse((await $({ cwd: root, quiet: true })`npm pack --pack-destination ${work} --json`).stdout) as PackedFiles;
  const actionPath = join(work, 'cshared-matrix');
  mkdirSync(actionPath);
  await $({ quiet: true })`tar -xzf ${join(work, packed[0].filename)} -C ${actionPath} --strip-components=1`;
  for (const f of ['action.yml', 'package-lock.json']) cpSync(join(root, f), join(actionPath, f));
  return { actionPath, packed };
}
