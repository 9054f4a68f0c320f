// openRemoteShell: from a host, a user and a command to a running RemoteShell.

import { RemoteShell, type RemoteShellOptions } from './remote-shell.js';
import { buildRemoteShellArgv, type RemoteShellTarget } from './rsh/argv.js';

export interface OpenRemoteShellOptions extends RemoteShellTarget, RemoteShellOptions {}

/**
 * Spawns the remote shell (`rsh`, else $RSYNC_RSH, else `ssh`) as `[rsh...] [-l user] host
 * command` and returns it running.
 *
 * ```ts
 * const shell = openRemoteShell({
 *   host: 'backup.example.org', user: 'alice',
 *   command: ['rsync', '--server', '--sender', '-logDtpre.iLsfxC', '.', 'data/'],
 *   rsh: 'ssh -p 2222 -o BatchMode=yes',
 * });
 * shell.stream.write(versionBytes);
 * await shell.finished; // rejects with RemoteShellError on any failure
 * ```
 * @throws RemoteShellError ERR_INVALID_HOST or ERR_INVALID_RSH, and TypeError for malformed
 * options, before anything is spawned. Every later failure rejects `finished`.
 */
export function openRemoteShell(options: OpenRemoteShellOptions): RemoteShell {
  if (typeof options !== 'object' || options === null) throw new TypeError('openRemoteShell needs an options object');
  const env = options.env ?? process.env;
  return new RemoteShell(buildRemoteShellArgv(options, env), options);
}
