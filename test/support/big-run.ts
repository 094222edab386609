// A run the size of the default matrix (24 cases × the 20 default rows = 480
// cells), built from the project's own types: what the terminal grid and
// report.html must stay readable at. Its verdicts follow a real run's shape:
// musl rows fail as the known bugs say, Python and the JVM error on the rows
// whose packages the mirror lacks, a few cells need attention.
import { PLATFORMS } from '../../harness/core/platforms.js';
import type { RunResults } from '../../harness/core/results.js';
import type { CellResult } from '../../harness/core/types.js';
import { cell, IE_TLS_RULE, INIT_ARGV_RULE, runResults } from './helpers.js';

export const BIG_CASES = [
  'args',
  'dlclose',
  'dlopen',
  'environ',
  'fork',
  'gc-two-runtimes',
  'goamd64-v3',
  'init-before-call',
  'init-once',
  'jni',
  'link',
  'multi',
  'preload',
  'preload-free',
  'python',
  'sa-onstack',
  'setenv-after-load',
  'setenv-race',
  'sigchld',
  'signals',
  'small-stack',
  'static-tls',
  'threads',
  'tls',
];
export const BIG_ROWS = PLATFORMS.filter((p) => p.default !== false);
const NO_PACKAGES = ['arm5-glibc', 'arm6-glibc', 'ppc64le-glibc', 's390x-glibc'];

/** The cells that need attention, as the grid and the lists must show them. */
export const BIG_ATTENTION: Record<string, Partial<CellResult>> = {
  'threads/riscv64-glibc/go1.27': { verdict: 'fail', stage: 'checks', summary: 'checks: not ok - 8 threads call Greet concurrently' },
  'setenv-race/arm64-glibc/go1.27': { verdict: 'timeout', stage: 'run', summary: 'run: timed out after 44.0 s and was killed' },
  'signals/s390x-glibc/go1.27': { verdict: 'flaky', stage: 'checks', summary: 'flaky: 2 of 3 repetitions passed' },
  'dlopen/loong64-glibc/go1.27': {
    verdict: 'xpass',
    stage: 'checks',
    summary: 'expected IE TLS (go#54805) did not happen',
    expectation: { ...IE_TLS_RULE, matched: false },
  },
};

function bigCell(caseName: string, platform: (typeof BIG_ROWS)[number]): CellResult {
  const id = `${caseName}/${platform.name}/go1.27`;
  const failed = { stage: 'load' as const, stageOk: false };
  if (BIG_ATTENTION[id]) return cell(caseName, platform.name, '1.27', { ...failed, ...BIG_ATTENTION[id] });
  if ((caseName === 'python' || caseName === 'jni') && NO_PACKAGES.includes(platform.name))
    return cell(caseName, platform.name, '1.27', {
      ...failed,
      verdict: 'error',
      stage: 'build',
      summary: `could not build the ${caseName} layer: the mirror has no libc6_2.41-12+deb13u5 for this row (404)`,
    });
  if (caseName === 'python' && ['arm5-musl', 'arm6-musl'].includes(platform.name))
    return cell(caseName, platform.name, '1.27', { ...failed, verdict: 'na', stage: 'run', summary: 'no Python for this row' });
  if (platform.libc === 'musl') {
    const rule = ['link', 'args', 'multi', 'preload'].includes(caseName) ? INIT_ARGV_RULE : IE_TLS_RULE;
    return cell(caseName, platform.name, '1.27', {
      ...failed,
      verdict: 'xfail',
      summary: rule.label,
      expectation: { ...rule, matched: true },
    });
  }
  return cell(caseName, platform.name, '1.27', { summary: `${3 + (caseName.length % 9)} checks` });
}

/** 480 cells, with the provenance a real default run records (emulation, CPU models, images, host languages). */
export function bigRun(): RunResults {
  const cells = BIG_CASES.flatMap((k) => BIG_ROWS.map((p) => bigCell(k, p)));
  const emulated = BIG_ROWS.filter((p) => p.name !== 'amd64-glibc' && p.name !== 'amd64-musl');
  return runResults(cells, {
    run: {
      durationMs: 411_000,
      command: 'npm run matrix',
      emulation: Object.fromEntries(emulated.map((p, i) => [p.name, { factor: 4 + i, nativeMs: 100, emulatedMs: 100 * (4 + i) }])),
      canaries: Object.fromEntries(
        emulated.map((p) => [p.name, { outcome: 'trapped' as const, level: `${p.cpu} baseline + 1`, detail: 'SIGILL' }]),
      ),
    },
    images: [
      {
        go: '1.27',
        tag: 'cshared-matrix-go:1.27-0123456789abcdef',
        id: 'sha256:0123456789abcdef0123456789abcdef',
        tools: { go: '1.27.4', gcc: '14.2.0', glibc: '2.41-12+deb13u5', musl: '1.2.5-3.1~deb13u1', qemu: '10.0.13' },
      },
    ],
    hostLangs: BIG_ROWS.flatMap((p) => [
      {
        platform: p.name,
        lang: 'python' as const,
        image: `cshared-matrix-lang:${p.name}`,
        builtFrom: 'Debian trixie python3.13',
        version: '3.13.5',
        startMs: 900,
      },
      {
        platform: p.name,
        lang: 'java' as const,
        image: `cshared-matrix-lang:${p.name}`,
        builtFrom: 'Debian trixie openjdk-21-jdk-headless',
        version: '21.0.9',
        startMs: 2100,
      },
    ]),
  });
}
