// After the whole suite, the engine holds nothing the harness created: no
// container, no volume, no network. test/run-all.ts runs it as its last step,
// after every integration file and background image build has ended; its name
// is no *.test.ts, so no glob runs it beside files that still hold containers.
// By hand, when no other run uses the engine: npx tap test/integration/leftovers.after.ts
import t from 'tap';
import { $ } from 'zx';
import { ensureEngine } from '../../harness/edge/engine.js';
import { leftovers } from '../../harness/edge/sandbox.js';

const docker = await ensureEngine((l) => t.comment(l));

t.test('after the suite the engine holds no container, volume or network of the harness', async (t) => {
  // A run that has just ended may still be removing its volume: give it a moment, no more.
  let left = await leftovers(docker);
  for (let i = 0; i < 30 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    left = await leftovers(docker);
  }
  t.same(left, [], `no container or volume labelled cshared-matrix.run:\n${left.join('\n')}`);

  const ls = await $({ quiet: true })`docker network ls --format {{.Name}}`;
  const networks = ls.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  t.same(networks, ['bridge', 'host', 'none'], `only the default networks: ${networks.join(', ')}`);
});
