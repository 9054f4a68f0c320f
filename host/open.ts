// openRemoteShell: from a host, a user and a command to a running RemoteShell.

import { checkShellOptions } from './options.js';
import { RemoteShell, type RemoteShellOptions } from './remote-shell.js';
import { buildRemoteShellArgv, TARGET_KEYS, type RemoteShellTarget } from './rsh/argv.js';

export interface OpenRemoteShellOptions extends RemoteShellTarget, RemoteShellOptions {}

/**
 * Spawns the remote shell (`rsh`, else `ssh`) as `[rsh...] [ssh options] [-l user] host
 * command` and returns it running. With ssh, BatchMode is on unless `batchMode: false`.
 *
 * ```ts
 * const shell = openRemoteShell({
 *   host: 'backup.example.org', user: 'alice',
 *   command: ['rsync', '--server', '--sender', '-logDtpre.iLsfxC', '.', 'data/'],
 *   port: 2222,
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
  // With retry, ssh says when it has authenticated: a remote command's failure must never pass
  // for a connection that was not established (see retry.ts).
  const argv = buildRemoteShellArgv(options, { sessionEvidence: settings.retry.attempts > 0 });
  const {
    host: _host, user: _user, command: _command, remoteCommand: _remoteCommand, rsh: _rsh,
    port: _port, identityFile: _identityFile, sshOptions: _sshOptions, connectTimeoutMs: _connectTimeoutMs, batchMode: _batchMode,
    ...shellOptions
  } = options;
  return new RemoteShell(argv, shellOptions);
}
