// How mmdebstrap runs for the base image on each kind of host: as whom, with
// which keyring, after installing what, or the one line saying why it cannot
// (core/mmdebstrap-plan.ts). The hosts are facts, so no host is needed.
import t from 'tap';
import { chooseMirror } from '../../harness/core/debian-mirror.js';
import {
  DEBIAN_KEYRING,
  hasSubidRange,
  type MmdebstrapHost,
  needsDebianKeyring,
  planMmdebstrap,
} from '../../harness/core/mmdebstrap-plan.js';
import { mmdebstrapFailure } from '../../harness/edge/mmdebstrap.js';

const DEBIAN_SOURCES = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n';
const UBUNTU_SOURCES =
  'Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates noble-backports\nComponents: main universe restricted multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n';
const ALL_UNSHARE = { userns: true, newidmap: true, subuid: true, subgid: true };
const host = (over: Partial<MmdebstrapHost> = {}): MmdebstrapHost => ({
  root: true,
  sudo: true,
  apt: true,
  mmdebstrap: true,
  keyring: true,
  user: 'root',
  unshare: ALL_UNSHARE,
  ...over,
});
const problem = (h: MmdebstrapHost, keyring: boolean): string => {
  const p = planMmdebstrap(h, keyring);
  if (p.ok) throw new Error(`expected a problem, got ${p.line}`);
  return p.problem;
};

t.test("Debian's keyring is needed exactly when the mirror is not the host's own Debian sources", async (t) => {
  const need = (env: string | undefined, sources: string[]) => needsDebianKeyring(chooseMirror(env, sources), sources);
  t.equal(need(undefined, [DEBIAN_SOURCES]), false, "a Debian host's own mirror: its apt's keys check it");
  t.equal(need(undefined, [UBUNTU_SOURCES]), true, "an Ubuntu host: Debian's own mirror, which Ubuntu's keys do not check");
  t.equal(need(undefined, []), true, "no apt at all (Fedora, macOS): Debian's own mirror");
  t.equal(need('http://mirror.example/debian', [UBUNTU_SOURCES]), true, 'CSM_DEBIAN_MIRROR on an Ubuntu host');
  t.equal(need('http://mirror.example/debian', [DEBIAN_SOURCES]), false, 'CSM_DEBIAN_MIRROR on a Debian host: its apt trusts Debian');
});

t.test('the mode: root as is, passwordless sudo, else unshare mode as the user', async (t) => {
  const root = planMmdebstrap(host(), false);
  t.same(root, { ok: true, mode: 'root', install: [], args: [], line: 'mmdebstrap as root' });
  const sudo = planMmdebstrap(host({ root: false, user: 'runner' }), false);
  t.same(
    sudo.ok && [sudo.mode, sudo.args, sudo.line],
    ['sudo', [], 'mmdebstrap as root through sudo -n'],
    "a GitHub runner's user: sudo -n, as before",
  );
  const unshare = planMmdebstrap(host({ root: false, sudo: false, user: 'ann' }), false);
  t.same(unshare.ok && [unshare.mode, unshare.args, unshare.install], ['unshare', ['--mode=unshare'], []]);
  t.equal(
    unshare.ok && unshare.line,
    'mmdebstrap as ann in a user namespace (--mode=unshare: ann is not root and has no passwordless sudo)',
  );
});

