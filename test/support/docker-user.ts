// A fresh user to run the harness as, as a developer or a library's CI runner
// would: not root, in the docker group (or, to see what the harness says to
// one, outside it). Made with useradd where this machine allows it (root,
// useradd, setpriv, a docker group); action.test.ts and package.test.ts share it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface MadeUser {
  name: string;
  uid: number;
  gid: number;
}

/** Why this machine does not let a test make a user (undefined when it does). */
export function cannotMakeUsers(): string | undefined {
  if (process.getuid?.() !== 0) return `this process is not root (uid ${process.getuid?.()})`;
  if (spawnSync('getent', ['group', 'docker']).status !== 0) return 'this machine has no docker group';
  if (spawnSync('bash', ['-c', 'command -v useradd userdel setpriv']).status !== 0) return 'useradd, userdel or setpriv is missing';
  return undefined;
}

/**
 * A new user named `prefix` + random hex, with its own group, no home, in the
 * docker group unless `dockerGroup` is false; removed (with its group) in
 * `t`'s teardown, whatever happened. Undefined when cannotMakeUsers() says why not.
 */
export function makeUser(t: { teardown: (fn: () => void) => void }, prefix: string, dockerGroup = true): MadeUser | undefined {
  if (cannotMakeUsers()) return undefined;
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const made = spawnSync('useradd', ['--no-create-home', '--user-group', ...(dockerGroup ? ['--groups', 'docker'] : []), name], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`useradd ${name}: ${made.stderr}`);
  t.teardown(() => void spawnSync('userdel', [name]));
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/** `cmd args…` as `name`, with its groups (the docker group): for spawn. */
export const asUser = (name: string, cmd: string, args: readonly string[]): [string, string[]] => [
  'setpriv',
  [`--reuid=${name}`, `--regid=${name}`, '--init-groups', '--', cmd, ...args],
];
