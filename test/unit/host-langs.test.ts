import t from 'tap';
import {
  describeLayer,
  langLayerKey,
  langProbeArgs,
  langStartFailure,
  langSupport,
  layersOf,
  parseLangVersion,
  type SysrootLayer,
  sysrootMmdebstrapArgs,
  withSysroot,
} from '../../harness/core/host-langs.js';
import { JAVA, PLATFORMS } from '../../harness/core/platforms.js';
import type { Platform } from '../../harness/core/types.js';

const row = (name: string): Platform => PLATFORMS.find((p) => p.name === name)!;

t.test('every default row answers for Python: a way to run it, or a reason', async (t) => {
  for (const p of PLATFORMS) {
    const s = langSupport(p, 'python');
    if (p.name === 'ppc64-glibc')
      t.match(s, { kind: 'none', reason: /no Debian Python for ppc64-glibc/ }, 'big-endian ppc64 is only in debian-ports');
    else if (p.goos === 'windows')
      t.match(s, { kind: 'none', reason: /^no Python for Windows here: Debian ships CPython for Linux only/ }, `${p.name}: none, and why`);
    else t.not(s.kind, 'none', `${p.name} has a Python`);
  }
});

t.test(
  "each default row's Python: the toolchain's, a Debian sysroot, a musl CPython (32-bit ARM's without libatomic.a), or n/a",
  async (t) => {
    const python = (p: Platform): string => {
      const s = langSupport(p, 'python');
      if (s.kind !== 'layer') return s.kind;
      if (s.layer.kind === 'sysroot') return `sysroot ${s.layer.debArch}-${s.layer.suite}`;
      return `cpython ${s.layer.host}${s.layer.libatomic ? ` ${s.layer.libatomic}` : ''}`;
    };
    // arm5-musl and arm6-musl: with libatomic.a's IFUNCs, python stopped at "unsupported relocation type 160" (R_ARM_IRELATIVE).
    t.same(
      PLATFORMS.map((p) => [p.name, python(p)]),
      [
        ['amd64-glibc', 'toolchain'],
        ['amd64-musl', 'cpython x86_64-linux-musl'],
        ['arm7-glibc', 'sysroot armhf-trixie'],
        ['arm5-glibc', 'sysroot armel-trixie'],
        ['arm7-musl', 'cpython arm-linux-musleabihf atomic64-shim'],
        ['arm5-musl', 'cpython arm-linux-musleabi atomic64-shim'],
        ['arm6-glibc', 'sysroot armel-trixie'],
        ['arm6-musl', 'cpython arm-linux-musleabi atomic64-shim'],
        ['arm64-glibc', 'sysroot arm64-trixie'],
        ['arm64-musl', 'cpython aarch64-linux-musl'],
        ['386-glibc', 'sysroot i386-trixie'],
        ['386-musl', 'cpython i386-linux-musl'],
        ['riscv64-glibc', 'sysroot riscv64-trixie'],
        ['riscv64-musl', 'cpython riscv64-linux-musl'],
        ['ppc64le-glibc', 'sysroot ppc64el-trixie'],
        ['ppc64le-musl', 'cpython powerpc64le-linux-musl'],
        ['s390x-glibc', 'sysroot s390x-trixie'],
        ['s390x-musl', 'cpython s390x-linux-musl'],
        ['loong64-glibc', 'sysroot loong64-sid'],
        ['ppc64-glibc', 'none'],
        ['amd64-glibc-qemu', 'toolchain'],
        ['windows-amd64', 'none'],
        ['windows-386', 'none'],
        ['windows-arm64', 'none'],
      ],
    );
    t.match(
      describeLayer((langSupport(row('arm5-musl'), 'python') as { layer: SysrootLayer }).layer),
      /built by arm-linux-musleabi-gcc, 8-byte atomics from images\/cpython\/atomic64\.c \(not libatomic\.a\), into /,
    );
  },
);

t.test("amd64 runs the toolchain image's own Python and JVM", async (t) => {
  t.same(langSupport(row('amd64-glibc'), 'python'), { kind: 'toolchain', run: [], cmd: ['python3'] });
  t.same(langSupport(row('amd64-glibc'), 'java'), { kind: 'toolchain', run: [], cmd: [JAVA] });
  // The Nehalem row runs the same amd64 binaries under qemu-x86_64, by path (qemu does not search PATH).
  t.same(langSupport(row('amd64-glibc-qemu'), 'python'), {
    kind: 'toolchain',
    run: ['qemu-x86_64', '-cpu', 'Nehalem'],
    cmd: ['/usr/bin/python3'],
  });
});

