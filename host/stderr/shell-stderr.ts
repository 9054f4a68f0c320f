// The stderr side of one remote shell: the capture (a slot of a shared core instance), the
// forwarder the `stderr` option chose, the channel whose write end becomes the child's fd 2,
// and the idle flush that forwards an unfinished line (a prompt) after a quiet moment.
//
//   const stderr = ShellStderr.open(settings, binding);   // throws, leaving nothing behind
//   spawn(cmd, args, { stdio: [in, out, stderr.childFd] });
//   stderr.spawned();                  // or stderr.close() when the spawn failed
//   child.on('exit', () => stderr.childExited(drainMs));
//   await stderr.ended;                // every byte the child wrote is in the capture
//   stderr.finish();                   // last line out, slot returned; snapshot() stays

import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { EndpointOptions, NativeBinding, EndpointBackend } from '../native/binding.js';
import { StderrCapture } from '../core/capture.js';
import type { Snapshot } from '../core/snapshot.js';
import type { CaptureGeometry } from '../core/pool.js';
import { FrameTee } from '../core/frames.js';
import { OverwrittenSegments } from '../diagnosis/overwritten.js';
import { StderrChannel } from './channel.js';
import { CallbackForwarder, NoForwarder, type Forwarder, type SanitizeOption, type StderrOption } from './forwarder.js';
import { WritableForwarder } from './writable-forwarder.js';

export interface RemoteShellStderrStats {
  /** The stderr endpoint in use. */
  backend: EndpointBackend | null;
  /** Why a socketpair was wanted and a pipe was made; null when nothing fell back. */
  fallbackReason: string | null;
  /** The endpoint's kernel buffer in bytes. */
  kernelBufferSize: number;
  bytesSeen: number;
  bytesDropped: number;
  bytesForwarded: number;
  /** Bytes a slow stderr sink could not take and that were skipped. */
  bytesNotForwarded: number;
}

export interface RemoteShellStderr {
  /** The retained head and tail of the remote shell's stderr as a terminal shows them. */
  snapshot(): Snapshot;
  readonly stats: RemoteShellStderrStats;
}

export interface ShellStderrSettings {
  readonly stderr: StderrOption;
  readonly sanitize: SanitizeOption;
  readonly capture: Readonly<CaptureGeometry>;
  readonly idleFlushMs: number;
}

export class ShellStderr implements RemoteShellStderr {
  /** Settles once the channel stopped reading (EOF, drain deadline, or close()). */
  readonly ended: Promise<unknown>;

  readonly #capture: StderrCapture;
  readonly #forwarder: Forwarder;
  readonly #overwritten = new OverwrittenSegments();
  readonly #channel: StderrChannel;
  readonly #idleFlushMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  #finished = false;

  /** Takes a capture slot and makes the endpoint; on failure releases both and throws. */
  static open(settings: ShellStderrSettings, binding: NativeBinding, injectFailure?: EndpointOptions['injectFailure']): ShellStderr {
    const capture = new StderrCapture(settings.capture);
    try {
      return new ShellStderr(capture, settings, binding, injectFailure);
    } catch (err) {
      capture.close();
      throw err;
    }
  }

  private constructor(
    capture: StderrCapture,
    settings: ShellStderrSettings,
    binding: NativeBinding,
    injectFailure?: EndpointOptions['injectFailure'],
  ) {
    this.#capture = capture;
    this.#forwarder = makeForwarder(settings.stderr, capture.stagingArea, settings.sanitize);
    capture.setFrameConsumer(new FrameTee([this.#overwritten, this.#forwarder]));
    this.#idleFlushMs = settings.idleFlushMs;
    this.#channel = new StderrChannel(capture, { binding, injectFailure, onBatch: () => this.#armIdleFlush() });
    this.ended = this.#channel.ended;
  }

  /** What to give the child as its fd 2: an fd, or 'pipe' without the addon. */
  get childFd(): number | 'pipe' {
    return this.#channel.childFd;
  }

  /** Segments a lone CR let the next one overwrite, for the diagnosis of a failure. */
  get overwritten(): readonly string[] {
    return this.#overwritten.segments;
  }

  /** Whether the user sees stderr live (an error then repeats only its last line). */
  get live(): boolean {
    return this.#forwarder.live;
  }

  /** The child runs: our copy of its end is closed and the drain starts. */
  spawned(child: ChildProcess): void {
    this.#channel.spawned(child);
  }

  /** The child has exited: read what is left for at most `drainTimeoutMs` (see StderrChannel). */
  childExited(drainTimeoutMs: number): void {
    this.#channel.finish(drainTimeoutMs);
  }

  /** Stops reading at once and closes both fds (the spawn failed). */
  close(): void {
    this.#channel.close();
  }

  /** Flushes the last line to the forwarder, reports what it skipped, and returns the capture's
   * slot; the snapshot and stats keep their last values. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#channel.close();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (!this.#capture.closed) this.#capture.end();
    this.#forwarder.finish();
    this.#capture.close();
  }

  snapshot(): Snapshot {
    return this.#capture.snapshot();
  }

  get stats(): RemoteShellStderrStats {
    const info = this.#channel.info;
    return {
      backend: info.backend,
      fallbackReason: info.fallbackReason,
      kernelBufferSize: info.kernelBufferSize,
      ...this.#capture.stats,
      ...this.#forwarder.stats,
    };
  }

  #armIdleFlush(): void {
    if (this.#idleTimer) {
      this.#idleTimer.refresh();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      if (!this.#finished) this.#capture.flush();
    }, this.#idleFlushMs);
    this.#idleTimer.unref();
  }
}

/** The stderr of a remote shell that never ran: nothing seen, nothing to say. */
export const NO_STDERR: RemoteShellStderr = Object.freeze({
  snapshot: (): Snapshot => ({
    text: '',
    head: '',
    tail: '',
    omittedBytes: 0,
    bytesSeen: 0,
    headBytes: new Uint8Array(0),
    tailBytes: new Uint8Array(0),
  }),
  stats: Object.freeze({
    backend: null,
    fallbackReason: null,
    kernelBufferSize: 0,
    bytesSeen: 0,
    bytesDropped: 0,
    bytesForwarded: 0,
    bytesNotForwarded: 0,
  }),
});

function sanitizes(sink: Writable, sanitize: SanitizeOption): boolean {
  return sanitize === 'auto' ? (sink as Partial<{ isTTY: boolean }>).isTTY === true : sanitize;
}

/** The forwarder of a checked `stderr` option (see checkShellOptions). */
function makeForwarder(option: StderrOption, staging: { offset: number; size: number }, sanitize: SanitizeOption = 'auto'): Forwarder {
  if (option === 'capture') return new NoForwarder();
  if (typeof option === 'function') return new CallbackForwarder(option, sanitize !== false);
  const sink = option === 'forward' ? process.stderr : option;
  return new WritableForwarder(sink, staging, { sanitize: sanitizes(sink, sanitize) });
}
