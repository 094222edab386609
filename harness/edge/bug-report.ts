import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { ReportFile } from '../core/report.js';

/**
 * A bug report as `repro` is given it: a Markdown or text file, or a directory
 * of sources (three levels deep at most, no dot-directories, files under 1 MiB).
 * core/report.ts reads what it says.
 */
export function readBugReport(path: string): { text: string } | { files: ReportFile[] } {
  const abs = resolve(path);
  if (!existsSync(abs))
    throw new UsageError(
      `${path}: no such file or directory (give a bug report: a .md/.txt file with fenced code blocks, or a directory of sources)`,
    );
  if (!statSync(abs).isDirectory()) return { text: readFileSync(abs, 'utf8') };
  const files: ReportFile[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 3 && !e.name.startsWith('.')) walk(p, depth + 1);
      else if (e.isFile() && statSync(p).size < 1 << 20) files.push({ path: relative(abs, p), content: readFileSync(p, 'utf8') });
    }
  };
  walk(abs, 0);
  return { files };
}

/** Write the case made from a report into caseDir, its directories made as they come. */
export function writeCaseFiles(caseDir: string, files: readonly ReportFile[]): void {
  for (const f of files) {
    mkdirSync(join(caseDir, f.path, '..'), { recursive: true });
    writeFileSync(join(caseDir, f.path), f.content);
  }
}
