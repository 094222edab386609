import { UsageError } from './errors.js';

/** Where the Docker engine answers when nothing says otherwise (as for the docker CLI). */
export const DEFAULT_ENGINE = 'unix:///var/run/docker.sock';

/** How dockerode reaches an engine: a socket, or a host over http(s) or ssh. */
export type EngineEndpoint =
  | { socketPath: string }
  | { protocol: 'http' | 'https' | 'ssh'; host: string; port?: number; username?: string };

/**
 * An engine address as DOCKER_HOST spells it (unix:///path, tcp://host:port,
 * http(s)://host:port, ssh://user@host) → dockerode's options. Parsed here
 * rather than left to dockerode, which reads only the environment: the address
 * is resolved once at the edge and passed down.
 */
export function engineEndpoint(address: string, from = 'DOCKER_HOST'): EngineEndpoint {
  const bad = () =>
    new UsageError(`${from} ${address}: not an engine address; give unix:///path/to/docker.sock, tcp://host:port or ssh://user@host`);
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad();
    return { socketPath };
  }
  let url: URL;
  try {
    url = new URL(address.includes('://') ? address : `tcp://${address}`);
  } catch {
    throw bad();
  }
  const scheme = url.protocol.replace(/:$/, '');
  const protocol = scheme === 'tcp' ? 'http' : scheme;
  if ((protocol !== 'http' && protocol !== 'https' && protocol !== 'ssh') || !url.hostname) throw bad();
  const port = url.port ? Number(url.port) : protocol === 'ssh' ? undefined : protocol === 'https' ? 2376 : 2375;
  return {
    protocol,
    host: url.hostname,
    ...(port ? { port } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
  };
}

/**
 * The engine's socket is there but this user may not open it: the engine runs,
 * so "start one" would mislead. The usual cause is a user outside the docker group.
 */
export const engineRefusesUser = (address: string, uid: number): string =>
  `the Docker engine at ${address} refuses this user (uid ${uid}): permission denied on its socket; add the user to the docker group (as root: usermod -aG docker <user>, then log in again), or point --docker-host at an engine it may use`;
