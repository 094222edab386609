// The fixed scratch directory under /var/tmp that root writes image rootfs
// tarballs into is used only when it is this user's own: made first by
// another local user, or a link, it would let that user swap the rootfs.
import t from 'tap';
import { notOwnDir } from '../../harness/core/own-dir.js';

const dir = '/var/tmp/cshared-matrix-1001';
const own = { isDirectory: true, isSymbolicLink: false, uid: 1001, mode: 0o40700 };
const fix = `whoever may write there could swap a rootfs before the engine imports it; remove it (rm -rf ${dir}, as its owner or root) and run again`;

t.test("this user's own directory, writable by it alone: used", async (t) => {
  t.equal(notOwnDir(dir, own, 1001), undefined);
  t.equal(notOwnDir(dir, { ...own, mode: 0o40755 }, 1001), undefined, 'readable by others is fine: only writing matters');
  t.equal(notOwnDir('/var/tmp/cshared-matrix', { ...own, uid: 0, mode: 0o40755 }, 0), undefined, "root's, as root");
});

t.test('anything else is one line: what it is, why that matters, the fix', async (t) => {
  t.equal(
    notOwnDir(dir, { ...own, uid: 1002 }, 1001),
    `${dir}, where image rootfs tarballs are written, is owned by uid 1002, not this user (uid 1001): ${fix}`,
    "another user's",
  );
  t.equal(
    notOwnDir(dir, { ...own, isDirectory: false, isSymbolicLink: true }, 1001),
    `${dir}, where image rootfs tarballs are written, is a symbolic link: ${fix}`,
    'a link, wherever it points',
  );
  t.equal(
    notOwnDir(dir, { ...own, isDirectory: false }, 1001),
    `${dir}, where image rootfs tarballs are written, is not a directory: ${fix}`,
  );
  t.equal(
    notOwnDir(dir, { ...own, mode: 0o41777 }, 1001),
    `${dir}, where image rootfs tarballs are written, is writable by others (mode 777): ${fix}`,
  );
  t.equal(
    notOwnDir(dir, { ...own, mode: 0o40770 }, 1001),
    `${dir}, where image rootfs tarballs are written, is writable by others (mode 770): ${fix}`,
    'by its group too',
  );
  t.equal(
    notOwnDir('/var/tmp/cshared-matrix', { ...own, uid: 1001 }, 0),
    `/var/tmp/cshared-matrix, where image rootfs tarballs are written, is owned by uid 1001, not this user (uid 0): ${fix.replace(dir, '/var/tmp/cshared-matrix')}`,
    'root too: a user who made it first would own what root imports',
  );
});
