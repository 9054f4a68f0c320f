// openRemoteShell: from a host, a user and a command to a running RemoteShell.

import { checkShellOptions } from './options.js';
import { RemoteShell, type RemoteShellOptions } from './remote-shell.js';
import { buildRemoteShellArgv, TARGET_KEYS, type RemoteShellTarget } from './rsh/argv.js';

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
 * @throws RemoteShellError ERR_INVALID_HOST, ERR_INVALID_RSH or ERR_INVALID_COMMAND, and
 * TypeError or RangeError naming any other option that is out of its range, before anything is
 * allocated or spawned. Every later failure rejects `finished`.
 */
export function openRemoteShell(options: OpenRemoteShellOptions): RemoteShell {
  if (typeof options !== 'object' || options === null) throw new TypeError('openRemoteShell needs an options object');
  const settings = checkShellOptions(options, TARGET_KEYS);
  const argv = buildRemoteShellArgv(options, settings.env);
  const { host: _host, user: _user, command: _command, remoteCommand: _remoteCommand, rsh: _rsh, ...shellOptions } = options;
  return new RemoteShell(argv, shellOptions);
}
