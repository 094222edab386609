import t from 'tap';
import { resolveRunConfig } from '../../harness/cli/options.js';
import { configInputs } from '../../harness/core/config.js';
import { findExpectation } from '../../harness/core/expect.js';
import { langSupport, sysrootMmdebstrapArgs } from '../../harness/core/host-langs.js';
import { cellId, expandMatrix } from '../../harness/core/matrix.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { toGrid } from '../../harness/core/render.js';
import type { CellResult, ExpectationRule, GoToolchain } from '../../harness/core/types.js';
import {
  onUserland,
  pickUserlands,
  USERLANDS,
  userlandLayersOf,
  userlandNa,
  userlandNamed,
  userlandSupport,
  userlandsReproducing,
} from '../../harness/core/userlands.js';
import { DEFAULT_CASES_DIR, loadCase } from '../../harness/edge/case-files.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';
import { planSteps } from '../../harness/sandbox/steps.js';

const GO: GoToolchain = { version: '1.27', suite: 'trixie-backports' };
const row = (name: string) => PLATFORMS.find((p) => p.name === name)!;
const link = loadCase(`${DEFAULT_CASES_DIR}/link`);

t.test(
  '--userland: nothing, or the default alone, is no axis; else the named ones in table order; an unknown name lists the known',
  async (t) => {
    t.same(pickUserlands([]), []);
    t.same(pickUserlands(['debian13']), [], 'the default alone: the cells of a run without the axis');
    t.same(pickUserlands(['debian13', 'debian11']), ['debian11', 'debian13']);
    t.same(pickUserlands(['debian1*']), ['debian11', 'debian12', 'debian13'], 'a glob');
    t.throws(() => pickUserlands(['debian10']), {
      name: 'UsageError',
      message: 'unknown userland "debian10"; known: debian11, debian12, debian13',
    });
    t.same(
      resolveRunConfig({ userland: ['debian11,debian12'] }, {}, REPO_ROOT).userlands,
      ['debian11', 'debian12'],
      'the flag, comma lists',
    );
    t.same(
      configInputs({ userlands: ['debian12'] }, '/p/cshared-matrix.config.json').userland,
      ['debian12'],
      'the config field is the flag',
    );
  },
);

t.test('expansion: default ids unchanged; an older userland is a cell of its own whose id ends in its name', async (t) => {
  const plain = expandMatrix([link], [row('amd64-glibc')], [GO]);
  t.same(
    plain.map((c) => [c.id, c.userland]),
    [['link/amd64-glibc/go1.27', undefined]],
  );
  const axis = expandMatrix([link], [row('amd64-glibc'), row('arm64-glibc')], [GO], ['debian11', 'debian12', 'debian13']);
  t.same(
    axis.map((c) => [c.id, c.userland]),
    [
      ['link/amd64-glibc/go1.27/debian11', 'debian11'],
      ['link/amd64-glibc/go1.27/debian12', 'debian12'],
      ['link/amd64-glibc/go1.27', 'debian13'],
      ['link/arm64-glibc/go1.27/debian11', 'debian11'],
      ['link/arm64-glibc/go1.27/debian12', 'debian12'],
      ['link/arm64-glibc/go1.27', 'debian13'],
    ],
  );
  t.equal(cellId('link', 'arm7-glibc', '1.27', 'debian13'), 'link/arm7-glibc/go1.27');
  // The build does not depend on the userland: every userland's steps are the same steps, so one build serves them all.
  const inputs = { imageId: 'sha256:x', programsHash: 'h' };
  const keys = axis.filter((c) => c.platform.name === 'arm64-glibc').map((c) => JSON.stringify(planSteps(c, link, inputs)));
  t.equal(new Set(keys).size, 1, 'one plan, one cache key, for the three userlands');
});

