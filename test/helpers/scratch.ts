// Scratch directories of the tests: each made under the temporary directory and removed when the
// run ends, failed or not (a root hook of mocha's), so that no run leaves one behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];

// Loaded outside mocha (a fixture in a child process), there is no hook, and no directory either.
if (typeof after === 'function') {
  after(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A new directory `prefix` + six random characters, removed at the end of the run. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
