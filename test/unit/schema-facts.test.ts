// The facts the JSON schemas state as well: JSON cannot import, so each is
// held here to its one TypeScript definition, and a change to either side
// without the other fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RESULTS_DIR_NAME } from '../../harness/core/config.js';
import { DEFAULT_HOST_TIMEOUT_S, MAX_HOST_TIMEOUT_S } from '../../harness/core/host-timeout.js';
import { REPO_ROOT } from '../../harness/edge/repo.js';

const schema = (rel: string) => JSON.parse(readFileSync(join(REPO_ROOT, rel), 'utf8'));

t.test("a host's time limit: cases/case.schema.json's run.timeout and the config file's timeout", async (t) => {
  const run = schema('cases/case.schema.json').properties.run.properties.timeout;
  t.same(
    { min: run.exclusiveMinimum, max: run.maximum, default: run.default },
    { min: 0, max: MAX_HOST_TIMEOUT_S, default: DEFAULT_HOST_TIMEOUT_S },
  );
  const config = schema('harness/config.schema.json').properties.timeout;
  t.same({ min: config.exclusiveMinimum, max: config.maximum }, { min: 0, max: MAX_HOST_TIMEOUT_S });
  t.ok(DEFAULT_HOST_TIMEOUT_S > 0 && DEFAULT_HOST_TIMEOUT_S <= MAX_HOST_TIMEOUT_S, 'the default is a limit the schemas allow');
});

t.test('the results directory a config file defaults to', async (t) => {
  t.match(schema('harness/config.schema.json').properties.results.description, `default: ${RESULTS_DIR_NAME} beside this file`);
});
