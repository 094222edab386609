// Shared builders for the unit tests. Not a test file itself (tap includes *.test.ts only).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { marked, type Token } from 'marked';
import type { Test } from 'tap';
import { PLATFORMS } from '../../harness/core/platforms.js';
import { countVerdicts, exitCodeFor, RESULTS_SCHEMA_VERSION, type RunResults } from '../../harness/core/results.js';
import type { CaseFile, CaseSpec, CellResult, ExpectationRule, Platform } from '../../harness/core/types.js';

export function platform(name: string): Platform {
  const p = PLATFORMS.find((x) => x.name === name);
  if (!p) throw new Error(`no platform ${name} in the table`);
  return p;
}

/** A fresh temp dir, removed when the test ends. */
export function tempDir(t: Test, prefix = 'csm-unit-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Write files (relative path → content) under root; objects are written as JSON. */
export function writeTree(root: string, files: Record<string, string | object>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

export const HELLO_GO = `package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
`;

/** A minimal valid case.json: one Go library "hello" in golib/, host.c linked against it. */
export function minimalCaseFile(over: Partial<CaseFile> = {}): CaseFile {
  return {
    description: 'a test case',
    libraries: [{ name: 'hello', dir: 'golib' }],
    host: { sources: ['host.c'], link: ['hello'] },
    ...over,
  };
}

/** Write a complete, loadable case directory under parent/name. */
export function writeCase(parent: string, name: string, caseFile: CaseFile | object = minimalCaseFile(), goSource = HELLO_GO): string {
  const dir = join(parent, name);
  writeTree(dir, { 'case.json': caseFile, 'host.c': 'int main(void) { return 0; }\n', 'golib/hello.go': goSource });
  return dir;
}

/** A CaseSpec without touching the disk (for matrix and plan code that does not read it). */
export function fakeCase(name: string, over: Partial<CaseSpec> = {}): CaseSpec {
  return {
    ...minimalCaseFile(),
    name,
    dir: `/cases/${name}`,
    libraryHashes: { hello: 'abcdef0123456789'.repeat(4) },
    goTargets: { hello: ['hello.go'] },
    sourceHash: '0'.repeat(64),
    ...over,
  };
}

/** A CellResult for the renderers. */
export function cell(caseName: string, platformName: string, go: string, over: Partial<CellResult> = {}): CellResult {
  const p = platform(platformName);
  return {
    id: `${caseName}/${platformName}/go${go}`,
    axes: { case: caseName, platform: p.name, goarch: p.goarch, ...(p.goarm ? { goarm: p.goarm } : {}), libc: p.libc, cpu: p.cpu, go },
    verdict: 'pass',
    stage: 'checks',
    stageOk: true,
    summary: '3 checks',
    checks: [],
    durationMs: 10,
    logs: {},
    ...over,
  };
}

/**
 * A RunResults around some cells, with the run's counts computed from them.
 * Everything a test cares about is an explicit override: run metadata through
 * `run`, any other top-level field directly.
 */
export function runResults(
  cells: CellResult[],
  over: Omit<Partial<RunResults>, 'run'> & { run?: Partial<RunResults['run']> } = {},
): RunResults {
  const { run, ...rest } = over;
  const counts = countVerdicts(cells);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    harness: { name: 'cshared-matrix', version: '0.1.0' },
    run: {
      id: '2026-11-26T11-50-59Z-ab12',
      startedAt: '2026-11-26T11:50:59.000Z',
      finishedAt: '2026-11-26T11:52:22.400Z',
      durationMs: 83_400,
      command: 'npm run matrix',
      argv: [],
      jobs: 2,
      interrupted: false,
      node: 'v20.20.2',
      ...run,
    },
    images: [],
    platforms: [...PLATFORMS],
    cases: [],
    cells,
    counts,
    exitCode: exitCodeFor(counts, false),
    ...rest,
  };
}

/** The two musl expectations every C-host case carries, as fixtures. */
export const IE_TLS_RULE: ExpectationRule = {
  when: { libc: 'musl' },
  verdict: 'fail',
  stage: 'load',
  match: 'initial-exec TLS resolves to dynamic definition',
  link: 'https://github.com/golang/go/issues/54805',
  label: 'IE TLS (go#54805)',
  reason: "musl's dlopen refuses initial-exec TLS",
};

export const INIT_ARGV_RULE: ExpectationRule = {
  when: { libc: 'musl' },
  verdict: 'fail',
  match: 'signal 11|SIGSEGV',
  link: 'https://github.com/golang/go/issues/13492',
  label: 'musl init argv (go#13492)',
};

/** Every token of a Markdown text as marked (GFM) lexes it, nested ones included: what a renderer would make of it. */
export function markdownTokens(md: string): Token[] {
  const out: Token[] = [];
  const walk = (ts: Token[] | undefined) => {
    for (const tok of ts ?? []) {
      out.push(tok);
      const x = tok as Token & { tokens?: Token[]; items?: Token[]; header?: { tokens: Token[] }[]; rows?: { tokens: Token[] }[][] };
      walk(x.tokens);
      walk(x.items);
      for (const h of x.header ?? []) walk(h.tokens);
      for (const row of x.rows ?? []) for (const c of row) walk(c.tokens);
    }
  };
  walk(marked.lexer(md));
  return out;
}
