import { hostname } from 'node:os';
import { type Duplex, Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { InfraError } from '../core/errors.js';
import { encodeRequest, type Frame, FrameReader, type LineCounts } from '../core/frames.js';
import { SlotPool } from '../core/slot-pool.js';
import { CACHE_DIR } from '../sandbox/layout.js';
import { containerSpec, DEFAULT_LIMITS, type Limits } from './container-policy.js';
import { engineAddressOf } from './engine.js';

/**
 * Containers and the volume of one run. Cases may come from untrusted bug
 * reports, at build time as much as at run time, so every container has no
 * network, no new privileges, a read-only root, and memory/pid limits, and
 * keeps only the few capabilities its supervisor needs to run the untrusted
 * part as another user (sandbox/layout.ts: RUN_CAPS, BUILD_CAPS). Hosts run as nobody,
 * with one CPU and the build volume read-only; build steps run as their lane's
 * user, each lane with a tmpfs of its own, and write only their own output
 * directory. Everything carries the run's labels, so close() and the stale
 * sweep find it all.
 */

export { DEFAULT_LIMITS, type Limits } from './container-policy.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The harness gave up waiting (the in-container supervisor should have ended it first). */
  deadlineHit: boolean;
  truncated: boolean;
  /** Through a host server: the supervisor's status line, on its own channel. */
  status?: string;
  /** Through a host server: the protocol lines of the host's whole stdout. */
  lines?: LineCounts;
}

const LABEL = 'cshared-matrix.run';

/** Output cut at the limit says so, the same way whichever way it was run. */
const withDropped = (text: string, dropped: number): string =>
  dropped ? `${text}\n[cshared-matrix: ${dropped} more bytes of output dropped]` : text;

class Capture extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const room = this.limit - this.size;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.size += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
    done();
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return withDropped(s, this.dropped);
  }
}

/**
 * One `csm-run --serve` exec in a run slot or a builder lane, fed one command at
 * a time (the protocol is described in harness/programs/csm-run.c). A run costs a write and a read instead
 * of an exec's create, start and inspect, which cost the engine as much CPU as
 * the host itself.
 */
class HostServer {
  private readonly reader = new FrameReader();
  private pending?: { resolve: (r: ExecResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  private dead?: string;
  private diag = '';

  constructor(
    private readonly stream: Duplex,
    demux: (stream: Duplex, out: Writable, err: Writable) => void,
  ) {
    const out = new Writable({ write: (chunk: Buffer, _e, done) => (this.onData(chunk), done()) });
    const err = new Writable({ write: (chunk: Buffer, _e, done) => ((this.diag = (this.diag + chunk.toString()).slice(-2000)), done()) });
    demux(stream, out, err);
    const end = (why: string) => this.fail(why);
    stream.on('end', () => end('the host server in the container exited'));
    stream.on('close', () => end('the host server in the container exited'));
    stream.on('error', (e: Error) => end(`the host server's stream failed: ${e.message}`));
  }

  private fail(why: string): void {
    this.dead ??= `${why}${this.diag.trim() ? `: ${this.diag.trim().split('\n').pop()}` : ''}`;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new InfraError(this.dead));
    }
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return void this.fail(`the host server sent something that is not a frame (${(e as Error).message})`);
    }
    for (const f of frames) {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return void this.fail('the host server answered a request nobody made');
      clearTimeout(p.timer);
      p.resolve({
        exitCode: 0,
        stdout: f.stdout,
        stderr: f.stderr,
        deadlineHit: false,
        truncated: f.stdoutDropped + f.stderrDropped > 0,
        status: f.status,
        lines: f.lines,
      });
    }
  }

  /** cmd: the supervisor's command line, as for an exec ([csm-run, timeout, nonce, --, host...]). */
  request(cmd: string[], opts: { env?: string[]; workdir?: string; deadlineMs: number; maxOutput?: number }): Promise<ExecResult> {
    if (this.dead) return Promise.reject(new InfraError(this.dead));
    if (this.pending) return Promise.reject(new Error('one command at a time per host server'));
    let req: Buffer;
    try {
      req = encodeRequest({ cwd: opts.workdir ?? '/', maxOutput: opts.maxOutput ?? 1 << 20, env: opts.env ?? [], args: cmd.slice(1) });
    } catch (e) {
      return Promise.reject(new InfraError((e as Error).message));
    }
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The supervisor should have ended the host long before: this slot is not to be trusted again.
        this.pending = undefined;
        this.dead = 'the host server missed its deadline';
        resolve({ exitCode: -1, stdout: '', stderr: '', deadlineHit: true, truncated: false });
      }, opts.deadlineMs);
      this.pending = { resolve, reject, timer };
      this.stream.write(req);
    });
  }

  close(): void {
    this.fail('the container was closed');
    this.stream.destroy();
  }
}

