// The first run where users run it, as far as apt and mmdebstrap go (issue 24):
//
// - an Ubuntu host (every GitHub ubuntu-* runner): a mount namespace whose
//   /etc/apt is an Ubuntu 24.04 one (ubuntu.sources naming Ubuntu's archive,
//   no Debian key trusted). The harness picks Debian's own mirror and hands
//   mmdebstrap Debian's keyring, and says so; mmdebstrap, with the arguments
//   the base image's path passes, gets through apt-get update to a tarball,
//   and without the keyring it does not. Then the Action's steps
//   (test/action/run-action-steps.ts) in that namespace, with the images
//   present;
// - a user who is not root and has no sudo: mmdebstrap in unshare mode, its
//   tarball the user's, and one line when /etc/subuid gives it no range.
//
// A tiny recipe (one package: first-run-helper.ts) stands for the base's,
// which takes minutes: the path is the same (edge/mmdebstrap.ts
// mmdebstrapRootfs), only the package list differs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { $ } from 'zx';
import { DEBIAN_MIRROR } from '../../harness/core/debian-mirror.js';
import { DEBIAN_KEYRING } from '../../harness/core/mmdebstrap-plan.js';
import type { RunResults } from '../../harness/core/results.js';
import { ensureEngine } from '../../harness/edge/engine.js';
import { ImageCache } from '../../harness/edge/image-cache.js';
import { goImageTag, readGoVersions } from '../../harness/edge/images.js';
import { mmdebstrapArgs, mmdebstrapFailure } from '../../harness/edge/mmdebstrap.js';
import { IMAGE_CACHE_RUN, leftovers } from '../../harness/edge/sandbox.js';
import { packAction } from '../action/pack-action.js';
import { NEWEST_GO, ROOT } from '../support/cli-run.js';
import { asUser, cannotMakeUsers, type MadeUser, makeUser } from '../support/docker-user.js';
import { TINY_RECIPE } from '../support/first-run-helper.js';

