// Runs a composite action's steps (action.yml) here, in order, as a GitHub
// runner would, since GitHub itself cannot run here:
//
// - run: steps: `bash --noprofile --norc -eo pipefail <script>` (GitHub's bash)
//   in their working-directory with their env:, after every `${{ }}` in env,
//   working-directory and with: is substituted from an emulated context
//   (inputs, github, runner, steps.<id>.outputs/outcome, env). GITHUB_OUTPUT,
//   GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY are fresh files per step;
//   outputs, env and path are read back for later steps, summaries are joined
//   into the job's. Composite steps get no INPUT_* variables, as on GitHub.
// - uses: steps are emulated: actions/cache (restore now, save as a post step
//   if the job succeeded), actions/cache/restore and actions/cache/save against
//   a local store (exact key, then the newest entry the key is a prefix of,
//   then each restore-key likewise; entries only match the same path list, and
//   a key is never overwritten), actions/upload-artifact into a local
//   artifacts directory (exclusions, hidden files, symlinks followed, the
//   least common ancestor of the search paths as the root, names unique).
// - sudo: if this machine has none and we are root, a `sudo` shim that runs
//   its command as is goes first on PATH.
// - user: the runner's user, when not the emulator's own (a user that root
//   made for the test, say): run: steps run as it (setpriv, with its groups,
//   HOME in the state directory), and what the runner and actions/cache write
//   for the job (RUNNER_TEMP, GITHUB_* files, restored caches) is its, as on a
//   GitHub runner. No sudo shim then: it would run as that user, not root.
//
// As a command: tsx test/action/run-action-steps.ts --action DIR --workspace DIR
//   --state DIR [--input name=value …] [--run-id N]
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { asUser } from '../support/docker-user.js';
import { condition, type ExpressionContext, interpolate, type Value } from './expressions.js';

export interface RunActionOptions {
  /** The directory holding action.yml (github.action_path). */
  actionPath: string;
  /** GITHUB_WORKSPACE: the caller's checkout; relative paths start here. */
  workspace: string;
  /** The caller's with: (every value a string, as GitHub passes them). */
  inputs?: Record<string, string>;
  /**
   * The emulated runner's and repository's state: actions-cache/ (the cache
   * store, kept between runs), runner-temp/ (RUNNER_TEMP, emptied when a run
   * starts), runs/<run>-<attempt>/{artifacts,files}/ (the run's artifacts and
   * its steps' scripts and GITHUB_* files).
   */
  state: string;
  runId?: number;
  runAttempt?: number;
  /** Extra environment for every step. */
  env?: Record<string, string>;
  /** Every line the steps print, and the emulator's own notes ("emulated …"). */
  log?: (line: string) => void;
  /** The runner's user, if not this process's: run: steps run as it (see the header). */
  user?: string;
}

export interface StepRecord {
  index: number;
  id: string | undefined;
  name: string;
  phase: 'main' | 'post';
  outcome: 'success' | 'failure' | 'skipped';
  exitCode?: number;
  seconds: number;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
}

export interface ActionResult {
  /** failure if a step failed (without continue-on-error). */
  outcome: 'success' | 'failure';
  /** The action's outputs: (outputs.<name>.value evaluated at the end). */
  outputs: Record<string, string>;
  steps: StepRecord[];
  /** Every step's GITHUB_STEP_SUMMARY, in order (the job summary). */
  summary: string;
  annotations: Annotation[];
  runnerTemp: string;
  artifactsDir: string;
  cacheStore: string;
  /** The sudo shim's path, if this machine has no sudo. */
  sudoShim: string | undefined;
}

interface StepMeta {
  id?: string;
  name?: string;
  if?: unknown;
  run?: string;
  shell?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'working-directory'?: string;
  'continue-on-error'?: unknown;
}

interface ActionMeta {
  name?: string;
  inputs?: Record<string, { default?: unknown; required?: boolean; description?: string } | null>;
  outputs?: Record<string, { value?: string; description?: string } | null>;
  runs: { using: string; steps: StepMeta[] };
}

