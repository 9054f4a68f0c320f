// The command as npm installs it: node_modules/.bin/rsh-transport, a link to the package's
// bin/rsh-transport.js, in a project of its own. What a caller runs, so what the benchmarks run.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../test/helpers/root.js';

export function installedLikeNpm(): { command: string; remove: () => void } {
  const project = mkdtempSync(path.join(tmpdir(), 'rsh-transport-bench-project-'));
  const modules = path.join(project, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  symlinkSync(ROOT, path.join(modules, 'rsh-transport'));
  symlinkSync('../rsh-transport/bin/rsh-transport.js', path.join(modules, '.bin', 'rsh-transport'));
  return { command: path.join(modules, '.bin', 'rsh-transport'), remove: () => rmSync(project, { recursive: true, force: true }) };
}
