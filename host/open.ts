// openRemoteShell: from a host, a user and a command to a running RemoteShell.

import { internal, type InternalOptions } from './internal.js';
import { shareConnection } from './multiplex/shared-connections.js';
import { checkMultiplex } from './multiplex/options.js';
import { checkShellOptions } from './options.js';
import { NO_RETRY } from './retry.js';
import { RemoteShell, type RemoteShellOptions } from './remote-shell.js';
import { buildRemoteShellArgv, TARGET_KEYS, type RemoteShellTarget } from './rsh/argv.js';

export interface OpenRemoteShellOptions extends RemoteShellTarget, RemoteShellOptions {}

/**
 * Spawns the remote shell (`rsh`, else `ssh`) as `[rsh...] [ssh options] [-l user] host
 * command` and returns it running. With ssh, BatchMode is on unless `batchMode: false` or an
 * `askpass` callback is given.
 *
 * ```ts
 * const shell = openRemoteShell({
 *   host: 'backup.example.org', user: 'alice',
 *   command: ['rsync', '--server', '--sender', '-logDtpre.iLsfxC', '.', 'data/'],
 *   port: 2222, multiplex: true,
 * });
 * shell.stream.write(versionBytes);
 * await shell.finished; // rejects with RemoteShellError on any failure
 * ```
 *
 * With `multiplex`, the session starts once its target's ControlMaster is ready (the stream
 * holds what is written meanwhile), and `retry` applies to the master's start; a master that
 * cannot be made fails every session waiting for it with the diagnosis of why.
 * @throws RemoteShellError ERR_INVALID_HOST, ERR_INVALID_RSH or ERR_INVALID_COMMAND, and
 * TypeError or RangeError naming any other option that is out of its range, before anything is
 * allocated or spawned. Every later failure rejects `finished`.
 */
export function openRemoteShell(options: OpenRemoteShellOptions): RemoteShell {
  if (typeof options !== 'object' || options === null) throw new TypeError('openRemoteShell needs an options object');
  // Each group is read and checked once, here: the shell's options, the multiplexing, and the
  // target (in buildRemoteShellArgv); the RemoteShell takes the checked settings as they are.
  const settings = checkShellOptions(options, TARGET_KEYS);
  const target = targetOf(options);
  const multiplex = checkMultiplex(target.multiplex);
  const retrying = settings.retry.attempts > 0;
  const askpass = settings.askpass !== undefined;
  // With retry, ssh says when it has authenticated: a remote command's failure must never pass
  // for a connection that was not established (see retry.ts). With multiplex, that is the
  // master's concern.
  const argv = buildRemoteShellArgv(target, { sessionEvidence: retrying && !multiplex, askpass });
  const given = (options as { [internal]?: InternalOptions })[internal];
  // An abort before the call: refused as without multiplex, before a master is started for it.
  if (!multiplex || settings.signal?.aborted) return new RemoteShell(argv, { [internal]: { ...given, settings } });

  const connectionTarget = { ...target, command: undefined, remoteCommand: undefined };
  const connection = buildRemoteShellArgv(connectionTarget, { askpass });
  const shared = shareConnection(
    connection,
    argv,
    multiplex,
    { env: settings.env, cwd: settings.cwd, retry: settings.retry, askpass: settings.askpass, capture: settings.capture },
    target.user === undefined ? String(target.host) : `${target.user}@${target.host}`,
    // The master's own argv differs only when its start may be retried (LogLevel VERBOSE).
    retrying ? buildRemoteShellArgv(connectionTarget, { sessionEvidence: true, askpass }) : connection,
  );
  // The retry is the master's: a session through a shared connection is not tried again.
  const sessionSettings = Object.freeze({ ...settings, retry: NO_RETRY });
  return new RemoteShell(shared.argv, {
    [internal]: {
      ...given,
      settings: sessionSettings,
      startAfter: shared.ready,
      gaveUpWaiting: shared.release,
      sharedConnectionLost: shared.lost,
    },
  });
}

/** The target's options (TARGET_KEYS) alone, each read once. */
function targetOf(options: OpenRemoteShellOptions): RemoteShellTarget {
  const target: Record<string, unknown> = {};
  for (const key of TARGET_KEYS) if (key in options) target[key] = (options as unknown as Record<string, unknown>)[key];
  return target as unknown as RemoteShellTarget;
}
