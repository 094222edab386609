// What a user is told when the harness needs a host tool (zstd, mmdebstrap)
// it may not install itself: one line naming the tool, the cause and the fix,
// for each kind of host. The facts are injected: no real sudo, no other host.
import t from 'tap';
import { cannotInstall } from '../../harness/core/host-install.js';

t.test('not Debian: its own package manager, whoever runs the harness', async (t) => {
  for (const uid of [0, 1001])
    t.equal(
      cannotInstall({ packages: ['mmdebstrap'], debian: false, uid }),
      "mmdebstrap is missing, and this host is not Debian (no /etc/debian_version), so the harness cannot install it: install mmdebstrap with this system's package manager",
    );
});

t.test('Debian, not root, no sudo at all: the command to run as root', async (t) => {
  t.equal(
    cannotInstall({ packages: ['zstd'], neededFor: "the image cache's tarballs", debian: true, uid: 1001, sudo: { kind: 'absent' } }),
    "zstd (needed for the image cache's tarballs) is missing, and the harness cannot install it: this user (uid 1001) is not root and this host has no sudo; as root, run: apt-get install zstd",
  );
});

t.test("Debian, not root, sudo asks for a password: sudo's own words, and both fixes", async (t) => {
  t.equal(
    cannotInstall({ packages: ['zstd'], debian: true, uid: 1001, sudo: { kind: 'refused', said: 'sudo: a password is required' } }),
    'zstd is missing, and the harness cannot install it: this user (uid 1001) is not root and sudo -n refused (sudo: a password is required); run: sudo apt-get install zstd (or allow this user sudo without a password)',
  );
});

t.test('several packages: named together, one command for all', async (t) => {
  const line = cannotInstall({ packages: ['mmdebstrap', 'debian-archive-keyring'], debian: true, uid: 1001, sudo: { kind: 'absent' } });
  t.equal(
    line,
    'mmdebstrap, debian-archive-keyring are missing, and the harness cannot install them: this user (uid 1001) is not root and this host has no sudo; as root, run: apt-get install mmdebstrap debian-archive-keyring',
  );
  t.notMatch(line, /\n/, 'one line');
});
