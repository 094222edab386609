import type Docker from 'dockerode';
import { BUILD_CAPS, BUILD_GID, buildUid, CACHE_DIR, laneHome, RUN_CAPS, SUPERVISOR, VOL, WRAPPER_TMP } from '../sandbox/layout.js';

/**
 * The containers' sandbox, defined once: what the harness asks the engine for
 * (sandbox.ts) and what a bundle's rerun.sh passes to `docker run` (bundle.ts)
 * both come from containerSpec. Pure: no engine is asked anything here.
 */

export interface Limits {
  buildMemoryMiB: number;
  buildPids: number;
  /**
   * What one build step may write outside its lane's tmpfs (its outputs, its Go build
   * cache entries), and the largest file it may write: sandbox/scripts.ts CACHED_STEP. --build-quota.
   */
  buildQuotaMiB: number;
  /** An image's Go build cache over this at the start of a run is emptied first (sandbox/scripts.ts shareGoCache). */
  goCacheBudgetMiB: number;
  runMemoryMiB: number;
  runPids: number;
  runCpus: number;
}

export const DEFAULT_LIMITS: Limits = {
  buildMemoryMiB: 4096,
  buildPids: 4096,
  buildQuotaMiB: 1024,
  goCacheBudgetMiB: 8192,
  runMemoryMiB: 1024,
  runPids: 256,
  runCpus: 1,
};

export interface SpecInput {
  image: string;
  role: 'build' | 'run';
  limits: Limits;
  volume: string;
  /** Host directory at /cache, builders only. */
  cacheDir?: string;
  /** Build lanes: each gets a user and a tmpfs of its own. */
  lanes: number;
  labels: Record<string, string>;
}

export function containerSpec(s: SpecInput): Docker.ContainerCreateOptions {
  const l = s.limits;
  const build = s.role === 'build';
  const memory = (build ? l.buildMemoryMiB : l.runMemoryMiB) * 2 ** 20;
  // Each build lane's home and temporary directory is a tmpfs of its own, owned by its user.
  const laneTmpfs = build
    ? Object.fromEntries(
        Array.from({ length: s.lanes }, (_, i) => [
          laneHome(i),
          `rw,exec,nosuid,nodev,size=1024m,uid=${buildUid(i)},gid=${BUILD_GID},mode=0700`,
        ]),
      )
    : {};
  return {
    Image: s.image,
    // Run containers idle on the static supervisor from the volume, so any rootfs works.
    Cmd: build ? ['sleep', 'infinity'] : [SUPERVISOR, '--idle'],
    Labels: { ...s.labels, 'cshared-matrix.role': s.role },
    WorkingDir: build ? VOL : '/tmp',
    // The supervisors are root with a few capabilities; what they run is not (csm-run --as, --run-as).
    User: '0:0',
    Env: build ? [`HOME=${WRAPPER_TMP}`, `TMPDIR=${WRAPPER_TMP}`, 'LC_ALL=C.UTF-8'] : ['HOME=/tmp', 'LC_ALL=C.UTF-8'],
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      Init: true,
      CapDrop: ['ALL'],
      CapAdd: [...(build ? BUILD_CAPS : RUN_CAPS)],
      SecurityOpt: ['no-new-privileges'],
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: build ? l.buildPids : l.runPids,
      ...(build ? {} : { NanoCpus: Math.round(l.runCpus * 1e9) }),
      ReadonlyRootfs: true,
      // A builder's /tmp is read-only: the wrapper and each lane have a tmpfs of their own (sandbox/layout.ts: SCRATCH).
      Tmpfs: build
        ? { '/tmp': 'ro,size=1m', [WRAPPER_TMP]: 'rw,nosuid,nodev,size=256m,mode=0700', ...laneTmpfs }
        : { '/tmp': 'rw,exec,nosuid,nodev,size=64m' },
      Mounts: [
        { Type: 'volume', Source: s.volume, Target: VOL, ReadOnly: !build },
        // Hosts never see the cache: a case's run cannot poison another's build.
        ...(build && s.cacheDir ? [{ Type: 'bind' as const, Source: s.cacheDir, Target: CACHE_DIR }] : []),
      ],
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      AutoRemove: false,
    },
  };
}

type Host = NonNullable<Docker.ContainerCreateOptions['HostConfig']>;
/** How each HostConfig field reads as `docker run` flags; a field not listed here is an error, so the two cannot drift. */
const HOST_FLAGS: Partial<Record<keyof Host, (v: never, mount: string) => string[]>> = {
  NetworkMode: (v: string) => ['--network', v],
  Init: (v: boolean) => (v ? ['--init'] : []),
  CapDrop: (v: string[]) => v.flatMap((c) => ['--cap-drop', c]),
  CapAdd: (v: string[]) => v.flatMap((c) => ['--cap-add', c]),
  SecurityOpt: (v: string[]) => v.flatMap((o) => ['--security-opt', o]),
  Memory: (v: number) => ['--memory', `${v / 2 ** 20}m`],
  MemorySwap: (v: number) => ['--memory-swap', `${v / 2 ** 20}m`],
  PidsLimit: (v: number) => ['--pids-limit', String(v)],
  NanoCpus: (v: number) => ['--cpus', String(v / 1e9)],
  ReadonlyRootfs: (v: boolean) => (v ? ['--read-only'] : []),
  Tmpfs: (v: Record<string, string>) => Object.entries(v).flatMap(([p, o]) => ['--tmpfs', `${p}:${o}`]),
  Mounts: (v: { Target: string; ReadOnly?: boolean }[], mount: string) =>
    v.flatMap((m) => ['-v', `${mount}:${m.Target}${m.ReadOnly ? ':ro' : ''}`]),
  Ulimits: (v: { Name: string; Soft: number; Hard: number }[]) => v.flatMap((u) => ['--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`]),
  // The harness removes its own containers (AutoRemove off); a rerun's is removed by docker.
  AutoRemove: () => ['--rm'],
};

/**
 * The same sandbox as `docker run` flags, for a bundle: the volume's contents
 * come from `mount` (a directory beside rerun.sh). Throws on a field it cannot
 * say, so a new limit in containerSpec cannot silently miss the bundles.
 */
export function dockerRunFlags(spec: Docker.ContainerCreateOptions, mount: string): string[] {
  const flags: string[] = ['--user', spec.User ?? '0:0', ...(spec.Env ?? []).flatMap((e) => ['-e', e])];
  for (const [key, value] of Object.entries(spec.HostConfig ?? {})) {
    const say = HOST_FLAGS[key as keyof Host];
    if (!say) throw new Error(`dockerRunFlags: no docker run flag for HostConfig.${key}; add one to HOST_FLAGS`);
    flags.push(...say(value as never, mount));
  }
  return flags;
}