export class Session {
  readonly volume: string;
  private readonly labels: Record<string, string>;
  private readonly containers = new Set<Docker.Container>();
  private readonly builders = new Map<string, Promise<Docker.Container>>();
  private readonly pools = new Map<string, SlotPool<Docker.Container>>();
  private readonly servers = new Map<Docker.Container, Map<number, Promise<HostServer>>>();
  private closed = false;

  constructor(
    readonly docker: Docker,
    readonly runId: string,
    readonly limits: Limits = DEFAULT_LIMITS,
    /** Host directory mounted at /cache in build containers only (artifacts and Go build cache). */
    readonly cacheDir?: string,
    /** Build steps a builder runs at once: each lane gets a user and a tmpfs of its own. */
    readonly lanes = 1,
  ) {
    this.volume = `cshared-matrix-${runId}`;
    this.labels = ownerLabels(runId);
  }

  async open(): Promise<void> {
    await this.docker.createVolume({ Name: this.volume, Labels: this.labels });
  }

  private async create(image: string, role: 'build' | 'run'): Promise<Docker.Container> {
    if (this.closed) throw new InfraError('the run is shutting down');
    const c = await this.docker.createContainer(
      containerSpec({
        image,
        role,
        limits: this.limits,
        volume: this.volume,
        ...(this.cacheDir ? { cacheDir: this.cacheDir } : {}),
        lanes: this.lanes,
        labels: this.labels,
      }),
    );
    this.containers.add(c);
    await c.start();
    return c;
  }

  /**
   * One long-lived build container per image; builds exec into it. The first
   * also hands the cache back (handBack) before anything reads it: a run
   * killed before its own hand-back left root's files there, which a
   * non-root harness could not read.
   */
  builder(image: string): Promise<Docker.Container> {
    let b = this.builders.get(image);
    if (!b) {
      const first = this.builders.size === 0;
      b = this.create(image, 'build').then(async (c) => (first && (await handBack(this, c)), c));
      this.builders.set(image, b);
    }
    return b;
  }

  /** Run slots per image: at most `size` hosts of that image run at once. */
  pool(image: string, size: number): SlotPool<Docker.Container> {
    let p = this.pools.get(image);
    if (!p) {
      p = new SlotPool(
        size,
        () => this.create(image, 'run'),
        (c) => this.discard(c),
      );
      this.pools.set(image, p);
    }
    return p;
  }

  /**
   * Run the supervisor's command line (csm-run <timeout> <nonce> -- cmd…) in a
   * container through one of its host servers (started on first use): the same
   * environment, directory and output as an exec of it, without the exec. A
   * server runs one command at a time; `lane` picks one of several in the same
   * container (builds run side by side in one builder).
   */
  async runSupervised(
    c: Docker.Container,
    cmd: string[],
    opts: { env?: string[]; workdir?: string; deadlineMs: number; maxOutput?: number },
    lane = 0,
  ): Promise<ExecResult> {
    let lanes = this.servers.get(c);
    if (!lanes) this.servers.set(c, (lanes = new Map()));
    let s = lanes.get(lane);
    if (!s) {
      s = (async () => {
        const exec = await c.exec({
          Cmd: [cmd[0]!, '--serve'],
          WorkingDir: '/tmp',
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
        });
        const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
        return new HostServer(stream, (st, out, err) => this.docker.modem.demuxStream(st, out, err));
      })();
      lanes.set(lane, s);
    }
    const server = await s;
    const r = await server.request(cmd, opts);
    // A server that missed its deadline is not reused; the next command on its lane gets a new one.
    if (r.deadlineHit) {
      lanes.delete(lane);
      server.close();
    }
    return r;
  }

