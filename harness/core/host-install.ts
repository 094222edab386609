// Why the harness cannot install a host tool it needs (zstd, mmdebstrap,
// docker.io), as one line: the tool, the cause, the fix. Pure, so every case
// is tested without a real sudo, a non-Debian host or a non-root user.

/** What stands between the harness and `sudo -n apt-get`: no sudo at all, or sudo's own refusal (its first line). */
export type SudoFact = { kind: 'absent' } | { kind: 'refused'; said: string };

export interface InstallFacts {
  packages: readonly string[];
  /** What the run needs them for, when the tool's name does not say (zstd: the image cache). */
  neededFor?: string;
  /** /etc/debian_version exists: apt-get is this host's package manager. */
  debian: boolean;
  uid: number;
  /** Only asked when Debian and not root. */
  sudo?: SudoFact;
}

/** The one line said when `packages` are missing and the harness may not install them itself. */
export function cannotInstall(f: InstallFacts): string {
  const names = f.packages.join(', ');
  const why = f.neededFor ? ` (needed for ${f.neededFor})` : '';
  const [missing, it] = f.packages.length > 1 ? [`${names}${why} are missing`, 'them'] : [`${names}${why} is missing`, 'it'];
  const apt = `apt-get install ${f.packages.join(' ')}`;
  if (!f.debian)
    return `${missing}, and this host is not Debian (no /etc/debian_version), so the harness cannot install ${it}: install ${names} with this system's package manager`;
  const who = `this user (uid ${f.uid}) is not root`;
  if (!f.sudo || f.sudo.kind === 'absent')
    return `${missing}, and the harness cannot install ${it}: ${who} and this host has no sudo; as root, run: ${apt}`;
  return `${missing}, and the harness cannot install ${it}: ${who} and sudo -n refused (${f.sudo.said}); run: sudo ${apt} (or allow this user sudo without a password)`;
}