export function readAction(actionPath: string): ActionMeta {
  const file = ['action.yml', 'action.yaml'].map((f) => join(actionPath, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`no action.yml in ${actionPath}`);
  const meta = parseYaml(readFileSync(file, 'utf8')) as ActionMeta;
  if (meta?.runs?.using !== 'composite')
    throw new Error(`${file}: runs.using is ${meta?.runs?.using}, only composite actions are emulated`);
  if (!Array.isArray(meta.runs.steps)) throw new Error(`${file}: runs.steps is not a list`);
  return meta;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));
const lines = (v: string): string[] =>
  v
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const expandHome = (p: string): string => (p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/** KEY=value lines and KEY<<DELIM … DELIM blocks: what GITHUB_OUTPUT and GITHUB_ENV hold. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const ls = text.split('\n');
  for (let i = 0; i < ls.length; i++) {
    const line = ls[i]!.replace(/\r$/, '');
    if (!line.trim()) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc && !line.includes('=')) {
      const [, key, delim] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      for (i++; i < ls.length && ls[i]!.replace(/\r$/, '') !== delim; i++) body.push(ls[i]!);
      if (i >= ls.length) throw new Error(`${key}<<${delim}: no closing ${delim}`);
      out[key] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not a KEY=value line: ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// ---- actions/cache -------------------------------------------------------

interface CacheEntry {
  key: string;
  /** The path input's lines as given: actions/cache's "version" is derived from them. */
  paths: string[];
  seq: number;
  created: string;
}

class CacheStore {
  constructor(readonly dir: string) {}
  private get indexFile() {
    return join(this.dir, 'index.json');
  }
  entries(): CacheEntry[] {
    return existsSync(this.indexFile) ? (JSON.parse(readFileSync(this.indexFile, 'utf8')) as CacheEntry[]) : [];
  }

  static validateKey(key: string): void {
    if (!key) throw new Error('Key Validation Error: the key is empty');
    if (key.length > 512) throw new Error(`Key Validation Error: ${key.slice(0, 40)}… is longer than 512 characters`);
    if (key.includes(',')) throw new Error(`Key Validation Error: ${key} cannot contain commas`);
  }

  /** actions/cache's lookup: the exact key, else the newest entry the key is a prefix of, else each restore-key in turn likewise. */
  find(key: string, restoreKeys: string[], paths: string[]): { entry: CacheEntry; how: string } | undefined {
    const same = this.entries().filter((e) => JSON.stringify(e.paths) === JSON.stringify(paths));
    const exact = same.find((e) => e.key === key);
    if (exact) return { entry: exact, how: 'exact key' };
    for (const [prefix, how] of [[key, 'prefix match of the key'] as const, ...restoreKeys.map((k) => [k, `restore-key ${k}`] as const)]) {
      const newest = same.filter((e) => e.key.startsWith(prefix)).sort((a, b) => b.seq - a.seq)[0];
      if (newest) return { entry: newest, how };
    }
    return undefined;
  }

  restore(entry: CacheEntry, resolved: string[]): void {
    resolved.forEach((to, i) => {
      const from = join(this.dir, String(entry.seq), String(i));
      if (!existsSync(from)) return;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true });
    });
  }

  /** False if the key exists already (GitHub keeps the first). */
  save(key: string, paths: string[], resolved: string[]): boolean {
    const entries = this.entries();
    if (entries.some((e) => e.key === key && JSON.stringify(e.paths) === JSON.stringify(paths))) return false;
    const seq = entries.reduce((m, e) => Math.max(m, e.seq), 0) + 1;
    resolved.forEach((from, i) => {
      if (existsSync(from))
        cpSync(from, join(this.dir, String(seq), String(i)), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    });
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.indexFile, `${JSON.stringify([...entries, { key, paths, seq, created: new Date().toISOString() }], null, 2)}\n`);
    return true;
  }
}

// ---- actions/upload-artifact ---------------------------------------------

const GLOB = /[*?[\]{}]/;

