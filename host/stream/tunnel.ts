// The protocol stream: one Duplex over the child's stdin (writes) and stdout (reads), with
// back-pressure both ways and nothing lost or reordered.
//
// The two sides fail independently, as the child's stdin and stdout do in Node's
// child_process. A write the child can no longer take (it closed its stdin, or exited) fails
// that write and every later one with ERR_STREAM_CLOSED, through its callback; the Duplex
// itself is not errored, so the readable side goes on to its 'end' with every byte the child
// wrote. (Node's Writable errors the whole Duplex when a write fails, which is why `write` and
// `end` are taken over here: the failure goes to the write's callback and nowhere else.)
//
// What happens to stdout after the child exits is RemoteShell's policy; this class gives it
// the means: whether a reader was ever attached, whether everything the child wrote before its
// exit has been read, discarding output for a consumer that never read, and ending it for a
// writer that outlives the child.

import { Duplex, type Readable, type Writable } from 'node:stream';
import type { ByteCounts, RemoteShellError } from '../errors.js';

export interface TunnelHooks {
  /** The ERR_STREAM_CLOSED error of a write the child can no longer take (see errors.ts); asked
   * for whenever a write fails, so it may say more as the run goes on. */
  closedError(cause: Error | undefined): RemoteShellError;
  /** Bytes waiting in the kernel to be read from an fd (FIONREAD); undefined where that cannot
   * be known (no addon). */
  pendingBytes?(fd: number): number | undefined;
  /** The caller used the stream for the first time (a write, end() or destroy()). */
  touched?(): void;
}

type Callback = (err?: Error | null) => void;

