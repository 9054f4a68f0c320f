// The command's protocol bytes through Node, for --stall-timeout only: a stall is seen only where
// the bytes are seen moving, and the zero-copy way hands the caller's fds to the remote shell.
// Everything else stays as with ssh: the caller's EOF on stdout comes when the command exits
// (after the remote shell's status is known), its EOF on stdin ends the remote shell's stdin,
// and a reader that goes (| head) closes the remote shell's stdout, which ssh then sees as its
// own EPIPE.

import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface Carried {
  /** Resolves once every byte the remote shell sent was handed to the caller's stdout (or that
   * stdout failed); the command exits only then, which closes it. */
  flushed(): Promise<void>;
}

/** Pipes the caller's stdin into `stream` and `stream` into the caller's stdout. */
export function carry(stream: Readable & Writable): Carried {
  const output = callerStdout();
  let failed = false;
  output.on('error', () => {
    failed = true;
    // As ssh's own stdout would: the remote shell finds its stdout closed.
    stream.destroy();
  });
  // Never ended: the caller's EOF is the command's exit.
  stream.pipe(output, { end: false });
  process.stdin.on('error', () => stream.end());
  process.stdin.pipe(stream);
  return {
    async flushed() {
      // Every byte read from the remote shell has gone to the output...
      await finished(stream, { writable: false }).catch(() => {});
      // ...and out of its buffer. Not 'drain': it comes only after a write that returned false,
      // and the last bytes may wait below the high-water mark. An empty write's callback runs
      // once every write before it completed (or failed).
      if (failed || output.writableLength === 0 || output.destroyed) return;
      await new Promise((resolve) => {
        output.write(Buffer.alloc(0), resolve);
        output.once('close', resolve);
      });
    },
  };
}

// Node writes to a pipe or socket on stdout synchronously, which would hold the event loop (the
// stderr pump, the watchdog) while the caller does not read; a socket of our own writes
// asynchronously. A file or terminal is written as Node does.
function callerStdout(): Writable {
  const stat = fstatSync(1);
  if (stat.isFIFO() || stat.isSocket()) return new Socket({ fd: 1, readable: false, writable: true });
  return process.stdout;
}
