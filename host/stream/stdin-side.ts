// The writable side of the protocol stream: the child's stdin. Writes are numbered as the
// stream takes them (take) and as it starts them (start; the same order). The next chunk goes
// to the socket as soon as it takes the last one, so that the kernel always has something to
// send; a caller's callback waits until the kernel has the chunk's bytes (the socket's own
// callback, in order), or they failed. Once the input has failed, every write from the first
// that failed on has failed, with the error closedError gives at that moment.

import type { Writable } from 'node:stream';
import type { RemoteShellError } from '../errors.js';

// A write to the child goes in pieces of at most this many bytes.
const PIECE = 64 * 1024;

export type Callback = (err?: Error | null) => void;

export class StdinSide {
  // The ERR_STREAM_CLOSED error of a failed write (see TunnelHooks.closedError).
  readonly #closedError: (cause: Error | undefined) => RemoteShellError;
  #stdin: Writable | null = null;
  // Set once the child can take no more input, with why when its stdin failed.
  #closed: { cause: Error | undefined } | undefined;
  // seq -> bytes handed to the socket, not yet confirmed.
  readonly #inFlight = new Map<number, number>();
  // seq -> the caller's callback, until the socket confirms the chunk.
  readonly #unconfirmed = new Map<number, Callback>();
  // The stream's callback for a chunk the socket would not take at once, and for its end.
  #awaitingDrain: Callback | undefined;
  // The stream's callback for a chunk whose pieces are still being written.
  #piecing: Callback | undefined;
  #pendingFinal: Callback | undefined;
  // No child yet (its start waits for a shared connection): the one write the stream has
  // started and its end wait here, and everything after them in the stream's own buffer.
  #parked: { write?: { seq: number; chunk: Buffer; done: Callback }; final?: Callback } | undefined;
  // The numbering: taken by write(), started by _write(), confirmed below, failed from.
  readonly #seq = { taken: 0, started: 0, confirmedBelow: 0, failedFrom: Infinity };
  // Bytes confirmed by whole chunks; not sent; and of the pieces of a chunk still in flight.
  readonly #counts = { sent: 0, notSent: 0, pieces: 0 };

  /** `unattached`: there is no child yet; writes wait for attach() (or fail at close()). */
  constructor(closedError: (cause: Error | undefined) => RemoteShellError, unattached: boolean) {
    this.#closedError = closedError;
    if (unattached) this.#parked = {};
  }

  get sent(): number {
    return this.#counts.sent;
  }

  /** Grows whenever the child takes bytes, pieces of a large write included. */
  get progress(): number {
    return this.#counts.sent + this.#counts.pieces;
  }

  get notSent(): number {
    return this.#counts.notSent;
  }

  /** Counts bytes the stream refused outright (a write after end or destroy). */
  refused(size: number): void {
    this.#counts.notSent += size;
  }

  /** Writes the kernel has not taken yet (waiting on the child). */
  get unconfirmed(): boolean {
    return this.#unconfirmed.size > 0;
  }