const t0 = Date.now();
const work = mkdtempSync(join(tmpdir(), 'csm-first-run-apt-'));
// The fresh user below reads the repository and writes under here.
chmodSync(work, 0o755);
t.teardown(() => {
  rmSync(work, { recursive: true, force: true });
  t.comment(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
const docker = await ensureEngine((l) => t.comment(l));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const HELPER = join(ROOT, 'test', 'support', 'first-run-helper.ts');
if (process.getuid?.() !== 0)
  throw new Error('first-run-apt.test.ts makes mount namespaces and a user: it runs as root, as npm test does here');

/**
 * An Ubuntu 24.04 runner's /etc/apt, as far as the harness and mmdebstrap read
 * it: ubuntu.sources naming Ubuntu's archive, and a trusted.gpg.d holding no
 * Debian key. This machine has no Ubuntu key; a key that is not Debian's
 * stands in for it, since what matters is that Debian's are absent.
 */
function ubuntuApt(): string {
  const apt = join(work, 'ubuntu-etc-apt');
  for (const d of ['sources.list.d', 'trusted.gpg.d', 'apt.conf.d', 'preferences.d']) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, 'sources.list'), '# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources\n');
  const entry = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main universe restricted multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n`;
  writeFileSync(
    join(apt, 'sources.list.d', 'ubuntu.sources'),
    `${entry('http://archive.ubuntu.com/ubuntu/', 'noble noble-updates noble-backports')}\n${entry('http://security.ubuntu.com/ubuntu/', 'noble-security')}`,
  );
  cpSync('/usr/share/keyrings/nodesource.gpg', join(apt, 'trusted.gpg.d', 'ubuntu-keyring-2018-archive.gpg'));
  return apt;
}
const apt = ubuntuApt();

/** `argv` in a mount namespace of its own whose /etc/apt is the Ubuntu one: what every process of it sees on an Ubuntu host. */
async function onUbuntu(argv: string[], env: Record<string, string | undefined> = process.env) {
  const p = await $({
    nothrow: true,
    quiet: true,
    env,
  })`unshare --mount -- sh -c ${'mount --bind "$1" /etc/apt && shift && exec "$@"'} sh ${apt} ${argv}`;
  return { code: p.exitCode, out: p.stdout + p.stderr, lines: (p.stdout + p.stderr).split('\n') };
}

const tarEntries = (tarball: string): string[] =>
  spawnSync('tar', ['--numeric-owner', '-tvf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n');

t.test(
  "an Ubuntu host: Debian's own mirror and Debian's keyring, said in one line; mmdebstrap gets through apt-get update with it, and not without it",
  async (t) => {
    const seen = await onUbuntu(['cat', '/etc/apt/sources.list.d/ubuntu.sources']);
    t.match(seen.out, /^URIs: http:\/\/archive\.ubuntu\.com\/ubuntu\/$/m, "inside it, /etc/apt is Ubuntu's");

    const out = join(work, 'ubuntu-rootfs.tar');
    const s0 = Date.now();
    const run = await onUbuntu([TSX, HELPER, 'rootfs', out]);
    t.comment(`with the keyring: exit ${run.code} in ${((Date.now() - s0) / 1000).toFixed(1)} s`);
    t.equal(run.code, 0, 'mmdebstrap made the tarball', { out: run.out });
    t.equal(run.lines[0], "mirror: http://deb.debian.org/debian (Debian's own: this host's apt sources name no Debian mirror)");
    t.equal(
      run.lines[1],
      `  mmdebstrap as root, checking Debian's Release files with ${DEBIAN_KEYRING} (the mirror is not this host's own Debian sources)`,
    );
    t.match(run.out, /\] I: running apt-get update\.\.\.$/m);
    t.match(run.out, /\] I: success in [\d.]+ seconds$/m);
    t.ok(
      tarEntries(out).some((l) => l.endsWith(' ./usr/share/keyrings/debian-archive-keyring.pgp')),
      "the tarball holds the package mmdebstrap fetched from Debian's mirror",
    );

    const without = await onUbuntu(['mmdebstrap', ...mmdebstrapArgs(TINY_RECIPE, DEBIAN_MIRROR, join(work, 'unsigned.tar'))]);
    t.not(without.code, 0, 'the same arguments without --keyring: apt-get update refuses the mirror');
    t.equal(
      mmdebstrapFailure(without.lines, without.code),
      `mmdebstrap exited with code ${without.code}: E: The repository 'http://deb.debian.org/debian trixie InRelease' is not signed. (apt trusts no key that signed the mirror's Release file: install or update debian-archive-keyring, or set CSM_DEBIAN_MIRROR to a Debian mirror)`,
      'and the harness would say why in one line',
    );

    const debian = await $({ nothrow: true, quiet: true })`${TSX} ${HELPER} rootfs ${join(work, 'debian-rootfs.tar')}`;
    t.equal(debian.exitCode, 0, 'and made it', { out: debian.stdout + debian.stderr });
    t.same(
      debian.stdout.split('\n').slice(0, 2),
      ["mirror: http://deb.debian.org/debian (this host's apt sources)", '  mmdebstrap as root'],
      "outside the namespace, on this Debian host: its own mirror, and its own apt's keys",
    );
  },
);

/** A fresh user (docker-user.ts), not root, without sudo (this machine has none for it), in the docker group if asked, with a directory of its own; removed after the test. */
function freshUser(t: Test, dockerGroup = false): MadeUser & { dir: string } {
  const made = makeUser(t, 'csmapt', dockerGroup);
  if (!made) throw new Error(`this machine does not let the test make a user: ${cannotMakeUsers()}`);
  const dir = join(work, made.name);
  mkdirSync(dir);
  spawnSync('chown', [`${made.name}:`, dir]);
  return { ...made, dir };
}