t.test(
  'what each row loads on: a sysroot of that release given to qemu as -L; amd64 a root of its own; ports and sid rows n/a',
  async (t) => {
    const d11 = userlandNamed('debian11');
    t.same(userlandSupport(row('arm64-glibc'), userlandNamed('debian13')), { kind: 'image' }, 'the default: as today');
    const arm = userlandSupport(row('arm64-glibc'), d11);
    t.same(arm, {
      kind: 'layer',
      layer: {
        kind: 'sysroot',
        lang: 'libc',
        debArch: 'arm64',
        suite: 'bullseye',
        packages: ['libc6'],
        dir: '/opt/csm/userland/arm64-bullseye-glibc',
      },
      rootfs: false,
      run: ['qemu-aarch64', '-cpu', 'cortex-a53', '-L', '/opt/csm/userland/arm64-bullseye-glibc'],
    });
    t.same(onUserland(row('arm64-glibc'), arm).run, ['qemu-aarch64', '-cpu', 'cortex-a53', '-L', '/opt/csm/userland/arm64-bullseye-glibc']);
    const musl = userlandSupport(row('arm7-musl'), userlandNamed('debian12'));
    t.same(
      musl.kind === 'layer' && [musl.layer.packages, musl.run],
      [['musl'], ['qemu-arm', '-L', '/opt/csm/userland/armhf-bookworm-musl', '-cpu', 'cortex-a7']],
      "musl rows: Debian's musl of that release, -L added",
    );
    const amd = userlandSupport(row('amd64-glibc'), d11);
    t.same(
      amd.kind === 'layer' && [amd.rootfs, amd.layer.dir, amd.run, amd.layer.packages],
      [true, '/', [], ['libc6', 'coreutils', 'dash']],
      'native: the userland is the container root, with env(1) and /bin/sh',
    );
    t.same(userlandSupport(row('riscv64-glibc'), d11), {
      kind: 'none',
      reason: 'Debian 11 (bullseye) has no riscv64 port: riscv64-glibc has no debian11 userland',
    });
    t.same(userlandSupport(row('loong64-glibc'), userlandNamed('debian12')), {
      kind: 'none',
      reason: 'Debian 12 (bookworm) has no loong64 port: loong64-glibc has no debian12 userland',
    });
    t.match(userlandSupport(row('ppc64-glibc'), d11), { kind: 'none', reason: /names no Debian architecture/ });
    t.equal(
      userlandNa(row('arm64-glibc'), 'debian11', { lang: 'python', gccgo: false }),
      "a Python host on debian11 is not measured: its interpreter is trixie's, built for the toolchain's userland",
    );
    t.match(userlandNa(row('arm64-glibc'), 'debian12', { lang: undefined, gccgo: true }), /libgo23/);
    t.equal(
      userlandNa(row('arm64-glibc'), 'debian13', { lang: 'python', gccgo: true }),
      undefined,
      'the default userland takes every cell',
    );
    t.equal(
      USERLANDS.map((u) => `${u.name}=${u.glibc}/${u.musl}`).join(' '),
      'debian11=2.31/1.2.2 debian12=2.36/1.2.3 debian13=2.41/1.2.5',
    );
  },
);

t.test(
  "a userland sysroot's absolute symlinks are made relative (qemu -L would follow them out of it); a language sysroot's recipe is unchanged",
  async (t) => {
    const ppc = userlandSupport(row('ppc64le-glibc'), userlandNamed('debian12'));
    if (ppc.kind !== 'layer') throw new Error('ppc64le has a debian12 userland');
    const hooks = (l: Parameters<typeof sysrootMmdebstrapArgs>[0]) =>
      sysrootMmdebstrapArgs(l, 'http://m', '/o').filter((a) => a.startsWith('--extract-hook='));
    t.equal(hooks(ppc.layer).length, 2);
    t.match(hooks(ppc.layer)[1], /find \. -type l -lname '\/\*'.*realpath -ms --relative-to=/);
    const amd = userlandSupport(row('amd64-glibc'), userlandNamed('debian12'));
    t.same(
      amd.kind === 'layer' && hooks(amd.layer).slice(1),
      ['--extract-hook=[ -e "$1/usr/bin/sh" ] || ln -s dash "$1/usr/bin/sh"'],
      'a root filesystem keeps its absolute links (they point inside it) and gets /bin/sh',
    );
    const python = langSupport(row('arm64-glibc'), 'python');
    t.equal(python.kind === 'layer' && python.layer.kind === 'sysroot' && hooks(python.layer).length, 1);
  },
);

