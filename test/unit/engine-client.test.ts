import t from 'tap';
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
