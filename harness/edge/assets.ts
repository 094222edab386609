import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InfraError } from '../core/errors.js';

/**
 * A file the harness ships beside its code (the report page's CSS and script),
 * read whole as UTF-8. It is part of the install, so a missing one is ours to
 * fix, not the user's input: an infrastructure error naming the file.
 */
export function readAsset(url: URL): string {
  try {
    return readFileSync(url, 'utf8');
  } catch (e) {
    throw new InfraError(`cannot read ${fileURLToPath(url)}, a file cshared-matrix ships: ${(e as Error).message} (reinstall the package)`);
  }
}
