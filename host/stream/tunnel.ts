// The protocol stream: one Duplex over the child's stdin (writes) and stdout (reads), with
// back-pressure both ways and nothing lost or reordered. Its two sides are kept apart, as they
// fail apart: StdinSide (stdin-side.ts) numbers and confirms the writes, StdoutSide
// (stdout-side.ts) reads and counts the child's output; this class is the Duplex that joins them.
//
// As the child's stdin and stdout do in Node's child_process, the sides fail independently. A
// write the child can no longer take (it closed its stdin, or exited) fails that write and
// every later one with ERR_STREAM_CLOSED, through its callback; the Duplex itself is not
// errored, so the readable side goes on to its 'end' with every byte the child wrote. (Node's
// Writable errors the whole Duplex when a write fails, which is why `write` and `end` are taken
// over here: the failure goes to the write's callback and nowhere else.)
//
// What happens to stdout after the child exits is RemoteShell's policy (host/lifecycle/); this
// class gives it the means: whether a reader was ever attached, whether everything the child
// wrote before its exit has been read, discarding output for a consumer that never read, and
// ending it for a writer that outlives the child.

import { Duplex, type Readable, type Writable } from 'node:stream';
import type { ByteCounts, RemoteShellError } from '../errors.js';
import { StdinSide, type Callback } from './stdin-side.js';
import { StdoutSide } from './stdout-side.js';

export interface TunnelHooks {
  /** The ERR_STREAM_CLOSED error of a write the child can no longer take (see errors.ts); asked
   * for whenever a write fails, so it may say more as the run goes on. */
  closedError(cause: Error | undefined): RemoteShellError;
  /** Bytes waiting in the kernel to be read from an fd (FIONREAD); undefined where that cannot
   * be known (no addon). */
  pendingBytes?(fd: number): number | undefined;
  /** The caller used the stream for the first time (a write, end() or destroy()). */
  touched?(): void;
  /** The first byte came back from the child. */
  firstByte?(): void;
}

const noop = (): void => {};

function streamError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The bytes a chunk given to write() will be. */
export function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, (encoding as BufferEncoding | undefined) ?? 'utf8');
  return (chunk as { byteLength?: number } | null)?.byteLength ?? 0;
}

export class Tunnel extends Duplex {
  readonly #input: StdinSide;
  readonly #output: StdoutSide;
  // Told when the caller first uses the stream (see TunnelHooks.touched).
  readonly #onTouched: () => void;
  #touched = false;
  // A consumer called read() itself (one of the signs of a reader: see hasReader).
  #readCalled = false;

