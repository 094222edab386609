import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CANARY_SCRIPT, canaryArgv, parseCanaries } from '../../harness/core/canary.js';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { ROW_LAYER_LINES, rowLayerFiles } from '../../harness/core/recipe.js';
import type { Platform } from '../../harness/core/types.js';
import { IMAGES_DIR } from '../../harness/edge/images.js';
import { inLanes, parseTools, ROW_TOOLS_SCRIPT, rowToolsCommand, TOOLS_SCRIPT, toolsCommand } from '../../harness/run/setup.js';
import { asLane } from '../../harness/sandbox/commands.js';
import { laneHome, SUPERVISOR } from '../../harness/sandbox/layout.js';
import { CALIBRATION_SCRIPT, calibrationCmd } from '../../harness/sandbox/scripts.js';
import { platform } from '../support/helpers.js';

/**
 * A platform row comes from a pull request. Every script the harness runs for
 * a row is constant text: the row's words travel as arguments, so what a
 * hostile row writes in its cc, runner or canary is never shell syntax, and
 * whatever it names runs as a build lane's user (asLane), never as root.
 */
const HOSTILE = (dir: string): Platform => ({
  ...platform('arm5-glibc'),
  name: 'evil-glibc',
  cc: `gcc$(touch ${dir}/cc)`,
  cflags: [`-O2;touch ${dir}/cflags`],
  run: ['qemu-arm', `\`touch ${dir}/run\``, `x'; touch ${dir}/quote; '`, `$(touch ${dir}/dollar)`],
  canary: { level: `$(touch ${dir}/level)`, asm: `'; touch ${dir}/asm; '` },
  packages: ['gcc', 'musl:arm64'],
});
const SCRIPTS = [CALIBRATION_SCRIPT, CANARY_SCRIPT, TOOLS_SCRIPT, ROW_TOOLS_SCRIPT];
const rowStrings = (p: Platform): string[] =>
  [p.cc, ...(p.cflags ?? []), ...p.run, p.canary?.asm ?? '', p.canary?.level ?? ''].filter((s) => s.length > 3);

t.test("no row string ever appears in a script's text: each is one argument", async (t) => {
  const dir = t.testdir();
  const evil = HOSTILE(dir);
  const argvs = {
    calibration: calibrationCmd(0, evil),
    canary: canaryArgv(evil, dir),
    tools: toolsCommand([evil]),
    rowTools: rowToolsCommand([evil], 0),
  };
  for (const [what, argv] of Object.entries(argvs)) {
    const script = argv[argv.indexOf('-c') + 1]!;
    t.ok(SCRIPTS.includes(script), `${what}: the script is one of the harness's constants`);
    for (const s of rowStrings(evil)) t.notOk(script.includes(s), `${what}: ${JSON.stringify(s)} is not in the script`);
  }
  for (const s of [evil.cc, ...evil.run])
    t.ok(argvs.calibration.includes(s), `calibration: ${JSON.stringify(s)} is an argument of its own`);
  t.ok(argvs.rowTools.includes(evil.cc), 'row tools: the compiler is an argument');
  t.same(toolsCommand([evil]).slice(4), ['gcc', 'musl:arm64'], "root's tools: the rows' packages, for dpkg-query to look up");
});

t.test('whatever a row names runs as a lane user, never as root', async (t) => {
  const evil = HOSTILE('/x');
  const lane = ['--run-as', '20001:20000', '--fresh', laneHome(0), '--'];
  t.same(calibrationCmd(0, evil).slice(0, 6), [SUPERVISOR, ...lane], 'calibration');
  t.same(rowToolsCommand([evil], 0).slice(0, 6), [SUPERVISOR, ...lane], "reading the compilers' versions runs them");
  t.same(asLane(0, canaryArgv(evil, laneHome(0))).slice(0, 6), [SUPERVISOR, ...lane], 'canary');
  t.notOk(
    toolsCommand([evil]).some((a) => a === evil.cc || evil.run.includes(a)),
    'the root tools step runs nothing a row names',
  );
});

t.test('run for real, a hostile row executes none of its text as shell', async (t) => {
  const dir = t.testdir();
  const evil = HOSTILE(dir);
  const sh = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const calib = calibrationCmd(0, evil);
  sh(calib.slice(calib.indexOf('--') + 1).map((a) => a.replace(laneHome(0), dir)));
  const canary = sh(canaryArgv(evil, dir));
  t.equal(parseCanaries(canary.stdout, [evil]).get('evil-glibc')?.outcome, 'unbuilt', 'the compiler named gcc$(…) does not exist');
  const tools = rowToolsCommand([evil], 0);
  const out = sh(tools.slice(tools.indexOf('--') + 1)).stdout;
  t.equal(parseTools(out)[`cc ${evil.cc}`], 'missing', 'its version line names it, as text');
  t.same(
    readdirSync(dir).filter((f) => !f.startsWith('canary')),
    [],
    "no file was touched by the row's text",
  );
});

t.test("the calibration script times the row's own runner on its own compile", async (t) => {
  const dir = t.testdir();
  // "cc" is sh writing a script to its -o ($3); the runner is sh running it.
  const row: Platform = {
    ...platform('arm5-glibc'),
    cc: 'sh',
    cflags: ['-c', 'printf "#!/bin/sh\\nexit 0\\n" >"$3"; chmod +x "$3"', 'sh'],
    run: ['sh', '-c', 'exec "$0"'],
  };
  const cmd = calibrationCmd(0, row);
  const r = execFileSync(
    '/bin/sh',
    cmd.slice(cmd.indexOf('--') + 2).map((a) => a.replace(laneHome(0), dir)),
    { encoding: 'utf8' },
  );
  t.match(r, /^arm5-glibc \d+\narm5-glibc \d+\n$/, 'two timings under its name');
});

