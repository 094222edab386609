// The unit files in one process (npm run test:unit, npm test): tap would start a
// node, tsx and tap itself per file, which cost more than the tests did. Each
// *.test.ts here becomes a subtest named after it, exactly as tap's runner
// shows a file, loaded by mockImport with 'tap' standing for that subtest: a
// file's tests, its teardowns (a faked process.getuid, an environment variable)
// and its modules (loaded afresh, so no module state is shared) end with it.
// A new unit file is found by its name; none is listed here. One file alone
// still runs in a process of its own: npx tap test/unit/NAME.test.ts.
import { readdirSync } from 'node:fs';
import * as tapModule from 'tap';
import t, { type Test } from 'tap';

const unitFiles = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();

/** tap's exports with the file's subtest for the root: `import t from 'tap'` and `import { test } from 'tap'` both reach it. */
function tapFor(ft: Test): Record<string, unknown> {
  const bound = Object.keys(tapModule).map((name) => {
    const own = (ft as unknown as Record<string, unknown>)[name];
    return [name, typeof own === 'function' ? own.bind(ft) : (tapModule as Record<string, unknown>)[name]];
  });
  return { ...Object.fromEntries(bound), default: ft, t: ft };
}

for (const file of unitFiles)
  t.test(`test/unit/${file}`, async (ft) => {
    await ft.mockImport(`./${file}`, { tap: tapFor(ft) });
  });
