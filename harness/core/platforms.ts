import type { Platform } from './types.js';
import { UsageError } from './errors.js';

/**
 * The platform table. Adding a row adds a platform: the build, run and
 * rendering code never branches on a platform's name.
 *
 * The CPU model is part of the truth being tested: GOARM=5 code must run on a
 * v5 core (arm926), because a v7 model silently accepts v7-only instructions.
 * musl rows need no -L: musl:armhf/armel install their loaders in the image's /lib.
 */
export const PLATFORMS: readonly Platform[] = [
  { name: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cc: 'gcc', run: [], timeoutScale: 1, cpu: 'native', python: ['python3'] },
  { name: 'amd64-musl', goarch: 'amd64', libc: 'musl', cc: 'musl-gcc', run: [], timeoutScale: 1, cpu: 'native' },
  {
    name: 'arm7-glibc', goarch: 'arm', goarm: '7', libc: 'glibc', cc: 'arm-linux-gnueabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabihf'], timeoutScale: 4, cpu: 'cortex-a7',
  },
  {
    name: 'arm5-glibc', goarch: 'arm', goarm: '5', libc: 'glibc', cc: 'arm-linux-gnueabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi'], timeoutScale: 4, cpu: 'arm926',
  },
  {
    name: 'arm7-musl', goarch: 'arm', goarm: '7', libc: 'musl', cc: 'arm-linux-musleabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7'], timeoutScale: 4, cpu: 'cortex-a7',
  },
  {
    name: 'arm5-musl', goarch: 'arm', goarm: '5', libc: 'musl', cc: 'arm-linux-musleabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926'], timeoutScale: 4, cpu: 'arm926',
  },
];

export const isEmulated = (p: Platform): boolean => p.run.length > 0;

const ROW_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'goarch', 'libc', 'cc', 'run', 'timeoutScale', 'cpu'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]*$' },
    goarch: { type: 'string', minLength: 1 },
    goarm: { type: 'string', pattern: '^[5-7]$' },
    libc: { enum: ['glibc', 'musl'] },
    cc: { type: 'string', minLength: 1 },
    run: { type: 'array', items: { type: 'string', minLength: 1 } },
    timeoutScale: { type: 'number', exclusiveMinimum: 0 },
    cpu: { type: 'string', minLength: 1 },
    python: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  },
} as const;

/**
 * Extra rows from a user's JSON file (`--platforms FILE`): an array of rows shaped
 * like the table above. Names must not collide with the built-in rows.
 */
export function parsePlatformRows(file: string, text: string, validate: (schema: object, data: unknown) => string[]): Platform[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new UsageError(`${file}: /: must be an array of platform rows`);
  const problems = data.flatMap((row, i) => validate(ROW_SCHEMA, row).map((p) => `${file}: /${i}${p.replace(/^\/(?=:)/, '')}`));
  if (problems.length) throw new UsageError(problems.join('\n'));
  const rows = data as Platform[];
  const names = new Set(PLATFORMS.map((p) => p.name));
  rows.forEach((r, i) => {
    if (names.has(r.name)) problems.push(`${file}: /${i}/name: platform "${r.name}" already exists`);
    names.add(r.name);
  });
  if (problems.length) throw new UsageError(problems.join('\n'));
  return rows;
}

/** The rows for --help, one line each: name, GOARCH (and GOARM), C library, how it runs and on which CPU model. */
export function describePlatforms(rows: readonly Platform[], indent = '      '): string {
  const cols = rows.map((p) => [p.name, `${p.goarch}${p.goarm ? ` GOARM=${p.goarm}` : ''}`, p.libc, p.run.length ? `${p.run[0]} -cpu ${p.cpu}` : 'native']);
  const widths = [0, 1, 2].map((i) => Math.max(...cols.map((c) => c[i]!.length)));
  return cols.map((c) => indent + c.map((x, i) => (i < 3 ? x.padEnd(widths[i]!) : x)).join('  ')).join('\n');
}
