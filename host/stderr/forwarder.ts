// Forwarding stderr as it arrives: whole lines, in order, to a Writable (process.stderr by
// default) or to a callback. The drain never waits for the sink: what a slow Writable cannot
// take beyond a bound is counted and reported by a marker line, not buffered without end.
//
// A Forwarder is what consumes a capture's frames: the `stderr` option decides which one.

import type { Writable } from 'node:stream';
import {
  forEachLine, framePtr, frameWord, wordKind, wordLength, kindName, TERMINATORS, TERMINATOR_LENGTH,
  type FrameConsumer, type FrameRound, type StderrLineKind,
} from '../core/frames.js';
import { decode } from '../core/snapshot.js';

export interface ForwardedLineInfo {
  /** 'line' ended by LF or CRLF; 'progress' ended by a lone CR (the next replaces it); 'cut'
   * and 'partial' are pieces of a longer or unfinished line that goes on in the next call. */
  kind: StderrLineKind;
  /** The line's bytes as received, without the terminator. */
  bytes: Uint8Array;
}

export type StderrLineCallback = (line: string, info: ForwardedLineInfo) => void;

export interface ForwardStats {
  /** Bytes handed to the sink. */
  bytesForwarded: number;
  /** Bytes a slow Writable could not take (beyond maxBufferedBytes) and that were skipped. */
  bytesNotForwarded: number;
}

/** 'forward' (to process.stderr), 'capture' (snapshot only), a Writable, or a line callback. */
export type StderrOption = 'forward' | 'capture' | Writable | StderrLineCallback;

/** Takes a capture's frames to wherever the `stderr` option says. */
export interface Forwarder extends FrameConsumer {
  readonly stats: ForwardStats;
  /** Whether the user sees the lines live (errors then repeat only the last one). */
  readonly live: boolean;
  /** The stream has ended: say what could not be forwarded. */
  finish(): void;
}

/** The forwarder of a checked `stderr` option (see checkShellOptions). */
export function makeForwarder(option: StderrOption, staging: { offset: number; size: number }): Forwarder {
  if (option === 'forward') return new WritableForwarder(process.stderr, staging);
  if (option === 'capture') return new NoForwarder();
  if (typeof option === 'function') return new CallbackForwarder(option);
  return new WritableForwarder(option, staging);
}

/** What a Writable sink may hold unwritten before further lines are skipped (and counted). */
export const DEFAULT_MAX_BUFFERED = 1024 * 1024;

const encoder = new TextEncoder();
const TERMINATOR_BYTES = TERMINATORS.map((t) => encoder.encode(t));

// Whether a sink has failed (EPIPE on a closed stderr): forwarding to it ends, not the transfer.
// One listener per sink, however many transports share it (process.stderr is shared by all).
const failedSinks = new WeakSet<Writable>();
const watchedSinks = new WeakSet<Writable>();

function watchSink(sink: Writable): void {
  if (watchedSinks.has(sink)) return;
  watchedSinks.add(sink);
  sink.once('error', () => failedSinks.add(sink));
}

/** Sends frames to a Writable as bytes, faithfully: each round costs one write per contiguous run. */
export class WritableForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = true;
  #skipped = 0;

  constructor(
    private readonly sink: Writable,
    private readonly staging: { offset: number; size: number },
    private readonly maxBuffered = DEFAULT_MAX_BUFFERED,
  ) {
    watchSink(sink);
  }

  get #broken(): boolean {
    return failedSinks.has(this.sink) || this.sink.destroyed || this.sink.writableEnded;
  }

  consume(round: FrameRound): void {
    const chunks: Uint8Array[] = [];
    let runStart = -1;
    let runEnd = -1;
    const stagingEnd = this.staging.offset + this.staging.size;
    for (let i = 0; i < round.count; i++) {
      const ptr = framePtr(round, i);
      const word = frameWord(round, i);
      const kind = wordKind(word);
      const len = wordLength(word);
      if (ptr >= this.staging.offset && ptr < stagingEnd) {
        // In the staging area the terminator follows the content, and the next frame follows it.
        const end = ptr + len + TERMINATOR_LENGTH[kind];
        if (ptr === runEnd) {
          runEnd = end;
        } else {
          if (runStart >= 0) chunks.push(round.memory.slice(runStart, runEnd));
          runStart = ptr;
          runEnd = end;
        }
      } else {
        // A line completed from a carry buffer: its terminator lies elsewhere.
        if (runStart >= 0) chunks.push(round.memory.slice(runStart, runEnd));
        runStart = runEnd = -1;
        chunks.push(round.memory.slice(ptr, ptr + len), TERMINATOR_BYTES[kind]);
      }
    }
    if (runStart >= 0) chunks.push(round.memory.slice(runStart, runEnd));
    this.#send(chunks);
  }

  /** The stream has ended: report what was skipped since the last line that got through. */
  finish(): void {
    if (!this.#broken) this.#reportSkipped();
  }

  #reportSkipped(): void {
    if (this.#skipped === 0) return;
    this.sink.write(`[rsh-transport: ${this.#skipped} bytes of stderr not forwarded: the output was too slow]\n`);
    this.#skipped = 0;
  }

  #send(chunks: Uint8Array[]): void {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    if (size === 0) return;
    if (this.#broken) {
      this.stats.bytesNotForwarded += size;
      return;
    }
    if (this.sink.writableLength > this.maxBuffered) {
      this.#skipped += size;
      this.stats.bytesNotForwarded += size;
      return;
    }
    this.#reportSkipped();
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    this.sink.write(data);
    this.stats.bytesForwarded += size;
  }
}

/** Sends each line, decoded, to a callback; an LF run becomes one call per line. */
export class CallbackForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = true;

  constructor(private readonly callback: StderrLineCallback) {}

  finish(): void {}

  consume(round: FrameRound): void {
    forEachLine(round, (start, end, kind) => {
      this.stats.bytesForwarded += end - start + TERMINATOR_LENGTH[kind];
      this.#call(round.memory.slice(start, end), kindName(kind));
    });
  }

  #call(bytes: Uint8Array, kind: StderrLineKind): void {
    this.callback(decode(bytes), { kind, bytes });
  }
}

/** Keeps the snapshot only. */
export class NoForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = false;
  consume(): void {}
  finish(): void {}
}
