/**
 * How mmdebstrap runs on this host for the base image (edge/mmdebstrap.ts):
 * as whom, with which keyring, after installing what, or the one line saying
 * why it cannot. Pure: the edge gathers the host's facts and passes them in.
 */
import { debianMirrorIn, type MirrorChoice } from './debian-mirror.js';

/** Where Debian's debian-archive-keyring package puts its keys, on Debian and on Ubuntu alike. */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * The other ways to the base image, for a line that says mmdebstrap cannot be
 * used here. Such a line needs no "mmdebstrap path" of its own: edge/base-image.ts
 * puts the path and why it was taken before it.
 */
const OTHER_PATHS =
  'or let the engine reach a registry with debian:trixie (the registry path; --base-image REF names another image), or pass --image-cache DIR holding the images from a machine that built them';

/** What this host offers mmdebstrap, as the edge found it. */
export interface MmdebstrapHost {
  /** The harness runs as root. */
  root: boolean;
  /** `sudo -n` works: a user whose sudo asks for no password (a GitHub runner's). */
  sudo: boolean;
  /** The host has apt-get (Debian, Ubuntu): a missing package can come from its own archive. */
  apt: boolean;
  mmdebstrap: boolean;
  /** DEBIAN_KEYRING exists. */
  keyring: boolean;
  /** The user's name, for the lines that tell it what to do. */
  user: string;
  /** What mmdebstrap's unshare mode needs, for a user who cannot be root. */
  unshare: { userns: boolean; newidmap: boolean; subuid: boolean; subgid: boolean };
}

export type MmdebstrapMode = 'root' | 'sudo' | 'unshare';

export type MmdebstrapPlan =
  | {
      ok: true;
      mode: MmdebstrapMode;
      /** Host packages apt-get installs first (as root). */
      install: string[];
      /** Arguments before the recipe's: the mode, the keyring. */
      args: string[];
      /** The one line saying how mmdebstrap runs. */
      line: string;
    }
  | { ok: false; problem: string };

/**
 * Whether mmdebstrap must be handed Debian's keyring: the mirror is not the
 * host's own Debian sources, so the keys the host's apt trusts (Ubuntu's, on
 * an Ubuntu host) may not check Debian's Release files.
 */
export function needsDebianKeyring(mirror: MirrorChoice, hostSources: readonly string[]): boolean {
  return mirror.from === 'debian' || (mirror.from === 'env' && debianMirrorIn(hostSources) === undefined);
}

/** The mode mmdebstrap can run in as this user, or why none: root, passwordless sudo, else unshare mode where the kernel and /etc/subuid allow it. */
export function chooseMode(h: MmdebstrapHost): { mode: MmdebstrapMode } | { problem: string } {
  if (h.root) return { mode: 'root' };
  if (h.sudo) return { mode: 'sudo' };
  const u = h.unshare;
  const cause = !u.userns
    ? 'this kernel does not let a user make user namespaces'
    : !u.newidmap
      ? 'newuidmap and newgidmap are missing'
      : !u.subuid || !u.subgid
        ? `${h.user} has no range in ${[!u.subuid && '/etc/subuid', !u.subgid && '/etc/subgid'].filter(Boolean).join(' and ')}`
        : undefined;
  if (!cause) return { mode: 'unshare' };
  const fix = !u.userns
    ? 'allow it (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0)'
    : !u.newidmap
      ? 'install them (apt-get install uidmap)'
      : `give it a range no other user's overlaps (e.g. sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${h.user})`;
  return {
    problem: `${h.user} is not root, has no passwordless sudo, and cannot use mmdebstrap's unshare mode: ${cause}; ${fix}, or run as root, ${OTHER_PATHS}`,
  };
}

/** How mmdebstrap runs here for a mirror that does or does not need Debian's keyring, or the one line saying why it cannot. */
export function planMmdebstrap(h: MmdebstrapHost, keyringNeeded: boolean): MmdebstrapPlan {
  const mode = chooseMode(h);
  if ('problem' in mode) return { ok: false, problem: mode.problem };
  const canInstall = mode.mode !== 'unshare' && h.apt;
  const install: string[] = [];
  if (!h.mmdebstrap) {
    if (!canInstall)
      return {
        ok: false,
        problem: `mmdebstrap is not installed${h.apt ? ` and ${h.user} cannot install it (not root, no passwordless sudo)` : ' and this host has no apt to install it from'}: install mmdebstrap (apt-get install mmdebstrap on Debian and Ubuntu), ${OTHER_PATHS}`,
      };
    install.push('mmdebstrap');
  }
  const keyring = keyringNeeded ? keyringStep(h, canInstall) : { args: [], say: '' };
  if ('problem' in keyring) return { ok: false, problem: keyring.problem };
  if (keyring.install) install.push(keyring.install);
  const args = [...(mode.mode === 'unshare' ? ['--mode=unshare'] : []), ...keyring.args];
  const who = {
    root: 'as root',
    sudo: 'as root through sudo -n',
    unshare: `as ${h.user} in a user namespace (--mode=unshare: ${h.user} is not root and has no passwordless sudo)`,
  }[mode.mode];
  return { ok: true, mode: mode.mode, install, args, line: `mmdebstrap ${who}${keyring.say}` };
}

/** Debian's keyring for a mirror the host's own keys may not check: present, installed from the host's apt, or the reason it cannot be had. */
function keyringStep(h: MmdebstrapHost, canInstall: boolean): { args: string[]; install?: string; say: string } | { problem: string } {
  const args = [`--keyring=${DEBIAN_KEYRING}`];
  if (h.keyring)
    return { args, say: `, checking Debian's Release files with ${DEBIAN_KEYRING} (the mirror is not this host's own Debian sources)` };
  if (canInstall)
    return {
      args,
      install: 'debian-archive-keyring',
      say: `, checking Debian's Release files with ${DEBIAN_KEYRING}, installed now from this host's apt (debian-archive-keyring)`,
    };
  const cause = h.apt ? `${h.user} cannot install it (not root, no passwordless sudo)` : 'this host has no apt to install it from';
  return {
    problem: `the mirror is not this host's own Debian sources, so mmdebstrap needs Debian's archive keyring to check its Release files, and ${DEBIAN_KEYRING} is missing and ${cause}: install debian-archive-keyring (sudo apt-get install debian-archive-keyring), or set CSM_DEBIAN_MIRROR to a mirror this host's apt trusts, ${OTHER_PATHS}`,
  };
}

/** Whether an /etc/subuid or /etc/subgid text gives `user` a range, as mmdebstrap reads it: by name, `name:first:count`. */
export function hasSubidRange(text: string, user: string): boolean {
  return text.split('\n').some((l) => {
    const [name, first, count] = l.trim().split(':');
    return name === user && /^\d+$/.test(first ?? '') && Number(count) > 0;
  });
}
