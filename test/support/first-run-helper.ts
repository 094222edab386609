// The image paths of a first run, one step each, for first-run-apt.test.ts,
// which runs them where its own process cannot be: in a mount namespace with
// an Ubuntu /etc/apt, as a fresh user, or with a PATH whose mmdebstrap only
// records being called. Each prints what the harness says, and fails as the
// CLI does (one line, its exit code).
//
// tsx test/support/first-run-helper.ts rootfs OUT.tar
//   a tiny rootfs through the base image's own mmdebstrap path
//   (edge/mmdebstrap.ts mmdebstrapRootfs: the mirror, the mode, the keyring,
//   the recipe's arguments); only the package list is not the base's.
// tsx test/support/first-run-helper.ts sysroot DEBARCH PACKAGE DIR
//   a host-language layer on the base whose sysroot is PACKAGE of DEBARCH
//   under DIR, through edge/lang-images.ts ensureLangImage; prints its tag.
import { runCli } from '../../harness/cli/common.js';
import { describeMirror } from '../../harness/core/debian-mirror.js';
import { InfraError } from '../../harness/core/errors.js';
import type { SysrootLayer } from '../../harness/core/host-langs.js';
import type { BaseRecipe } from '../../harness/core/recipe.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { debianMirror } from '../../harness/edge/host-apt.js';
import { currentBaseTag, imageId } from '../../harness/edge/images.js';
import { ensureLangImage } from '../../harness/edge/lang-images.js';
import { mmdebstrapRootfs } from '../../harness/edge/mmdebstrap.js';

/** The base recipe's shape with one small package and no dependencies: apt's update and one download, in seconds. */
export const TINY_RECIPE: BaseRecipe = {
  suite: 'trixie',
  variant: 'extract',
  architectures: ['amd64'],
  sources: ['deb {mirror} trixie main'],
  include: ['debian-archive-keyring'],
};

async function sysroot(debArch: string, pkg: string, dir: string): Promise<void> {
  const docker = await ensureEngine(console.log);
  const tag = currentBaseTag();
  const id = await imageId(docker, tag);
  if (!id) throw new InfraError(`the engine has no ${tag}: build the toolchain images first (npm run matrix -- --images-only)`);
  const base = { tag, id, built: false, seconds: 0 };
  const layer: SysrootLayer = { kind: 'sysroot', lang: 'python', debArch, suite: 'trixie', packages: [pkg], dir };
  console.log(`tag: ${(await ensureLangImage(docker, base, layer, console.log)).tag}`);
}

if (process.argv[1] === import.meta.filename)
  runCli(async ([what, ...args]) => {
    if (what === 'sysroot') await sysroot(args[0]!, args[1]!, args[2]!);
    else {
      const mirror = debianMirror();
      console.log(`mirror: ${describeMirror(mirror)}`);
      await mmdebstrapRootfs(TINY_RECIPE, mirror, args[0]!, (l) => console.log(l));
    }
    return 0;
  });
