// The protocol stream of a remote shell that never ran: every write fails (and is counted as
// not sent), and the stream is destroyed with the error once that is known.

import { Duplex } from 'node:stream';
import type { RemoteShellError } from '../errors.js';
import { byteLength } from './tunnel.js';

export class FailedStream extends Duplex {
  bytesNotSent = 0;

  readonly #error: Promise<RemoteShellError>;

  constructor(error: Promise<RemoteShellError>) {
    super({ read() {} });
    this.#error = error;
    error.then((err) => this.destroy(err));
  }

  // Counted as they come, before the error is known and the run settles.
  override write(
    chunk: unknown,
    encoding?: BufferEncoding | ((err?: Error | null) => void),
    callback?: (err?: Error | null) => void,
  ): boolean {
    this.bytesNotSent += byteLength(chunk, typeof encoding === 'string' ? encoding : undefined);
    return super.write(chunk, encoding as BufferEncoding, callback);
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      this.bytesNotSent += byteLength(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    return super.end(chunk as never, encoding as never, callback as never);
  }

  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    void this.#error.then(callback);
  }
}
