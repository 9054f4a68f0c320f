#!/usr/bin/env node
// `preinstall` of rsh-transport: on Windows, the command's file starts with the line Node runs.
//
// bin/rsh-transport.js is read first by /bin/sh on POSIX systems (a launcher that keeps Node's
// inspector from taking rsync's SIGUSR1, see the file), then by Node. Windows has neither that
// shell nor that signal, and npm makes a command's .cmd and .ps1 shims there from the file's
// first line: `#!/bin/sh` would make shims that run /bin/sh, which Windows lacks. So on Windows
// the first line becomes `#!/usr/bin/env node` before npm links the command (npm runs
// preinstall first, `npm rebuild` too), and the shims run node.exe on the file, whose
// JavaScript works alone. Elsewhere this does nothing, and so it does in a checkout of the
// repository (a `.git` beside package.json, or npm run from this directory): the tracked file
// stays the launcher, which `npm pack` checks.
//
// Where install scripts do not run (--ignore-scripts, pnpm's default for dependencies, npm 12
// without allowScripts) or a package manager links commands before preinstall, the shim runs
// /bin/sh: `npm rebuild rsh-transport` mends it, or run `node .../bin/rsh-transport.js`.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER = /^#!\/bin\/sh(\r?\n)/;

/** The command's text as Windows wants it: Node named on its first line (its line end kept). */
export function forWindows(text) {
  return text.replace(LAUNCHER, '#!/usr/bin/env node$1');
}

/** Whether the package at `root` is an installed copy, not a checkout being worked on. */
export function isInstalledCopy(root, initCwd = process.env.INIT_CWD) {
  if (existsSync(path.join(root, '.git'))) return false;
  return initCwd === undefined || path.resolve(initCwd) !== path.resolve(root);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (runDirectly && process.platform === 'win32' && isInstalledCopy(root)) {
  const file = path.join(root, 'bin/rsh-transport.js');
  const text = readFileSync(file, 'utf8');
  const changed = forWindows(text);
  if (changed !== text) {
    // A new file renamed over the old: a file shared through hard links (a store) stays as it was.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, changed, { mode: 0o755 });
    renameSync(temporary, file);
  }
}
