import { createHash } from 'node:crypto';

/**
 * Keys of the artifact cache. A built library or host is reused only when
 * everything that went into it is the same: its sources, the image (by id, so
 * a rebuilt image with the same tag misses), the environment and the exact
 * command with its flags. Test results are never cached: every run runs every host.
 */
export interface ArtifactInputs {
  /** Content hashes of the sources (a Go library's dir, a case dir, the harness's C files). */
  sources: string[];
  imageId: string;
  env: readonly string[];
  cmd: readonly string[];
  /** Keys of artifacts this one links against. */
  deps?: readonly string[];
}

export function artifactKey(a: ArtifactInputs): string {
  const h = createHash('sha256');
  const field = (name: string, values: readonly string[]) => {
    h.update(`${name}\0${values.length}\0`);
    for (const v of values) h.update(`${v.length}:${v}\0`);
  };
  field('v1', []);
  field('sources', a.sources);
  field('image', [a.imageId]);
  field('env', [...a.env].sort());
  field('cmd', a.cmd);
  field('deps', a.deps ?? []);
  return h.digest('hex').slice(0, 32);
}
