import { relative } from 'node:path';
import logUpdate from 'log-update';
import { chalk } from 'zx';
import { DEFAULT_TEXT_WIDTH, renderText, TEXT_SYMBOL } from '../core/render.js';
import { isUnexpected, type RunResults } from '../core/results.js';
import { terminalField } from '../core/sanitize.js';
import type { CellResult, CellSpec, Stage, Verdict } from '../core/types.js';
import { presentIn } from '../edge/files.js';
import type { Reporter, RunInfo } from './reporter.js';

const COLOR: Record<Verdict, (s: string) => string> = {
  pass: chalk.green,
  xfail: chalk.cyan,
  fail: chalk.red,
  xpass: chalk.magenta,
  timeout: chalk.yellow,
  error: chalk.yellow,
  flaky: chalk.magenta,
  na: chalk.dim,
};

/** Narrower than this, not even a glyph grid with its case names fits: lines may wrap. */
const MIN_WIDTH = 40;

/**
 * The columns the closing text may use: COLUMNS when set (a user's override),
 * else the terminal's own width, else (a CI log, a pipe) DEFAULT_TEXT_WIDTH.
 */
export function textWidth(env: NodeJS.ProcessEnv, out: { isTTY?: boolean; columns?: number }): number {
  const asked = Number.parseInt(env.COLUMNS ?? '', 10);
  const width = asked > 0 ? asked : out.isTTY && out.columns ? out.columns : DEFAULT_TEXT_WIDTH;
  return Math.max(MIN_WIDTH, width);
}

/** Colour only for a person at a terminal: never in a pipe or CI log, and never under NO_COLOR (no-color.org) or TERM=dumb. */
export const colorWanted = (env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean =>
  !!isTTY && !env.NO_COLOR && !env.CI && env.TERM !== 'dumb';

/**
 * Live progress on a TTY (cells done, what is running, failures so far); one
 * plain line per cell elsewhere, so CI logs stay readable. Prints the matrix at the end.
 */
export class TerminalReporter implements Reporter {
  private readonly live: boolean;
  private total = 0;
  private done = 0;
  private readonly running = new Map<string, Stage>();
  private readonly failures: string[] = [];
  private readonly t0 = Date.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.live = !!out.isTTY && !process.env.CI && process.env.TERM !== 'dumb';
    if (!colorWanted(process.env, out.isTTY)) chalk.level = 0;
  }

  private print(line: string): void {
    if (this.live) logUpdate.clear();
    this.out.write(`${line}\n`);
    if (this.live) this.render();
  }

  private render(): void {
    if (!this.live || !this.total) return;
    const secs = ((Date.now() - this.t0) / 1000).toFixed(0);
    const running = [...this.running]
      .slice(0, 4)
      .map(([id, st]) => terminalField(`${id} (${st})`))
      .join(', ');
    const fails = this.failures.length ? chalk.red(` · unexpected: ${this.failures.length}`) : '';
    logUpdate(`[${this.done}/${this.total}] ${secs}s${fails}${running ? ` · running: ${running}` : ''}`);
  }

  // Log lines quote rows, packages, engines and hosts: one line each, whatever they hold.
  onLog(line: string): void {
    this.print(chalk.dim(terminalField(line)));
  }

  onBegin(info: RunInfo): void {
    this.total = info.cells.length;
    this.print(
      `running ${info.cells.length} cells with ${info.jobs} jobs → ${terminalField(relative(process.cwd(), info.runDir) || info.runDir)}`,
    );
  }

  onStep(cell: CellSpec, stage: Stage): void {
    this.running.set(cell.id, stage);
    this.render();
  }

  onCellEnd(r: CellResult): void {
    this.done++;
    this.running.delete(r.id);
    const unexpected = isUnexpected(r.verdict);
    if (unexpected) this.failures.push(r.id);
    if (!this.live || unexpected) {
      const v = COLOR[r.verdict](`${TEXT_SYMBOL[r.verdict]} ${r.verdict.padEnd(7)}`);
      const ms = r.durationMs ? ` ${(r.durationMs / 1000).toFixed(2)}s` : '';
      this.print(`${v} ${terminalField(r.id)}${ms}${r.verdict === 'pass' ? '' : `  ${terminalField(r.summary)}`}`);
    } else this.render();
  }

  onEnd(results: RunResults, runDir: string): void {
    if (this.live) logUpdate.clear();
    const where = terminalField(relative(process.cwd(), runDir) || runDir);
    const paint = (v: Verdict, text: string) => COLOR[v](text);
    this.out.write(`\n${renderText(results, { width: textWidth(process.env, this.out), paint })}\n\n`);
    const files = presentIn(runDir, ['results.json', 'matrix.md', 'report.html', 'junit.xml']).map((f) => `${where}/${f}`);
    this.out.write(`results: ${files.join(', ')}, logs in ${where}/logs (${(results.run.durationMs / 1000).toFixed(1)} s)\n`);
    if (results.run.interrupted) this.out.write(chalk.yellow('interrupted: the results above cover only the cells that finished\n'));
  }
}