/** Every file under dir, following symlinks as @actions/glob does (a link back to an ancestor is a cycle: skipped). */
function walk(dir: string, ancestry: readonly string[] = []): string[] {
  const real = realpathSync(dir);
  if (ancestry.includes(real)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      continue; // a dangling link
    }
    if (st.isDirectory()) out.push(...walk(p, [...ancestry, real]));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** The literal directory a pattern starts from. */
function searchRoot(pattern: string): string {
  const parts = pattern.split(sep);
  const i = parts.findIndex((p) => GLOB.test(p));
  return i < 0 ? pattern : parts.slice(0, i).join(sep) || sep;
}

function commonAncestor(paths: string[]): string {
  const split = paths.map((p) => p.split(sep));
  const first = split[0]!;
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join(sep) || sep;
}

export function artifactFiles(
  pathInput: string,
  base: string,
  includeHidden: boolean,
): { root: string; files: string[]; excluded: number } {
  const abs = (p: string) => resolve(base, expandHome(p));
  const patterns = lines(pathInput);
  const includes = patterns.filter((p) => !p.startsWith('!')).map(abs);
  const excludes = patterns.filter((p) => p.startsWith('!')).map((p) => picomatch(abs(p.slice(1)), { dot: true }));
  const roots: string[] = [];
  const found = new Set<string>();
  let excluded = 0;
  for (const inc of includes) {
    const glob = GLOB.test(inc);
    const start = glob ? searchRoot(inc) : inc;
    if (!existsSync(start)) continue;
    const isDir = statSync(start).isDirectory();
    roots.push(isDir ? start : dirname(start));
    const match = glob ? picomatch(inc, { dot: true }) : undefined;
    for (const f of isDir ? walk(start) : [start]) {
      // A pattern that matches a directory takes what is under it.
      const ancestors = (p: string) => {
        const out = [p];
        for (let d = dirname(p); d.length >= start.length && d !== dirname(d); d = dirname(d)) out.push(d);
        return out;
      };
      if (match && !ancestors(f).some((a) => match(a))) continue;
      const rel = relative(start, f);
      const hidden = !includeHidden && (rel === '' ? [f.split(sep).pop()!] : rel.split(sep)).some((s) => s.startsWith('.'));
      const out = excludes.some((m) => ancestors(f).some((a) => m(a)));
      if (hidden || out) {
        excluded++;
        continue;
      }
      found.add(f);
    }
  }
  const files = [...found].sort();
  const root = roots.length === 1 ? roots[0]! : roots.length ? commonAncestor(roots) : base;
  return { root, files, excluded };
}

// ---- the runner ----------------------------------------------------------

/** The runner's user: how a step is started as it, and how the emulator hands it a path. */
interface RunnerUser {
  name: string;
  home: string;
  /** `bash …` as this user, with its groups (the docker group). */
  wrap: (cmd: string, args: string[]) => [string, string[]];
  /** Make `path` (recursively) the user's. */
  own: (path: string) => void;
  /** A step's environment for this user: its own HOME, without what instruments this process (a test runner's NODE_OPTIONS, npm's cache) for root. */
  env: (env: Record<string, string>) => Record<string, string>;
}

function runnerUser(name: string | undefined, state: string): RunnerUser | undefined {
  if (!name) return undefined;
  const home = join(state, `home-${name}`);
  const own = (path: string) => {
    const r = spawnSync('chown', ['-R', `${name}:`, path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chown ${name} ${path}: ${r.stderr.trim()}`);
  };
  mkdirSync(home, { recursive: true });
  own(home);
  const env = (e: Record<string, string>) => ({
    ...Object.fromEntries(Object.entries(e).filter(([k]) => !/^(NODE_OPTIONS|npm_|_?TAP)/i.test(k))),
    HOME: home,
    USER: name,
    LOGNAME: name,
  });
  return { name, home, own, env, wrap: (cmd, args) => asUser(name, cmd, args) };
}

function runnerArch(): string {
  return ({ x64: 'X64', arm64: 'ARM64', arm: 'ARM', ia32: 'X86' } as Record<string, string>)[process.arch] ?? process.arch.toUpperCase();
}

/** A sudo for a machine that has none and where we are root already: drops sudo's options, runs the command. */
function sudoShim(state: string): string | undefined {
  if (spawnSync('bash', ['-c', 'command -v sudo'], { encoding: 'utf8' }).status === 0) return undefined;
  if (process.getuid?.() !== 0) throw new Error('this machine has no sudo and we are not root: the action runs the harness through sudo');
  const dir = join(state, 'shim-bin');
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, 'sudo');
  writeFileSync(
    shim,
    [
      '#!/bin/sh',
      '# run-action-steps.ts: this machine has no sudo and the steps run as root already; run the command as is.',
      'while [ $# -gt 0 ]; do',
      '  case "$1" in',
      '    -E|-H|-n|--preserve-env) shift ;;',
      '    --) shift; break ;;',
      '    -*) echo "sudo shim: option $1 is not emulated" >&2; exit 1 ;;',
      '    *) break ;;',
      '  esac',
      'done',
      'exec "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(shim, 0o755);
  return shim;
}

type StepInputs = Record<string, string>;
type StepOutputs = Record<string, string>;

/** An emulated uses: action: its main step, and its post step if it has one. */
interface Emulation {
  main: (w: StepInputs) => StepOutputs;
  post?: (w: StepInputs) => void;
}

/** What the emulated actions use of their job. */
interface EmulationJob {
  workspace: string;
  cache: CacheStore;
  user: RunnerUser | undefined;
  artifactsDir: string;
  annotations: Annotation[];
  note: (line: string) => void;
}

/** actions/cache (restore, and save as a post step), actions/cache/restore, actions/cache/save and actions/upload-artifact, for one job. */
class EmulatedActions {
  private artifactSeq = 0;
  constructor(private readonly job: EmulationJob) {}

  private cachePaths(w: StepInputs): { paths: string[]; resolved: string[] } {
    const paths = lines(w.path ?? '');
    if (!paths.length) throw new Error('Input required and not supplied: path');
    if (paths.some((p) => GLOB.test(p) || p.startsWith('!')))
      throw new Error(`cache paths with globs or exclusions are not emulated: ${paths.join(', ')}`);
    return { paths, resolved: paths.map((p) => resolve(this.job.workspace, expandHome(p))) };
  }

  private cacheRestore(w: StepInputs): StepOutputs {
    const key = w.key ?? '';
    CacheStore.validateKey(key);
    const restoreKeys = lines(w['restore-keys'] ?? '');
    const { paths, resolved } = this.cachePaths(w);
    const hit = this.job.cache.find(key, restoreKeys, paths);
    if (!hit) {
      this.job.note(`actions/cache: Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
      if (w['fail-on-cache-miss'] === 'true')
        throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
      return { 'cache-hit': 'false', 'cache-primary-key': key, 'cache-matched-key': '' };
    }
    if (w['lookup-only'] !== 'true') {
      this.job.cache.restore(hit.entry, resolved);
      for (const p of resolved) if (existsSync(p)) this.job.user?.own(p);
    }
    this.job.note(`actions/cache: restored ${paths.join(', ')} from key ${hit.entry.key} (${hit.how})`);
    return { 'cache-hit': String(hit.entry.key === key), 'cache-primary-key': key, 'cache-matched-key': hit.entry.key };
  }

  private cacheSave(w: StepInputs): StepOutputs {
    const key = w.key ?? '';
    CacheStore.validateKey(key);
    const { paths, resolved } = this.cachePaths(w);
    if (!resolved.some((p) => existsSync(p))) {
      this.job.note(
        `actions/cache: warning: Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.`,
      );
      return {};
    }
    if (this.job.cache.save(key, paths, resolved)) this.job.note(`actions/cache: Cache saved with key: ${key}`);
    else this.job.note(`actions/cache: warning: Failed to save: a cache entry for key ${key} exists already`);
    return {};
  }

  private upload(w: StepInputs): StepOutputs {
    const name = w.name || 'artifact';
    if (/[":<>|*?\r\n\\/]/.test(name)) throw new Error(`The artifact name is not valid: ${name}`);
    const dest = join(this.job.artifactsDir, name);
    if (existsSync(dest)) {
      if (w.overwrite !== 'true')
        throw new Error(`Failed to CreateArtifact: an artifact with this name already exists on the workflow run: ${name}`);
      rmSync(dest, { recursive: true, force: true });
    }
    const { root, files, excluded } = artifactFiles(w.path ?? '', this.job.workspace, w['include-hidden-files'] === 'true');
    if (!files.length) {
      const how = w['if-no-files-found'] || 'warn';
      const msg = `No files were found with the provided path: ${lines(w.path ?? '').join(', ')}. No artifacts will be uploaded.`;
      if (how === 'error') throw new Error(msg);
      if (how === 'warn') this.job.annotations.push({ level: 'warning', message: msg });
      this.job.note(`actions/upload-artifact: ${msg}`);
      return {};
    }
    let bytes = 0;
    for (const f of files) {
      const to = join(dest, relative(root, f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
      bytes += statSync(f).size;
    }
    const id = String(++this.artifactSeq);
    this.job.note(
      `actions/upload-artifact: ${name}: ${files.length} files (${(bytes / 1e6).toFixed(1)} MB) from ${root}, ${excluded} excluded, to ${dest}`,
    );
    return { 'artifact-id': id, 'artifact-url': `file://${dest}`, 'artifact-digest': '' };
  }

  /** The emulation a uses: names, or an error: only these actions are known. */
  of(uses: string, label: string): Emulation {
    const [action, ref] = uses.split('@') as [string, string | undefined];
    if (!ref) throw new Error(`${label}: uses: ${uses} has no @ref`);
    switch (action.toLowerCase()) {
      case 'actions/cache':
        return { main: (w) => this.cacheRestore(w), post: (w) => void this.cacheSave(w) };
      case 'actions/cache/restore':
        return { main: (w) => this.cacheRestore(w) };
      case 'actions/cache/save':
        return { main: (w) => this.cacheSave(w) };
      case 'actions/upload-artifact':
        return { main: (w) => this.upload(w) };
      default:
        throw new Error(`${label}: uses: ${uses} is not emulated`);
    }
  }
}

/** bash on the script (as the runner's user, if any), each line it prints logged, workflow-command annotations collected; its exit code. */
function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
  user: RunnerUser | undefined,
  log: (line: string) => void,
  annotations: Annotation[],
): Promise<number> {
  return new Promise<number>((done, fail) => {
    const bash: [string, string[]] = ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', script]];
    const [cmd, args] = user ? user.wrap(...bash) : bash;
    const p = spawn(cmd, args, { cwd, env: user ? user.env(env) : env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [p.stdout, p.stderr]) {
      let rest = '';
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const l of parts) {
          log(l);
          const a = /^::(error|warning|notice)(?: [^:]*)?::(.*)$/.exec(l);
          if (a) annotations.push({ level: a[1] as Annotation['level'], message: a[2]! });
        }
      });
      s.on('end', () => rest && log(rest));
    }
    p.on('error', fail);
    p.on('close', (c, sig) => done(c ?? (sig ? 128 : 1)));
  });
}

/** A run: step's script and its fresh GITHUB_* files in the run's files directory, the runner's user's. */
function stepFiles(
  filesDir: string,
  step: StepMeta,
  index: number,
  user: RunnerUser | undefined,
): { script: string; files: Record<string, string> } {
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE'].map((k) => [
      k,
      join(filesDir, `${index}-${k.toLowerCase()}`),
    ]),
  );
  for (const f of Object.values(files)) writeFileSync(f, '');
  const script = join(filesDir, `${index}-script.sh`);
  writeFileSync(script, str(step.run));
  for (const f of [...Object.values(files), script]) user?.own(f);
  return { script, files };
}

