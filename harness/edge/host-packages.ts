import { existsSync } from 'node:fs';
import pLimit from 'p-limit';
import { $ } from 'zx';
import { InfraError } from '../core/errors.js';

/** Whether this machine may install its own missing tools: root on Debian. */
export const canSelfInstall = (): boolean => process.getuid?.() === 0 && existsSync('/etc/debian_version');

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
  if (!canSelfInstall()) throw new InfraError(`missing ${packages.join(', ')}; install with: sudo apt-get install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    say('apt-get update');
    const u = await $({ nothrow: true, quiet: true, env })`apt-get update -q`;
    if (u.exitCode !== 0) throw new InfraError(`apt-get update failed (${u.stderr.trim().split('\n').pop()}); check the machine's apt sources and network`);
    updated = true;
  }
  say(`apt-get install ${packages.join(' ')}`);
  const r = await $({ nothrow: true, quiet: true, env })`apt-get install -y -q -o DPkg::Lock::Timeout=300 ${packages}`;
  if (r.exitCode !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    const hint = /No space left/i.test(r.stderr + r.stdout) ? 'the disk is full; free space and retry' : 'see apt-get output above';
    throw new InfraError(`apt-get install ${packages.join(' ')} failed: ${last} (${hint})`);
  }
}
