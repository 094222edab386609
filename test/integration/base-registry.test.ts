// The registry path of the base image (edge/base-image.ts), as GitHub's runners,
// Docker Desktop and remote engines take it, with a stand-in for the registry:
// nothing here can pull, so a Debian trixie rootfs (debootstrap's minbase, as
// the official image is) is imported as the image --base-image names, as a pull
// or `docker load` would leave it. The base is built through images/base/Dockerfile
// under its own repository (CSM_BASE_REPOSITORY) beside the shared one, with
// the same recipe hash; cells then run on it, and its packages are compared
// with the shared base's, which mmdebstrap built. Everything it made goes.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import t from 'tap';
import * as tar from 'tar';
import { $ } from 'zx';
import { ensureEngine } from '../../harness/edge/engine.js';
import { debianMirror } from '../../harness/edge/host-apt.js';
import { BASE_FROM_LABEL, currentBaseTag, follow, goImageTag, imageId, readGoVersions } from '../../harness/edge/images.js';
import { prepareMmdebstrap, runMmdebstrap } from '../../harness/edge/mmdebstrap.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO } from '../support/cli-run.js';

const STANDIN = 'csm-standin/debian:trixie';
const NOT_DEBIAN = 'csm-standin/ubuntu:noble';
const REPOSITORY = 'csm-standin-base';
const work = mkdtempSync(join(tmpdir(), 'csm-base-registry-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const docker = await ensureEngine((l) => t.comment(l));
const sharedBase = currentBaseTag();
const standinBase = sharedBase.replace(/^[^:]+/, REPOSITORY);
const standinGo = goImageTag(readGoVersions().find((g) => g.version === NEWEST_GO)!, standinBase);

/** An image and every image built on it (a failed build's cached steps among them), children first. */
async function removeTree(docker: Docker, ref: string): Promise<void> {
  const id = await imageId(docker, ref);
  if (!id) return;
  for (const child of (await docker.listImages({ all: true })).filter((i) => i.ParentId === id)) await removeTree(docker, child.Id);
  await docker
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}
t.teardown(async () => {
  for (const ref of [standinGo, standinBase, NOT_DEBIAN, STANDIN]) await removeTree(docker, ref);
});

/** The stand-in for `docker pull debian:trixie`: minbase from the mirror, imported under STANDIN. */
async function standIn(): Promise<number> {
  const t0 = Date.now();
  const out = join(work, 'debian-trixie.tar');
  const mirror = debianMirror();
  const { mode, args } = await prepareMmdebstrap(mirror, () => undefined);
  await runMmdebstrap([...args, '--variant=minbase', 'trixie', out, `deb ${mirror.uri} trixie main`], () => undefined, mode);
  const [repo, tag] = STANDIN.split(':') as [string, string];
  await follow(
    docker,
    await docker.importImage(createReadStream(out) as unknown as string, { repo, tag, changes: ['CMD ["bash"]'] } as object),
    () => undefined,
  );
  rmSync(out);
  return (Date.now() - t0) / 1000;
}

/** What dpkg says is installed, one `package:arch version` a line. */
const packages = async (image: string): Promise<Map<string, string>> => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format fields
  const r = await $({ quiet: true })`docker run --rm --network none ${image} dpkg-query -W -f ${'${binary:Package} ${Version}\\n'}`;
  return new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
};

const results = mkdtempSync(join(work, 'results-'));
const run = matrixRunner(results, mkdtempSync(join(work, 'cache-')));
const withRepository = (repository: string) => ({ ...process.env, CSM_BASE_REPOSITORY: repository });

t.test(
  'on a Debian image the engine has (as after a pull): the base through images/base/Dockerfile, then link and dlopen on it',
  async (t) => {
    t.comment(`stand-in ${STANDIN} made and imported in ${(await standIn()).toFixed(0)} s`);
    const saved = process.env.CSM_BASE_REPOSITORY;
    Object.assign(process.env, withRepository(REPOSITORY));
    t.teardown(() => (saved === undefined ? delete process.env.CSM_BASE_REPOSITORY : (process.env.CSM_BASE_REPOSITORY = saved)));
    const t0 = Date.now();
    const r = await run('--base-image', STANDIN, '--case', 'link,dlopen', '--platform', 'amd64-glibc,arm64-musl', '--go', NEWEST_GO);
    t.comment(`the run (base, Go layer, 4 cells): exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const line = r.out.split('\n').find((l) => l.includes(`building ${standinBase}`));
    t.match(
      line,
      new RegExp(
        `^building ${standinBase} on ${STANDIN} through images/base/Dockerfile \\(the registry path\\), packages from http\\S+ \\(`,
      ),
      `the one line that says which way: ${line}`,
    );
    t.notMatch(r.out, /with mmdebstrap on this host|\[mmdebstrap /, 'mmdebstrap is not run');
    t.match(r.out, new RegExp(`${standinBase} ready in (\\d+) s`));
    t.comment(
      r.out
        .split('\n')
        .filter((l) => /ready in|took/.test(l))
        .join('\n'),
    );
    t.equal(r.code, 0, r.out.slice(-3000));
    for (const c of ['link', 'dlopen']) {
      t.equal(r.cell(`${c}/amd64-glibc/go${NEWEST_GO}`).verdict, 'pass', `${c} on amd64-glibc`);
      const musl = r.cell(`${c}/arm64-musl/go${NEWEST_GO}`);
      t.equal(musl.verdict, 'xfail', `${c} on arm64-musl: the known musl failure`);
      t.match(musl.expectation?.link, /golang\/go\/issues\/(13492|54805)/);
    }
    t.equal(
      r.results!.images.find((i) => i.tag === standinGo)?.tag,
      standinGo,
      `the cells ran on the Go layer of the stand-in base (${standinGo})`,
    );
    t.same(await leftovers(docker, r.results!.run.id), []);

    const info = await docker.getImage(standinBase).inspect();
    t.match(info.Config?.Labels?.[BASE_FROM_LABEL], new RegExp(`^${STANDIN}@sha256:[0-9a-f]{64}$`), 'the base says what it was built on');
    t.comment(
      `${standinBase}: ${(info.Size / 1e9).toFixed(2)} GB; the shared base (mmdebstrap): ${((await docker.getImage(sharedBase).inspect()).Size / 1e9).toFixed(2)} GB`,
    );
  },
);

t.test("the same packages as the mmdebstrap path's base, and none of the files the recipe's dpkg filters keep out", async (t) => {
  const [ours, shared] = await Promise.all([packages(standinBase), packages(sharedBase)]);
  t.same([...ours.keys()].sort(), [...shared.keys()].sort(), `the same ${shared.size} packages (name and architecture)`);
  const versions = [...ours].filter(([p, v]) => shared.has(p) && shared.get(p) !== v);
  t.comment(
    versions.length
      ? `${versions.length} packages at another version than the shared base's (built on another day): ${versions
          .slice(0, 5)
          .map(([p, v]) => `${p} ${shared.get(p)} → ${v}`)
          .join(', ')}`
      : 'every version the same',
  );
  // At the same versions (a base built the same day: a fresh machine's), the same files too: the Dockerfile removes what mmdebstrap leaves out.
  const find = [
    'find',
    '/',
    '-xdev',
    '(',
    ...['/proc', '/sys', '/var/log', '/var/cache/debconf'].flatMap((p, i) => [...(i ? ['-o'] : []), '-path', p]),
    ')',
    '-prune',
    '-o',
    '-print',
  ];
  const paths = async (image: string) =>
    (await $({ quiet: true })`docker run --rm --network none ${image} ${find}`).stdout.split('\n').sort();
  if (!versions.length) t.same(await paths(standinBase), await paths(sharedBase), 'every version the same, so the same paths');
  const filtered = await $({
    quiet: true,
  })`docker run --rm --network none ${standinBase} find /usr/share/doc /usr/share/locale /usr/share/info /usr/share/man -type f -not -path '/usr/share/man/man1/*' -not -path /usr/share/info/dir`;
  t.equal(
    filtered.stdout.trim(),
    '',
    "no docs, locales, info or man pages (man1 and install-info's index aside, as mmdebstrap leaves them), of the Debian image's own packages either",
  );
  const apt = await $({
    quiet: true,
  })`docker run --rm --network none ${standinBase} sh -c ${'ls /etc/apt/sources.list.d /etc/apt/apt.conf.d; cat /etc/apt/sources.list /etc/dpkg/dpkg.cfg.d/99mmdebstrap'}`;
  const sharedApt = await $({
    quiet: true,
  })`docker run --rm --network none ${sharedBase} sh -c ${'ls /etc/apt/sources.list.d /etc/apt/apt.conf.d; cat /etc/apt/sources.list /etc/dpkg/dpkg.cfg.d/99mmdebstrap'}`;
  t.equal(apt.stdout.replace(/\n+/g, '\n'), sharedApt.stdout.replace(/\n+/g, '\n'), 'the same apt sources, apt settings and dpkg filters');
});

t.test('a --base-image that is not Debian trixie, or that the engine cannot have: one line, exit 3, no image', async (t) => {
  writeFileSync(
    join(work, 'Dockerfile'),
    `FROM ${STANDIN}\nRUN printf 'ID=ubuntu\\nVERSION_CODENAME=noble\\nPRETTY_NAME="Ubuntu 24.04 LTS"\\n' > /usr/lib/os-release\n`,
  );
  const context = tar.c({ cwd: work, portable: true }, ['Dockerfile']);
  await follow(
    docker,
    await docker.buildImage(
      Readable.from(context) as unknown as NodeJS.ReadableStream,
      { t: NOT_DEBIAN, rm: true, forcerm: true } as Docker.ImageBuildOptions,
    ),
    () => undefined,
  );
  const saved = process.env.CSM_BASE_REPOSITORY;
  t.teardown(() => (saved === undefined ? delete process.env.CSM_BASE_REPOSITORY : (process.env.CSM_BASE_REPOSITORY = saved)));
  const wrongTag = sharedBase.replace(/^[^:]+/, 'csm-standin-wrong');
  for (const [from, repository, want] of [
    [
      NOT_DEBIAN,
      'csm-standin-wrong',
      new RegExp(
        `^cshared-matrix: base image, registry path \\(on ${NOT_DEBIAN}\\): building ${wrongTag} failed: E: the image is Ubuntu 24\\.04 LTS, not Debian trixie: give a Debian trixie image \\(exit code 1\\)$`,
        'm',
      ),
    ],
    [
      'localhost:1/debian:trixie',
      'csm-standin-nowhere',
      /^cshared-matrix: base image, registry path: the engine has no localhost:1\/debian:trixie and cannot pull it \(.*connection refused.*\); fix: docker pull or docker load it/m,
    ],
  ] as const) {
    Object.assign(process.env, withRepository(repository));
    const r = await run('--base-image', from, '--case', 'link', '--platform', 'amd64-glibc', '--go', NEWEST_GO);
    t.equal(r.code, 3, `${from}: exit 3`);
    t.match(r.stderr, want, `${from}: the line says the path, the cause and the fix\n${r.stderr.slice(-1500)}`);
    t.equal(r.stderr.split('\n').filter((l) => l.startsWith('cshared-matrix: ') && /fail|cannot|not Debian/.test(l)).length, 1, 'one line');
    t.notMatch(r.out, /^\s+at /m, 'no stack trace');
    t.equal(await imageId(docker, sharedBase.replace(/^[^:]+/, repository)), undefined, 'no base image under the tag');
  }
});
