// Which commands run as root when the harness is not (the Action on a runner
// whose user reaches the engine): the image recipe's own, through sudo -n,
// never asking for a password.
import t from 'tap';
import { asRoot } from '../../harness/edge/host-packages.js';

const realUid = process.getuid;
t.teardown(() => void (process.getuid = realUid));

t.test('as root: the command as is', async (t) => {
  process.getuid = () => 0;
  t.same(asRoot('mmdebstrap', ['--variant=minbase', 'trixie', '/var/tmp/x.tar']), ['mmdebstrap', ['--variant=minbase', 'trixie', '/var/tmp/x.tar']]);
});

t.test('as a user: through sudo -n, its arguments one each, after --', async (t) => {
  process.getuid = () => 1001;
  t.same(asRoot('mmdebstrap', ['--include=a,b', 'trixie', 'out.tar']), ['sudo', ['-n', '--', 'mmdebstrap', '--include=a,b', 'trixie', 'out.tar']]);
  t.same(asRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'zstd']), ['sudo', ['-n', '--', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', 'zstd']], 'apt-get gets its frontend through env: sudo drops the environment');
  t.same(asRoot('mmdebstrap', ['-n; id']), ['sudo', ['-n', '--', 'mmdebstrap', '-n; id']], 'an argument stays one argument, never shell');
});
