import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import Docker from 'dockerode';
import { DEFAULT_ENGINE, engineEndpoint, engineRefusesUser } from '../core/engine-address.js';
import { InfraError } from '../core/errors.js';
import { aptInstall, canSelfInstall, onPath } from './host-packages.js';

export const DOCKERD_LOG = '/var/log/cshared-matrix/dockerd.log';

/** Undefined when the engine answers, else the connection's error code (EACCES, ENOENT, ECONNREFUSED…), or '?' when it has none. */
async function unanswered(docker: Docker): Promise<string | undefined> {
  try {
    await docker.ping();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? '?';
  }
}
const answers = async (docker: Docker): Promise<boolean> => (await unanswered(docker)) === undefined;

/** The engine a command talks to when it is not told (tests, tools): DOCKER_HOST, else the default socket. */
export const engineAddressFromEnv = (env: NodeJS.ProcessEnv = process.env): string => env.DOCKER_HOST || DEFAULT_ENGINE;

const addresses = new WeakMap<Docker, string>();

/** The address a client was made for, for messages ("the Docker engine at … stopped answering"). */
export const engineAddressOf = (docker: Docker): string => addresses.get(docker) ?? DEFAULT_ENGINE;

/**
 * A client for exactly this address. docker-modem merges its own reading of
 * DOCKER_HOST under the options it is given, so every endpoint field is set,
 * if only to undefined: a DOCKER_HOST=tcp://… must not win over --docker-host.
 */
export function clientFor(address: string): Docker {
  const blank = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, username: undefined };
  const docker = new Docker({ ...blank, ...engineEndpoint(address) } as Docker.DockerOptions);
  addresses.set(docker, address);
  return docker;
}

/**
 * Return a client for the Docker engine at `address` that answers. On a root
 * Debian machine with none at the default socket, install docker.io and start
 * dockerd; anywhere else, say what is missing in one line. `.ci/run`,
 * `npm test` and `npm run matrix` all come here.
 */
export async function ensureEngine(say: (line: string) => void, opts: { address?: string; waitSeconds?: number } = {}): Promise<Docker> {
  const address = opts.address ?? engineAddressFromEnv();
  const docker = clientFor(address);
  const why = await unanswered(docker);
  if (why === undefined) return docker;
  if (why === 'EACCES') throw new InfraError(engineRefusesUser(address, process.getuid?.() ?? 0));
  if (address !== DEFAULT_ENGINE)
    throw new InfraError(
      `no Docker engine answers at ${address}; start that engine, or leave out --docker-host and DOCKER_HOST to use the local one`,
    );
  if (!canSelfInstall())
    throw new InfraError(`no Docker engine answers at ${address}; start one (e.g. sudo dockerd) or point --docker-host at one`);

  say(`no Docker engine answers at ${address}`);
  if (!(await onPath('dockerd'))) {
    say("installing Debian's docker.io");
    await aptInstall(['docker.io'], (l) => say(`  ${l}`));
  }
  mkdirSync('/var/log/cshared-matrix', { recursive: true });
  const log = openSync(DOCKERD_LOG, 'a');
  say(`starting dockerd in the background (log: ${DOCKERD_LOG})`);
  // Detached so the engine outlives this process: later runs and CI steps reuse it.
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  child.unref();

  const deadline = Date.now() + (opts.waitSeconds ?? 90) * 1000;
  say('waiting for the engine to answer');
  while (Date.now() < deadline) {
    if (await answers(docker)) {
      say('engine is up');
      return docker;
    }
    if (exited !== null) throw new InfraError(`dockerd exited with code ${exited} right after starting; see ${DOCKERD_LOG}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new InfraError(`dockerd did not answer within ${opts.waitSeconds ?? 90} s; see ${DOCKERD_LOG}`);
}
