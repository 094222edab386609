/**
 * Which glibc each distribution release ships: what a library's glibc floor is
 * compared with to say where it loads. Data, oldest release first within a family;
 * a new release is one line here.
 *
 * Sources (each the release's own libc package, as first shipped; point releases
 * keep the version):
 *  - Debian: packages.debian.org/<codename>/libc6 (buster 2.28, bullseye 2.31,
 *    bookworm 2.36, trixie 2.41); bullseye/bookworm/trixie also measured in this
 *    project's images (issue 26);
 *  - Ubuntu: packages.ubuntu.com/<codename>/libc6 (bionic 2.27, focal 2.31,
 *    jammy 2.35, noble 2.39);
 *  - RHEL (and AlmaLinux, Rocky, which rebuild it): the glibc package of each major
 *    release (8: glibc-2.28, 9: glibc-2.34, 10: glibc-2.39);
 *  - Amazon Linux: its release notes' package lists (AL2: glibc-2.26,
 *    AL2023: glibc-2.34).
 */
export interface Distro {
  /** The family as people write it: "Debian", "Ubuntu", "RHEL", "Amazon Linux". */
  family: string;
  /** The release as people write it: "12", "22.04", "2023". */
  release: string;
  codename?: string;
  /** The glibc version it ships ("2.36"). */
  glibc: string;
}

export const DISTROS: readonly Distro[] = [
  { family: 'Debian', release: '10', codename: 'buster', glibc: '2.28' },
  { family: 'Debian', release: '11', codename: 'bullseye', glibc: '2.31' },
  { family: 'Debian', release: '12', codename: 'bookworm', glibc: '2.36' },
  { family: 'Debian', release: '13', codename: 'trixie', glibc: '2.41' },
  { family: 'Ubuntu', release: '18.04', codename: 'bionic', glibc: '2.27' },
  { family: 'Ubuntu', release: '20.04', codename: 'focal', glibc: '2.31' },
  { family: 'Ubuntu', release: '22.04', codename: 'jammy', glibc: '2.35' },
  { family: 'Ubuntu', release: '24.04', codename: 'noble', glibc: '2.39' },
  { family: 'RHEL', release: '8', glibc: '2.28' },
  { family: 'RHEL', release: '9', glibc: '2.34' },
  { family: 'RHEL', release: '10', glibc: '2.39' },
  { family: 'Amazon Linux', release: '2', glibc: '2.26' },
  { family: 'Amazon Linux', release: '2023', glibc: '2.34' },
];

/**
 * Dotted versions compared number by number: 2.3.2 < 2.17 < 2.34 (a string
 * comparison would put 2.3.2 above 2.17). A missing part counts as 0.
 */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** "Debian 12", "Ubuntu 22.04". */
export const distroName = (d: Distro): string => `${d.family} ${d.release}`;

/** Per family, where a library needing glibc ≥ `floor` loads and the newest release where it does not. */
export interface Reach {
  /** The oldest release of each family that loads it, as "Debian 12+". */
  loads: string[];
  /** The newest release of each family that does not, as "Debian 11". */
  not: string[];
}

export function reachOf(floor: string, distros: readonly Distro[] = DISTROS): Reach {
  const families = [...new Set(distros.map((d) => d.family))];
  const reach: Reach = { loads: [], not: [] };
  for (const family of families) {
    const releases = distros.filter((d) => d.family === family);
    const first = releases.find((d) => compareVersions(d.glibc, floor) >= 0);
    const lastBelow = releases.filter((d) => compareVersions(d.glibc, floor) < 0).at(-1);
    if (first) reach.loads.push(`${distroName(first)}+`);
    if (lastBelow) reach.not.push(distroName(lastBelow));
  }
  return reach;
}

/**
 * PEP 600's architecture part of a manylinux tag: Python's platform machine name
 * (`sysconfig.get_platform()`), keyed by the ELF facts' architecture names
 * (core/elf-versions.ts `ElfArch`).
 */
const MANYLINUX_ARCH: Record<string, string> = {
  'x86-64': 'x86_64',
  i386: 'i686',
  aarch64: 'aarch64',
  arm: 'armv7l',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  loong64: 'loongarch64',
};

/**
 * PEP 600: a wheel tagged `manylinux_X_Y_ARCH` promises to work on any
 * distribution of that architecture with glibc ≥ X.Y; the tag is the floor's
 * first two numbers. (The legacy names are aliases: manylinux1 = 2_5,
 * manylinux2010 = 2_12, manylinux2014 = 2_17.) Without a known architecture, the
 * tag without its architecture part.
 */
export function manylinuxTag(floor: string, arch?: string): string {
  const [major = '2', minor = '0'] = floor.split('.');
  const machine = arch === undefined ? undefined : MANYLINUX_ARCH[arch];
  return `manylinux_${major}_${minor}${machine ? `_${machine}` : ''}`;
}
