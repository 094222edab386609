// Renders a results.json's closing terminal text without running a cell, at a
// given width: `npx tsx test/support/render-results.ts results.json [columns]`.
import { readFileSync } from 'node:fs';
import { renderText } from '../../harness/core/render.js';
import type { RunResults } from '../../harness/core/results.js';

const [file, columns] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx test/support/render-results.ts results.json [columns]\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as RunResults;
process.stdout.write(`${renderText(results, { width: Number(columns ?? 120) })}\n`);