t.test('no root, no sudo, no unshare mode: one line naming the path, the cause and the fix', async (t) => {
  const user = { root: false, sudo: false, user: 'ann' };
  const cases: [Partial<MmdebstrapHost['unshare']>, RegExp][] = [
    [
      { userns: false },
      /: this kernel does not let a user make user namespaces; allow it \(sysctl kernel\.unprivileged_userns_clone=1; on Ubuntu 24\.04 kernel\.apparmor_restrict_unprivileged_userns=0\), or run as root, or let the engine reach a registry with debian:trixie/,
    ],
    [{ newidmap: false }, /: newuidmap and newgidmap are missing; install them \(apt-get install uidmap\)/],
    [
      { subuid: false },
      /: ann has no range in \/etc\/subuid; give it a range no other user's overlaps \(e\.g\. sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ann\)/,
    ],
    [{ subuid: false, subgid: false }, /: ann has no range in \/etc\/subuid and \/etc\/subgid; give it a range/],
  ];
  for (const [missing, want] of cases) {
    const line = problem(host({ ...user, unshare: { ...ALL_UNSHARE, ...missing } }), false);
    t.match(line, /^ann is not root, has no passwordless sudo, and cannot use mmdebstrap's unshare mode/, JSON.stringify(missing));
    t.match(line, want);
    t.match(line, /or pass --image-cache DIR holding the images from a machine that built them$/);
    t.notMatch(line, /\n/, 'one line');
  }
});

t.test("mmdebstrap missing: installed from the host's apt as root, else one line naming what to install or the other paths", async (t) => {
  const asRoot = planMmdebstrap(host({ mmdebstrap: false }), false);
  t.same(asRoot.ok && asRoot.install, ['mmdebstrap']);
  const viaSudo = planMmdebstrap(host({ root: false, mmdebstrap: false }), true);
  t.same(viaSudo.ok && [viaSudo.install, viaSudo.args], [['mmdebstrap'], [`--keyring=${DEBIAN_KEYRING}`]]);
  t.equal(
    problem(host({ root: false, sudo: false, user: 'ann', mmdebstrap: false }), false),
    'mmdebstrap is not installed and ann cannot install it (not root, no passwordless sudo): install mmdebstrap (apt-get install mmdebstrap on Debian and Ubuntu), or let the engine reach a registry with debian:trixie (the registry path; --base-image REF names another image), or pass --image-cache DIR holding the images from a machine that built them',
  );
  t.equal(
    problem(host({ apt: false, mmdebstrap: false }), true),
    'mmdebstrap is not installed and this host has no apt to install it from: install mmdebstrap (apt-get install mmdebstrap on Debian and Ubuntu), or let the engine reach a registry with debian:trixie (the registry path; --base-image REF names another image), or pass --image-cache DIR holding the images from a machine that built them',
    'Fedora, Arch, macOS: no apt',
  );
});

t.test("Debian's keyring: passed when present, installed from the host's apt when it can be, else one line", async (t) => {
  const present = planMmdebstrap(host(), true);
  t.same(present.ok && [present.args, present.install], [[`--keyring=${DEBIAN_KEYRING}`], []]);
  t.equal(
    present.ok && present.line,
    `mmdebstrap as root, checking Debian's Release files with ${DEBIAN_KEYRING} (the mirror is not this host's own Debian sources)`,
  );
  t.same(
    planMmdebstrap(host({ keyring: false }), false),
    { ok: true, mode: 'root', install: [], args: [], line: 'mmdebstrap as root' },
    "the host's own Debian mirror: no keyring asked for, none installed",
  );

  const installed = planMmdebstrap(host({ keyring: false, mmdebstrap: false }), true);
  t.same(
    installed.ok && [installed.args, installed.install],
    [[`--keyring=${DEBIAN_KEYRING}`], ['mmdebstrap', 'debian-archive-keyring']],
    "an Ubuntu host as root: both from Ubuntu's archive (universe has debian-archive-keyring)",
  );
  t.equal(
    installed.ok && installed.line,
    `mmdebstrap as root, checking Debian's Release files with ${DEBIAN_KEYRING}, installed now from this host's apt (debian-archive-keyring)`,
  );

  const unshared = planMmdebstrap(host({ root: false, sudo: false, user: 'ann' }), true);
  t.same(unshared.ok && unshared.args, ['--mode=unshare', `--keyring=${DEBIAN_KEYRING}`], 'unshare mode with the keyring present');
  t.equal(
    problem(host({ root: false, sudo: false, user: 'ann', keyring: false }), true),
    `the mirror is not this host's own Debian sources, so mmdebstrap needs Debian's archive keyring to check its Release files, and ${DEBIAN_KEYRING} is missing and ann cannot install it (not root, no passwordless sudo): install debian-archive-keyring (sudo apt-get install debian-archive-keyring), or set CSM_DEBIAN_MIRROR to a mirror this host's apt trusts, or let the engine reach a registry with debian:trixie (the registry path; --base-image REF names another image), or pass --image-cache DIR holding the images from a machine that built them`,
  );
  t.match(
    problem(host({ apt: false, keyring: false }), true),
    /is missing and this host has no apt to install it from: install debian-archive-keyring/,
    'root without apt (Fedora): the keyring cannot come from anywhere',
  );
});

t.test('/etc/subuid as mmdebstrap reads it: by name, a numeric start and a count', async (t) => {
  const text = 'runner:100000:65536\nann:165536:65536\n1001:231072:65536\nbob:x:1\ncarl:300000:0\n';
  t.ok(hasSubidRange(text, 'ann'));
  t.ok(hasSubidRange(text, 'runner'));
  t.notOk(hasSubidRange(text, 'dave'), 'no line');
  t.notOk(hasSubidRange(text, 'an'), 'a prefix of a name is not the name');
  t.notOk(hasSubidRange(text, 'bob'), 'a start that is not a number');
  t.notOk(hasSubidRange(text, 'carl'), 'an empty range');
  t.notOk(hasSubidRange('', 'ann'), 'an empty file');
});

t.test("mmdebstrap's failure in one line: the first E: line is the cause, with the fix that fits", async (t) => {
  const unsigned = [
    'I: running apt-get update...',
    "E: The repository 'http://deb.debian.org/debian trixie InRelease' is not signed.",
    'E: apt-get update --error-on=any -oAPT::Status-Fd=<$fd> -oDpkg::Use-Pty=false failed',
    'I: main() received signal PIPE: waiting for setup...',
    'E: mmdebstrap failed to run',
  ];
  t.equal(
    mmdebstrapFailure(unsigned, 1),
    "mmdebstrap exited with code 1: E: The repository 'http://deb.debian.org/debian trixie InRelease' is not signed. (apt trusts no key that signed the mirror's Release file: install or update debian-archive-keyring, or set CSM_DEBIAN_MIRROR to a Debian mirror)",
  );
  t.equal(
    mmdebstrapFailure(['E: Unable to locate package nosuch', 'E: mmdebstrap failed to run'], 1),
    'mmdebstrap exited with code 1: E: Unable to locate package nosuch (the lines above say why)',
  );
  t.match(
    mmdebstrapFailure(['tar: write error: No space left on device', 'E: mmdebstrap failed to run'], 1),
    /\(the disk is full; free space and retry\)$/,
  );
  t.equal(
    mmdebstrapFailure(
      [
        'E: Failed to fetch http://m/debian/pool/main/g/gcc/gcc_1_amd64.deb  404  Not Found [IP: 1.2.3.4 80]',
        'E: mmdebstrap failed to run',
      ],
      1,
    ),
    'the Debian mirror does not serve a package its index names: http://m/debian/pool/main/g/gcc/gcc_1_amd64.deb  404  Not Found (mmdebstrap exited with code 1; a mirror mid-sync or partial: rerun later, or set CSM_DEBIAN_MIRROR to a complete one)',
  );
});