/** The github and runner contexts of an emulated job. */
function jobContexts(actionPath: string, workspace: string, runId: string, runAttempt: string, runnerTemp: string) {
  const github = {
    action_path: actionPath,
    workspace,
    run_id: runId,
    run_attempt: runAttempt,
    job: 'emulated',
    repository: 'local/emulated',
    event_name: 'workflow_dispatch',
    action: '__self',
  };
  const runner = { temp: runnerTemp, os: 'Linux', arch: runnerArch(), name: 'run-action-steps', environment: 'self-hosted' };
  return { github, runner };
}

/** One job of the action: its directories and contexts, and what each step leaves for the next (env, PATH, outputs, summaries). */
class ActionRun {
  readonly meta: ActionMeta;
  readonly log: (line: string) => void;
  readonly actionPath: string;
  readonly workspace: string;
  readonly runnerTemp: string;
  readonly artifactsDir: string;
  readonly filesDir: string;
  readonly cache: CacheStore;
  readonly user: RunnerUser | undefined;
  readonly shim: string | undefined;
  readonly github: ReturnType<typeof jobContexts>['github'];
  readonly runner: ReturnType<typeof jobContexts>['runner'];
  readonly inputs: Record<string, string> = {};
  readonly jobEnv: Record<string, string> = {};
  readonly steps: Record<string, { outputs: StepOutputs; outcome: string; conclusion: string }> = {};
  readonly records: StepRecord[] = [];
  readonly annotations: Annotation[] = [];
  readonly summaries: string[] = [];
  readonly posts: { name: string; run: () => Promise<void>; postIf: 'success' | 'always' }[] = [];
  path: string;
  readonly emulations: EmulatedActions;
  failed = false;

