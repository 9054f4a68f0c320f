// The readable side of the protocol stream: the child's stdout, pushed into the stream with
// back-pressure, counted, and what RemoteShell's policies need to know about it: whether
// everything the child wrote before its exit has come (childOutputIn), discarding for a consumer
// that never read, and, for a retry, whether anything came back at all (untouchedState).

import type { Readable } from 'node:stream';

/** The stream this side pushes into (the Tunnel). */
export interface OutputTarget {
  push(chunk: Buffer | null): boolean;
  destroy(err?: Error): void;
  resume(): void;
  isDestroyed(): boolean;
  /** The caller has written, ended or destroyed the stream. */
  isTouched(): boolean;
  /** The first byte came back from a child: the session is up. */
  firstByte(): void;
}

// More than a pipe (Linux: pipe-max-size, 1 MiB) or an AF_UNIX socket (its sender's buffer, at
// most twice net.core.wmem_max, some 416 KiB) holds: what the child wrote before its exit, and
// that the kernel still held, is in once this much more has been read.
const KERNEL_BUFFER_BOUND = 8 * 1024 * 1024;

export class StdoutSide {
  readonly #target: OutputTarget;
  // Bytes waiting in the kernel to be read from an fd (FIONREAD); undefined where unknown.
  readonly #pendingBytes: (fd: number) => number | undefined;
  #stdout: Readable | null = null;
  #received = 0;
  #discarded = 0;
  #discarding = false;
  #ended = false;
  // The consumer asked for data (_read) and has not been given more than it wants since.
  #readWanted = false;
  // Set at the exit: received once everything the child wrote is in (NaN where the kernel cannot
  // say), or, failing that, once more than the kernel can hold came; and the times
  // childOutputIn looks at (the last chunk; since when the consumer has wanted more).
  readonly #afterExit = { end: Infinity, bound: Infinity, lastReceived: 0, quietSince: Infinity };
  // A connection that may be tried again: stdout's end held back (`held` once it came), and
  // whether readToEnd found the kernel empty.
  readonly #retry = { holdEnd: false, held: false, readQuietly: false, endRead: undefined as (() => void) | undefined };

  constructor(target: OutputTarget, pendingBytes: (fd: number) => number | undefined) {
    this.#target = target;
    this.#pendingBytes = pendingBytes;
  }

  get received(): number {
    return this.#received;
  }

  get discarded(): number {
    return this.#discarded;
  }

