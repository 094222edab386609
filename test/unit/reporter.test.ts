// The reporter multiplexer: a reporter that throws never stops the others.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { EXIT, FatalError, InfraError } from '../../harness/core/errors.js';
import { makeReporters } from '../../harness/reporters/index.js';
import { multiplex, type Reporter } from '../../harness/reporters/reporter.js';
import { TerminalReporter } from '../../harness/reporters/terminal.js';
import { runResults } from '../support/helpers.js';

class HtmlReporter implements Reporter {
  onEnd(): void {
    throw new InfraError('disk full while writing x/report.html; free space and rerun');
  }
}
class JunitReporter implements Reporter {
  onEnd(): void {
    throw new Error('EACCES');
  }
}
class Recorder implements Reporter {
  readonly seen: string[] = [];
  onLog(l: string): void {
    this.seen.push(`log ${l}`);
  }
  onEnd(): void {
    this.seen.push('end');
  }
}
class Broken implements Reporter {
  onLog(): void {
    throw new Error('EPIPE');
  }
}

t.test('at the end every reporter writes, then one line names the failures', async (t) => {
  const before = new Recorder();
  const after = new Recorder();
  const rep = multiplex([before, new HtmlReporter(), after, new JunitReporter()]);
  let e: FatalError | undefined;
  try {
    await rep.onEnd(runResults([]), '/tmp/x');
  } catch (x) {
    e = x as FatalError;
  }
  t.same(before.seen, ['end']);
  t.same(after.seen, ['end'], 'the reporter after a failing one still wrote');
  t.ok(e instanceof FatalError);
  t.equal(e?.message, 'disk full while writing x/report.html; free space and rerun (the junit report failed too; the others were written)');
  t.notMatch(e?.message ?? '', /\n/, 'one line');
  t.equal(e?.exitCode, EXIT.infra);
});

t.test('a live hook that throws is said once and never stops the others', async (t) => {
  const rec = new Recorder();
  const rep = multiplex([new Broken(), rec]);
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
  try {
    rep.onLog('a');
    rep.onLog('b');
  } finally {
    process.stderr.write = write;
  }
  t.same(rec.seen, ['log a', 'log b']);
  t.same(lines, ['cshared-matrix: the broken report failed: EPIPE (the other reports go on)\n']);
  await rep.onEnd(runResults([]), '/tmp/x');
  t.same(rec.seen, ['log a', 'log b', 'end']);
});

t.test('the terminal closes the run whatever order --reporter names, and lists the files the others wrote', async (t) => {
  const names = makeReporters(['terminal', 'json', 'markdown', 'json']).map((r) => r.constructor.name);
  t.same(names, ['JsonReporter', 'MarkdownReporter', 'TerminalReporter'], 'each once, the terminal last');
  const dir = mkdtempSync(join(tmpdir(), 'csm-rep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  const [json, md] = makeReporters(['json', 'markdown']);
  await multiplex([json!, md!, new TerminalReporter(out as unknown as NodeJS.WriteStream)]).onEnd(runResults([]), dir);
  t.match(text, /results: \S*results\.json, \S*matrix\.md, logs in /);
});
