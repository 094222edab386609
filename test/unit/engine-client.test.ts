import t from 'tap';
import { engineRefusesUser } from '../../harness/core/engine-address.js';
import { clientFor, engineAddressOf } from '../../harness/edge/engine.js';

// The client is made for the address it is given, whatever DOCKER_HOST says (docker-modem reads it too).
t.test('--docker-host wins over a DOCKER_HOST of another kind', async (t) => {
  const saved = process.env.DOCKER_HOST;
  t.teardown(() => (saved === undefined ? delete process.env.DOCKER_HOST : (process.env.DOCKER_HOST = saved)));
  process.env.DOCKER_HOST = 'tcp://elsewhere:2375';
  const local = clientFor('unix:///run/other.sock');
  const m = local.modem as unknown as { socketPath?: string; host?: string; port?: number };
  t.equal(m.socketPath, '/run/other.sock');
  t.equal(m.host, undefined, 'not the host DOCKER_HOST names');
  t.equal(engineAddressOf(local), 'unix:///run/other.sock', 'messages name the address in use');

  process.env.DOCKER_HOST = 'unix:///var/run/elsewhere.sock';
  const remote = clientFor('tcp://ci-runner-2:2380');
  const r = remote.modem as unknown as { socketPath?: string; host?: string; port?: number; protocol?: string };
  t.same([r.host, r.port, r.protocol], ['ci-runner-2', 2380, 'http']);
  t.equal(r.socketPath, undefined);
});

// A user outside the docker group finds the engine running and its socket closed to it: it is told that, not to start one.
t.test('an engine that refuses this user is said as such, with the fix', async (t) => {
  const line = engineRefusesUser('unix:///var/run/docker.sock', 1002);
  t.equal(
    line,
    'the Docker engine at unix:///var/run/docker.sock refuses this user (uid 1002): permission denied on its socket; add the user to the docker group (as root: usermod -aG docker <user>, then log in again), or point --docker-host at an engine it may use',
  );
  t.notMatch(line, /start one|sudo dockerd/, 'never told to start an engine that runs');
});
