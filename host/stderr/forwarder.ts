// Forwarding stderr as it arrives: whole lines, in order, to a Writable (writable-forwarder.ts)
// or to a callback, or nowhere (the capture alone). A Forwarder is what consumes a capture's
// frames: the `stderr` option decides which one (makeForwarder, in shell-stderr.ts).

import type { Writable } from 'node:stream';
import { forEachLine, kindName, TERMINATOR_LENGTH, type FrameConsumer, type FrameRound, type StderrLineKind } from '../core/frames.js';
import { decode } from '../core/snapshot.js';
import { terminalSafe } from '../terminal-safe.js';

export interface ForwardedLineInfo {
  /** 'line' ended by LF or CRLF; 'progress' ended by a lone CR (the next replaces it); 'cut'
   * and 'partial' are pieces of a longer or unfinished line that goes on in the next call. */
  kind: StderrLineKind;
  /** The line's bytes as received, without the terminator. */
  bytes: Uint8Array;
}

/** `line` is terminal-safe unless `sanitize: false`; `info.bytes` are always as received. */
export type StderrLineCallback = (line: string, info: ForwardedLineInfo) => void;

/**
 * Whether forwarded stderr is made terminal-safe: control characters other than newline and tab
 * shown visibly (`^[`), SGR colour sequences let through (and reset at the end of their line),
 * lone-CR progress meters kept working.
 * `'auto'` (the default): for a sink that is a terminal (`isTTY === true`, as `process.stderr`
 * usually is) and for a callback's text; a Writable that is not a terminal gets the bytes
 * exactly as received.
 */
export type SanitizeOption = boolean | 'auto';

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

/** Sends each line, decoded, to a callback; an LF run becomes one call per line. */
export class CallbackForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = true;

  readonly #callback: StderrLineCallback;
  readonly #sanitize: boolean;

  constructor(callback: StderrLineCallback, sanitize = true) {
    this.#callback = callback;
    this.#sanitize = sanitize;
  }

  finish(): void {}

  consume(round: FrameRound): void {
    forEachLine(round, (start, end, kind) => {
      this.stats.bytesForwarded += end - start + TERMINATOR_LENGTH[kind];
      this.#call(round.memory.slice(start, end), kindName(kind));
    });
  }

  #call(bytes: Uint8Array, kind: StderrLineKind): void {
    const text = decode(bytes);
    this.#callback(this.#sanitize ? terminalSafe(text) : text, { kind, bytes });
  }
}

/** Keeps the snapshot only. */
export class NoForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = false;
  consume(): void {}
  finish(): void {}
}