// More than a pipe (Linux: pipe-max-size, 1 MiB) or an AF_UNIX socket (its sender's buffer, at
// most twice net.core.wmem_max, some 416 KiB) holds: what the child wrote before its exit, and
// that the kernel still held, is in once this much more has been read.
const KERNEL_BUFFER_BOUND = 8 * 1024 * 1024;

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
  readonly #hooks: TunnelHooks;

  // The child's stdout and the readable side.
  #stdout: Readable | null;
  #received = 0;
  #discarded = 0;
  #discarding = false;
  #outputEnded = false;
  #readCalled = false;
  // Bytes received once everything the child wrote before its exit is in: set at the exit.
  #childOutputEnd = Infinity;
  // Where the kernel cannot say: what the child wrote is in once this much has been received.
  #childOutputBound = Infinity;
  // When the last chunk came, and since when the consumer has wanted more (childOutputIn).
  #lastReceived = 0;
  #quietSince = Infinity;

  // The child's stdin and the writable side. Writes are numbered as write() takes them and as
  // _write starts them (the same order). The next chunk goes to the socket as soon as it takes
  // the last one, so that the kernel always has something to send; a caller's callback waits
  // until the kernel has the chunk's bytes (the socket's own callback, in order), or they failed.
  // Once the input has failed, every write from #failedFrom on has failed.
  #stdin: Writable | null;
  #inputClosed = false;
  // A connection that may be tried again (RemoteShell's retry): the end of stdout waits for the
  // decision; whether the caller has used the stream at all.
  #holdEnd = false;
  #endHeld = false;
  #touched = false;
  #endRead: (() => void) | undefined;
  // readToEnd found nothing in the kernel (this child's stdout was read, and stayed quiet).
  #readQuietly = false;
  // The consumer asked for data (_read) and has not been given more than it wants since.
  #readWanted = false;
  #inputCause: Error | undefined;
  readonly #inFlight = new Map<number, number>(); // seq -> bytes, handed to the socket
  readonly #waiting = new Map<number, Callback>(); // seq -> the caller's callback, until confirmed
  #confirmedBelow = 0;
  #awaitingDrain: Callback | undefined;
  #pendingFinal: Callback | undefined;
  // No child yet (its start waits for a shared connection): the one write the stream has
  // started and its end wait here, and everything after them in the stream's own buffer.
  #unattached = false;
  #parked: { seq: number; chunk: Buffer; done: Callback } | undefined;
  #parkedFinal: Callback | undefined;
  #writesTaken = 0;
  #writesStarted = 0;
  #failedFrom = Infinity;
  #sent = 0;
  #notSent = 0;

  /** `unattached`: there is no child yet; writes wait for attach() (or fail at closeInput()). */
  constructor(stdin: Writable | null, stdout: Readable | null, hooks: TunnelHooks, unattached = false) {
    super({ allowHalfOpen: true, autoDestroy: false, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.#hooks = hooks;
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#unattached = unattached;
    if (!unattached) this.#wire(stdin, stdout);
  }

  /** The child of an unattached stream has started: what waited goes to its stdin, in order. */
  attach(stdin: Writable | null, stdout: Readable | null): void {
    if (!this.#unattached) throw new Error('the stream already has its child');
    this.#unattached = false;
    this.#adopt(stdin, stdout);
    const parked = this.#parked;
    this.#parked = undefined;
    if (parked) this.#writeToChild(parked.seq, parked.chunk, parked.done);
    const final = this.#parkedFinal;
    this.#parkedFinal = undefined;
    if (final) this._final(final);
  }

  // Listens to one child's sockets; a socket of an earlier attempt that is let go says no more.
  #wire(stdin: Writable | null, stdout: Readable | null): void {
    if (stdout) {
      stdout.on('data', (chunk: Buffer) => {
        if (stdout !== this.#stdout) return;
        this.#received += chunk.length;
        this.#lastReceived = performance.now();
        if (this.#discarding) this.#discarded += chunk.length;
        else if (!this.push(chunk)) {
          this.#readWanted = false;
          stdout.pause();
        }
      });
      stdout.once('end', () => {
        if (stdout !== this.#stdout) return;
        // EOF was read: nothing of this child waits in the kernel any more.
        if (this.#holdEnd && !this.#touched && this.#received === 0 && !this.destroyed) this.#endHeld = true;
        else this.#endOfOutput();
        this.#endRead?.();
      });
      stdout.on('error', (err) => {
        if (stdout === this.#stdout) this.destroy(err);
      });
      stdout.pause();
    } else {
      this.#endOfOutput();
    }

    if (stdin) {
      stdin.on('error', (err) => {
        if (stdin === this.#stdin) this.closeInput(err);
      });
      stdin.on('drain', () => {
        if (stdin !== this.#stdin) return;
        const drained = this.#awaitingDrain;
        this.#awaitingDrain = undefined;
        drained?.();
      });
    } else {
      this.closeInput();
    }
  }

  // ---- trying the connection again (see RemoteShell's retry) ----

  /** 'yes' when the caller has neither written nor ended the stream, and nothing came back: not
   * read, nor waiting in the socket, nor in the kernel; 'unknown' where the kernel cannot be
   * asked and stdout's end is not yet read (see readToEnd). */
  get untouchedState(): 'yes' | 'no' | 'unknown' {
    if (this.#touched || this.#received > 0 || this.destroyed) return 'no';
    const stdout = this.#stdout;
    if (!stdout || this.#endHeld) return 'yes';
    if (stdout.readableLength > 0) return 'no';
    const inKernel = this.#inKernel(stdout);
    if (Number.isNaN(inKernel)) return this.#readQuietly ? 'yes' : 'unknown';
    return inKernel === 0 ? 'yes' : 'no';
  }

  /** Where the kernel cannot be asked what waits in it: reads the child's stdout on (what comes
   * stays in this stream for the consumer) and resolves once its end was read, or after `ms` of
   * quiet, which says the kernel held nothing (a writer that outlives the child may hold the end). */
  readToEnd(ms: number): Promise<void> {
    const stdout = this.#stdout;
    if (!stdout || this.#endHeld || this.#outputEnded || !Number.isNaN(this.#inKernel(stdout))) return Promise.resolve();
    stdout.resume();
    return new Promise((resolve) => {
      // A socket that is read takes at once what the kernel holds: quiet for `ms` means empty.
      const timer = setTimeout(
        () => {
          this.#readQuietly = this.#received === 0 && stdout.readableLength === 0;
          this.#endRead = undefined;
          resolve();
        },
        Math.max(ms, 20),
      );
      this.#endRead = () => {
        clearTimeout(timer);
        this.#endRead = undefined;
        resolve();
      };
    });
  }

  // Bytes the child wrote that wait in the kernel for the socket to read; NaN where unknown.
  #inKernel(stdout: Readable): number {
    const fd = (stdout as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return 0;
    return this.#hooks.pendingBytes?.(fd) ?? Number.NaN;
  }

  #touch(): void {
    if (this.#touched) return;
    this.#touched = true;
    // Whatever was held back for a retry now goes on as it is.
    this.#hooks.touched?.();
    this.holdEnd(false);
  }

  /** While on, the end of the child's stdout is held back: the connection may be tried again. */
  holdEnd(on: boolean): void {
    this.#holdEnd = on;
    if (!on && this.#endHeld) {
      this.#endHeld = false;
      this.#endOfOutput();
    }
  }

  /** Goes on with a new child's sockets, the last child's being let go (nothing crossed them). */
  reattach(stdin: Writable | null, stdout: Readable | null): void {
    for (const socket of [this.#stdin, this.#stdout]) socket?.destroy();
    this.#endHeld = false;
    this.#readQuietly = false;
    this.#adopt(stdin, stdout);
  }

  // A child's sockets become the stream's, read at once if the consumer is waiting for data.
  #adopt(stdin: Writable | null, stdout: Readable | null): void {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#wire(stdin, stdout);
    if (this.#readWanted || this.#discarding) stdout?.resume();
  }

  /** What crossed the stream so far. */
  get counts(): ByteCounts {
    return { bytesReceived: this.#received, bytesSent: this.#sent, bytesDiscarded: this.#discarded, bytesNotSent: this.#notSent };
  }

  // ---- the readable side ----

  /** Whether a consumer ever attached: read(), 'data', 'readable', pipe(), pause() or resume(). */
  get hasReader(): boolean {
    return this.#readCalled || this.readableFlowing !== null || this.listenerCount('data') > 0 || this.listenerCount('readable') > 0;
  }

  /** The child's stdout reached its end (or will not be read further). */
  get outputEnded(): boolean {
    return this.#outputEnded;
  }

  /** The child has exited: everything it wrote is in this stream, the socket or the kernel by
   * now, and is counted as the output to deliver before a lingering writer may be cut off. */
  childExited(): void {
    const stdout = this.#stdout;
    if (!stdout || stdout.destroyed || this.#outputEnded) return;
    // NaN where the kernel cannot be asked: see childOutputIn.
    this.#childOutputEnd = this.#received + stdout.readableLength + this.#inKernel(stdout);
    this.#childOutputBound = this.#received + stdout.readableLength + KERNEL_BUFFER_BOUND;
  }

  /** Everything the child wrote before it exited has been read from the socket (some of it may
   * still wait in this stream for the consumer, and comes before 'end'). Where the kernel could
   * not say how much that is: more than the kernel can hold has come since, or the consumer has
   * wanted more for `quietMs` and nothing came (a socket that is read takes what the kernel
   * holds at once). */
  childOutputIn(quietMs: number): boolean {
    if (!Number.isNaN(this.#childOutputEnd)) return this.#received >= this.#childOutputEnd;
    // More than the kernel can hold has come since the exit: the rest is a lingering writer's.
    if (this.#received >= this.#childOutputBound) return true;
    if (!this.#readWanted || (this.#stdout?.readableLength ?? 0) > 0) {
      this.#quietSince = Infinity;
      return false;
    }
    const now = performance.now();
    this.#quietSince = Math.min(this.#quietSince, now);
    return now - Math.max(this.#quietSince, this.#lastReceived) >= quietMs;
  }

  /** Output is being read and dropped for a consumer that never attached a reader. */
  get discarding(): boolean {
    return this.#discarding;
  }

  /** For a consumer that never attached a reader: what is buffered and whatever comes until
   * the end is read and dropped, as Node's child_process does for unread stdio at exit. */
  discardOutput(): void {
    if (this.#discarding || this.readableEnded || this.destroyed) return;
    this.#discarding = true;
    this.#discarded += this.readableLength;
    this.resume();
    this.#stdout?.resume();
  }

  /** Stops reading stdout (a writer outlives the child): the readable side ends after what it
   * already holds. */
  endOutput(): void {
    this.#endOfOutput();
    this.#stdout?.destroy();
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
    this.#stdout?.destroy();
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
    this.#readWanted = true;
    this.#stdout?.resume();
  }

  #endOfOutput(): void {
    if (this.#outputEnded) return;
    this.#outputEnded = true;
    if (!this.destroyed) this.push(null);
  }

  // ---- the writable side ----

  /**
   * The child can take no more input (it exited, or its stdin failed with `cause`): the write in
   * progress and every later one fail with ERR_STREAM_CLOSED, and end() finishes at once.
   */
  closeInput(cause?: Error): void {
    if (this.#inputClosed) return;
    this.#inputClosed = true;
    this.#inputCause = cause;
    this.#unattached = false;
    const parked = this.#parked;
    this.#parked = undefined;
    if (parked) {
      this.#fail(parked.seq, parked.chunk.length);
      parked.done();
    }
    const parkedFinal = this.#parkedFinal;
    this.#parkedFinal = undefined;
    parkedFinal?.();
    // What the socket had not yet confirmed is lost with it.
    for (const [seq, size] of this.#inFlight) this.#fail(seq, size);
    this.#inFlight.clear();
    for (const [seq, user] of this.#waiting) user(seq >= this.#failedFrom ? this.#inputError() : null);
    this.#waiting.clear();
    const drained = this.#awaitingDrain;
    this.#awaitingDrain = undefined;
    drained?.();
    const final = this.#pendingFinal;
    this.#pendingFinal = undefined;
    final?.();
    this.#stdin?.destroy();
  }

  override write(chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    this.#touch();
    if (this.writableEnded || this.destroyed) {
      const err =
        (this.#inputClosed ? this.#inputError() : undefined) ??
        (this.destroyed
          ? streamError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
          : streamError('ERR_STREAM_WRITE_AFTER_END', 'write after end'));
      this.#notSent += byteLength(chunk, encoding);
      if (callback) process.nextTick(callback, err);
      return false;
    }
    const seq = this.#writesTaken++;
    const user = callback ?? noop;
    const size = byteLength(chunk, encoding);
    try {
      return super.write(chunk, encoding as BufferEncoding, (err?: Error | null) => {
        if (err) {
          // Failed by the stream itself (still buffered when it was destroyed): never sent.
          this.#notSent += size;
          user(err);
        } else if (seq >= this.#failedFrom) user(this.#inputError());
        else if (seq < this.#confirmedBelow) user(null);
        else this.#waiting.set(seq, user);
      });
    } catch (err) {
      this.#writesTaken--; // an invalid chunk, refused before it was taken
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
    const seq = this.#writesStarted++;
    if (this.#unattached) this.#parked = { seq, chunk, done };
    else this.#writeToChild(seq, chunk, done);
  }

  #writeToChild(seq: number, chunk: Buffer, done: Callback): void {
    const stdin = this.#stdin;
    if (this.#inputClosed || !stdin) {
      this.#fail(seq, chunk.length);
      done();
      return;
    }
    this.#inFlight.set(seq, chunk.length);
    const taken = stdin.write(chunk, (err) => this.#written(seq, err));
    if (taken) done();
    else this.#awaitingDrain = done;
  }

  // The socket's callback for a chunk: the kernel has it, or it failed. They come in order.
  #written(seq: number, err: Error | null | undefined): void {
    const size = this.#inFlight.get(seq);
    if (size === undefined) return; // already failed by closeInput()
    this.#inFlight.delete(seq);
    if (err) {
      this.#fail(seq, size);
      this.closeInput(err);
      return;
    }
    this.#sent += size;
    this.#confirmedBelow = seq + 1;
    const user = this.#waiting.get(seq);
    if (user) {
      this.#waiting.delete(seq);
      user(null);
    }
  }

  override _final(callback: Callback): void {
    if (this.#unattached) {
      this.#parkedFinal = callback;
      return;
    }
    const stdin = this.#stdin;
    if (this.#inputClosed || !stdin) {
      callback();
      return;
    }
    this.#pendingFinal = callback;
    stdin.end(() => {
      const final = this.#pendingFinal;
      this.#pendingFinal = undefined;
      final?.();
    });
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#touch();
    // What the consumer had not read is dropped with the stream, and what the socket had read
    // from the child but not yet handed on: received, then discarded.
    const inSocket = this.#stdout && !this.#stdout.destroyed ? this.#stdout.readableLength : 0;
    this.#received += inSocket;
    this.#discarded += this.readableLength + inSocket;
    this.#outputEnded = true;
    this.closeInput();
    this.#stdout?.destroy();
    callback(err);
  }

  #fail(seq: number, size: number): void {
    this.#failedFrom = Math.min(this.#failedFrom, seq);
    this.#notSent += size;
  }

  // Asked for each time a write fails, not made once when the input closed: the error says why
  // the child failed, which is known better once it has exited and its stderr is drained.
  #inputError(): RemoteShellError {
    return this.#hooks.closedError(this.#inputCause);
  }
}