  /** No child yet: writes wait for attach(). */
  get unattached(): boolean {
    return this.#parked !== undefined;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** The error of a write that fails now: asked for each time, not made once when the input
   * closed, since it says why the child failed, which is known better once it has exited and
   * its stderr is drained. */
  error(): RemoteShellError {
    return this.#closedError(this.#closed?.cause);
  }

  /** A child's stdin becomes the stream's. */
  adopt(stdin: Writable | null): void {
    this.#stdin = stdin;
    if (!stdin) {
      this.close();
      return;
    }
    stdin.on('error', (err) => {
      if (stdin === this.#stdin) this.close(err);
    });
    stdin.on('drain', () => {
      if (stdin !== this.#stdin) return;
      const drained = this.#awaitingDrain;
      this.#awaitingDrain = undefined;
      drained?.();
    });
  }

  /** The child of an unattached stream has started: what waited goes to its stdin, in order. */
  attach(stdin: Writable | null): void {
    const parked = this.#parked;
    if (!parked) throw new Error('the stream already has its child');
    this.#parked = undefined;
    this.adopt(stdin);
    if (parked.write) this.#writeToChild(parked.write.seq, parked.write.chunk, parked.write.done);
    if (parked.final) this.final(parked.final);
  }

  /** Goes on with a new child's stdin, the last child's let go (nothing crossed it). */
  replace(stdin: Writable | null): void {
    this.#stdin?.destroy();
    this.adopt(stdin);
  }

  /** write() takes a chunk: its number. */
  take(): number {
    return this.#seq.taken++;
  }

  /** A chunk the stream refused before taking it (invalid): its number is given back. */
  untake(): void {
    this.#seq.taken--;
  }

  /** The stream's callback for chunk `seq`: the caller's `user` is called once the socket has
   * confirmed it, or it failed. */
  callbackFor(seq: number, size: number, user: Callback): Callback {
    return (err) => {
      if (err) {
        // Failed by the stream itself (still buffered when it was destroyed): never sent.
        this.#counts.notSent += size;
        user(err);
      } else if (seq >= this.#seq.failedFrom) user(this.error());
      else if (seq < this.#seq.confirmedBelow) user(null);
      else this.#unconfirmed.set(seq, user);
    };
  }

  /** The stream's _write. */
  start(chunk: Buffer, done: Callback): void {
    const seq = this.#seq.started++;
    if (this.#parked) this.#parked.write = { seq, chunk, done };
    else this.#writeToChild(seq, chunk, done);
  }

  #writeToChild(seq: number, chunk: Buffer, done: Callback): void {
    const stdin = this.#stdin;
    if (this.#closed || !stdin) {
      this.#fail(seq, chunk.length);
      done();
      return;
    }
    this.#inFlight.set(seq, chunk.length);
    this.#writePiece(stdin, seq, chunk, 0, done);
  }

  // A large chunk goes to the child in pieces, each once the last is through, so that its
  // progress shows as the child takes it (the stall watchdog's measure; one write of the whole
  // would call back only at its end). The chunk is confirmed with its last piece.
  #writePiece(stdin: Writable, seq: number, chunk: Buffer, at: number, done: Callback): void {
    const piece = chunk.subarray(at, at + PIECE);
    if (at + PIECE >= chunk.length) {
      this.#piecing = undefined;
      const taken = stdin.write(piece, (err) => this.#written(seq, err));
      if (taken) done();
      else this.#awaitingDrain = done;
      return;
    }
    this.#piecing = done;
    stdin.write(piece, (err) => {
      // Failed, or failed meanwhile by close() (which called the stream back).
      if (err || !this.#inFlight.has(seq) || stdin !== this.#stdin) {
        this.#written(seq, err ?? this.error());
        return;
      }
      this.#counts.pieces += piece.length;
      this.#writePiece(stdin, seq, chunk, at + PIECE, done);
    });
  }

  // The socket's callback for a chunk: the kernel has it, or it failed. They come in order.
  #written(seq: number, err: Error | null | undefined): void {
    const size = this.#inFlight.get(seq);
    if (size === undefined) return; // already failed by close()
    this.#inFlight.delete(seq);
    if (err) {
      this.#fail(seq, size);
      this.close(err);
      return;
    }
    this.#counts.sent += size;
    this.#seq.confirmedBelow = seq + 1;
    const user = this.#unconfirmed.get(seq);
    if (user) {
      this.#unconfirmed.delete(seq);
      user(null);
    }
  }

  /** The stream's _final: the child's stdin is ended once what was written is through. */
  final(callback: Callback): void {
    if (this.#parked) {
      this.#parked.final = callback;
      return;
    }
    const stdin = this.#stdin;
    if (this.#closed || !stdin) {
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

  /**
   * The child can take no more input (it exited, or its stdin failed with `cause`): the write in
   * progress and every later one fail with ERR_STREAM_CLOSED, and the end finishes at once.
   */
  close(cause?: Error): void {
    if (this.#closed) return;
    this.#closed = { cause };
    const parked = this.#parked;
    this.#parked = undefined;
    if (parked?.write) {
      this.#fail(parked.write.seq, parked.write.chunk.length);
      parked.write.done();
    }
    parked?.final?.();
    // What the socket had not yet confirmed is lost with it.
    for (const [seq, size] of this.#inFlight) this.#fail(seq, size);
    this.#inFlight.clear();
    for (const [seq, user] of this.#unconfirmed) user(seq >= this.#seq.failedFrom ? this.error() : null);
    this.#unconfirmed.clear();
    const drained = this.#awaitingDrain ?? this.#piecing;
    this.#awaitingDrain = undefined;
    this.#piecing = undefined;
    drained?.();
    const final = this.#pendingFinal;
    this.#pendingFinal = undefined;
    final?.();
    this.#stdin?.destroy();
  }

  #fail(seq: number, size: number): void {
    this.#seq.failedFrom = Math.min(this.#seq.failedFrom, seq);
    this.#counts.notSent += size;
  }
}
