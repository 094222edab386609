// The sandbox defined once: the engine's container config and a bundle's `docker run` flags agree.
import t from 'tap';
import { containerSpec, DEFAULT_LIMITS, dockerRunFlags } from '../../harness/edge/container-policy.js';
import { shellLine } from '../../harness/sandbox/commands.js';

const run = containerSpec({ image: 'img', role: 'run', limits: DEFAULT_LIMITS, volume: 'vol', lanes: 2, labels: { a: 'b' } });
const build = containerSpec({ image: 'img', role: 'build', limits: DEFAULT_LIMITS, volume: 'vol', cacheDir: '/c', lanes: 2, labels: {} });

t.test('a run slot: no network, read-only, root supervisor with three capabilities, limits', async (t) => {
  const h = run.HostConfig!;
  t.equal(run.User, '0:0');
  t.same(h.CapDrop, ['ALL']);
  t.same(h.CapAdd, ['SETUID', 'SETGID', 'KILL']);
  t.equal(h.NetworkMode, 'none');
  t.equal(h.ReadonlyRootfs, true);
  t.equal(h.NanoCpus, 1e9);
  t.same(h.Mounts, [{ Type: 'volume', Source: 'vol', Target: '/work', ReadOnly: true }], 'the volume read-only, and no cache');
  t.same(h.Tmpfs, { '/tmp': 'rw,exec,nosuid,nodev,size=64m' });
});

t.test('a builder: the cache, a read-only /tmp, a tmpfs per lane owned by its user', async (t) => {
  const h = build.HostConfig!;
  t.same(h.CapAdd, ['SETUID', 'SETGID', 'KILL', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER']);
  t.equal(h.NanoCpus, undefined, 'builds use every core');
  t.same(h.Mounts, [
    { Type: 'volume', Source: 'vol', Target: '/work', ReadOnly: false },
    { Type: 'bind', Source: '/c', Target: '/cache' },
  ]);
  t.same(Object.keys(h.Tmpfs!), ['/tmp', '/csm-scratch/root', '/csm-scratch/lane-0', '/csm-scratch/lane-1']);
  t.match(h.Tmpfs!['/tmp'], /^ro,/);
  t.match(h.Tmpfs!['/csm-scratch/lane-1'], /uid=20002,gid=20000,mode=0700/);
});

t.test("a bundle's docker run flags say every field of the run slot's config", async (t) => {
  const flags = shellLine([], dockerRunFlags(run, '/b/work'));
  t.equal(
    flags,
    [
      '--user 0:0 -e HOME=/tmp -e LC_ALL=C.UTF-8',
      '--network none --init --cap-drop ALL --cap-add SETUID --cap-add SETGID --cap-add KILL --security-opt no-new-privileges',
      '--memory 1024m --memory-swap 1024m --pids-limit 256 --cpus 1 --read-only --tmpfs /tmp:rw,exec,nosuid,nodev,size=64m',
      '-v /b/work:/work:ro --ulimit core=0:0 --rm',
    ].join(' '),
  );
  t.throws(
    () => dockerRunFlags({ ...run, HostConfig: { ...run.HostConfig, Privileged: false } }, '/b'),
    /no docker run flag for HostConfig\.Privileged/,
    'a field it cannot say is an error, not a silent gap',
  );
});
