import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { InfraError } from '../core/errors.js';
import type { MirrorChoice } from '../core/debian-mirror.js';
import type { BaseRecipe } from '../core/recipe.js';
import { aptInstall, asRoot, onPath } from './host-packages.js';
import { BASE_FROM_LABEL, ensureFreeSpace, follow, IMAGE_LABEL, scratchDir } from './images.js';

/** mmdebstrap on this host: the base image's path on an engine that can pull nothing (edge/base-image.ts). */

/** mmdebstrap's argument list for a recipe. Pure, so it is tested without building. */
export function mmdebstrapArgs(recipe: BaseRecipe, mirror: string, out: string): string[] {
  return [
    `--variant=${recipe.variant}`,
    `--architectures=${recipe.architectures.join(',')}`,
    ...(recipe.dpkgopts ?? []).map((o) => `--dpkgopt=${o}`),
    `--include=${recipe.include.join(',')}`,
    recipe.suite,
    out,
    ...recipe.sources.map((s) => s.replaceAll('{mirror}', mirror)),
  ];
}


/** Run mmdebstrap (as root: through sudo when the harness is not), passing its progress lines through as they come. */
export function runMmdebstrap(args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(...asRoot('mmdebstrap', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    for (const s of [child.stdout, child.stderr]) createInterface({ input: s }).on('line', (l) => (lines.push(l), lines.length > 40 && lines.shift(), onLine(l)));
    child.on('error', (e) => reject(new InfraError(`cannot run mmdebstrap: ${e.message}`)));
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      const text = lines.join('\n');
      const hint = /No space left/i.test(text) ? 'the disk is full; free space and retry' : 'the lines above say why';
      // A package the suite's index names but the mirror does not serve says more than apt's closing "failed to run".
      const missing = lines.find((l) => /^E: Failed to fetch .* 404 /.test(l));
      if (missing) return reject(new InfraError(`the Debian mirror does not serve a package its index names: ${missing.replace(/^E: Failed to fetch /, '').replace(/\s+\[IP:.*$/, '')} (mmdebstrap exited with code ${code}; a mirror mid-sync or partial: rerun later, or set CSM_DEBIAN_MIRROR to a complete one)`));
      reject(new InfraError(`mmdebstrap exited with code ${code}: ${lines.filter((l) => /^E:/.test(l)).pop() ?? lines.pop() ?? ''} (${hint})`));
    });
  });
}

/**
 * The base image's rootfs from mmdebstrap on this host, imported into the
 * engine as `tag`: the path for an engine that can pull no Debian image.
 */
export async function buildBaseWithMmdebstrap(docker: Docker, recipe: BaseRecipe, tag: string, mirror: MirrorChoice, say: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  if (!(await onPath('mmdebstrap'))) await aptInstall(['mmdebstrap'], (l) => say(`  ${l}`));
  const work = scratchDir();
  ensureFreeSpace(work, 6);
  const tarball = join(work, `${tag.replace(/[:/]/g, '-')}.${process.pid}.tar`);
  try {
    let last = Date.now();
    await runMmdebstrap(mmdebstrapArgs(recipe, mirror.uri, tarball), (line) => {
      // mmdebstrap's I: lines are its phases; dpkg's per-package lines would flood a CI log.
      if (/^[IEW]:/.test(line) || Date.now() - last > 15000) {
        last = Date.now();
        say(`  [mmdebstrap ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
      }
    });
    say(`  importing the rootfs into the engine as ${tag}`);
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await docker.importImage(createReadStream(tarball) as unknown as string, {
      repo,
      tag: version,
      changes: [`LABEL ${IMAGE_LABEL}=${tag}`, `LABEL ${BASE_FROM_LABEL}=mmdebstrap`, 'CMD ["/bin/bash"]'],
    } as object);
    await follow(docker, stream, () => undefined);
  } finally {
    rmSync(tarball, { force: true });
  }
}
