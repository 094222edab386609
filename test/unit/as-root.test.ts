// Which commands run as root when the harness is not (the Action on a runner
// whose user reaches the engine): the image recipe's own, through sudo -n,
// never asking for a password.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { InfraError } from '../../harness/core/errors.js';
import { cannotInstall } from '../../harness/core/host-install.js';
import { aptInstall, asRoot } from '../../harness/edge/host-packages.js';

const realUid = process.getuid;
t.teardown(() => void (process.getuid = realUid));

t.test('as root: the command as is', async (t) => {
  process.getuid = () => 0;
  t.same(asRoot('mmdebstrap', ['--variant=minbase', 'trixie', '/var/tmp/x.tar']), [
    'mmdebstrap',
    ['--variant=minbase', 'trixie', '/var/tmp/x.tar'],
  ]);
});

t.test('as a user: through sudo -n, its arguments one each, after --', async (t) => {
  process.getuid = () => 1001;
  t.same(asRoot('mmdebstrap', ['--include=a,b', 'trixie', 'out.tar']), [
    'sudo',
    ['-n', '--', 'mmdebstrap', '--include=a,b', 'trixie', 'out.tar'],
  ]);
  t.same(
    asRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'zstd']),
    ['sudo', ['-n', '--', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'zstd']],
    'apt-get gets its frontend through env: sudo drops the environment',
  );
  t.same(asRoot('mmdebstrap', ['-n; id']), ['sudo', ['-n', '--', 'mmdebstrap', '-n; id']], 'an argument stays one argument, never shell');
});

t.test('as a user on a host without sudo: aptInstall asks nothing of apt and says why in one line', async (t) => {
  process.getuid = () => 1001;
  const savedPath = process.env.PATH;
  t.teardown(() => void (process.env.PATH = savedPath));
  const emptyPath = mkdtempSync(join(tmpdir(), 'csm-no-sudo-'));
  t.teardown(() => rmSync(emptyPath, { recursive: true }));
  process.env.PATH = emptyPath;
  const said: string[] = [];
  const refusal = await aptInstall(['zstd'], (l) => said.push(l), 'a test').then(
    () => undefined,
    (e: Error) => e,
  );
  t.type(refusal, InfraError, 'an infrastructure error: exit 3');
  t.equal(
    refusal?.message,
    cannotInstall({
      packages: ['zstd'],
      neededFor: 'a test',
      debian: existsSync('/etc/debian_version'),
      uid: 1001,
      sudo: { kind: 'absent' },
    }),
  );
  t.same(said, [], 'no apt-get update or install was attempted');
});
