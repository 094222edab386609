import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { $ } from 'zx';
import type { MirrorChoice } from '../core/debian-mirror.js';
import { InfraError } from '../core/errors.js';
import {
  DEBIAN_KEYRING,
  hasSubidRange,
  type MmdebstrapHost,
  type MmdebstrapMode,
  needsDebianKeyring,
  planMmdebstrap,
} from '../core/mmdebstrap-plan.js';
import type { BaseRecipe } from '../core/recipe.js';
import { hostAptSources } from './host-apt.js';
import { aptInstall, asRoot, canBeRoot, onPath } from './host-packages.js';
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

/**
 * Why mmdebstrap failed, from its last lines, in one line. A package the
 * suite's index names but the mirror does not serve says more than apt's
 * closing "failed to run".
 */
export function mmdebstrapFailure(lines: readonly string[], code: number | null): string {
  const text = lines.join('\n');
  const hint = /No space left/i.test(text)
    ? 'the disk is full; free space and retry'
    : /NO_PUBKEY|signatures couldn't be verified|not signed/i.test(text)
      ? "apt trusts no key that signed the mirror's Release file: install or update debian-archive-keyring, or set CSM_DEBIAN_MIRROR to a Debian mirror"
      : 'the lines above say why';
  const missing = lines.find((l) => /^E: Failed to fetch .* 404 /.test(l));
  if (missing)
    return `the Debian mirror does not serve a package its index names: ${missing.replace(/^E: Failed to fetch /, '').replace(/\s+\[IP:.*$/, '')} (mmdebstrap exited with code ${code}; a mirror mid-sync or partial: rerun later, or set CSM_DEBIAN_MIRROR to a complete one)`;
  // The first E: line is the cause; the ones after it are apt's and mmdebstrap's "failed to run".
  return `mmdebstrap exited with code ${code}: ${lines.find((l) => /^E:/.test(l)) ?? lines.at(-1) ?? ''} (${hint})`;
}

/** The command line of mmdebstrap in `mode`: root as is, sudo through `sudo -n`, unshare as this user. */
const mmdebstrapCommand = (mode: MmdebstrapMode, args: string[]): [string, string[]] =>
  mode === 'unshare' ? ['mmdebstrap', args] : asRoot('mmdebstrap', args);

/** Run mmdebstrap in `mode` (core/mmdebstrap-plan.ts), passing its progress lines through as they come. */
export function runMmdebstrap(args: string[], onLine: (line: string) => void, mode: MmdebstrapMode): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(...mmdebstrapCommand(mode, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    for (const s of [child.stdout, child.stderr])
      createInterface({ input: s }).on('line', (l) => (lines.push(l), lines.length > 40 && lines.shift(), onLine(l)));
    child.on('error', (e) => reject(new InfraError(`cannot run mmdebstrap: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new InfraError(mmdebstrapFailure(lines, code)))));
  });
}

/** Whether this user may make a user namespace and map itself in it: what mmdebstrap's unshare mode starts with. */
async function userNamespaces(): Promise<boolean> {
  return (await $({ nothrow: true, quiet: true })`unshare --user --map-root-user true`).exitCode === 0;
}

/** This host's facts for core/mmdebstrap-plan.ts. */
async function hostFacts(): Promise<MmdebstrapHost> {
  const user = userInfo().username;
  const root = process.getuid?.() === 0;
  const ids = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    root,
    sudo: await canBeRoot(),
    apt: existsSync('/etc/debian_version') && (await onPath('apt-get')),
    mmdebstrap: await onPath('mmdebstrap'),
    keyring: existsSync(DEBIAN_KEYRING),
    user,
    unshare: {
      userns: !root && (await userNamespaces()),
      newidmap: (await onPath('newuidmap')) && (await onPath('newgidmap')),
      subuid: hasSubidRange(ids('/etc/subuid'), user),
      subgid: hasSubidRange(ids('/etc/subgid'), user),
    },
  };
}

/**
 * How mmdebstrap runs on this host for `mirror`, said in one line: its mode,
 * and Debian's keyring when the mirror is not the host's own Debian sources;
 * mmdebstrap and the keyring installed from the host's apt first when missing
 * and that is possible. Throws the one line saying why when it cannot run.
 */
export async function prepareMmdebstrap(
  mirror: MirrorChoice,
  say: (line: string) => void,
): Promise<{ mode: MmdebstrapMode; args: string[] }> {
  const plan = planMmdebstrap(await hostFacts(), needsDebianKeyring(mirror, hostAptSources()));
  if (!plan.ok) throw new InfraError(plan.problem);
  say(`  ${plan.line}`);
  if (plan.install.length) await aptInstall(plan.install, (l) => say(`  ${l}`));
  return plan;
}

/** A rootfs tarball of `recipe` from mmdebstrap on this host, its progress said as it goes. */
export async function mmdebstrapRootfs(
  recipe: BaseRecipe,
  mirror: MirrorChoice,
  tarball: string,
  say: (line: string) => void,
): Promise<void> {
  const t0 = Date.now();
  const { mode, args } = await prepareMmdebstrap(mirror, say);
  let last = Date.now();
  await runMmdebstrap(
    [...args, ...mmdebstrapArgs(recipe, mirror.uri, tarball)],
    (line) => {
      // mmdebstrap's I: lines are its phases; dpkg's per-package lines would flood a CI log.
      if (/^[IEW]:/.test(line) || Date.now() - last > 15000) {
        last = Date.now();
        say(`  [mmdebstrap ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
      }
    },
    mode,
  );
}

/**
 * The base image's rootfs from mmdebstrap on this host, imported into the
 * engine as `tag`: the path for an engine that can pull no Debian image.
 */
export async function buildBaseWithMmdebstrap(
  docker: Docker,
  recipe: BaseRecipe,
  tag: string,
  mirror: MirrorChoice,
  say: (line: string) => void,
): Promise<void> {
  const work = scratchDir();
  ensureFreeSpace(work, 6);
  const tarball = join(work, `${tag.replace(/[:/]/g, '-')}.${process.pid}.tar`);
  try {
    await mmdebstrapRootfs(recipe, mirror, tarball, say);
    say(`  importing the rootfs into the engine as ${tag}`);
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await docker.importImage(
      createReadStream(tarball) as unknown as string,
      {
        repo,
        tag: version,
        changes: [`LABEL ${IMAGE_LABEL}=${tag}`, `LABEL ${BASE_FROM_LABEL}=mmdebstrap`, 'CMD ["/bin/bash"]'],
      } as object,
    );
    await follow(docker, stream, () => undefined);
  } finally {
    rmSync(tarball, { force: true });
  }
}
