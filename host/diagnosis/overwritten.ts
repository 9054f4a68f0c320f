// The segments of stderr that a lone carriage return let the next one overwrite. A progress
// meter does this all the time, and a terminal (and the snapshot, which shows what a terminal
// would) keeps only the last state; but `Permission denied (publickey).\r` followed by other
// text must still count as the reason. So the frames are watched as they pass, and the last few
// overwritten segments that read like text (not a meter) are kept for the diagnosis.
//
// On the hot path (a CR storm drains at memory speed) nothing is decoded and nothing allocated:
// a round is walked from its end, at most KEPT_SEGMENTS candidates are copied into fixed slots,
// and the text is decoded only when a failure asks for it.

import { FrameKind } from '../core/abi.js';
import { framePtr, frameWord, wordKind, wordLength, type FrameConsumer, type FrameRound } from '../core/frames.js';
import { decode } from '../core/snapshot.js';

/** Overwritten segments kept, newest last. */
export const KEPT_SEGMENTS = 8;
/** Longer segments are not messages worth keeping; shorter ones are meters or noise. */
const MAX_SEGMENT = 1024;
const MIN_SEGMENT = 8;

function startsLikeText(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x40;
}

function sameFrame(round: FrameRound, a: number, b: number): boolean {
  const length = wordLength(frameWord(round, a));
  if (length !== wordLength(frameWord(round, b))) return false;
  const pa = framePtr(round, a);
  const pb = framePtr(round, b);
  for (let k = 0; k < length; k++) if (round.memory[pa + k] !== round.memory[pb + k]) return false;
  return true;
}

export class OverwrittenSegments implements FrameConsumer {
  // A ring of KEPT_SEGMENTS slots of MAX_SEGMENT bytes; #count segments kept, the newest at #next - 1.
  readonly #slots = new Uint8Array(KEPT_SEGMENTS * MAX_SEGMENT);
  readonly #lengths = new Uint16Array(KEPT_SEGMENTS);
  #next = 0;
  #count = 0;
  // This round's candidates, newest first, as frame indexes.
  readonly #picked = new Int32Array(KEPT_SEGMENTS);

  consume(round: FrameRound): void {
    let picked = 0;
    for (let i = round.count - 1; i >= 0 && picked < KEPT_SEGMENTS; i--) {
      const word = frameWord(round, i);
      if (wordKind(word) !== FrameKind.CR) continue;
      const length = wordLength(word);
      if (length < MIN_SEGMENT || length > MAX_SEGMENT || !startsLikeText(round.memory[framePtr(round, i)])) continue;
      // A segment repeated (a spinner, a meter that does not move) takes one place, not all.
      if (picked > 0 && sameFrame(round, i, this.#picked[picked - 1])) continue;
      this.#picked[picked++] = i;
    }
    for (let p = picked - 1; p >= 0; p--) {
      const i = this.#picked[p];
      const ptr = framePtr(round, i);
      this.#keep(round.memory.subarray(ptr, ptr + wordLength(frameWord(round, i))));
    }
  }

  /** The kept segments as text, oldest first. */
  get segments(): string[] {
    const texts: string[] = [];
    for (let k = this.#count; k > 0; k--) {
      const slot = (this.#next - k + KEPT_SEGMENTS) % KEPT_SEGMENTS;
      texts.push(decode(this.#slots.subarray(slot * MAX_SEGMENT, slot * MAX_SEGMENT + this.#lengths[slot])));
    }
    return texts;
  }

  #keep(bytes: Uint8Array): void {
    const last = (this.#next - 1 + KEPT_SEGMENTS) % KEPT_SEGMENTS;
    if (this.#count > 0 && this.#lengths[last] === bytes.length && this.#equals(last, bytes)) return;
    this.#slots.set(bytes, this.#next * MAX_SEGMENT);
    this.#lengths[this.#next] = bytes.length;
    this.#next = (this.#next + 1) % KEPT_SEGMENTS;
    if (this.#count < KEPT_SEGMENTS) this.#count++;
  }

  #equals(slot: number, bytes: Uint8Array): boolean {
    const base = slot * MAX_SEGMENT;
    for (let i = 0; i < bytes.length; i++) if (this.#slots[base + i] !== bytes[i]) return false;
    return true;
  }
}
