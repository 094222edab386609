// A fixed directory under a world-writable one (/var/tmp) that root writes an
// image's rootfs into: whoever made it first owns what the engine imports, so
// it is used only when it is a real directory of this user, writable by no one else.

/** What lstat says of the directory. */
export interface DirFacts {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

/** Why `dir` is not this user's own (undefined when it is), with the fix. */
export function notOwnDir(dir: string, f: DirFacts, uid: number): string | undefined {
  const what = f.isSymbolicLink
    ? 'a symbolic link'
    : !f.isDirectory
      ? 'not a directory'
      : f.uid !== uid
        ? `owned by uid ${f.uid}, not this user (uid ${uid})`
        : (f.mode & 0o022) !== 0
          ? `writable by others (mode ${(f.mode & 0o777).toString(8)})`
          : undefined;
  if (!what) return undefined;
  return `${dir}, where image rootfs tarballs are written, is ${what}: whoever may write there could swap a rootfs before the engine imports it; remove it (rm -rf ${dir}, as its owner or root) and run again`;
}
