import { UsageError } from './errors.js';
import { JDK_PACKAGE, jdkHome } from './host-langs.js';
import { parseJsonText } from './json-text.js';
import type { Platform } from './types.js';

/**
 * The platform table. Adding a row adds a platform, toolchain included: the
 * image recipe takes its packages from the rows (core/recipe.ts), and the
 * build, run and rendering code never branches on a platform's name.
 *
 * The CPU model is part of the truth being tested: GOARM=5 code must run on a
 * v5 core (arm926), because a v7 model silently accepts v7-only instructions.
 * Each emulated row's canary proves its model refuses code above the baseline
 * (core/canary.ts). musl rows need no -L: musl:<arch> puts its loader in /lib.
 */
const QEMU = 'qemu-user';
const RV64 = 'rv64,zba=false,zbb=false,zbs=false';
const ARMV7 = { level: 'ARMv7 (what GOARM=7 code uses: movw)', asm: '.arch armv7-a\n\tmovw r0, #1' };
const ARMV8 = { level: 'ARMv8 AArch32 (load-acquire)', asm: '.arch armv8-a\n\tlda r0, [sp]' };
const ARMV81 = {
  level: 'ARMv8.1 (LSE atomics, which gcc and Go use when told the CPU has them)',
  asm: '.arch armv8.1-a\n\tstadd wzr, [sp]',
};
const SSE41 = { level: 'SSE4.1 (above GO386=sse2 and the Atom N270)', asm: 'pminsd %xmm0, %xmm0' };
const RVA22 = { level: 'RVA22U64 (Zbb, which GORISCV64=rva22u64 code uses)', asm: '.option arch, +zbb\n\tandn a0, a0, a0' };
const POWER9 = { level: 'POWER9 (ISA 3.0: modsw; GOPPC64=power9 code uses ISA 3.0)', asm: '.machine power9\n\tmodsw 3, 3, 3' };
const Z16 = {
  level: 'z16 (NNPA vector conversion)',
  asm: '.machine z16\n\tvclfnh %v0, %v0, 0, 0',
  note: 'qemu\'s only s390x model under TCG ("qemu") also runs z14 and z15 instructions, above Go\'s z13 baseline: no model here refuses them',
};
const LOONG11 = { level: 'LoongArch v1.1 (frecipe, beyond the LA464 baseline)', asm: 'frecipe.s $f0, $f0' };
const X86V3 = { level: 'x86-64-v3 (AVX2, what GOAMD64=v3 code uses)', asm: 'vpaddd %ymm0, %ymm0, %ymm0' };

/**
 * The Windows rows' layer, one for both (the same packages, so one image):
 * both mingw-w64 compilers (14.2, msvcrt) and Wine 10.0, whose 32-bit half
 * (wine32:i386) runs windows-386's hosts. Not in the base (2.9 GB): built only
 * when a Windows row is selected.
 */
const WINDOWS_PACKAGES = ['gcc-mingw-w64-x86-64', 'gcc-mingw-w64-i686', 'wine', 'wine64', 'wine32:i386'];
const WINDOWS_NO_GCCGO = 'Debian ships no gccgo for mingw-w64: gccgo has no Windows target here';
const WINE_NO_CANARY =
  "Wine runs a Windows program's instructions on this machine's own CPU: there is no CPU model to hold to a baseline, so a strictness canary has no meaning here";

/** A Windows row Wine runs: one layer (WINDOWS_PACKAGES) for all of them; asked for by name. */
function windowsRow(goarch: string, cc: string, extra: Partial<Platform> = {}): Platform {
  return {
    name: `windows-${goarch}`,
    goos: 'windows',
    goarch,
    ...extra,
    libc: 'msvcrt',
    cc,
    run: ['wine'],
    timeoutScale: 2,
    cpu: 'native',
    default: false,
    inBase: false,
    packages: WINDOWS_PACKAGES,
    noCanary: WINE_NO_CANARY,
    noGccgo: WINDOWS_NO_GCCGO,
  };
}

/** The amd64 JVM of the toolchain image (JDK_PACKAGE); qemu-user needs its path, not a name to look up. */
export const JAVA = `${jdkHome('amd64')}/bin/java`;

