// Builds the C hosts (scripts/build-c-host.mjs) for the tests. A missing tool is a failure
// that names what to install, never a skip: the hosts are part of what CI proves.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { ROOT } from '../helpers/root.js';

export { ROOT };
export const C_HOST_DIR = fileURLToPath(new URL('../../build/c-host/', import.meta.url));

export function buildCHost(...flags: string[]): void {
  const result = spawnSync(process.execPath, ['scripts/build-c-host.mjs', ...flags], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `building the C host failed (Debian packages it needs: clang libclang-rt-14-dev libsimde-dev; ` +
        `npm devDependency: wabt):\n${result.stderr || result.stdout || result.error?.message}`,
    );
  }
}
