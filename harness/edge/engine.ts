import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import Docker from 'dockerode';
import { InfraError } from '../core/errors.js';
import { aptInstall, canSelfInstall, onPath } from './host-packages.js';

export const DOCKERD_LOG = '/var/log/cshared-matrix/dockerd.log';

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export const engineAddress = (): string => process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

/**
 * Return a client for a Docker engine that answers. On a root Debian machine
 * with none, install docker.io and start dockerd; anywhere else, say what is
 * missing in one line. `.ci/run`, `npm test` and `npm run matrix` all come here.
 */
export async function ensureEngine(say: (line: string) => void, opts: { waitSeconds?: number } = {}): Promise<Docker> {
  const docker = new Docker();
  if (await answers(docker)) return docker;
  if (process.env.DOCKER_HOST)
    throw new InfraError(`no Docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST}; start that engine or unset DOCKER_HOST`);
  if (!canSelfInstall())
    throw new InfraError(`no Docker engine answers at ${engineAddress()}; start one (e.g. sudo dockerd) or point DOCKER_HOST at one`);

  say(`no Docker engine answers at ${engineAddress()}`);
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
