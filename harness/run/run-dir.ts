import { randomBytes } from 'node:crypto';

/** A run's id, and its directory's name: when it started (they sort by it), and four hex digits for two runs started in the same second. */
export const newRunId = (now = new Date()): string =>
  `${now
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