  /** Before the builders go: see handBack. */
  private async handBackCache(): Promise<void> {
    const builder = await [...this.builders.values()][0]?.catch(() => undefined);
    await handBack(this, builder);
  }

  private stopServers(c: Docker.Container): void {
    const lanes = this.servers.get(c);
    this.servers.delete(c);
    for (const s of lanes?.values() ?? [])
      s.then(
        (srv) => srv.close(),
        () => undefined,
      );
  }

  async discard(c: Docker.Container): Promise<void> {
    this.stopServers(c);
    this.containers.delete(c);
    await c.remove({ force: true, v: true }).catch(() => undefined);
  }

  /** Unpack a tar stream (node-tar's Pack is a minipass, hence Readable.from) at `path` in the container. */
  async putArchive(c: Docker.Container, tarStream: AsyncIterable<Buffer>, path: string): Promise<void> {
    await c.putArchive(Readable.from(tarStream) as unknown as string, { path });
  }

  async exec(
    c: Docker.Container,
    cmd: string[],
    opts: { env?: string[]; workdir?: string; deadlineMs: number; maxOutput?: number; user?: string },
  ): Promise<ExecResult> {
    const exec = await c.exec({
      Cmd: cmd,
      ...(opts.user ? { User: opts.user } : {}),
      Env: opts.env ?? [],
      WorkingDir: opts.workdir ?? '/',
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
    const out = new Capture(opts.maxOutput ?? 1 << 20);
    const err = new Capture(opts.maxOutput ?? 1 << 20);
    this.docker.modem.demuxStream(stream, out, err);
    const deadlineHit = await streamEnd(stream, opts.deadlineMs);
    const exitCode = deadlineHit ? -1 : await recordedExitCode(exec);
    return { exitCode, stdout: out.text(), stderr: err.text(), deadlineHit, truncated: out.dropped + err.dropped > 0 };
  }

  /** The engine went away under the run? One line for a person, or undefined (see engineLost). */
  engineLost(): Promise<string | undefined> {
    return engineLost(this.docker, [...this.containers].slice(0, 8));
  }

  /** Remove every container and the volume of this run. Safe to call twice, and from a signal handler. */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.servers.keys()]) this.stopServers(c);
    await this.handBackCache();
    const all = [...this.containers];
    this.containers.clear();
    await Promise.all(all.map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
    // A container removed a moment ago can still hold the volume; retry briefly.
    for (let i = 0; i < 20; i++) {
      try {
        await this.docker.getVolume(this.volume).remove();
        return;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

/** Wait for an exec's stream to end; at the deadline it is destroyed instead, and true says so. */
function streamEnd(stream: NodeJS.ReadableStream & { destroy(): void }, deadlineMs: number): Promise<boolean> {
  let deadlineHit = false;
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => {
      deadlineHit = true;
      stream.destroy();
      resolve(true);
    }, deadlineMs);
    const finish = () => (clearTimeout(timer), resolve(deadlineHit));
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', (e: Error) =>
      deadlineHit ? resolve(true) : (clearTimeout(timer), reject(new InfraError(`exec stream failed: ${e.message}`))),
    );
  });
}

