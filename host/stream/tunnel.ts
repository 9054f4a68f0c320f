// The protocol stream: one Duplex over the child's stdin (writes) and stdout (reads), with
// back-pressure both ways and nothing lost or reordered. A write the child can no longer take
// (it exited, or closed its stdin) fails with ERR_STREAM_CLOSED instead of an EPIPE, and that
// failure does not destroy the readable side: the child's last stdout bytes still arrive. The
// stream closes itself once both sides are done.

import { Duplex, type Readable, type Writable } from 'node:stream';
import { RemoteShellError } from '../errors.js';

export interface TunnelHooks {
  /** Describes the child for error messages ("ssh exited with code 255"), if it has ended. */
  describeExit(): string | undefined;
  argv: readonly string[];
}

export class Tunnel extends Duplex {
  #bytesReceived = 0;
  #bytesSent = 0;
  #stdin: Writable;
  #stdout: Readable;
  #hooks: TunnelHooks;
  #pendingWrite: ((err?: Error | null) => void) | undefined;

  constructor(stdin: Writable, stdout: Readable, hooks: TunnelHooks) {
    super({ allowHalfOpen: true, autoDestroy: false, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#hooks = hooks;

    stdout.on('data', (chunk: Buffer) => {
      this.#bytesReceived += chunk.length;
      if (!this.push(chunk)) stdout.pause();
    });
    stdout.once('end', () => this.push(null));
    stdout.on('error', (err) => this.destroy(err));
    stdout.pause();

    stdin.on('drain', () => this.#release());
    stdin.on('error', (err) => this.#release(this.#closedError(err)));
    stdin.on('close', () => this.#maybeClose());
    this.on('end', () => this.#maybeClose());
    this.on('finish', () => this.#maybeClose());
  }

  #maybeClose(): void {
    if (this.destroyed || !this.readableEnded) return;
    if (this.writableFinished || this.#stdin.destroyed || this.errored !== null) this.destroy();
  }

  /** Protocol bytes read from the child's stdout so far. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Bytes handed to the child's stdin so far. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** The child's stdout reached its end, or will not be read further. */
  endReadable(): void {
    if (!this.readableEnded) this.push(null);
    this.#stdout.destroy();
  }

  override _read(): void {
    this.#stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#stdin.destroyed || this.#stdin.writableEnded) {
      callback(this.#closedError());
      queueMicrotask(() => this.#maybeClose());
      return;
    }
    this.#bytesSent += chunk.length;
    if (this.#stdin.write(chunk)) callback();
    else this.#pendingWrite = callback;
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.#stdin.destroyed || this.#stdin.writableEnded) {
      callback();
      return;
    }
    this.#stdin.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.#pendingWrite) this.#release(err ?? this.#closedError());
    this.#stdout.destroy();
    this.#stdin.destroy();
    callback(err);
  }

  #release(err?: Error): void {
    const pending = this.#pendingWrite;
    this.#pendingWrite = undefined;
    pending?.(err ?? null);
  }

  #closedError(cause?: Error): RemoteShellError {
    const exit = this.#hooks.describeExit();
    const why = cause && (cause as NodeJS.ErrnoException).code ? ` (${(cause as NodeJS.ErrnoException).code})` : '';
    return new RemoteShellError('ERR_STREAM_CLOSED',
      `cannot write to the remote shell: its stdin is closed${why}${exit ? `; ${exit}` : ''}`,
      { argv: this.#hooks.argv, bytesReceived: this.#bytesReceived, cause });
  }
}