const glibcCross = (gcc: string, arch: string) => [`gcc-${gcc}`, `libc6-dev-${arch}-cross`, QEMU];
const muslCross = (gcc: string, arch: string) => [`gcc-${gcc}`, `musl:${arch}`, `musl-dev:${arch}`, QEMU];

export const PLATFORMS: readonly Platform[] = [
  // The toolchain's own Python and OpenJDK: javac compiles every Java host, its <jni.h> every JNI library.
  {
    name: 'amd64-glibc',
    goarch: 'amd64',
    libc: 'glibc',
    cc: 'gcc',
    run: [],
    timeoutScale: 1,
    cpu: 'native',
    debArch: 'amd64',
    python: ['python3'],
    java: [JAVA],
    gccgo: 'native',
    packages: ['gcc', 'libc6-dev', 'python3', JDK_PACKAGE],
  },
  {
    name: 'amd64-musl',
    goarch: 'amd64',
    libc: 'musl',
    cc: 'musl-gcc',
    run: [],
    timeoutScale: 1,
    cpu: 'native',
    debArch: 'amd64',
    packages: ['musl', 'musl-tools', 'musl-dev'],
  },
  {
    name: 'arm7-glibc',
    goarch: 'arm',
    goarm: '7',
    libc: 'glibc',
    cc: 'arm-linux-gnueabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabihf'],
    timeoutScale: 4,
    cpu: 'cortex-a7',
    debArch: 'armhf',
    gccgo: 'arm-linux-gnueabihf',
    packages: glibcCross('arm-linux-gnueabihf', 'armhf'),
    canary: ARMV8,
  },
  {
    name: 'arm5-glibc',
    goarch: 'arm',
    goarm: '5',
    libc: 'glibc',
    cc: 'arm-linux-gnueabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi'],
    timeoutScale: 4,
    cpu: 'arm926',
    debArch: 'armel',
    gccgo: 'arm-linux-gnueabi',
    packages: glibcCross('arm-linux-gnueabi', 'armel'),
    canary: ARMV7,
  },
  {
    name: 'arm7-musl',
    goarch: 'arm',
    goarm: '7',
    libc: 'musl',
    cc: 'arm-linux-musleabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7'],
    timeoutScale: 4,
    cpu: 'cortex-a7',
    debArch: 'armhf',
    packages: muslCross('arm-linux-gnueabihf', 'armhf'),
    dpkgArch: 'armhf',
    canary: ARMV8,
  },
  {
    name: 'arm5-musl',
    goarch: 'arm',
    goarm: '5',
    libc: 'musl',
    cc: 'arm-linux-musleabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926'],
    timeoutScale: 4,
    cpu: 'arm926',
    debArch: 'armel',
    packages: muslCross('arm-linux-gnueabi', 'armel'),
    dpkgArch: 'armel',
    canary: ARMV7,
  },
  // Raspberry Pi 1 and Zero: the armel toolchain, because Debian's armhf libc needs ARMv7.
  {
    name: 'arm6-glibc',
    goarch: 'arm',
    goarm: '6',
    libc: 'glibc',
    cc: 'arm-linux-gnueabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm1176', '-L', '/usr/arm-linux-gnueabi'],
    timeoutScale: 4,
    cpu: 'arm1176',
    debArch: 'armel',
    gccgo: 'arm-linux-gnueabi',
    packages: glibcCross('arm-linux-gnueabi', 'armel'),
    canary: ARMV7,
  },
  {
    name: 'arm6-musl',
    goarch: 'arm',
    goarm: '6',
    libc: 'musl',
    cc: 'arm-linux-musleabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm1176'],
    timeoutScale: 4,
    cpu: 'arm1176',
    debArch: 'armel',
    packages: muslCross('arm-linux-gnueabi', 'armel'),
    dpkgArch: 'armel',
    canary: ARMV7,
  },
  {
    name: 'arm64-glibc',
    goarch: 'arm64',
    libc: 'glibc',
    cc: 'aarch64-linux-gnu-gcc',
    run: ['qemu-aarch64', '-cpu', 'cortex-a53', '-L', '/usr/aarch64-linux-gnu'],
    timeoutScale: 4,
    cpu: 'cortex-a53',
    debArch: 'arm64',
    gccgo: 'aarch64-linux-gnu',
    packages: glibcCross('aarch64-linux-gnu', 'arm64'),
    canary: ARMV81,
  },
  // gcc 14 defaults to outline atomics, whose libgcc helper calls glibc's __getauxval: not in musl.
  {
    name: 'arm64-musl',
    goarch: 'arm64',
    libc: 'musl',
    cc: 'aarch64-linux-musl-gcc',
    cflags: ['-mno-outline-atomics'],
    run: ['qemu-aarch64', '-cpu', 'cortex-a53'],
    timeoutScale: 4,
    cpu: 'cortex-a53',
    debArch: 'arm64',
    packages: muslCross('aarch64-linux-gnu', 'arm64'),
    dpkgArch: 'arm64',
    canary: ARMV81,
  },
  // qemu 10 has no pentium4 model; the N270 (Atom) has SSE2 and SSE3, not SSE4.1.
  {
    name: '386-glibc',
    goarch: '386',
    goenv: { GO386: 'sse2' },
    libc: 'glibc',
    cc: 'i686-linux-gnu-gcc',
    run: ['qemu-i386', '-cpu', 'n270', '-L', '/usr/i686-linux-gnu'],
    timeoutScale: 4,
    cpu: 'n270',
    debArch: 'i386',
    gccgo: 'i686-linux-gnu',
    packages: glibcCross('i686-linux-gnu', 'i386'),
    canary: SSE41,
  },
  {
    name: '386-musl',
    goarch: '386',
    goenv: { GO386: 'sse2' },
    libc: 'musl',
    cc: 'i386-linux-musl-gcc',
    run: ['qemu-i386', '-cpu', 'n270'],
    timeoutScale: 4,
    cpu: 'n270',
    debArch: 'i386',
    packages: muslCross('i686-linux-gnu', 'i386'),
    dpkgArch: 'i386',
    canary: SSE41,
  },
  // qemu's rv64 model turns Zba/Zbb/Zbs on, which are RVA22U64, above Go's default RVA20U64: its canary ran.
  {
    name: 'riscv64-glibc',
    goarch: 'riscv64',
    libc: 'glibc',
    cc: 'riscv64-linux-gnu-gcc',
    run: ['qemu-riscv64', '-cpu', RV64, '-L', '/usr/riscv64-linux-gnu'],
    timeoutScale: 4,
    cpu: RV64,
    debArch: 'riscv64',
    gccgo: 'riscv64-linux-gnu',
    packages: glibcCross('riscv64-linux-gnu', 'riscv64'),
    canary: RVA22,
  },
  {
    name: 'riscv64-musl',
    goarch: 'riscv64',
    libc: 'musl',
    cc: 'riscv64-linux-musl-gcc',
    run: ['qemu-riscv64', '-cpu', RV64],
    timeoutScale: 4,
    cpu: RV64,
    debArch: 'riscv64',
    packages: muslCross('riscv64-linux-gnu', 'riscv64'),
    dpkgArch: 'riscv64',
    canary: RVA22,
  },
  {
    name: 'ppc64le-glibc',
    goarch: 'ppc64le',
    libc: 'glibc',
    cc: 'powerpc64le-linux-gnu-gcc',
    run: ['qemu-ppc64le', '-cpu', 'power8', '-L', '/usr/powerpc64le-linux-gnu'],
    timeoutScale: 4,
    cpu: 'power8',
    debArch: 'ppc64el',
    gccgo: 'powerpc64le-linux-gnu',
    packages: glibcCross('powerpc64le-linux-gnu', 'ppc64el'),
    canary: POWER9,
  },
  {
    name: 'ppc64le-musl',
    goarch: 'ppc64le',
    libc: 'musl',
    cc: 'powerpc64le-linux-musl-gcc',
    run: ['qemu-ppc64le', '-cpu', 'power8'],
    timeoutScale: 4,
    cpu: 'power8',
    debArch: 'ppc64el',
    packages: muslCross('powerpc64le-linux-gnu', 'ppc64el'),
    dpkgArch: 'ppc64el',
    canary: POWER9,
  },
  // -cpu z13 is refused under TCG; "qemu" is the model TCG runs.
  {
    name: 's390x-glibc',
    goarch: 's390x',
    libc: 'glibc',
    cc: 's390x-linux-gnu-gcc',
    run: ['qemu-s390x', '-cpu', 'qemu', '-L', '/usr/s390x-linux-gnu'],
    timeoutScale: 4,
    cpu: 'qemu',
    debArch: 's390x',
    gccgo: 's390x-linux-gnu',
    packages: glibcCross('s390x-linux-gnu', 's390x'),
    canary: Z16,
  },
  {
    name: 's390x-musl',
    goarch: 's390x',
    libc: 'musl',
    cc: 's390x-linux-musl-gcc',
    run: ['qemu-s390x', '-cpu', 'qemu'],
    timeoutScale: 4,
    cpu: 'qemu',
    debArch: 's390x',
    packages: muslCross('s390x-linux-gnu', 's390x'),
    dpkgArch: 's390x',
    canary: Z16,
  },
  // trixie has no musl for loong64, and no loong64 userland: its Python and JVM come from sid.
  {
    name: 'loong64-glibc',
    goarch: 'loong64',
    libc: 'glibc',
    cc: 'loongarch64-linux-gnu-gcc',
    run: ['qemu-loongarch64', '-cpu', 'la464', '-L', '/usr/loongarch64-linux-gnu'],
    timeoutScale: 4,
    cpu: 'la464',
    debArch: 'loong64',
    debSuite: 'sid',
    noGccgo: 'Debian ships no gccgo for loong64 (there is no gccgo-14-loongarch64-linux-gnu)',
    packages: glibcCross('loongarch64-linux-gnu', 'loong64'),
    canary: LOONG11,
  },
  // Big-endian: Go's linux/ppc64 emits ELFv2, Debian's ppc64 userspace is ELFv1, so no c-shared library links.
  {
    name: 'ppc64-glibc',
    goarch: 'ppc64',
    libc: 'glibc',
    cc: 'powerpc64-linux-gnu-gcc',
    run: ['qemu-ppc64', '-cpu', 'power8', '-L', '/usr/powerpc64-linux-gnu'],
    timeoutScale: 4,
    cpu: 'power8',
    gccgo: 'powerpc64-linux-gnu',
    packages: glibcCross('powerpc64-linux-gnu', 'ppc64'),
    canary: POWER9,
    expect: [
      {
        when: { toolchain: 'gc' },
        verdict: 'fail',
        stage: 'build',
        match: 'ABI version 2 is not compatible with ABI version 1 output',
        link: 'https://github.com/golang/go/issues/79898',
        label: 'ppc64 ELFv2 vs ELFv1 (go#79898)',
        reason:
          "Go's linux/ppc64 port emits ELFv2 objects; Debian's big-endian ppc64 gcc and libc are ELFv1, so the external link of any cgo binary fails",
      },
    ],
  },
  // For machines whose own CPU is not amd64, and for GOAMD64 checks: Nehalem is x86-64-v2.
  {
    name: 'amd64-glibc-qemu',
    goarch: 'amd64',
    libc: 'glibc',
    cc: 'gcc',
    default: false,
    run: ['qemu-x86_64', '-cpu', 'Nehalem'],
    timeoutScale: 4,
    cpu: 'Nehalem',
    debArch: 'amd64',
    python: ['/usr/bin/python3'],
    java: [JAVA],
    gccgo: 'native',
    packages: ['gcc', 'libc6-dev', QEMU],
    canary: X86V3,
  },
  // Windows: Go's GOOS=windows c-shared DLLs, built with mingw-w64 (msvcrt), hosts run under Wine on this CPU.
  windowsRow('amd64', 'x86_64-w64-mingw32-gcc'),
  windowsRow('386', 'i686-w64-mingw32-gcc', { goenv: { GO386: 'sse2' } }),
  // Go supports windows/arm64, but its c-shared build links with a C toolchain for it, and Debian has none (and no Wine for arm64).
  {
    name: 'windows-arm64',
    goos: 'windows',
    goarch: 'arm64',
    libc: 'msvcrt',
    cc: 'aarch64-w64-mingw32-gcc',
    run: ['wine'],
    timeoutScale: 2,
    cpu: 'none',
    default: false,
    inBase: false,
    noCanary: WINE_NO_CANARY,
    noGccgo: WINDOWS_NO_GCCGO,
    na: 'windows/arm64 is a Go target, but a c-shared DLL is linked by a C toolchain for it, and Debian ships none (mingw-w64 only for x86-64 and i686); nor is there a Wine for arm64 here',
  },
];

