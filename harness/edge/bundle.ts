import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type Docker from 'dockerode';
import * as tar from 'tar';
import type { Verdict } from '../core/types.js';
import { shellLine } from '../sandbox/commands.js';
import { containerSpec, dockerRunFlags } from './container-policy.js';
import type { BuiltImage } from './images.js';
import type { Limits, Session } from './sandbox.js';

export interface BundleInput {
  session: Session;
  builder: Docker.Container;
  runDir: string;
  cellId: string;
  /** Absolute paths under /work to copy out of the run volume. */
  paths: string[];
  image: BuiltImage;
  tools: Record<string, string>;
  env: string[];
  cmd: string[];
  cwd: string;
  verdict: Verdict;
  failureText: string;
  limits: Limits;
}

/**
 * A self-contained directory that reruns one cell alone: the built libraries,
 * the host, the supervisor, the exact image id and tool versions, and a
 * rerun.sh with the same command and the same sandbox. For attaching to an
 * upstream bug report, or bisecting without the harness.
 */
/** Stands for the bundle's directory until the line is quoted (a word shellLine leaves bare). */
const HERE = '@@csm-here@@';

export async function exportBundle(b: BundleInput): Promise<string> {
  const dir = join(b.runDir, 'bundles', b.cellId.replace(/[^A-Za-z0-9_.+-]+/g, '__'));
  for (const path of b.paths) {
    const into = join(dir, dirname(path));
    mkdirSync(into, { recursive: true });
    const stream = (await b.builder.getArchive({ path })) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      const x = tar.x({ cwd: into, preservePaths: false });
      let done = false;
      const finish = () => (done ? undefined : ((done = true), resolve()));
      x.on('finish', finish).on('close', finish).on('error', reject);
      stream.on('error', reject);
      stream.pipe(x as unknown as NodeJS.WritableStream);
    });
  }
  // The run slot's sandbox, from the same definition the harness gives the engine;
  // the volume's contents come from the bundle's own work/ directory.
  const spec = containerSpec({ image: b.image.id, role: 'run', limits: b.limits, volume: 'bundle', lanes: 1, labels: {} });
  const sandbox = shellLine([], dockerRunFlags(spec, `${HERE}/work`)).replaceAll(HERE, '"$here"');
  const docker = [
    `docker run ${sandbox}`,
    `-w ${b.cwd}`,
    ...b.env.map((e) => `-e ${shellLine([], [e])}`),
    '"$image"',
    shellLine([], b.cmd),
  ].join(' \\\n  ');
  const script = `#!/bin/sh
# Reruns ${b.cellId} alone, outside the harness: same image, same command,
# same sandbox. The last stderr line (@@csm-status) says how the host ended.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
image=${b.image.id}
if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "rerun: image ${b.image.tag} ($image) is not in this engine; build it with npm run matrix" >&2
  exit 3
fi
exec ${docker}
`;
  writeFileSync(join(dir, 'rerun.sh'), script);
  chmodSync(join(dir, 'rerun.sh'), 0o755);
  writeFileSync(
    join(dir, 'cell.json'),
    `${JSON.stringify({ cell: b.cellId, verdict: b.verdict, image: { tag: b.image.tag, id: b.image.id }, tools: b.tools, cwd: b.cwd, env: b.env, command: b.cmd, failureText: b.failureText }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'failure.txt'), `${b.failureText}\n`);
  return relative(b.runDir, dir);
}
