import { join, relative } from 'node:path';
import { RESULTS_DIR_NAME, withFlags } from '../../core/config.js';
import { diffRuns, renderDiffMarkdown } from '../../core/diff.js';
import { EXIT } from '../../core/errors.js';
import { DEFAULT_HOST_TIMEOUT_S } from '../../core/host-timeout.js';
import { splitList } from '../../core/matrix.js';
import { describePlatforms, PLATFORMS } from '../../core/platforms.js';
import { EXIT_CODES_HELP } from '../../core/results.js';
import { readProjectConfig } from '../../edge/config-file.js';
import { ensureEngine } from '../../edge/engine.js';
import { writeAtomic } from '../../edge/files.js';
import { readGccgoSeries, readGoVersions } from '../../edge/images.js';
import { REPO_ROOT } from '../../edge/repo.js';
import { readRun } from '../../edge/runs.js';
import { DEFAULT_REPORTERS, makeReporters, REPORTERS } from '../../reporters/index.js';
import { prepareImages, runMatrix } from '../../run/runner.js';
import { abortOnSignals, parseCommandLine, sayLine } from '../common.js';
import { defaultJobs, resolveRunConfig } from '../options.js';

const goVersionsList = (): string =>
  readGoVersions()
    .map((g) => g.version)
    .join(', ');

/** The help's head: no file behind it, so a constant (the rest reads versions.json and the rows). */
const HELP_HEAD = `usage: cshared-matrix [PATHS…] [options]      (in this repository: npm run matrix -- …)
       cshared-matrix repro REPORT | merge RUN… | diff OLD NEW | audit FILE…   (each has --help)

Builds Go libraries with -buildmode=c-shared for every platform, compiles the C
hosts, runs them (every foreign CPU under qemu-user) and prints the matrix.

  PATHS             Go packages (package main with //export functions, with or without
                    go.mod; a module's dependencies must be vendored): each is built and
                    loaded by the generated probes (dlopen, and linked at build time) on
                    every platform; or case directories. Without PATHS (and without
                    libraries or cases in a config file): the harness's seed cases.
  --config FILE     the project's config (default: cshared-matrix.config.json here or in
                    the nearest parent directory); flags override its fields`;

// A function: it reads images/go/versions.json, whose errors must reach runCli as one line.
const help = (): string => `${HELP_HEAD}

  --platform LIST   platforms to run, by name or glob ('arm*', '*-musl'; default: every row
                    not marked (not default)):
${describePlatforms(PLATFORMS)}
  --case LIST       cases to run, by name or glob (default: all in cases/ and --cases dirs)
  --go LIST         Go versions, or "all" (default: the newest): ${goVersionsList()}
  --toolchain LIST  gc (Go's compiler, default) and/or gccgo (GCC's, gccgo-${readGccgoSeries()?.gcc ?? '?'} from Debian, driven
                    by the newest --go's go command): one column each, side by side; gccgo
                    has no musl rows and no loong64 (n/a)
  --userland LIST   where the hosts load: debian11 (glibc 2.31, musl 1.2.2), debian12 (2.36, 1.2.3),
                    debian13 (2.41, 1.2.5: the toolchain's own, the default); the same build loaded
                    on each, side by side; rows without a Debian port of that release are n/a
  --tier TIER       push (default): the cases that answer in about a second on every row;
                    nightly: every cell, races, soaks and expected hangs too (cases/README.md,
                    Tiers); a case named exactly with --case runs whatever its tier
  --jobs N          hosts and builds at once (default: number of cores, ${defaultJobs()})
  --timeout S       per-host time limit in seconds on native platforms (default: each case's
                    run.timeout, else ${DEFAULT_HOST_TIMEOUT_S}); emulated platforms multiply it by their slowdown,
                    measured on this machine
  --cases DIR       also load cases from DIR (repeatable); DIR is one case or a folder of cases
  --platforms FILE  add platform rows from a JSON file (repeatable): an array of
                    {name, goarch, goarm?, goenv?, libc, cc, cflags?, run: [qemu…], timeoutScale,
                    cpu, packages?, dpkgArch?, canary?: {level, asm} | noCanary: "why"}; packages
                    the base image lacks come in a layer of their own; every field is checked
                    against harness/platform.schema.json, and what a row names runs unprivileged
  --no-default-cases  leave out the repository's cases/ (use only --cases DIRs)
  --results DIR     where run directories go (default: ./${RESULTS_DIR_NAME}, or
                    beside the config file; in this repository: results/)
  --reporter LIST   output formats (default: ${DEFAULT_REPORTERS.join(',')}; known: ${Object.keys(REPORTERS).join(', ')})
  --probes          add two generated load probes per case: dlopen, and linked at build
                    time; each looks up every export listed in the library's header
  --repeat N        run every host N times; cells whose repetitions disagree are "flaky"
  --max-failures N  stop starting cells after N unexpected verdicts (the rest are left out)
  --shard K/N       run part K of N of the matrix (deterministic; merge parts with cshared-matrix merge)
  --shard-costs F   a previous results.json: balance the shards by its recorded durations
  --docker-host URL the engine to use (like DOCKER_HOST), e.g. tcp://ci-runner-2:2375
  --baseline DIR    compare with an earlier run at the end: diff.md and diff.json in the run
  --rebuild         ignore the artifact cache: rebuild every library and host, and measure the
                    emulation slowdown again (results are never cached: every run runs every host)
  --cache DIR       artifact and Go build cache (default: <results>/.cache; in this repository
                    results/.cache, shared by every run)
  --build-quota MIB disk one build step may fill, outputs and Go build cache together (default: 1024)
  --image-cache DIR toolchain images saved and loaded there as .tar.zst by recipe hash (for bare CI runners)
  --base-image REF  the Debian trixie image to build the base image on (default: debian:trixie, pulled)
  --glibc-floor V   build the glibc rows for glibc V (2.31 or above) in the oldest Debian toolchain
                    that keeps it (2.31: bullseye; 2.36: bookworm); a file needing more fails at build
  --rebuild-images  rebuild the toolchain images even if their recipes are unchanged
  --prune-images    first remove toolchain and host-language images of older recipes (for nightly machines)
  --engine-only     make sure a Docker engine answers (installing and starting one as root on Debian), then exit
  --images-only     build the images this run would use (toolchains and host languages; loaded from and
                    saved to --image-cache), then exit without running anything: 0, or 3 if one failed
  -h, --help        this text

LIST is comma-separated, and options may repeat.
${EXIT_CODES_HELP}`;

