// Forwarding stderr lines to a Writable (process.stderr by default) as they arrive, in order.
// The drain never waits for the sink: what a slow Writable cannot take beyond a bound is counted
// and reported by a marker line, not buffered without end.

import { WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { framePtr, frameWord, wordKind, wordLength, TERMINATORS, TERMINATOR_LENGTH, type FrameRound } from '../core/frames.js';
import { decode } from '../core/snapshot.js';
import { forTerminal } from '../terminal-safe.js';
import type { Forwarder, ForwardStats } from './forwarder.js';

/** What a Writable sink may hold unwritten before further lines are skipped (and counted). */
const DEFAULT_MAX_BUFFERED = 1024 * 1024;

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

// Buffers for the bytes of a round on their way to a sink. The staging area is overwritten by
// the next batch, so what a sink is given must be a copy; copying a 512 MiB flood into fresh
// buffers costs a garbage collection every 32 MiB or so. Sinks known to let go of a chunk once
// its write has completed (fs and net streams, process.stderr and stdout) get buffers that come
// back to this pool when their write's callback fires. Any other Writable may keep what it is
// given (an array of chunks, say), so it gets fresh copies.
const SLAB_SIZE = 256 * 1024;
const SLAB_MIN_USE = 32 * 1024; // smaller rounds take a small copy, not a slab in flight
const MAX_FREE_SLABS = 8;
const freeSlabs: Buffer[] = [];

function takeSlab(): Buffer {
  return freeSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB_SIZE);
}

function giveSlab(slab: Buffer): void {
  if (freeSlabs.length < MAX_FREE_SLABS) freeSlabs.push(slab);
}

function letsGoOfChunks(sink: Writable): boolean {
  return sink instanceof WriteStream || sink instanceof Socket || sink === process.stderr || sink === process.stdout;
}

export interface WritableForwarderOptions {
  /** Beyond this many unwritten bytes in the sink, lines are skipped (and counted). */
  maxBuffered?: number;
  /** Make each line terminal-safe, colours allowed (for a terminal). */
  sanitize?: boolean;
}

/** Sends frames to a Writable: as bytes, faithfully, one write per round with its runs joined;
 * or, for a terminal, as terminal-safe text. */
export class WritableForwarder implements Forwarder {
  readonly stats: ForwardStats = { bytesForwarded: 0, bytesNotForwarded: 0 };
  readonly live = true;
  #skipped = 0;
  readonly #reuse: boolean;
  readonly #sanitize: boolean;
  readonly #maxBuffered: number;
  // The pieces of the current round, as [start, end) pairs in the instance's memory; a
  // terminator that lies elsewhere (after a line completed from a carry buffer) is -1 - kind.
  #pieces = new Int32Array(64);
  #count = 0;

  readonly #sink: Writable;
  // The capture's staging area: a line that lies in it is copied before the write keeps it.
  readonly #staging: { offset: number; size: number };

  constructor(sink: Writable, staging: { offset: number; size: number }, options: WritableForwarderOptions = {}) {
    this.#sink = sink;
    this.#staging = staging;
    watchSink(sink);
    this.#reuse = letsGoOfChunks(sink);
    this.#sanitize = options.sanitize === true;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  }

  get #broken(): boolean {
    return failedSinks.has(this.#sink) || this.#sink.destroyed || this.#sink.writableEnded;
  }

  consume(round: FrameRound): void {
    if (this.#sanitize) {
      this.#consumeAsText(round);
      return;
    }
    this.#count = 0;
    let size = 0;
    let runStart = -1;
    let runEnd = -1;
    const stagingEnd = this.#staging.offset + this.#staging.size;
    for (let i = 0; i < round.count; i++) {
      const ptr = framePtr(round, i);
      const word = frameWord(round, i);
      const kind = wordKind(word);
      const len = wordLength(word);
      if (ptr >= this.#staging.offset && ptr < stagingEnd) {
        // In the staging area the terminator follows the content, and the next frame follows it.
        const end = ptr + len + TERMINATOR_LENGTH[kind];
        if (ptr === runEnd) {
          runEnd = end;
        } else {
          if (runStart >= 0) size += this.#piece(runStart, runEnd);
          runStart = ptr;
          runEnd = end;
        }
      } else {
        // A line completed from a carry buffer: its terminator lies elsewhere.
        if (runStart >= 0) size += this.#piece(runStart, runEnd);
        runStart = runEnd = -1;
        size += this.#piece(ptr, ptr + len) + this.#piece(-1 - kind, 0);
      }
    }
    if (runStart >= 0) size += this.#piece(runStart, runEnd);
    this.#send(round.memory, size);
  }

  // A terminal is read by a person, not at memory speed: each frame is decoded and made safe.
  // A frame never splits a UTF-8 sequence, and a CR ends a frame, so meters keep working; a
  // frame that set colours is followed by a reset, before its terminator.
  #consumeAsText(round: FrameRound): void {
    let size = 0;
    for (let i = 0; i < round.count; i++) {
      const word = frameWord(round, i);
      size += wordLength(word) + TERMINATOR_LENGTH[wordKind(word)];
    }
    if (size === 0 || !this.#admit(size)) return;
    let text = '';
    for (let i = 0; i < round.count; i++) {
      const ptr = framePtr(round, i);
      const word = frameWord(round, i);
      text += forTerminal(decode(round.memory.subarray(ptr, ptr + wordLength(word)))) + TERMINATORS[wordKind(word)];
    }
    this.#sink.write(text);
    this.stats.bytesForwarded += size;
  }

  /** The stream has ended: report what was skipped since the last line that got through. */
  finish(): void {
    if (!this.#broken) this.#reportSkipped();
  }

  #piece(start: number, end: number): number {
    if (this.#count + 2 > this.#pieces.length) {
      const grown = new Int32Array(this.#pieces.length * 2);
      grown.set(this.#pieces);
      this.#pieces = grown;
    }
    this.#pieces[this.#count++] = start;
    this.#pieces[this.#count++] = end;
    return start >= 0 ? end - start : TERMINATOR_LENGTH[-1 - start];
  }

  #reportSkipped(): void {
    if (this.#skipped === 0) return;
    this.#sink.write(`[rsh-transport: ${this.#skipped} bytes of stderr not forwarded: the output was too slow]\n`);
    this.#skipped = 0;
  }

  // Whether `size` bytes may go to the sink now: not when it failed, nor when it holds too much
  // already (they are counted as skipped); the skipped ones are reported first.
  #admit(size: number): boolean {
    if (this.#broken) {
      this.stats.bytesNotForwarded += size;
      return false;
    }
    if (this.#sink.writableLength > this.#maxBuffered) {
      this.#skipped += size;
      this.stats.bytesNotForwarded += size;
      return false;
    }
    this.#reportSkipped();
    return true;
  }

  #send(memory: Uint8Array, size: number): void {
    if (size === 0 || !this.#admit(size)) return;
    const slab = this.#reuse && size >= SLAB_MIN_USE && size <= SLAB_SIZE ? takeSlab() : undefined;
    const out = slab ?? Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < this.#count; i += 2) {
      const start = this.#pieces[i];
      if (start >= 0) {
        out.set(memory.subarray(start, this.#pieces[i + 1]), at);
        at += this.#pieces[i + 1] - start;
      } else {
        const terminator = TERMINATOR_BYTES[-1 - start];
        out.set(terminator, at);
        at += terminator.length;
      }
    }
    if (slab) this.#sink.write(slab.subarray(0, size), () => giveSlab(slab));
    else this.#sink.write(out);
    this.stats.bytesForwarded += size;
  }
}