/** The rows a run takes when --platform names none. */
export const defaultPlatforms = (table: readonly Platform[]): Platform[] => table.filter((p) => p.default !== false);

/** Under qemu-user, on a CPU model: Wine (a Windows row's runner) runs on this machine's own CPU. */
export const isEmulated = (p: Platform): boolean => p.run.length > 0 && p.goos !== 'windows';

/**
 * What each field of a row must be, in words (harness/platform.schema.json
 * holds the rules): a bad row's line says the fix, not a regular expression.
 * Keyed by the field's pointer with indices as "N".
 */
const COMMAND_WORDS =
  'must be a command name (letters, digits, "_", ".", "+", "-") or an absolute path made of them: a row\'s command is one argv word, never shell text';
const PLAIN_WORDS = 'must be text without control characters (newline, carriage return, escape and the like)';
const ROW_FIELD_WORDS: Record<string, string> = {
  name: 'must be a plain name: a lower-case letter or digit, then lower-case letters, digits, "_", "." or "-" (at most 64)',
  goarch: 'must be a GOARCH value such as "arm64" (lower-case letters and digits)',
  cc: COMMAND_WORDS,
  'run/0': COMMAND_WORDS,
  'python/0': COMMAND_WORDS,
  'java/0': COMMAND_WORDS,
  'run/N': PLAIN_WORDS,
  'python/N': PLAIN_WORDS,
  'java/N': PLAIN_WORDS,
  'cflags/N': 'a flag starts with "-" and is one word of letters, digits and "_=.,+/:-" (no space, no shell metacharacter)',
  cpu: 'must be a CPU model as qemu names it (letters, digits and "_.,=+-", such as "cortex-a53" or "rv64,zba=false")',
  packages: 'at most 128 packages',
  'packages/N':
    'must be a Debian package name (policy 5.6.1: lower-case letters, digits, "+", "-" and ".", starting with a letter or digit), optionally with ":<arch>" (musl:arm64)',
  debArch: 'must be a Debian architecture name such as "arm64" or "ppc64el"',
  dpkgArch: 'must be a Debian architecture name such as "arm64" or "ppc64el"',
  debSuite: 'must be a Debian suite name such as "trixie" or "sid"',
  goenv:
    "holds only Go's CPU-level variables: GOAMD64, GO386, GOARM64, GORISCV64, GOPPC64, GOMIPS, GOMIPS64 (GOFLAGS, GOTOOLCHAIN, GOPROXY and the like are the harness's)",
  'goenv/N': 'must be a value such as "v3" or "sse2" (lower-case letters, digits, "." and ",")',
  'canary/level': PLAIN_WORDS,
  'canary/note': PLAIN_WORDS,
  'canary/asm': 'must be assembler text: newlines and tabs, no other control character',
  noCanary: PLAIN_WORDS,
  noGccgo: PLAIN_WORDS,
  na: PLAIN_WORDS,
};

