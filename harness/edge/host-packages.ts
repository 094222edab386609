import { existsSync } from 'node:fs';
import pLimit from 'p-limit';
import { $ } from 'zx';
import { InfraError } from '../core/errors.js';

/** Whether this machine may install its own missing tools: root on Debian. */
export const canSelfInstall = (): boolean => process.getuid?.() === 0 && existsSync('/etc/debian_version');

let sudoWorks: Promise<boolean> | undefined;
/** Root, or a user whose sudo needs no password (a GitHub runner's): the harness's own recipe commands may run as root. */
export const canBeRoot = (): Promise<boolean> => (sudoWorks ??= process.getuid?.() === 0 ? Promise.resolve(true) : $({ nothrow: true, quiet: true })`sudo -n true`.then((r) => r.exitCode === 0, () => false));

/**
 * The command line of one of the harness's own image-recipe commands that
 * need root (apt-get, mmdebstrap): as is for root, else through `sudo -n`.
 * Only these run as root when the harness itself does not: nothing a case
 * supplies, and no file a run writes for its results.
 */
export const asRoot = (cmd: string, args: readonly string[]): [string, string[]] => (process.getuid?.() === 0 ? [cmd, [...args]] : ['sudo', ['-n', '--', cmd, ...args]]);

export async function onPath(cmd: string): Promise<boolean> {
  return (await $({ nothrow: true, quiet: true })`command -v ${cmd}`).exitCode === 0;
}

let updated = false;
/** One apt-get at a time: layers build two at once, and dpkg's lock refuses a second. */
const aptQueue = pLimit(1);

/**
 * Install Debian packages from the host's own suites. The host's apt sources are
 * never touched: adding the image suites there would upgrade the host's libc.
 */
export const aptInstall = (packages: string[], say: (line: string) => void): Promise<void> => aptQueue(() => install(packages, say));

async function install(packages: string[], say: (line: string) => void): Promise<void> {
  if (!existsSync('/etc/debian_version') || !(await canBeRoot())) throw new InfraError(`missing ${packages.join(', ')}; install with: sudo apt-get install ${packages.join(' ')}`);
  // sudo drops the environment: apt-get gets its frontend through env.
  const apt = (...args: string[]) => asRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
  if (!updated) {
    say('apt-get update');
    const [cmd, args] = apt('update', '-q');
    const u = await $({ nothrow: true, quiet: true })`${cmd} ${args}`;
    if (u.exitCode !== 0) throw new InfraError(`apt-get update failed (${u.stderr.trim().split('\n').pop()}); check the machine's apt sources and network`);
    updated = true;
  }
  say(`apt-get install ${packages.join(' ')}`);
  const [cmd, args] = apt('install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', ...packages);
  const r = await $({ nothrow: true, quiet: true })`${cmd} ${args}`;
  if (r.exitCode !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    const hint = /No space left/i.test(r.stderr + r.stdout) ? 'the disk is full; free space and retry' : 'see apt-get output above';
    throw new InfraError(`apt-get install ${packages.join(' ')} failed: ${last} (${hint})`);
  }
}
