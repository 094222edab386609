import t from 'tap';
import { type ArtifactInputs, artifactKey } from '../../harness/core/cache.js';

const base: ArtifactInputs = {
  sources: ['a1b2'],
  imageId: 'sha256:1111',
  env: ['CGO_ENABLED=1', 'GOARCH=arm', 'GOARM=7'],
  cmd: ['go', 'build', '-buildmode=c-shared', '-o', '/work/out/libx.so', 'x.go'],
  deps: [],
};

t.test('the same inputs give the same key', async (t) => {
  t.equal(artifactKey(base), artifactKey({ ...base, env: [...base.env].reverse() }), 'environment order does not matter');
  t.match(artifactKey(base), /^[0-9a-f]{32}$/);
});

t.test('the key changes with anything that goes into the artifact', async (t) => {
  const k = artifactKey(base);
  const changed: [string, ArtifactInputs][] = [
    ['a source changes', { ...base, sources: ['a1b3'] }],
    ['the image changes (a rebuilt image has a new id)', { ...base, imageId: 'sha256:2222' }],
    ['a flag changes', { ...base, cmd: [...base.cmd.slice(0, 3), '-trimpath', ...base.cmd.slice(3)] }],
    ['the environment changes (GOARM 7 → 5)', { ...base, env: ['CGO_ENABLED=1', 'GOARCH=arm', 'GOARM=5'] }],
    ['a library it links against changes', { ...base, deps: ['ffff'] }],
  ];
  for (const [why, inputs] of changed) t.not(artifactKey(inputs), k, why);
});

t.test('fields cannot bleed into each other', async (t) => {
  t.not(artifactKey({ ...base, sources: ['a', 'b'] }), artifactKey({ ...base, sources: ['a\0b'] }));
  t.not(artifactKey({ ...base, sources: ['x'], deps: [] }), artifactKey({ ...base, sources: [], deps: ['x'] }));
});
