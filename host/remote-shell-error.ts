// RemoteShellError: every failure of a transport, with the facts as fields and a message that
// puts them in a fixed order: what happened, in the user's terms, first; then the stderr lines
// that say why. Everything in it that came from the remote side is terminal-safe: no control
// character but newline and tab survives in the message, the telling lines or the tail.
//
//   ssh could not authenticate to alice@backup: Permission denied (publickey)
//   alice@backup: Permission denied (publickey).
//
// The errors themselves are built in one place, host/errors.ts.

import type { SshConfig } from './diagnosis/effective-config.js';
import type { HostKeyReport } from './diagnosis/host-key.js';
import { NEVER_CONNECTED, type RemoteShellFailureReason } from './diagnosis/reasons.js';
import { terminalSafe } from './terminal-safe.js';

export type { RemoteShellFailureReason } from './diagnosis/reasons.js';

export type RemoteShellErrorCode =
  | 'ERR_REMOTE_SHELL_EXIT'
  | 'ERR_REMOTE_SHELL_SIGNAL'
  | 'ERR_SPAWN'
  | 'ERR_INVALID_RSH'
  | 'ERR_INVALID_HOST'
  | 'ERR_INVALID_COMMAND'
  | 'ERR_ABORTED'
  | 'ERR_STALLED'
  | 'ERR_STREAM_CLOSED';

/** What crossed the protocol stream, in bytes; in every result and every error. */
export interface ByteCounts {
  /** Read from the remote shell's stdout. */
  bytesReceived: number;
  /** Handed to its stdin (accepted by the kernel). */
  bytesSent: number;
  /** Read from its stdout but never given to the consumer: unread when the stream was closed,
   * aborted or killed, or drained for a consumer that never attached a reader. */
  bytesDiscarded: number;
  /** Written by the caller after the remote shell's stdin had closed, and so never sent. */
  bytesNotSent: number;
}

export const NO_BYTES: Readonly<ByteCounts> = Object.freeze({ bytesReceived: 0, bytesSent: 0, bytesDiscarded: 0, bytesNotSent: 0 });

export interface RemoteShellErrorDetails extends Partial<ByteCounts> {
  /** The classification; by default the one the code implies ('unknown' for an exit). */
  reason?: RemoteShellFailureReason;
  /** One sentence on what to do, or null. */
  hint?: string | null;
  /** The stderr lines the classification rests on. */
  tellingLines?: readonly string[];
  /** The remote shell's exit status, when it exited. */
  exitCode?: number | null;
  /** The signal that ended it, when one did. */
  signal?: NodeJS.Signals | null;
  /** The remote shell's full argv (program first), when it was built. */
  argv?: readonly string[];
  /** The snapshot of the child's stderr (head, omission marker, tail), '' when there was none. */
  stderrTail?: string;
  /** Bytes of stderr the snapshot leaves out. */
  stderrOmitted?: number;
  /** Lines to show under the first line of the message (already bounded). */
  stderrLines?: readonly string[];
  /** How many times the remote shell was started (more than 1 with `retry`). */
  attempts?: number;
  /** The host key ssh refused, for host-key-unknown and host-key-changed. */
  hostKey?: HostKeyReport | null;
  /** Through jump hosts, the hop that failed. */
  hop?: number | null;
  cause?: unknown;
}

const REASON_OF_CODE: Readonly<Record<RemoteShellErrorCode, RemoteShellFailureReason>> = {
  ERR_REMOTE_SHELL_EXIT: 'unknown',
  ERR_REMOTE_SHELL_SIGNAL: 'killed',
  ERR_SPAWN: 'spawn-failed',
  ERR_INVALID_RSH: 'invalid-input',
  ERR_INVALID_HOST: 'invalid-input',
  ERR_INVALID_COMMAND: 'invalid-input',
  ERR_ABORTED: 'aborted',
  ERR_STALLED: 'stalled',
  ERR_STREAM_CLOSED: 'unknown',
};

const safeLine = (line: string): string => terminalSafe(line);