  /** `unattached`: there is no child yet; writes wait for attach() (or fail at closeInput()). */
  constructor(stdin: Writable | null, stdout: Readable | null, hooks: TunnelHooks, unattached = false) {
    super({ allowHalfOpen: true, autoDestroy: false, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.#onTouched = hooks.touched ?? noop;
    this.#input = new StdinSide(hooks.closedError, unattached);
    this.#output = new StdoutSide(
      {
        push: (chunk) => this.push(chunk),
        destroy: (err) => this.destroy(err),
        resume: () => this.resume(),
        isDestroyed: () => this.destroyed,
        isTouched: () => this.#touched,
        firstByte: () => hooks.firstByte?.(),
      },
      (fd) => hooks.pendingBytes?.(fd),
    );
    if (!unattached) {
      this.#output.adopt(stdout);
      this.#input.adopt(stdin);
    }
  }

  /** The child of an unattached stream has started: what waited goes to its stdin, in order. */
  attach(stdin: Writable | null, stdout: Readable | null): void {
    if (!this.#input.unattached) throw new Error('the stream already has its child');
    this.#output.adopt(stdout);
    this.#input.attach(stdin);
  }

  // ---- trying the connection again (see RetryDecision) ----

  /** The stdout side as a retry decision sees it: whether anything crossed the stream
   * (untouchedState), and reading on to stdout's end where the kernel cannot say (readToEnd). */
  get retryView(): Pick<StdoutSide, 'untouchedState' | 'readToEnd'> {
    return this.#output;
  }

  /** While on, the end of the child's stdout is held back: the connection may be tried again. */
  holdEnd(on: boolean): void {
    this.#output.holdEnd(on);
  }

  /** Goes on with a new child's sockets, the last child's being let go (nothing crossed them). */
  reattach(stdin: Writable | null, stdout: Readable | null): void {
    this.#input.replace(stdin);
    this.#output.replace(stdout);
  }

  #touch(): void {
    if (this.#touched) return;
    this.#touched = true;
    // Whatever was held back for a retry now goes on as it is.
    this.#onTouched();
    this.holdEnd(false);
  }

  /** Grows whenever a protocol byte moves, either way (see StallWatchdog). */
  get moved(): number {
    return this.#input.progress + this.#output.received;
  }

  /** What crossed the stream so far. */
  get counts(): ByteCounts {
    const { received, discarded } = this.#output;
    return { bytesReceived: received, bytesSent: this.#input.sent, bytesDiscarded: discarded, bytesNotSent: this.#input.notSent };
  }

  /** The caller waits on the child: writes the kernel has not taken yet (unless the caller
   * itself leaves the child's output unread, which may be what keeps the child from reading), or
   * a reader that wants more (flowing, or reading with room in the buffer). Never before a child
   * is attached. */
  get waitingOnChild(): boolean {
    if (this.#input.unattached || this.destroyed) return false;
    if ((this.#input.unconfirmed || this.writableLength > 0) && !this.#output.heldByConsumer) return true;
    if (this.readableEnded) return false;
    return this.readableFlowing === true || (this.listenerCount('readable') > 0 && this.readableLength < this.readableHighWaterMark);
  }

  // ---- the readable side ----

  /** Whether a consumer ever attached: read(), 'data', 'readable', pipe(), pause() or resume(). */
  get hasReader(): boolean {
    return this.#readCalled || this.readableFlowing !== null || this.listenerCount('data') > 0 || this.listenerCount('readable') > 0;
  }

  /** The child's stdout reached its end (or will not be read further). */
  get outputEnded(): boolean {
    return this.#output.ended;
  }

  /** The child has exited: everything it wrote is in this stream, the socket or the kernel by
   * now, and is counted as the output to deliver before a lingering writer may be cut off. */
  childExited(): void {
    this.#output.childExited();
  }

  /** Everything the child wrote before it exited has been read from the socket (some of it may
   * still wait in this stream for the consumer, and comes before 'end'). Where the kernel could
   * not say how much that is: more than the kernel can hold has come since, or the consumer has
   * wanted more for `quietMs` and nothing came (a socket that is read takes what the kernel
   * holds at once). */
  childOutputIn(quietMs: number): boolean {
    return this.#output.childOutputIn(quietMs);
  }

  /** Output is being read and dropped for a consumer that never attached a reader. */
  get discarding(): boolean {
    return this.#output.discarding;
  }

  /** For a consumer that never attached a reader: what is buffered and whatever comes until
   * the end is read and dropped, as Node's child_process does for unread stdio at exit. */
  discardOutput(): void {
    if (this.#output.discarding || this.readableEnded || this.destroyed) return;
    this.#output.discard(this.readableLength);
  }

  /** Stops reading stdout (a writer outlives the child): the readable side ends after what it
   * already holds. */
  endOutput(): void {
    this.#output.stopReading();
  }

  /** Gives up on the consumer: what it has not read is dropped and the stream destroyed. */
  abandonOutput(): void {
    this.destroy();
  }

  /** Everything is over (the child is gone, the readable side done): the sockets go, and the
   * stream closes once its writable side is ended too (writes fail with ERR_STREAM_CLOSED and
   * end() finishes at once until then). */
  release(): void {
    this.closeInput();
    this.#output.release();
    if (this.destroyed) return;
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  override read(size?: number): unknown {
    // read(0) is how the stream machinery refills itself; any other call is a consumer's.
    if (size !== 0) this.#readCalled = true;
    return super.read(size);
  }

  override _read(): void {
    this.#output.wanted();
  }

  // ---- the writable side ----

  /**
   * The child can take no more input (it exited, or its stdin failed with `cause`): the write in
   * progress and every later one fail with ERR_STREAM_CLOSED, and end() finishes at once.
   */
  closeInput(cause?: Error): void {
    this.#input.close(cause);
  }

  override write(chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    this.#touch();
    if (this.writableEnded || this.destroyed) {
      const err =
        (this.#input.closed ? this.#input.error() : undefined) ??
        (this.destroyed
          ? streamError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
          : streamError('ERR_STREAM_WRITE_AFTER_END', 'write after end'));
      this.#input.refused(byteLength(chunk, encoding));
      if (callback) process.nextTick(callback, err);
      return false;
    }
    const seq = this.#input.take();
    try {
      return super.write(chunk, encoding as BufferEncoding, this.#input.callbackFor(seq, byteLength(chunk, encoding), callback ?? noop));
    } catch (err) {
      this.#input.untake(); // an invalid chunk, refused before it was taken
      throw err;
    }
  }

  override end(chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): this {
    this.#touch();
    if (typeof chunk === 'function') {
      callback = chunk as Callback;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    // Through write(), so that the last chunk is numbered like the others.
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding as BufferEncoding | undefined);
    if (this.destroyed && !this.writableEnded) {
      // Node's Writable would keep this callback for a 'finish' that never comes.
      if (callback) process.nextTick(callback, streamError('ERR_STREAM_DESTROYED', 'Cannot call end after a stream was destroyed'));
      return this;
    }
    return super.end(callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: Callback): void {
    this.#input.start(chunk, done);
  }

  override _final(callback: Callback): void {
    this.#input.final(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#touch();
    this.#output.destroyed(this.readableLength);
    this.#input.close();
    callback(err);
  }
}
