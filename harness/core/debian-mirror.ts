/**
 * Which Debian mirror the images are built from. The mirror is not part of
 * any tag: the same recipe from another mirror is the same image. Pure: the
 * edge reads the host's apt sources and the environment and passes them in.
 */

/** Debian's own mirror: what a host whose apt sources name no Debian mirror (Ubuntu, Fedora, macOS) builds from. */
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

export interface MirrorChoice {
  uri: string;
  /** env: CSM_DEBIAN_MIRROR; host: the host's own apt sources; debian: Debian's own, since the host's name none. */
  from: 'env' | 'host' | 'debian';
}

/** The first Debian archive (…/debian) an apt sources text names, one-line (.list) or deb822 (.sources); undefined when none does. */
export function debianMirrorIn(texts: readonly string[]): string | undefined {
  for (const t of texts) {
    for (const m of t.matchAll(/(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/gm)) {
      const uri = m[1]!.replace(/\/$/, '');
      if (/^https?:\/\//.test(uri) && /\/debian$/.test(uri)) return uri;
    }
  }
  return undefined;
}

/** CSM_DEBIAN_MIRROR, else the host's own Debian mirror, else Debian's. */
export function chooseMirror(env: string | undefined, hostSources: readonly string[]): MirrorChoice {
  if (env) return { uri: env.replace(/\/$/, ''), from: 'env' };
  const host = debianMirrorIn(hostSources);
  return host ? { uri: host, from: 'host' } : { uri: DEBIAN_MIRROR, from: 'debian' };
}

/** The choice in words, for the line a build prints. */
export function describeMirror(m: MirrorChoice): string {
  if (m.from === 'env') return `${m.uri} (CSM_DEBIAN_MIRROR)`;
  if (m.from === 'host') return `${m.uri} (this host's apt sources)`;
  return `${m.uri} (Debian's own: this host's apt sources name no Debian mirror)`;
}