t.test('the layers a run builds: one per row and older userland its cells load on, none for n/a cells or the default', async (t) => {
  const cells = [
    { platform: row('arm64-glibc'), userland: 'debian11', lang: undefined, gccgo: false },
    { platform: row('arm64-glibc'), userland: 'debian11', lang: undefined, gccgo: false },
    { platform: row('arm64-glibc'), userland: 'debian13', lang: undefined, gccgo: false },
    { platform: row('arm7-glibc'), userland: 'debian12', lang: 'python', gccgo: false },
    { platform: row('arm7-glibc'), userland: 'debian12', lang: undefined, gccgo: true },
    { platform: row('riscv64-glibc'), userland: 'debian12', lang: undefined, gccgo: false },
    { platform: row('amd64-musl'), userland: 'debian12', lang: undefined, gccgo: false },
  ];
  t.same(
    userlandLayersOf(cells).map((l) => `${l.debArch}-${l.suite}-${l.packages.join()}`),
    ['arm64-bullseye-libc6', 'amd64-bookworm-musl,coreutils,dash'],
  );
});

t.test('when.userland selects cells; a rule without it selects every userland; columns name the userland when several ran', async (t) => {
  const rule = {
    when: { userland: 'debian11' },
    verdict: 'fail',
    stage: 'load',
    match: 'GLIBC_2.34',
    link: 'https://go.dev/issue/58550',
    label: 'floor',
  } as ExpectationRule;
  const axes = (userland?: string) => ({ platform: row('arm64-glibc'), go: '1.27.4', ...(userland ? { userland } : {}) });
  t.equal(findExpectation([rule], axes('debian11')), rule);
  t.equal(findExpectation([rule], axes('debian12')), undefined);
  t.equal(findExpectation([rule], axes()), undefined, 'no axis: the default, debian13');
  const d13 = { ...rule, when: { userland: ['debian13'] } };
  t.equal(findExpectation([d13], axes()), d13, 'a rule for debian13 selects the cells of a run without the axis');
  const cell = (platform: string, userland?: string) =>
    ({
      id: 'x',
      axes: { case: 'link', platform, goarch: 'arm64', libc: 'glibc', cpu: 'x', go: '1.27', ...(userland ? { userland } : {}) },
    }) as CellResult;
  t.same(toGrid({ cells: [cell('arm64-glibc', 'debian11'), cell('arm64-glibc', 'debian13')] }).columns, [
    'arm64-glibc debian11',
    'arm64-glibc debian13',
  ]);
  t.same(toGrid({ cells: [cell('arm64-glibc')] }).columns, ['arm64-glibc'], 'one userland: the column as before');
});

t.test("a report's `GLIBC_x.y' not found: reproduced on the newest userland below x.y, and today's for contrast", async (t) => {
  const line = (v: string) => `./host: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_${v}' not found (required by ./libhello.so)`;
  t.same(userlandsReproducing([line('2.34')]), ['debian11', 'debian13'], 'Debian 11 (2.31) is the newest below 2.34');
  t.same(userlandsReproducing([line('2.38')]), ['debian12', 'debian13'], 'Debian 12 (2.36) is the newest below 2.38');
  t.same(userlandsReproducing([line('2.36')]), ['debian11', 'debian13'], '2.36 itself loads on Debian 12: strictly below');
  t.same(userlandsReproducing([line('2.32')]), ['debian11', 'debian13']);
  t.same(userlandsReproducing([line('2.31')]), [], 'no userland here is older than 2.31: nothing to choose');
  t.same(userlandsReproducing([line('2.41')]), ['debian12', 'debian13']);
  t.same(userlandsReproducing([line('2.42')]), [], "today's glibc 2.41 is older: the run without the axis shows it");
  t.same(
    userlandsReproducing(['OSError: Error relocating ./cc.so: : initial-exec TLS', line('2.34')]),
    ['debian11', 'debian13'],
    'the first GLIBC line among the reported ones',
  );
  t.same(userlandsReproducing(['version ‘GLIBC_2.35’ not found']), ['debian11', 'debian13'], 'typographic quotes, as pasted');
  t.same(userlandsReproducing(['undefined symbol: pthread_create, version GLIBC_2.34']), [], 'not the loader line: no choice');
  t.same(userlandsReproducing([]), []);
});