t.test("an emulated glibc row: a Debian sysroot of its architecture, as qemu's -L", async (t) => {
  const s = langSupport(row('arm64-glibc'), 'python');
  t.same(s, {
    kind: 'layer',
    layer: {
      kind: 'sysroot',
      lang: 'python',
      debArch: 'arm64',
      suite: 'trixie',
      packages: ['python3.13-minimal', 'libpython3.13-stdlib', 'libgo23'],
      dir: '/opt/csm/sysroot/arm64-trixie-python',
    },
    run: ['qemu-aarch64', '-cpu', 'cortex-a53', '-L', '/opt/csm/sysroot/arm64-trixie-python'],
    cmd: ['/opt/csm/sysroot/arm64-trixie-python/usr/bin/python3.13'],
  });
  const j = langSupport(row('arm5-glibc'), 'java');
  t.match(j, {
    kind: 'layer',
    layer: { packages: ['openjdk-21-jre-headless', 'libgo23'], debArch: 'armel' },
    cmd: ['/opt/csm/sysroot/armel-trixie-java/usr/lib/jvm/java-21-openjdk-armel/bin/java'],
  });
  t.match(j, { run: ['qemu-arm', '-cpu', 'arm926', '-L', '/opt/csm/sysroot/armel-trixie-java'] }, "the row's CPU model stays");
  t.match(langSupport(row('loong64-glibc'), 'python'), { layer: { suite: 'sid', debArch: 'loong64' } }, 'loong64 is only in sid');
  // arm5 and arm6 are both armel: one sysroot serves both.
  const k = (n: string) => langLayerKey((langSupport(row(n), 'python') as { layer: SysrootLayer }).layer);
  t.equal(k('arm5-glibc'), k('arm6-glibc'));
  t.not(k('arm5-glibc'), k('arm7-glibc'));
});

t.test('withSysroot replaces -L, or adds it after the emulator', async (t) => {
  t.same(withSysroot(['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi'], '/s'), ['qemu-arm', '-cpu', 'arm926', '-L', '/s']);
  t.same(withSysroot(['qemu-arm', '-cpu', 'arm926'], '/s'), ['qemu-arm', '-L', '/s', '-cpu', 'arm926']);
  t.same(withSysroot([], '/s'), []);
});

t.test("a musl row: CPython built with the row's own musl compiler and flags", async (t) => {
  t.same(langSupport(row('amd64-musl'), 'python'), {
    kind: 'layer',
    layer: {
      kind: 'cpython',
      lang: 'python',
      host: 'x86_64-linux-musl',
      cc: 'musl-gcc',
      cflags: [],
      kernelHeaders: { include: '/usr/include', asm: '/usr/include/x86_64-linux-gnu/asm' },
      sources: { python: 'python3.13', libffi: 'libffi', suite: 'trixie' },
      prefix: '/opt/csm/python/x86_64-linux-musl',
    },
    run: [],
    cmd: ['/opt/csm/python/x86_64-linux-musl/bin/python3.13'],
  });
  t.match(langSupport(row('arm64-musl'), 'python'), {
    layer: {
      host: 'aarch64-linux-musl',
      cc: 'aarch64-linux-musl-gcc',
      cflags: ['-mno-outline-atomics'],
      kernelHeaders: { include: '/usr/aarch64-linux-gnu/include' },
    },
    run: ['qemu-aarch64', '-cpu', 'cortex-a53'],
  });
  t.match(langSupport(row('arm7-musl'), 'python'), {
    layer: { host: 'arm-linux-musleabihf', kernelHeaders: { asm: '/usr/arm-linux-gnueabihf/include/asm' } },
  });
  t.match(langSupport(row('386-musl'), 'python'), {
    layer: { host: 'i386-linux-musl', kernelHeaders: { include: '/usr/i686-linux-gnu/include' } },
  });
  t.match(langSupport(row('arm64-musl'), 'java'), { kind: 'none', reason: 'no JVM for musl: Debian builds OpenJDK for glibc only' });
  t.match(
    describeLayer((langSupport(row('arm64-musl'), 'python') as { layer: SysrootLayer }).layer),
    /CPython from Debian's python3\.13 source package .* built by aarch64-linux-musl-gcc -mno-outline-atomics/,
  );
});

t.test('layersOf: each layer once, only for cells with a language', async (t) => {
  const cells = [
    { platform: row('arm5-glibc'), lang: 'python' as const },
    { platform: row('arm6-glibc'), lang: 'python' as const },
    { platform: row('arm5-musl'), lang: 'python' as const },
    { platform: row('arm6-musl'), lang: 'python' as const },
    { platform: row('arm64-glibc'), lang: 'java' as const },
    { platform: row('amd64-glibc'), lang: 'java' as const },
    { platform: row('riscv64-glibc') },
  ];
  const layers = [...layersOf(cells).values()];
  t.same(
    layers.map((l) => (l.kind === 'sysroot' ? `${l.debArch}-${l.lang}` : l.host)),
    ['armel-python', 'arm-linux-musleabi', 'arm64-java'],
  );
});