/** The helper as `user`, with a login's environment, not this test runner's (its NODE_OPTIONS load tap's hooks, which write where the user cannot); `bin` first on its PATH. */
const helperAs = (user: { name: string; dir: string }, args: string[], bin?: string) => {
  const [cmd, argv] = asUser(user.name, 'env', [
    '-i',
    `PATH=${[bin, process.env.PATH].filter(Boolean).join(':')}`,
    `HOME=${user.dir}`,
    TSX,
    HELPER,
    ...args,
  ]);
  return $({ nothrow: true, quiet: true })`${cmd} ${argv}`;
};

t.test(
  'a user who is not root and has no sudo: mmdebstrap in unshare mode, the tarball its own; without a subordinate id range, one line',
  async (t) => {
    const user = freshUser(t);
    const range = spawnSync('grep', [`^${user.name}:`, '/etc/subuid', '/etc/subgid'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    t.equal(range.length, 2, `useradd gave ${user.name} a range in /etc/subuid and /etc/subgid: ${range.join(', ')}`);
    const asUser = (out: string) => helperAs(user, ['rootfs', out]);

    const out = join(user.dir, 'rootfs.tar');
    const s0 = Date.now();
    const run = await asUser(out);
    t.comment(`unshare mode as ${user.name}: exit ${run.exitCode} in ${((Date.now() - s0) / 1000).toFixed(1)} s`);
    t.equal(run.exitCode, 0, 'mmdebstrap made the tarball', { out: run.stdout + run.stderr });
    t.equal(
      run.stdout.split('\n')[1],
      `  mmdebstrap as ${user.name} in a user namespace (--mode=unshare: ${user.name} is not root and has no passwordless sudo)`,
    );
    t.match(run.stdout, /\] I: success in [\d.]+ seconds$/m);
    t.equal(statSync(out).uid, user.uid, `the tarball is ${user.name}'s`);
    const entries = tarEntries(out);
    t.ok(
      entries.some((l) => /^-rw-r--r-- 0\/0 .* \.\/usr\/share\/keyrings\/debian-archive-keyring\.pgp$/.test(l)),
      "and inside it the files are root's, as in a tarball made as root",
    );

    const [first, count] = range[0]!.split(':').slice(2);
    const del = spawnSync('usermod', ['--del-subuids', `${first}-${Number(first) + Number(count) - 1}`, user.name], { encoding: 'utf8' });
    t.equal(del.status, 0, del.stderr);
    const refused = await asUser(join(user.dir, 'refused.tar'));
    t.equal(refused.exitCode, 3, 'an infrastructure error');
    t.same(
      refused.stderr.trim().split('\n'),
      [
        `cshared-matrix: ${user.name} is not root, has no passwordless sudo, and cannot use mmdebstrap's unshare mode: ${user.name} has no range in /etc/subuid; give it a range no other user's overlaps (e.g. sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user.name}), or run as root, or let the engine reach a registry with debian:trixie (the registry path; --base-image REF names another image), or pass --image-cache DIR holding the images from a machine that built them`,
      ],
      'one line, no stack trace (a run puts "base image, mmdebstrap path (why it was taken): " before it: edge/base-image.ts)',
    );
    t.notOk(existsSync(join(user.dir, 'refused.tar')));
  },
);

t.test(
  'a sysroot layer as a docker-group user, with no mmdebstrap, sudo or apt-get of the host: mmdebstrap runs in a container of the base, and none is left',
  async (t) => {
    const user = freshUser(t, true);
    t.teardown(() => rmSync(`/var/tmp/cshared-matrix-${user.uid}`, { recursive: true, force: true }));
    // Each of these records being called, and fails.
    const bin = join(user.dir, 'bin');
    const calls = join(user.dir, 'host-calls');
    mkdirSync(bin);
    for (const name of ['mmdebstrap', 'sudo', 'apt-get'])
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${calls}\nexit 1\n`, { mode: 0o755 });
    const dir = `/opt/csm/sysroot/first-run-apt-${randomBytes(3).toString('hex')}`;
    const s0 = Date.now();
    const r = await helperAs(user, ['sysroot', 'arm64', 'debian-archive-keyring', dir], bin);
    const tag = /^tag: (\S+)$/m.exec(r.stdout)?.[1];
    if (tag)
      t.teardown(() =>
        docker
          .getImage(tag)
          .remove()
          .catch(() => undefined),
      );
    t.comment(`the sysroot layer as ${user.name}: exit ${r.exitCode} in ${((Date.now() - s0) / 1000).toFixed(1)} s`);
    t.equal(r.exitCode, 0, 'the layer was built', { out: r.stdout + r.stderr });
    t.match(r.stdout, /^  \[sysroot arm64 python \d+s\] I: success in [\d.]+ seconds$/m, "mmdebstrap's own line, from the container");
    t.notOk(existsSync(calls), `nothing of the host was called: ${existsSync(calls) ? readFileSync(calls, 'utf8') : ''}`);
    const inside = await $({ nothrow: true, quiet: true })`docker run --rm --network none ${tag ?? 'none'} cat ${dir}/csm-packages.txt`;
    t.match(inside.stdout, /^debian-archive-keyring \S+ all$/m, "the layer holds the package, Debian's arm64 index's");
    // By its command (this layer's package): npm test builds the real layers beside this file, in containers with the same labels.
    const extractions = await docker.listContainers({
      all: true,
      filters: { label: [`cshared-matrix.run=${IMAGE_CACHE_RUN}`, 'cshared-matrix.layer=sysroot'] },
    });
    t.same(
      extractions.filter((c) => c.Command.includes('--include=debian-archive-keyring')).map((c) => c.Names.join(',')),
      [],
      'no container of the extraction is left',
    );
  },
);

t.test("the Action's steps on an Ubuntu host, with the images present: a scratch project's probes on amd64-glibc", async (t) => {
  const { actionPath } = await packAction(ROOT, work);
  const ws = join(work, 'workspace');
  cpSync(join(ROOT, 'examples', 'project', 'mylib'), join(ws, 'mylib'), { recursive: true });
  // The image cache holds the Go image's name already (an empty file: the engine has the image, so nothing loads it), so the run saves nothing: that round trip, 780 MB through zstd, is action.test.ts's.
  const imageCache = join(work, 'image-cache');
  const goTag = goImageTag(readGoVersions().find((g) => g.version === NEWEST_GO)!);
  mkdirSync(imageCache);
  writeFileSync(new ImageCache(imageCache).fileFor(goTag), '');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|_?TAP)/i.test(k)));
  const inputs = { paths: 'mylib', platforms: 'amd64-glibc', go: NEWEST_GO, 'image-cache': imageCache };
  const s0 = Date.now();
  const r = await onUbuntu(
    [
      TSX,
      join(ROOT, 'test', 'action', 'run-action-steps.ts'),
      '--action',
      actionPath,
      '--workspace',
      ws,
      '--state',
      join(work, 'runner'),
      ...Object.entries(inputs).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
    ],
    env,
  );
  t.comment(
    `the Action on the Ubuntu /etc/apt: exit ${r.code} in ${((Date.now() - s0) / 1000).toFixed(0)} s; ${r.lines
      .filter((l) => /\tsuccess\t|\tfailure\t|\tskipped\t/.test(l))
      .map((l) => l.split('\t').slice(0, 3).join(' '))
      .join(', ')}`,
  );
  t.equal(r.code, 0, 'every step succeeded', { out: r.out.slice(-4000) });
  t.match(r.out, /^\s+"exit-code": "0",$/m, 'the harness exited 0');
  const results = JSON.parse(readFileSync(join(ws, 'cshared-matrix-results', 'latest', 'results.json'), 'utf8')) as RunResults;
  t.same(Object.fromEntries(results.cells.map((c) => [c.id, c.verdict])), {
    [`mylib+dlopen-probe/amd64-glibc/go${NEWEST_GO}`]: 'pass',
    [`mylib+link-probe/amd64-glibc/go${NEWEST_GO}`]: 'pass',
  });
  t.notMatch(
    r.out,
    /building cshared-matrix-|cannot tell which Debian mirror|image cache: saved/,
    'nothing built, no mirror asked for, nothing saved',
  );
  t.same(await leftovers(docker, results.run.id), []);
});
