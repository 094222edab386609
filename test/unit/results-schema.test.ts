// results.json has a JSON Schema in the repository (harness/results.schema.json),
// generated from the RunResults type by `npm run schema`. CI systems validate
// against it; these tests keep it true.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import t from 'tap';
import { createGenerator } from 'ts-json-schema-generator';
import { REPO_ROOT } from '../../harness/edge/case-files.js';

const Ajv = AjvModule.default ?? AjvModule;
const schemaPath = join(REPO_ROOT, 'harness', 'results.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));

t.test('the checked-in schema is the one the RunResults type generates', async (t) => {
  // The generator's own API with `npm run schema`'s arguments, in this process: no npx, no second node.
  const generated = createGenerator({
    path: join(REPO_ROOT, 'harness', 'core', 'results.ts'),
    type: 'RunResults',
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    skipTypeCheck: true,
  }).createSchema('RunResults');
  t.same(JSON.parse(JSON.stringify(generated)), schema, 'run `npm run schema` after changing harness/core/results.ts or types.ts');
});

t.test('a real results.json validates, and a broken one does not', async (t) => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  // A real run's results (the shard/merge fixture in test/unit/merge.test.ts is one; this is the same shape).
  const real = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'results', 'seed-run.json'), 'utf8'));
  t.ok(validate(real), JSON.stringify(validate.errors?.slice(0, 3)));
  t.equal(real.schemaVersion, 1);
  const broken = structuredClone(real);
  broken.cells[0].verdict = 'maybe';
  t.notOk(validate(broken), 'an unknown verdict is rejected');
  const noCells = structuredClone(real);
  delete noCells.cells;
  t.notOk(validate(noCells), 'a results.json without cells is rejected');
});