  /** A child's stdout becomes the stream's, read at once if the consumer is waiting for data. */
  adopt(stdout: Readable | null): void {
    this.#stdout = stdout;
    this.#wire(stdout);
    if (this.#readWanted || this.#discarding) stdout?.resume();
  }

  /** Goes on with a new child's stdout, the last child's let go (nothing crossed it). */
  replace(stdout: Readable | null): void {
    this.#stdout?.destroy();
    this.#retry.held = false;
    this.#retry.readQuietly = false;
    this.adopt(stdout);
  }

  // Listens to one child's stdout; one of an earlier attempt that was let go says no more.
  #wire(stdout: Readable | null): void {
    if (!stdout) {
      this.end();
      return;
    }
    const target = this.#target;
    stdout.on('data', (chunk: Buffer) => {
      if (stdout !== this.#stdout) return;
      if (this.#received === 0) target.firstByte();
      this.#received += chunk.length;
      this.#afterExit.lastReceived = performance.now();
      if (this.#discarding) this.#discarded += chunk.length;
      else if (!target.push(chunk)) {
        this.#readWanted = false;
        stdout.pause();
      }
    });
    stdout.once('end', () => {
      if (stdout !== this.#stdout) return;
      // EOF was read: nothing of this child waits in the kernel any more.
      if (this.#retry.holdEnd && !target.isTouched() && this.#received === 0 && !target.isDestroyed()) this.#retry.held = true;
      else this.end();
      this.#retry.endRead?.();
    });
    stdout.on('error', (err) => {
      if (stdout === this.#stdout) target.destroy(err);
    });
    stdout.pause();
  }

  /** The consumer leaves the child's output unread: it has not asked for more, and output the
   * child wrote waits in the kernel. A child that cannot write on may stop reading its input:
   * the consumer's doing, not the child's stall. Where the kernel cannot say (no addon,
   * Windows), false: a child that hangs must still be found. */
  get heldByConsumer(): boolean {
    const stdout = this.#stdout;
    if (!stdout || this.#ended || this.#readWanted || this.#discarding) return false;
    const fd = (stdout as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return false;
    return (this.#pendingBytes(fd) ?? 0) > 0;
  }

  /** The consumer wants data (the stream's _read). */
  wanted(): void {
    this.#readWanted = true;
    this.#stdout?.resume();
  }

  /** The child's stdout reached its end (or will not be read further): the stream's end follows
   * what it already holds. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#target.isDestroyed()) this.#target.push(null);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Stops reading stdout (a writer outlives the child). */
  stopReading(): void {
    this.end();
    this.#stdout?.destroy();
  }

  /** The stream is destroyed: what the consumer had not read is dropped with it, and what the
   * socket had read from the child but not yet handed on: received, then discarded. */
  destroyed(unread: number): void {
    const stdout = this.#stdout;
    const inSocket = stdout && !stdout.destroyed ? stdout.readableLength : 0;
    this.#received += inSocket;
    this.#discarded += unread + inSocket;
    this.#ended = true;
    stdout?.destroy();
  }

  /** Everything is over: the socket goes. */
  release(): void {
    this.#stdout?.destroy();
  }

  // ---- after the child's exit ----

  /** The child has exited: what it wrote is in the stream, the socket or the kernel (see Tunnel.childExited). */
  childExited(): void {
    const stdout = this.#stdout;
    if (!stdout || stdout.destroyed || this.#ended) return;
    // NaN where the kernel cannot be asked: see childOutputIn.
    this.#afterExit.end = this.#received + stdout.readableLength + this.#inKernel(stdout);
    this.#afterExit.bound = this.#received + stdout.readableLength + KERNEL_BUFFER_BOUND;
  }

  /** Everything the child wrote before its exit has been read (see Tunnel.childOutputIn). */
  childOutputIn(quietMs: number): boolean {
    const afterExit = this.#afterExit;
    if (!Number.isNaN(afterExit.end)) return this.#received >= afterExit.end;
    // More than the kernel can hold has come since the exit: the rest is a lingering writer's.
    if (this.#received >= afterExit.bound) return true;
    if (!this.#readWanted || (this.#stdout?.readableLength ?? 0) > 0) {
      afterExit.quietSince = Infinity;
      return false;
    }
    const now = performance.now();
    afterExit.quietSince = Math.min(afterExit.quietSince, now);
    return now - Math.max(afterExit.quietSince, afterExit.lastReceived) >= quietMs;
  }

  get discarding(): boolean {
    return this.#discarding;
  }

  /** Reads and drops what comes from now on (see Tunnel.discardOutput); `buffered`, what the
   * stream already holds, is counted as discarded with it. */
  discard(buffered: number): void {
    this.#discarding = true;
    this.#discarded += buffered;
    this.#target.resume();
    this.#stdout?.resume();
  }

  // ---- trying the connection again ----

  /** 'yes' when the caller has neither written nor ended the stream, and nothing came back: not
   * read, nor waiting in the socket, nor in the kernel; 'unknown' where the kernel cannot be
   * asked and stdout's end is not yet read (see readToEnd). */
  get untouchedState(): 'yes' | 'no' | 'unknown' {
    if (this.#target.isTouched() || this.#received > 0 || this.#target.isDestroyed()) return 'no';
    const stdout = this.#stdout;
    if (!stdout || this.#retry.held) return 'yes';
    if (stdout.readableLength > 0) return 'no';
    const inKernel = this.#inKernel(stdout);
    if (Number.isNaN(inKernel)) return this.#retry.readQuietly ? 'yes' : 'unknown';
    return inKernel === 0 ? 'yes' : 'no';
  }

  /** Where the kernel cannot be asked what waits in it: reads the child's stdout on (what comes
   * stays in the stream for the consumer) and resolves once its end was read, or after `ms` of
   * quiet, which says the kernel held nothing (a writer that outlives the child may hold the end). */
  readToEnd(ms: number): Promise<void> {
    const stdout = this.#stdout;
    const retry = this.#retry;
    if (!stdout || retry.held || this.#ended || !Number.isNaN(this.#inKernel(stdout))) return Promise.resolve();
    stdout.resume();
    return new Promise((resolve) => {
      // A socket that is read takes at once what the kernel holds: quiet for `ms` means empty.
      const timer = setTimeout(
        () => {
          retry.readQuietly = this.#received === 0 && stdout.readableLength === 0;
          retry.endRead = undefined;
          resolve();
        },
        Math.max(ms, 20),
      );
      retry.endRead = () => {
        clearTimeout(timer);
        retry.endRead = undefined;
        resolve();
      };
    });
  }

  /** While on, the end of the child's stdout is held back: the connection may be tried again. */
  holdEnd(on: boolean): void {
    this.#retry.holdEnd = on;
    if (!on && this.#retry.held) {
      this.#retry.held = false;
      this.end();
    }
  }

  // Bytes the child wrote that wait in the kernel for the socket to read; NaN where unknown.
  #inKernel(stdout: Readable): number {
    const fd = (stdout as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return 0;
    return this.#pendingBytes(fd) ?? Number.NaN;
  }
}