  constructor(readonly o: RunActionOptions) {
    this.meta = readAction(o.actionPath);
    this.log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
    this.actionPath = resolve(o.actionPath);
    this.workspace = resolve(o.workspace);
    const state = resolve(o.state);
    const runId = String(o.runId ?? 1);
    const runAttempt = String(o.runAttempt ?? 1);
    const runDir = join(state, 'runs', `${runId}-${runAttempt}`);
    // One path for every job, emptied when a job starts, as a runner's _temp is
    // (actions/cache only restores an entry saved under the same path list).
    this.runnerTemp = join(state, 'runner-temp');
    this.artifactsDir = join(runDir, 'artifacts');
    this.filesDir = join(runDir, 'files');
    this.cache = new CacheStore(join(state, 'actions-cache'));
    this.emulations = new EmulatedActions(this);
    for (const d of [runDir, this.runnerTemp]) rmSync(d, { recursive: true, force: true });
    for (const d of [this.runnerTemp, this.artifactsDir, this.filesDir, this.cache.dir]) mkdirSync(d, { recursive: true });
    this.user = runnerUser(o.user, state);
    for (const d of [this.runnerTemp, this.filesDir]) this.user?.own(d);
    this.refuseUnknownInputs();
    this.shim = this.user ? undefined : sudoShim(state);
    if (this.shim)
      this.note(`no sudo on this machine, and we are root: a sudo shim that runs its command as is (${this.shim}) is first on PATH`);
    this.path = [...(this.shim ? [dirname(this.shim)] : []), process.env.PATH ?? ''].join(':');
    ({ github: this.github, runner: this.runner } = jobContexts(this.actionPath, this.workspace, runId, runAttempt, this.runnerTemp));
    this.takeInputs();
  }