const OPTIONS = {
  platform: { type: 'string', multiple: true },
  case: { type: 'string', multiple: true },
  go: { type: 'string', multiple: true },
  toolchain: { type: 'string', multiple: true },
  userland: { type: 'string', multiple: true },
  tier: { type: 'string' },
  jobs: { type: 'string' },
  timeout: { type: 'string' },
  cases: { type: 'string', multiple: true },
  'no-default-cases': { type: 'boolean' },
  platforms: { type: 'string', multiple: true },
  results: { type: 'string' },
  reporter: { type: 'string', multiple: true },
  'rebuild-images': { type: 'boolean' },
  'prune-images': { type: 'boolean' },
  rebuild: { type: 'boolean' },
  cache: { type: 'string' },
  probes: { type: 'boolean' },
  repeat: { type: 'string' },
  'max-failures': { type: 'string' },
  'build-quota': { type: 'string' },
  shard: { type: 'string' },
  'shard-costs': { type: 'string' },
  'docker-host': { type: 'string' },
  baseline: { type: 'string' },
  'engine-only': { type: 'boolean' },
  'images-only': { type: 'boolean' },
  config: { type: 'string' },
  'image-cache': { type: 'string' },
  'base-image': { type: 'string' },
  'glibc-floor': { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, help(), true);
  if (!parsed) return EXIT.ok;
  const o = parsed.values;
  const project = readProjectConfig(o.config, process.cwd());
  if (project) sayLine(`config ${relative(process.cwd(), project.file) || project.file}`);
  // The file first, the command line over it (core/config.ts: withFlags).
  const inputs = { ...o, ...withFlags(project?.inputs ?? {}, { ...o, paths: parsed.positionals }) };
  const cfg = resolveRunConfig(inputs, process.env, REPO_ROOT, process.cwd());
  if (o['engine-only']) {
    await ensureEngine(sayLine, { address: cfg.engine });
    process.stderr.write('cshared-matrix: the Docker engine answers\n');
    return EXIT.ok;
  }
  if (o['images-only']) {
    const failed = await prepareImages(cfg, sayLine, abortOnSignals());
    process.stderr.write(
      `cshared-matrix: ${failed ? `${failed} image${failed > 1 ? 's' : ''} could not be built (above)` : 'the images are ready'}\n`,
    );
    return failed ? EXIT.infra : EXIT.ok;
  }
  const baseline = o.baseline ? readRun(o.baseline) : undefined;
  const reporters = makeReporters(inputs.reporter ? splitList(inputs.reporter) : DEFAULT_REPORTERS);
  const results = await runMatrix(cfg, { reporters, argv, signal: abortOnSignals() });
  if (baseline) {
    const runDir = join(cfg.resultsDir, results.run.id);
    const diff = diffRuns(baseline.results, results);
    writeAtomic(join(runDir, 'diff.json'), `${JSON.stringify(diff, null, 2)}\n`);
    writeAtomic(join(runDir, 'diff.md'), renderDiffMarkdown(diff));
    process.stdout.write(`\n${renderDiffMarkdown(diff)}`);
  }
  return results.exitCode;
}
