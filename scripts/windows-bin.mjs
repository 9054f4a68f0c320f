#!/usr/bin/env node
// `preinstall` of rsh-transport: on Windows, the command's file starts with the line Node runs.
//
// bin/rsh-transport.js is read first by /bin/sh on POSIX systems (a launcher that keeps Node's
// inspector from taking rsync's SIGUSR1, see the file), then by Node. Windows has neither that
// shell nor that signal, and npm makes a command's .cmd and .ps1 shims there from the file's
// first line: `#!/bin/sh` would make shims that run `sh`, which Windows lacks. So on Windows the
// first line becomes `#!/usr/bin/env node` before npm links the command (npm runs preinstall
// first), and the shims run node.exe on the file, whose JavaScript works alone. Elsewhere this
// does nothing. Installed with scripts off, the command runs on Windows as
// `node node_modules/rsh-transport/bin/rsh-transport.js`.

import { readFileSync, writeFileSync } from 'node:fs';

const LAUNCHER = '#!/bin/sh\n';
const NODE = '#!/usr/bin/env node\n';

/** The command's text as Windows wants it: Node named on its first line. */
export function forWindows(text) {
  return text.startsWith(LAUNCHER) ? NODE + text.slice(LAUNCHER.length) : text;
}

if (process.platform === 'win32') {
  const file = new URL('../bin/rsh-transport.js', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const changed = forWindows(text);
  if (changed !== text) writeFileSync(file, changed);
}