  note(line: string): void {
    this.log(`[emulator] ${line}`);
  }

  ctx(): ExpressionContext {
    const { github, runner, inputs, steps } = this;
    return {
      contexts: { github, runner, inputs, steps, env: { ...this.jobEnv } } as unknown as Record<string, Value>,
      failed: this.failed,
    };
  }

  /** Only the declared inputs may be given, whatever their case. */
  private refuseUnknownInputs(): void {
    const declared = Object.keys(this.meta.inputs ?? {});
    const unknown = Object.keys(this.o.inputs ?? {}).filter((k) => !declared.some((d) => d.toLowerCase() === k.toLowerCase()));
    if (unknown.length) throw new Error(`unexpected input(s) ${unknown.join(', ')}; valid inputs are ${declared.join(', ')}`);
  }

  /** Each declared input: as given, else its default (whose ${{ }} is evaluated). */
  private takeInputs(): void {
    const given = this.o.inputs ?? {};
    for (const [name, spec] of Object.entries(this.meta.inputs ?? {})) {
      const hit = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
      this.inputs[name] = hit !== undefined ? given[hit]! : interpolate(str(spec?.default), this.ctx());
      if (spec?.required && hit === undefined && !spec.default) this.note(`warning: required input ${name} is not given`);
    }
  }

