// RemoteShellError: every failure of a transport, with the facts as fields and a message that
// puts them in a fixed order: what happened first, then the child's last stderr lines.
//
//   connection unexpectedly closed (0 bytes received so far): ssh exited with code 255
//   ssh: connect to host 127.0.0.1 port 1: Connection refused

export type RemoteShellErrorCode =
  | 'ERR_REMOTE_SHELL_EXIT'
  | 'ERR_REMOTE_SHELL_SIGNAL'
  | 'ERR_SPAWN'
  | 'ERR_INVALID_RSH'
  | 'ERR_INVALID_HOST'
  | 'ERR_INVALID_COMMAND'
  | 'ERR_ABORTED'
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
  /** Lines of stderr to show under the first line of the message (already bounded). */
  stderrLines?: readonly string[];
  cause?: unknown;
}

export class RemoteShellError extends Error implements ByteCounts {
  readonly code: RemoteShellErrorCode;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly argv: readonly string[];
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly bytesDiscarded: number;
  readonly bytesNotSent: number;
  readonly stderrTail: string;
  readonly stderrOmitted: number;
  /** The message's first line alone: what happened, without stderr. */
  readonly shortMessage: string;

  constructor(code: RemoteShellErrorCode, shortMessage: string, details: RemoteShellErrorDetails = {}) {
    const lines = details.stderrLines ?? [];
    super([shortMessage, ...lines].join('\n'), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RemoteShellError';
    this.code = code;
    this.shortMessage = shortMessage;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
    this.argv = Object.freeze([...(details.argv ?? [])]);
    this.bytesReceived = details.bytesReceived ?? 0;
    this.bytesSent = details.bytesSent ?? 0;
    this.bytesDiscarded = details.bytesDiscarded ?? 0;
    this.bytesNotSent = details.bytesNotSent ?? 0;
    this.stderrTail = details.stderrTail ?? '';
    this.stderrOmitted = details.stderrOmitted ?? 0;
  }
}

/** How much of the stderr tail a message carries; the whole snapshot is in `stderrTail`. */
export const MESSAGE_TAIL_LINES = 20;
export const MESSAGE_TAIL_BYTES = 2048;

/**
 * The last lines of a snapshot text for a message: at most `maxLines` non-empty lines and about
 * `maxBytes` characters, with a marker when earlier stderr is left out (unless `marked` is false).
 */
export function tailForMessage(
  text: string, omittedBytes: number, maxLines = MESSAGE_TAIL_LINES, maxBytes = MESSAGE_TAIL_BYTES, marked = true,
): string[] {
  const all = text.split('\n').filter((line) => line.trim() !== '');
  const kept: string[] = [];
  let size = 0;
  for (let i = all.length - 1; i >= 0 && kept.length < maxLines; i--) {
    const line = all[i].length > maxBytes ? `...${all[i].slice(-maxBytes)}` : all[i];
    if (kept.length > 0 && size + line.length > maxBytes) break;
    kept.unshift(line);
    size += line.length + 1;
  }
  const left = all.length - kept.length;
  if (marked && (left > 0 || omittedBytes > 0)) {
    const what = [left > 0 ? `${left} earlier ${left === 1 ? 'line' : 'lines'}` : '', omittedBytes > 0 ? `${omittedBytes} bytes` : '']
      .filter(Boolean).join(' and ');
    kept.unshift(`[... ${what} of stderr not shown ...]`);
  }
  return kept;
}
