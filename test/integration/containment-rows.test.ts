// Platform rows, tried as a hostile pull request would: a rows file is data.
// A row whose runner is a shell that attacks the cache runs, with its calibration,
// canary and hosts, as a build lane's user or nobody, and cannot touch any other
// row's cached or built outputs; a row the schema refuses never reaches the engine.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { $ } from 'zx';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';
import { matrixRunner, NEWEST_GO, ROOT } from '../support/cli-run.js';

const rows = join(ROOT, 'test', 'fixtures', 'attacks', 'rows');
const resultsDir = mkdtempSync(join(tmpdir(), 'csm-rows-'));
const cacheDir = mkdtempSync(join(tmpdir(), 'csm-rows-cache-'));
t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));
t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));

const docker = await ensureEngine((l) => t.comment(l));
const go = NEWEST_GO;

const run = matrixRunner(resultsDir, cacheDir);
async function matrix(...args: string[]) {
  const t0 = Date.now();
  const r = await run(...args);
  t.comment(`${args.join(' ')}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return r;
}

/** Every file of the artifact cache with its hash: what a poisoned cache would change. */
const artifacts = (): Map<string, string> => {
  const dir = join(cacheDir, 'artifacts');
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile());
  return new Map(
    files.map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
    ]),
  );
};
const pwned = () =>
  readdirSync(cacheDir, { recursive: true })
    .map(String)
    .filter((f) => /pwned/.test(f));

t.test("a row whose runner is a shell attacking the cache touches nothing of another row's", async (t) => {
  const link = `link/amd64-glibc/go${go}`;
  const warm = await matrix('--case', 'link', '--platform', 'amd64-glibc');
  t.equal(warm.cell(link).verdict, 'pass', `the cache holds link's outputs\n${warm.out.slice(-2000)}`);
  t.same(await leftovers(docker, warm.results!.run.id), []);
  const before = artifacts();
  t.ok(before.size > 0, `${before.size} cached files to attack`);

  const hostile = await matrix('--case', 'link', '--platform', 'amd64-glibc,evil-glibc', '--platforms', join(rows, 'hostile.json'));
  t.equal(
    hostile.cell(link).verdict,
    'pass',
    `link/amd64-glibc passes beside the hostile row (${hostile.cell(link).summary})\n${hostile.out.slice(-2000)}`,
  );
  const evil = hostile.cell(`link/evil-glibc/go${go}`);
  t.equal(evil.verdict, 'pass', `the hostile row's own cell runs, its runner contained (${evil.summary})`);
  t.equal(
    hostile.results!.run.canaries?.['evil-glibc']?.outcome,
    'trapped',
    "the canary ran under the row's runner (the shell exec'd qemu, which trapped)",
  );
  t.ok(hostile.results!.run.emulation?.['evil-glibc'], "and so did the calibration: the row's slowdown was measured");
  const tools = hostile.results!.images[0]!.tools;
  t.match(
    tools['cc arm-linux-gnueabihf-gcc'],
    /^\d+\.\d+/,
    `the rows' compilers, run as a lane's user, still say their versions (${tools['cc arm-linux-gnueabihf-gcc']})`,
  );
  t.match(tools.go, /^\d+\.\d+/, "the harness's own tools are read as before");
  const runLog = readFileSync(join(resultsDir, 'latest', evil.logs.run!), 'utf8');
  t.match(runLog, /csm-rows-attack as uid 65534/, 'the attack ran in the host run, as nobody');
  t.notMatch(runLog, /csm-rows-attack: (wrote|rewrote) \//, 'and wrote nothing');
  t.same(pwned(), [], 'no file in the cache was written by the attack');
  const after = artifacts();
  for (const [f, h] of before) t.equal(after.get(f), h, `cached ${f}: unchanged`);
  t.same(await leftovers(docker, hostile.results!.run.id), []);

  const again = await matrix('--case', 'link', '--platform', 'amd64-glibc');
  t.equal(again.code, 0, again.out.slice(-2000));
  t.equal(again.cell(link).verdict, 'pass', 'from the same cache, without the hostile row, link/amd64-glibc still passes');
  t.same(await leftovers(docker, again.results!.run.id), []);
});

t.test('a row the schema refuses: exit 2, one line per field, before the engine is touched', async (t) => {
  const file = join(rows, 'refused.json');
  const cache = mkdtempSync(join(tmpdir(), 'csm-rows-refused-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  // An engine that does not exist: touching it would be exit 3 and a line about it.
  const p = await $({
    cwd: ROOT,
    nothrow: true,
    quiet: true,
  })`npx tsx harness/cli/main.ts --results ${cache} --cache ${cache} --docker-host unix:///nonexistent/csm-rows.sock --case link --platforms ${file}`;
  t.equal(p.exitCode, 2, p.stderr);
  const command =
    'must be a command name (letters, digits, "_", ".", "+", "-") or an absolute path made of them: a row\'s command is one argv word, never shell text';
  t.same(p.stderr.trimEnd().split('\n'), [
    `cshared-matrix: ${file}: /0/cc: ${command}`,
    `cshared-matrix: ${file}: /1/goenv: "GOFLAGS" is not allowed: goenv holds only Go's CPU-level variables: GOAMD64, GO386, GOARM64, GORISCV64, GOPPC64, GOMIPS, GOMIPS64 (GOFLAGS, GOTOOLCHAIN, GOPROXY and the like are the harness's)`,
    `cshared-matrix: ${file}: /1/run/2: must be text without control characters (newline, carriage return, escape and the like)`,
    `cshared-matrix: ${file}: /1/packages/1: must be a Debian package name (policy 5.6.1: lower-case letters, digits, "+", "-" and ".", starting with a letter or digit), optionally with ":<arch>" (musl:arm64)`,
  ]);
  t.same(readdirSync(cache), [], 'nothing written: no run directory, no cache');
});