  baseEnv(): Record<string, string> {
    const { github, runner } = this;
    return {
      ...(process.env as Record<string, string>),
      ...this.o.env,
      ...this.jobEnv,
      PATH: this.path,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_ACTION_PATH: this.actionPath,
      GITHUB_RUN_ID: github.run_id,
      GITHUB_RUN_ATTEMPT: github.run_attempt,
      GITHUB_JOB: github.job,
      GITHUB_REPOSITORY: github.repository,
      GITHUB_EVENT_NAME: github.event_name,
      RUNNER_TEMP: this.runnerTemp,
      RUNNER_OS: runner.os,
      RUNNER_ARCH: runner.arch,
      RUNNER_NAME: runner.name,
    };
  }

  async runScript(
    label: string,
    step: StepMeta,
    env: Record<string, string>,
    cwd: string,
    index: number,
  ): Promise<{ code: number; outputs: StepOutputs }> {
    const shell = str(step.shell);
    if (!shell) throw new Error(`${label}: a composite run step needs shell:`);
    if (shell !== 'bash') throw new Error(`${label}: shell ${shell} is not emulated (bash only)`);
    const { script, files } = stepFiles(this.filesDir, step, index, this.user);
    if (!existsSync(cwd)) throw new Error(`${label}: working directory ${cwd} does not exist`);
    const code = await runBash(script, cwd, { ...env, ...files }, this.user, this.log, this.annotations);
    const outputs = parseCommandFile(readFileSync(files.GITHUB_OUTPUT!, 'utf8'));
    Object.assign(this.jobEnv, parseCommandFile(readFileSync(files.GITHUB_ENV!, 'utf8')));
    const added = lines(readFileSync(files.GITHUB_PATH!, 'utf8'));
    if (added.length) this.path = [...added.reverse(), this.path].join(':');
    const summary = readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8');
    if (summary) this.summaries.push(summary);
    return { code, outputs };
  }

  record(r: Omit<StepRecord, 'seconds'>, t0: number): void {
    this.records.push({ ...r, seconds: (Date.now() - t0) / 1000 });
    if (r.id) this.steps[r.id] = { outputs: this.steps[r.id]?.outputs ?? {}, outcome: r.outcome, conclusion: r.outcome };
  }