t.test('inLanes: every item once, at most `lanes` at a time, each worker on its own lane', async (t) => {
  let live = 0;
  let peak = 0;
  const seen: [number, number][] = [];
  const out = await inLanes([1, 2, 3, 4, 5], 2, async (x, lane) => {
    peak = Math.max(peak, ++live);
    await new Promise((r) => setTimeout(r, 5));
    seen.push([x, lane]);
    live--;
    return x * 10;
  });
  t.same(out, [10, 20, 30, 40, 50], 'results in item order');
  t.equal(peak, 2);
  t.same(new Set(seen.map(([, l]) => l)), new Set([0, 1]));
  t.same(await inLanes([], 3, async () => 1), []);
});

t.test('a row layer is files of data, checked by the Dockerfile again; no build argument but FROM', async (t) => {
  t.same(rowLayerFiles({ packages: ['gccgo-14-mips-linux-gnu', 'musl:mips'], dpkgArch: 'mips', runner: 'qemu-mips' }), {
    'row-layer/packages': 'gccgo-14-mips-linux-gnu\nmusl:mips\n',
    'row-layer/dpkg-arch': 'mips\n',
    'row-layer/runner': 'qemu-mips\n',
    'row-layer/wine-prefix': '',
  });
  t.same(rowLayerFiles({ packages: ['x1'] }), {
    'row-layer/packages': 'x1\n',
    'row-layer/dpkg-arch': '',
    'row-layer/runner': '',
    'row-layer/wine-prefix': '',
  });
  t.same(rowLayerFiles({ packages: ['wine'], winePrefix: '/opt/csm-wine/prefix' })['row-layer/wine-prefix'], '/opt/csm-wine/prefix\n');
  t.throws(() => rowLayerFiles({ packages: [], winePrefix: '/opt/x; rm -rf /' }), /not a valid wine-prefix line/);
  for (const bad of ['gcc make', 'gcc\nstatus-logger=x', '--allow-unauthenticated', '$(id)'])
    t.throws(() => rowLayerFiles({ packages: [bad] }), /row layer: .* is not a valid packages line/, JSON.stringify(bad));
  t.throws(() => rowLayerFiles({ packages: [], runner: 'qemu-arm\nstatus-logger=/bin/sh' }), /not a valid runner line/);
  t.throws(() => rowLayerFiles({ packages: [], dpkgArch: '--force-all' }), /not a valid dpkg-arch line/);
  const dockerfile = readFileSync(join(IMAGES_DIR, 'row', 'Dockerfile'), 'utf8');
  t.same(
    [...dockerfile.matchAll(/^ARG (\S+)/gm)].map((m) => m[1]),
    ['FROM'],
    'the only build argument is the image it starts from',
  );
  for (const [name, re] of Object.entries(ROW_LAYER_LINES))
    t.ok(dockerfile.includes(`grep -qvxE '${re.source.slice(1, -1)}' "$d/${name}"`), `the Dockerfile checks ${name} with the same grammar`);
  t.ok(existsSync(join(IMAGES_DIR, 'row', 'Dockerfile')));
});

t.test("the Dockerfile's checks refuse a bad line before apt or dpkg sees it", async (t) => {
  const dockerfile = readFileSync(join(IMAGES_DIR, 'row', 'Dockerfile'), 'utf8');
  const checks = dockerfile
    .split('\n')
    .filter((l) => /grep -qvxE/.test(l))
    .map((l) => l.trim().replace(/; \\$/, ''));
  t.equal(checks.length, 4);
  const dir = t.testdir({ packages: 'gcc\n--allow-unauthenticated\n', 'dpkg-arch': 'arm64\n', runner: '', 'wine-prefix': '' });
  const script = [`d=${dir}`, 'refuse() { echo "E: $d/$1 holds a line that is not $2"; exit 1; }', ...checks, 'echo fine'].join('\n');
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stdout, /packages holds a line that is not a Debian package name/);
  const ok = t.testdir({ packages: 'gcc\nmusl:arm64\n', 'dpkg-arch': '', runner: 'qemu-mips\n', 'wine-prefix': '/opt/csm-wine/prefix\n' });
  t.equal(spawnSync('sh', ['-c', script.replace(dir, ok)], { encoding: 'utf8' }).stdout, 'fine\n', 'good lines and empty files pass');
  const prefix = t.testdir({ packages: '', 'dpkg-arch': '', runner: '', 'wine-prefix': 'opt/$(id)\n' });
  t.match(
    spawnSync('sh', ['-c', script.replace(dir, prefix)], { encoding: 'utf8' }).stdout,
    /wine-prefix holds a line that is not an absolute path/,
  );
});

t.test('every built-in row gives layer files the Dockerfile accepts', async (t) => {
  for (const p of PLATFORMS)
    t.doesNotThrow(() => rowLayerFiles({ packages: p.packages ?? [], ...(p.dpkgArch ? { dpkgArch: p.dpkgArch } : {}) }), p.name);
});

t.test("a row's exec cannot speak for another row: only its own row is read from its output", async (t) => {
  const evil = HOSTILE('/x');
  const forged = `${'@@csm-canary'} arm7-glibc built 132\n@@csm-canary evil-glibc built 0\n`;
  t.same([...parseCanaries(forged, [evil]).keys()], ['evil-glibc'], 'canary: the forged arm7-glibc line is not read');
  t.equal(parseCanaries(forged, [evil]).get('evil-glibc')?.outcome, 'ran');
});
