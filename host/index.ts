/**
 * rsh-transport: reach a remote endpoint through an external remote shell (`ssh` by default)
 * and tunnel a byte protocol over its stdin and stdout, with its stderr drained into a bounded
 * ring, forwarded live, and put into every error.
 *
 * ```ts
 * import { openRemoteShell, RemoteShellError } from 'rsh-transport';
 * const shell = openRemoteShell({ host: 'backup.example.org', command: ['rsync', '--server', '.', 'x/'] });
 * shell.stream.write(request);
 * try {
 *   await shell.finished;
 * } catch (err) {
 *   if (err instanceof RemoteShellError) console.error(err.reason, err.message, err.hint);
 * }
 * ```
 */
export { openRemoteShell } from './open.js';
export type { OpenRemoteShellOptions } from './open.js';
// A type only: a shell comes from openRemoteShell, which builds its argv and checks the ssh options.
export type { RemoteShell } from './remote-shell.js';
export type { RemoteShellOptions, RemoteShellResult, RemoteShellStderr, RemoteShellStderrStats } from './remote-shell.js';
export { RemoteShellError } from './errors.js';
export type { RemoteShellErrorCode, RemoteShellFailureReason } from './errors.js';
export { REASONS } from './diagnosis/reasons.js';
export { terminalSafe } from './terminal-safe.js';
export type { TerminalSafeOptions } from './terminal-safe.js';
export { parseRsh } from './rsh/parse-rsh.js';
export { parseRemoteSpec } from './rsh/remote-spec.js';
export type { RemoteSpec } from './rsh/remote-spec.js';
export { buildRemoteShellArgv } from './rsh/argv.js';
export type { RemoteShellTarget } from './rsh/argv.js';
export { quoteForShell, quoteCommand } from './rsh/quote.js';
export type { SanitizeOption, StderrOption } from './stderr/forwarder.js';
export type { StdioOption } from './options.js';
export type { ByteCounts } from './errors.js';
export type { StderrLineCallback, ForwardedLineInfo } from './stderr/forwarder.js';
export type { Snapshot } from './core/snapshot.js';
export { openFileLimit, raiseOpenFileLimit } from './limits.js';
export { closeMultiplexedConnections } from './multiplex/shared-connections.js';
export type { MultiplexOptions } from './multiplex/options.js';
export type { AskpassCallback, AskpassKind, AskpassRequest } from './askpass/request.js';
export type { KeepaliveOptions, SshOptions } from './rsh/ssh-options.js';
export { CHANNELS } from './events.js';
export type { ConnectedEvent, ExitEvent, RunEventBase, SpawnEvent } from './events.js';
export type { RetryOptions } from './retry.js';
export type { OpenFileLimit } from './limits.js';