/** A field's key in ROW_FIELD_WORDS: "packages/3" is "packages/N", a command's first word "run/0", canary's fields by name. */
function fieldKey(field: string): string {
  const [head = '', sub] = field.split('/');
  if (sub === undefined || head === 'canary') return field;
  return sub === '0' && ROW_FIELD_WORDS[`${head}/0`] ? `${head}/0` : `${head}/N`;
}

/** A key refused by name is said once: its value's own complaint underneath would only repeat it. */
function withoutRefusedKeys(problems: string[]): string[] {
  const refused = problems.flatMap((p) => /^(\/[^:]*): "(.*)" is not a valid name here/s.exec(p)?.slice(1, 3).join('/') ?? []);
  return problems.filter((p) => !refused.some((k) => p.startsWith(`${k}: `)));
}

/** A schema problem of row `i` ("/<field>: <complaint>") as the line a person reads: the file, the field, the fix. */
function rowProblem(file: string, i: number, problem: string): string | undefined {
  const m = /^(\/?[^:]*): (.*)$/s.exec(problem);
  const [pointer, complaint] = m ? [m[1]!, m[2]!] : ['', problem];
  // The run field's if/then says its problem again underneath; the line underneath is the one that names it.
  if (/^must match "(then|else)" schema$/.test(complaint)) return undefined;
  const field = pointer.replace(/^\//, '');
  const rule = ROW_FIELD_WORDS[fieldKey(field)];
  const at = `${file}: /${i}${pointer && pointer !== '/' ? pointer : ''}`;
  const named = /^"(.*)" is not a valid name here/s.exec(complaint);
  if (named && rule) return `${at}: ${JSON.stringify(named[1])} is not allowed: ${field} ${rule}`;
  if (rule && /^(must match|must NOT have (more|fewer)|must be string|must be equal)/.test(complaint)) return `${at}: ${rule}`;
  // A key the row made up comes back in the complaint: its control characters are shown, not sent.
  return `${at}: ${complaint.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1))}`;
}

/**
 * Extra rows from a user's JSON file (`--platforms FILE`): an array of rows shaped
 * like the table above, each checked by `validateRow` (harness/platform.schema.json).
 * Names must not collide with the built-in rows.
 */
export function parsePlatformRows(file: string, text: string, validateRow: (row: unknown) => string[]): Platform[] {
  const data = parseJsonText(text, file);
  if (!Array.isArray(data)) throw new UsageError(`${file}: /: must be an array of platform rows`);
  const problems = [
    ...new Set(data.flatMap((row, i) => withoutRefusedKeys(validateRow(row)).flatMap((p) => rowProblem(file, i, p) ?? []))),
  ];
  if (problems.length) throw new UsageError(problems.join('\n'));
  const rows = data as Platform[];
  // An emulated row proves its CPU model strict with a canary, or says why it cannot.
  rows.forEach((r, i) => {
    if (isEmulated(r) && !r.canary && !r.noCanary)
      problems.push(
        `${file}: /${i}: an emulated row needs "canary" ({"level", "asm"}: an instruction above its baseline that its CPU model must refuse) or "noCanary" (why it can have none)`,
      );
  });
  const names = new Set(PLATFORMS.map((p) => p.name));
  rows.forEach((r, i) => {
    if (names.has(r.name)) problems.push(`${file}: /${i}/name: platform "${r.name}" already exists`);
    names.add(r.name);
  });
  if (problems.length) throw new UsageError(problems.join('\n'));
  return rows;
}

/** The rows for --help, one line each: name, GOARCH (and GOARM), C library, how it runs and on which CPU model. */
export function describePlatforms(rows: readonly Platform[], indent = '      '): string {
  const target = (p: Platform) =>
    [
      p.goos && p.goos !== 'linux' ? `${p.goos}/${p.goarch}` : p.goarch,
      ...(p.goarm ? [`GOARM=${p.goarm}`] : []),
      ...Object.entries(p.goenv ?? {}).map(([k, v]) => `${k}=${v}`),
    ].join(' ');
  const runner = (p: Platform) => (!p.run.length ? 'native' : isEmulated(p) ? `${p.run[0]} -cpu ${p.cpu}` : `${p.run[0]} on this CPU`);
  const how = (p: Platform) => `${p.na ? 'n/a' : runner(p)}${p.default === false ? ' (not default)' : ''}`;
  const cols = rows.map((p) => [p.name, target(p), p.libc, how(p)]);
  const widths = [0, 1, 2].map((i) => Math.max(...cols.map((c) => c[i]!.length)));
  return cols.map((c) => indent + c.map((x, i) => (i < 3 ? x.padEnd(widths[i]!) : x)).join('  ')).join('\n');
}
