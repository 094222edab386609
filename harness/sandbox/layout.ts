/**
 * The sandbox's layout, defined once: where the run volume, the harness's own
 * files, the outputs, the cache and the scratch space live inside every
 * container, and who runs as whom with which capabilities. The container policy
 * (edge/container-policy.ts), the paths, commands and scripts beside this file,
 * the bundles and the reports all take them from here.
 */

/** The run volume, mounted at /work in every container: the sources, the harness's helpers, the outputs. */
export const VOL = '/work';
export const CSM_DIR = `${VOL}/csm`;
export const SUPERVISOR = `${CSM_DIR}/csm-run`;

/**
 * Who runs what. The supervisors (csm-run) are root in their containers, with
 * only the capabilities below; the untrusted part, a host or a build step, runs
 * as another user with none, so it can neither signal nor trace its supervisor,
 * nor write anything but its own outputs.
 */
export const HOST_USER = '65534:65534';
/** A run supervisor changes to HOST_USER and kills the host's whole tree. */
export const RUN_CAPS = ['SETUID', 'SETGID', 'KILL'] as const;
/** A build wrapper also hands the step its output directory and takes it back (chown, and reading what the step left). */
export const BUILD_CAPS = ['SETUID', 'SETGID', 'KILL', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER'] as const;
/** Build lanes share one group, for the Go build cache; each lane has a user of its own. */
export const BUILD_GID = 20000;
export const buildUid = (lane: number): number => BUILD_GID + 1 + lane;
/**
 * A builder's scratch space: /tmp is a read-only tmpfs (nobody writes there, so no
 * step can leave anything for another, or fill it for another); the wrapper has
 * a tmpfs of its own, and so has each lane, as its home and TMPDIR, emptied
 * before and after every step.
 */
export const SCRATCH = '/csm-scratch';
export const WRAPPER_TMP = `${SCRATCH}/root`;
export const laneHome = (lane: number): string => `${SCRATCH}/lane-${lane}`;
/** What a host may write, emptied before and after every host: a cell never sees another's files. */
export const HOST_SCRATCH = ['/tmp', '/dev/shm'] as const;

export const OUT_ROOT = `${VOL}/out`;
export const PROBE_SOURCE = `${CSM_DIR}/csm-probe.c`;
export const CALIB_SOURCE = `${CSM_DIR}/csm-calib.c`;
/** The artifact and Go build cache, a directory of this machine mounted in build containers only. */
export const CACHE_DIR = '/cache';