  /** A step that runs: its script, or its emulated action (whose post step is queued); how it went. */
  private async execute(
    step: StepMeta,
    i: number,
    label: string,
    name: string,
  ): Promise<{ outcome: StepRecord['outcome']; exitCode?: number; outputs: StepOutputs }> {
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(str(v), this.ctx())]));
    const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(str(v), this.ctx())]));
    if (step.run !== undefined) {
      const cwd = resolve(this.workspace, interpolate(str(step['working-directory'] ?? '.'), this.ctx()));
      const r = await this.runScript(label, step, { ...this.baseEnv(), ...env }, cwd, i);
      if (r.code !== 0) this.note(`${label}: Process completed with exit code ${r.code}`);
      return { outcome: r.code === 0 ? 'success' : 'failure', exitCode: r.code, outputs: r.outputs };
    }
    if (!step.uses) throw new Error(`${label}: neither run: nor uses:`);
    const impl = this.emulations.of(step.uses, label);
    let result: { outcome: StepRecord['outcome']; outputs: StepOutputs };
    try {
      result = { outcome: 'success', outputs: impl.main(w) };
    } catch (e) {
      this.annotations.push({ level: 'error', message: (e as Error).message });
      this.note(`${label}: ${(e as Error).message}`);
      result = { outcome: 'failure', outputs: {} };
    }
    if (impl.post) this.posts.push({ name: `Post ${name}`, run: async () => impl.post!(w), postIf: 'success' });
    return result;
  }

  async mainStep(step: StepMeta, i: number): Promise<void> {
    const name = step.name ? interpolate(step.name, this.ctx()) : step.run ? `Run ${str(step.run).split('\n')[0]}` : `Run ${step.uses}`;
    const label = `step ${i + 1} (${step.id ?? name})`;
    const t0 = Date.now();
    if (!condition(step.if, this.ctx())) {
      this.note(`${label}: skipped (${step.if === undefined ? 'an earlier step failed' : `if: ${str(step.if)}`})`);
      this.record({ index: i, id: step.id, name, phase: 'main', outcome: 'skipped' }, t0);
      return;
    }
    this.note(`${label}: ${name}`);
    const continueOnError =
      step['continue-on-error'] !== undefined && condition(`\${{ always() && (${str(step['continue-on-error'])}) }}`, this.ctx());
    const { outcome, exitCode, outputs } = await this.execute(step, i, label, name);
    if (step.id) this.steps[step.id] = { outputs, outcome, conclusion: outcome === 'failure' && continueOnError ? 'success' : outcome };
    this.records.push({
      index: i,
      id: step.id,
      name,
      phase: 'main',
      outcome,
      ...(exitCode !== undefined ? { exitCode } : {}),
      seconds: (Date.now() - t0) / 1000,
    });
    if (outcome === 'failure' && !continueOnError) this.failed = true;
  }

  /** Post steps: last registered first, by their post-if. */
  async postSteps(): Promise<void> {
    for (const post of this.posts.reverse()) {
      const t0 = Date.now();
      if (post.postIf === 'success' && this.failed) {
        this.note(`${post.name}: skipped (the job failed)`);
        this.record({ index: this.records.length, id: undefined, name: post.name, phase: 'post', outcome: 'skipped' }, t0);
        continue;
      }
      this.note(post.name);
      await post.run();
      this.record({ index: this.records.length, id: undefined, name: post.name, phase: 'post', outcome: 'success' }, t0);
    }
  }

  result(): ActionResult {
    const outputs = Object.fromEntries(
      Object.entries(this.meta.outputs ?? {}).map(([k, spec]) => [k, interpolate(str(spec?.value), this.ctx())]),
    );
    return {
      outcome: this.failed ? 'failure' : 'success',
      outputs,
      steps: this.records,
      summary: this.summaries.join(''),
      annotations: this.annotations,
      runnerTemp: this.runnerTemp,
      artifactsDir: this.artifactsDir,
      cacheStore: this.cache.dir,
      sudoShim: this.shim,
    };
  }
}

export async function runAction(o: RunActionOptions): Promise<ActionResult> {
  const run = new ActionRun(o);
  for (const [i, step] of run.meta.runs.steps.entries()) await run.mainStep(step, i);
  await run.postSteps();
  return run.result();
}

// ---- as a command --------------------------------------------------------

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      action: { type: 'string', default: '.' },
      workspace: { type: 'string', default: '.' },
      state: { type: 'string' },
      input: { type: 'string', multiple: true, default: [] },
      'run-id': { type: 'string', default: '1' },
    },
  });
  if (!values.state) {
    process.stderr.write(
      'usage: tsx test/action/run-action-steps.ts --action DIR --workspace DIR --state DIR [--input name=value …] [--run-id N]\n',
    );
    process.exit(2);
  }
  const inputs = Object.fromEntries(
    values.input.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--input ${kv}: not name=value`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
  const r = await runAction({
    actionPath: values.action,
    workspace: values.workspace,
    state: values.state,
    inputs,
    runId: Number(values['run-id']),
  });
  process.stdout.write(
    `\n== steps\n${r.steps.map((s) => `${s.phase === 'post' ? 'post ' : ''}${s.id ?? '-'}\t${s.outcome}\t${s.seconds.toFixed(1)} s\t${s.name}`).join('\n')}\n`,
  );
  process.stdout.write(`== outputs\n${JSON.stringify(r.outputs, null, 2)}\n== summary\n${r.summary}\n== artifacts in ${r.artifactsDir}\n`);
  process.exit(r.outcome === 'success' ? 0 : 1);
}
