import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseMirror, type MirrorChoice } from '../core/debian-mirror.js';

/** The host's own apt sources, as texts: /etc/apt/sources.list and the .list and .sources files beside it. */
export function hostAptSources(): string[] {
  const texts: string[] = [];
  const add = (p: string) => existsSync(p) && texts.push(readFileSync(p, 'utf8'));
  add('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d'))
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) if (/\.(list|sources)$/.test(f)) add(join('/etc/apt/sources.list.d', f));
  return texts;
}

/** The Debian mirror images are built from (core/debian-mirror.ts): CSM_DEBIAN_MIRROR, the host's own, else Debian's. */
export const debianMirror = (): MirrorChoice => chooseMirror(process.env.CSM_DEBIAN_MIRROR, hostAptSources());
