// The batch form of StderrCapture's callback: one call per round of the core, the round's lines
// as offsets into one buffer, instead of one object per line.
//
// A line object costs an allocation, a copy of its bytes into a buffer of its own and a call;
// for short lines those dominate (80-byte lines: 110-150 MiB/s through onLine, 500-800 MiB/s
// through onLines, `npm run bench -- --only=core`). A batch copies each frame once into one
// buffer and writes two offsets and a kind per line. It owns its arrays: a consumer may keep a
// batch, or any line of it, after the call.

import type { FrameKindCode } from './abi.js';
import { decode } from './snapshot.js';
import { framePtr, frameWord, wordKind, wordLength, type FrameConsumer, type FrameRound } from './frames.js';
import { lineOf, type StderrLine } from './line.js';

/** The lines of one round of the core, in order. */
export interface StderrLineBatch extends Iterable<StderrLine> {
  /** How many lines. */
  readonly length: number;
  /**
   * The round's bytes, a copy that the batch owns: kept after the call, it stays as it is. Lines
   * of one run may keep the LF between them here; only `offsets` say where a line is.
   */
  readonly bytes: Uint8Array;
  /** Line i is bytes[offsets[2 * i], offsets[2 * i + 1]): without its terminator. */
  readonly offsets: Uint32Array;
  /** Line i's frame kind (FrameKind: LF, CRLF, CR, CUT, PARTIAL). */
  readonly kinds: Uint8Array;
  /** Line i's bytes: a view into `bytes`, not a copy. */
  bytesOf(i: number): Uint8Array;
  /** Line i decoded as UTF-8, invalid sequences replaced by U+FFFD. */
  textOf(i: number): string;
  /** Line i as a StderrLine, as onLine would have had it. */
  line(i: number): StderrLine;
}

class LineBatch implements StderrLineBatch {
  constructor(
    readonly bytes: Uint8Array,
    readonly offsets: Uint32Array,
    readonly kinds: Uint8Array,
  ) {}

  get length(): number {
    return this.kinds.length;
  }

  bytesOf(i: number): Uint8Array {
    this.#check(i);
    return this.bytes.subarray(this.offsets[2 * i], this.offsets[2 * i + 1]);
  }

  textOf(i: number): string {
    return decode(this.bytesOf(i));
  }

  line(i: number): StderrLine {
    return lineOf(this.bytesOf(i), this.kinds[i] as FrameKindCode);
  }

  *[Symbol.iterator](): Iterator<StderrLine> {
    for (let i = 0; i < this.length; i++) yield this.line(i);
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`no line ${i} in a batch of ${this.length}`);
  }
}

/** Turns each round into one StderrLineBatch for a callback. */
export class BatchCollector implements FrameConsumer {
  // Scratch space reused from round to round: the LFs found, then the lines' offsets and kinds,
  // copied out at their exact size for the batch.
  #lfs = new Uint32Array(1024);
  #offsets = new Uint32Array(1024);
  #kinds = new Uint8Array(512);

  constructor(private readonly onLines: (batch: StderrLineBatch) => void) {}

  consume(round: FrameRound): void {
    let total = 0;
    for (let i = 0; i < round.count; i++) total += wordLength(frameWord(round, i));
    // Whole 32-bit words for the LF search; the padding is zero, never an LF.
    const buffer = new ArrayBuffer((total + 3) & ~3);
    const bytes = new Uint8Array(buffer, 0, total);
    const memory = round.memory;
    for (let i = 0, at = 0; i < round.count; i++) {
      const ptr = framePtr(round, i);
      const length = wordLength(frameWord(round, i));
      bytes.set(memory.subarray(ptr, ptr + length), at);
      at += length;
    }
    // Only an LF frame holds LFs (any other LF ends a line, and so a frame): each one in the
    // buffer ends a line, and so does each frame's end.
    const lfCount = this.#findLFs(new Int32Array(buffer), new Uint8Array(buffer));
    const lfs = this.#lfs;
    let next = 0;
    let lines = 0;
    for (let i = 0, at = 0; i < round.count; i++) {
      const word = frameWord(round, i);
      const kind = wordKind(word);
      const end = at + wordLength(word);
      let from = at;
      while (next < lfCount && lfs[next] < end) {
        lines = this.#add(lines, from, lfs[next], kind);
        from = lfs[next++] + 1;
      }
      lines = this.#add(lines, from, end, kind);
      at = end;
    }
    if (lines === 0) return;
    this.onLines(new LineBatch(bytes, this.#offsets.slice(0, 2 * lines), this.#kinds.slice(0, lines)));
  }

  // Four bytes at a time: a word holds an LF when x ^ 0x0a0a0a0a has a zero byte. `bytes`
  // spans the whole words, padding included.
  #findLFs(words: Int32Array, bytes: Uint8Array): number {
    let lfs = this.#lfs;
    let count = 0;
    const n = words.length;
    for (let w = 0; w < n; w++) {
      const x = words[w] ^ 0x0a0a0a0a;
      if (((x - 0x01010101) & ~x & 0x80808080) === 0) continue;
      if (count + 4 > lfs.length) lfs = this.#lfs = grown(lfs);
      const b = w << 2;
      if (bytes[b] === 0x0a) lfs[count++] = b;
      if (bytes[b + 1] === 0x0a) lfs[count++] = b + 1;
      if (bytes[b + 2] === 0x0a) lfs[count++] = b + 2;
      if (bytes[b + 3] === 0x0a) lfs[count++] = b + 3;
    }
    return count;
  }

  #add(lines: number, start: number, end: number, kind: FrameKindCode): number {
    if (lines === this.#kinds.length) {
      this.#offsets = grown(this.#offsets);
      this.#kinds = grown(this.#kinds);
    }
    this.#offsets[2 * lines] = start;
    this.#offsets[2 * lines + 1] = end;
    this.#kinds[lines] = kind;
    return lines + 1;
  }
}

function grown<T extends Uint32Array | Uint8Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}