t.test("the sysroot's mmdebstrap: extract only, merged /usr, the packages it took listed", async (t) => {
  const l = (langSupport(row('riscv64-glibc'), 'python') as { layer: SysrootLayer }).layer;
  const args = sysrootMmdebstrapArgs(l, 'http://deb.example/debian', '/tmp/out.tar');
  t.equal(args[0], '--variant=extract');
  t.ok(args.includes('--architectures=riscv64'));
  t.ok(args.includes('--include=python3.13-minimal,libpython3.13-stdlib,libgo23'), "with gccgo's runtime: the row has a gccgo");
  t.ok(
    args.some((a) => a.startsWith('--setup-hook=') && a.includes('ln -s usr/lib "$1/lib"')),
    'the loader is found at /lib',
  );
  t.ok(args.some((a) => a.startsWith('--extract-hook=') && a.includes('csm-packages.txt')));
  t.same(args.slice(-3), ['trixie', '/tmp/out.tar', 'deb http://deb.example/debian trixie main']);
  t.notOk(
    args.some((a) => a.includes('Valid-Until')),
    "trixie: apt checks its Release's freshness as usual",
  );
  const sid = sysrootMmdebstrapArgs(
    (langSupport(row('loong64-glibc'), 'python') as { layer: SysrootLayer }).layer,
    'http://deb.example/debian',
    '/tmp/out.tar',
  );
  t.ok(
    sid.includes('--aptopt=Acquire::Check-Valid-Until "false"'),
    "sid's Release expires within days: a snapshot mirror of it is taken anyway (signatures are still checked)",
  );
  t.same(sid.slice(-3), ['sid', '/tmp/out.tar', 'deb http://deb.example/debian sid main']);
});

t.test('the start probe and what it prints', async (t) => {
  t.match(langProbeArgs('python').join(' '), /import ctypes, threading/);
  t.same(langProbeArgs('java'), ['-version']);
  t.equal(parseLangVersion('python', 'csm-lang 3.13.5\n', ''), '3.13.5');
  t.equal(parseLangVersion('python', '', 'Traceback'), undefined);
  const jv =
    'openjdk version "21.0.13" 2026-10-20\nOpenJDK Runtime Environment (build 21.0.13+9-1-deb13u2-Debian)\nOpenJDK 64-Bit Server VM (build 21.0.13+9-1-deb13u2-Debian, mixed mode, sharing)\n';
  t.equal(parseLangVersion('java', '', jv), '21.0.13 (21.0.13+9-1-deb13u2-Debian)');
  t.equal(
    langStartFailure(
      'java',
      ['qemu-arm', '-cpu', 'arm926', '-L', '/s'],
      'killed by SIGSEGV',
      'Error occurred\nqemu: uncaught target signal 11 (Segmentation fault) - core dumped\n',
    ),
    'the JVM does not start under qemu-arm -cpu arm926: killed by SIGSEGV: qemu: uncaught target signal 11 (Segmentation fault) - core dumped',
  );
});

t.test("a layer's image tag: a hash of the base, its recipe files and the layer; the same layer, the same tag", async (t) => {
  const { langImageTag } = await import('../../harness/edge/lang-images.js');
  const layer = (n: string, lang: 'python' | 'java' = 'python') => (langSupport(row(n), lang) as { layer: SysrootLayer }).layer;
  const tag = langImageTag('cshared-matrix-base:1', layer('arm64-glibc'));
  t.match(tag, /^cshared-matrix-lang:arm64-python-[0-9a-f]{16}$/);
  t.equal(langImageTag('cshared-matrix-base:1', layer('arm64-glibc')), tag, 'stable');
  t.not(langImageTag('cshared-matrix-base:2', layer('arm64-glibc')), tag, 'a new base is a new layer');
  t.not(
    langImageTag('cshared-matrix-base:1', { ...layer('arm64-glibc'), packages: ['python3.13-minimal'] }),
    tag,
    'another package list is another layer',
  );
  t.equal(
    langImageTag('cshared-matrix-base:1', layer('arm5-glibc')),
    langImageTag('cshared-matrix-base:1', layer('arm6-glibc')),
    'arm5 and arm6 share armel',
  );
  t.match(langImageTag('cshared-matrix-base:1', layer('riscv64-musl')), /^cshared-matrix-lang:musl-riscv64-python-[0-9a-f]{16}$/);
  t.match(langImageTag('cshared-matrix-base:1', layer('arm64-glibc', 'java')), /^cshared-matrix-lang:arm64-java-/);
});