export class RemoteShellError extends Error implements ByteCounts {
  /** What failed, as before reasons existed: kept for compatibility. */
  readonly code: RemoteShellErrorCode;
  /** Why, as a stable classification (see the README's table of reasons). */
  readonly reason: RemoteShellFailureReason;
  /** One sentence on what to do, or null. */
  readonly hint: string | null;
  /** The stderr lines the reason rests on (terminal-safe, at most a few). */
  readonly tellingLines: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly argv: readonly string[];
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly bytesDiscarded: number;
  readonly bytesNotSent: number;
  /** The retained stderr as text (head, omission marker, tail), terminal-safe; the raw bytes
   * are in the shell's `stderr.snapshot()`. */
  readonly stderrTail: string;
  readonly stderrOmitted: number;
  /** The message's first line alone: what happened, without stderr. */
  readonly shortMessage: string;
  /** How many times the remote shell was started: 1, or more when `retry` tried again (the
   * error, its stderr and its counts are those of the last attempt). */
  readonly attempts: number;
  /** For host-key-unknown and host-key-changed: the refused key as ssh reported it (type, the
   * offered key's SHA256 fingerprint, the file and line of the conflicting entry; null where ssh
   * did not say), terminal-safe. null for other reasons. */
  readonly hostKey: Readonly<HostKeyReport> | null;
  /** Through jump hosts (`jump`, or -J or ProxyJump in the argv), which hop a failure of ssh's
   * own belongs to: the 0-based index of the jump host, or the number of jump hosts for the
   * target. A jump host that could not connect onward (`channel 0: open failed`) makes it the hop
   * after that one. null without jump hosts, or where ssh's lines do not tell. */
  readonly hop: number | null;
  /** For a connection that was never established, through OpenSSH: what `ssh -G` (same words,
   * options and target; no network) says ssh's configuration made of it. null otherwise. */
  readonly sshConfig: Readonly<SshConfig> | null = null;

  constructor(code: RemoteShellErrorCode, shortMessage: string, details: RemoteShellErrorDetails = {}) {
    const first = safeLine(shortMessage);
    const lines = (details.stderrLines ?? []).map(safeLine);
    super([first, ...lines].join('\n'), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RemoteShellError';
    this.code = code;
    this.reason = details.reason ?? REASON_OF_CODE[code];
    this.hint = details.hint ?? null;
    this.tellingLines = Object.freeze((details.tellingLines ?? []).map(safeLine));
    this.shortMessage = first;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
    this.argv = Object.freeze([...(details.argv ?? [])]);
    this.bytesReceived = details.bytesReceived ?? 0;
    this.bytesSent = details.bytesSent ?? 0;
    this.bytesDiscarded = details.bytesDiscarded ?? 0;
    this.bytesNotSent = details.bytesNotSent ?? 0;
    this.stderrTail = terminalSafe(details.stderrTail ?? '');
    this.stderrOmitted = details.stderrOmitted ?? 0;
    this.attempts = details.attempts ?? 1;
    this.hostKey = details.hostKey ? Object.freeze({ ...details.hostKey }) : null;
    this.hop = details.hop ?? null;
  }

  /** Whether the connection was never established (refused, unresolved, timed out, closed
   * before or during authentication, host key or algorithms refused): nothing reached the
   * remote command, so trying again cannot have repeated any of its work. */
  get neverConnected(): boolean {
    return NEVER_CONNECTED.has(this.reason) && this.bytesReceived === 0;
  }
}

/** Adds what ssh -G said to an error before it is given out; `mapping` goes after the hint. */
export function addSshConfig(error: RemoteShellError, config: SshConfig, mapping: string | null): void {
  const settable = error as { sshConfig: Readonly<SshConfig> | null; hint: string | null };
  settable.sshConfig = Object.freeze({
    ...config,
    ...(config.identityfile ? { identityfile: Object.freeze([...config.identityfile]) } : {}),
  });
  if (mapping !== null) settable.hint = settable.hint === null ? mapping : `${settable.hint} ${mapping}`;
}
