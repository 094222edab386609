import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import pLimit from 'p-limit';
import { $ } from 'zx';
import { InfraError } from '../core/errors.js';
import { cannotInstall, type SudoFact } from '../core/host-install.js';

/** Whether this machine may install its own missing tools: root on Debian. */
export const canSelfInstall = (): boolean => process.getuid?.() === 0 && existsSync('/etc/debian_version');

let sudoAsked: Promise<SudoFact | undefined> | undefined;
/**
 * Undefined for root, or a user whose sudo needs no password (a GitHub
 * runner's): the harness's own recipe commands may run as root. Else why not.
 * sudo itself, not through a shell, so that "no sudo" is told from sudo's refusal.
 */
const whyNotRoot = (): Promise<SudoFact | undefined> =>
  (sudoAsked ??=
    process.getuid?.() === 0
      ? Promise.resolve(undefined)
      : new Promise((resolve) =>
          execFile('sudo', ['-n', 'true'], { timeout: 10_000 }, (e, _out, err) => {
            if (!e) return resolve(undefined);
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ kind: 'absent' });
            resolve({ kind: 'refused', said: err.trim().split('\n')[0] || `exit ${e.code ?? e.signal}` });
          }),
        ));

/** Root, or a user whose sudo needs no password (a GitHub runner's): the harness's own recipe commands may run as root. */
export const canBeRoot = async (): Promise<boolean> => (await whyNotRoot()) === undefined;

/**
 * The command line of one of the harness's own image-recipe commands that
 * need root (apt-get, mmdebstrap): as is for root, else through `sudo -n`.
 * Only these run as root when the harness itself does not: nothing a case
 * supplies, and no file a run writes for its results.
 */
export const asRoot = (cmd: string, args: readonly string[]): [string, string[]] =>
  process.getuid?.() === 0 ? [cmd, [...args]] : ['sudo', ['-n', '--', cmd, ...args]];

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
export const aptInstall = (packages: string[], say: (line: string) => void, neededFor?: string): Promise<void> =>
  aptQueue(() => install(packages, say, neededFor));

async function install(packages: string[], say: (line: string) => void, neededFor?: string): Promise<void> {
  const facts = { packages, uid: process.getuid?.() ?? 0, ...(neededFor ? { neededFor } : {}) };
  if (!existsSync('/etc/debian_version')) throw new InfraError(cannotInstall({ ...facts, debian: false }));
  const sudo = await whyNotRoot();
  if (sudo) throw new InfraError(cannotInstall({ ...facts, debian: true, sudo }));
  // sudo drops the environment: apt-get gets its frontend through env.
  const apt = (...args: string[]) => asRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
  if (!updated) {
    say('apt-get update');
    const [cmd, args] = apt('update', '-q');
    const u = await $({ nothrow: true, quiet: true })`${cmd} ${args}`;
    if (u.exitCode !== 0)
      throw new InfraError(`apt-get update failed (${u.stderr.trim().split('\n').pop()}); check the machine's apt sources and network`);
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
