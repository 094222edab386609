import { UsageError } from './errors.js';

/**
 * Which way the toolchain base image is had when the engine lacks its tag
 * (edge/base-image.ts asks, after the image cache had no tarball of it): on
 * a Debian image the engine has or pulls (the registry path), else with
 * mmdebstrap on this host. Pure: the edge finds the facts.
 */

export type BaseWay = { way: 'registry'; from: string; pulled: boolean } | { way: 'mmdebstrap'; because: string };

export interface BaseFacts {
  /** The Debian image the registry path builds on: `debian:<suite>`, or --base-image's. */
  from: string;
  /** --base-image or config baseImage named it: the user chose the registry path, so there is no falling back. */
  named: boolean;
  /** The engine already has `from`. */
  inEngine: boolean;
  /** The pull of `from`, when the engine did not have it. */
  pull?: { ok: true } | { ok: false; error: string };
}

/** The Debian image the registry path starts from unless --base-image names one. */
export const defaultBaseImage = (suite: string): string => `debian:${suite}`;

/** The way to take, or the one line a run ends with (exit 3). */
export function chooseBaseWay(f: BaseFacts): BaseWay | { fail: string } {
  if (f.inEngine) return { way: 'registry', from: f.from, pulled: false };
  if (f.pull?.ok) return { way: 'registry', from: f.from, pulled: true };
  const why = f.pull ? f.pull.error : 'it was not pulled';
  if (f.named)
    return {
      fail: `base image, registry path: the engine has no ${f.from} and cannot pull it (${why}); fix: docker pull or docker load it into the engine, or name one it can pull with --base-image (config baseImage), or leave --base-image out to build with mmdebstrap on this host`,
    };
  return { way: 'mmdebstrap', because: `the engine cannot pull ${f.from}: ${why}` };
}

/** The one line a build says first: which way, from what. */
export function describeBaseWay(tag: string, w: BaseWay, mirror: string): string {
  if (w.way === 'registry')
    return `building ${tag} on ${w.from}${w.pulled ? ' (pulled)' : ''} through images/base/Dockerfile (the registry path), packages from ${mirror}; a few minutes`;
  return `building ${tag} with mmdebstrap on this host (${w.because}), packages from ${mirror}; a few minutes`;
}

/**
 * An image reference as the engine reads one (distribution/reference's
 * grammar: [host[:port]/]path[:tag][@sha256:digest]); anything else, a
 * config file's or the command line's, is refused before it reaches the
 * engine (exit 2).
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REF = new RegExp(
  `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

export function imageReference(field: string, ref: string): string {
  if (ref.length > 255 || !IMAGE_REF.test(ref))
    throw new UsageError(
      `${field} ${JSON.stringify(ref)} is not an image reference: give one like debian:trixie or localhost:5000/debian:trixie`,
    );
  return ref;
}