/** An ended exec's exit code: the stream can end a moment before the engine records it (-1 if it never does). */
async function recordedExitCode(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

/**
 * What the builders wrote into the mounted cache is root's (the wrappers) and
 * the lanes' on this machine. A harness that is not root (the Action on a
 * runner whose user may reach the engine) gets it back as its own, so that no
 * file of the run is left root-owned there: one chown by a builder, which runs
 * only the harness's code as root. What is in root's group goes to the user's
 * group too; the lanes' group stays, since they share the Go build cache through it.
 */
async function handBack(session: Session, builder: Docker.Container | undefined): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  if (!uid || !builder || !session.cacheDir) return;
  const cmd = [
    '/bin/sh',
    '-c',
    'chown -R -h "$1" "$3" && find "$3" -group 0 -exec chgrp -h "$2" {} +',
    'csm-hand-back',
    String(uid),
    String(process.getgid?.() ?? uid),
    CACHE_DIR,
  ];
  await session.exec(builder, cmd, { deadlineMs: 60_000 }).catch(() => undefined);
}

/**
 * Whether the engine went away: it does not answer, or it answers but the
 * given containers of the run are no longer running (it restarted).
 */
async function engineLost(docker: Docker, containers: Docker.Container[]): Promise<string | undefined> {
  const line = (what: string) =>
    `the Docker engine at ${engineAddressOf(docker)} ${what} during the run; start it again (npm run engine) and rerun`;
  const within = <T>(p: Promise<T>, ms: number): Promise<T | 'late'> =>
    Promise.race([p, new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref())]);
  const ping = await within(
    docker.ping().then(
      () => true,
      () => false,
    ),
    5000,
  );
  if (ping !== true) return line('stopped answering');
  for (const c of containers) {
    const running = await within(
      c.inspect().then(
        (i) => i.State.Running,
        () => false,
      ),
      5000,
    );
    if (running !== true) return line("stopped answering (it restarted, and this run's containers stopped)");
  }
  return undefined;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Who made a container or volume: `run` (a run id, or IMAGE_CACHE_RUN), this
 * process and this host. sweepStale removes what a process that died left
 * behind, and removeOwn what this one still has, by these labels.
 */
export const ownerLabels = (run: string): Record<string, string> => ({
  [LABEL]: run,
  'cshared-matrix.pid': String(process.pid),
  'cshared-matrix.host': hostname(),
});

/** The run label of the containers no run owns: those the image cache saves and restores host-language directories through, and those a sysroot is extracted in (edge/lang-images.ts). */
export const IMAGE_CACHE_RUN = 'image-cache';

/** Remove this process's containers of `run` (the image cache's, when Ctrl-C stops a save or a restore before its own cleanup). */
export async function removeOwn(docker: Docker, run: string): Promise<void> {
  const filters = { label: [`${LABEL}=${run}`, `cshared-matrix.pid=${process.pid}`, `cshared-matrix.host=${hostname()}`] };
  for (const info of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

/** Remove what runs on this host left behind when they died without cleaning up (kill -9, power loss). */
export async function sweepStale(docker: Docker): Promise<number> {
  const mine = (labels: Record<string, string> | undefined) =>
    !!labels && !!labels[LABEL] && labels['cshared-matrix.host'] === hostname() && !pidAlive(Number(labels['cshared-matrix.pid']));
  let n = 0;
  for (const info of await docker.listContainers({ all: true, filters: { label: [LABEL] } }))
    if (mine(info.Labels)) {
      await docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
      n++;
    }
  const vols = (await docker.listVolumes({ filters: { label: [LABEL] } })).Volumes ?? [];
  for (const v of vols)
    if (mine(v.Labels ?? undefined)) {
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
      n++;
    }
  return n;
}

/** What the harness created that is still in the engine: for one run, or for every run when none is named. */
export async function leftovers(docker: Docker, runId?: string): Promise<string[]> {
  const label = [runId ? `${LABEL}=${runId}` : LABEL];
  const cs = await docker.listContainers({ all: true, filters: { label } });
  const vs = (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
  return [...cs.map((c) => `container ${c.Names.join(',')}`), ...vs.map((v) => `volume ${v.Name}`)];
}
