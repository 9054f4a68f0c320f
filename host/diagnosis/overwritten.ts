// The segments of stderr that a lone carriage return let the next one overwrite. A progress
// meter does this all the time, and a terminal (and the snapshot, which shows what a terminal
// would) keeps only the last state; but `Permission denied (publickey).\r` followed by other
// text must still count as the reason. So the frames are watched as they pass, and the last few
// overwritten segments that read like text (not a meter) are kept for the diagnosis.
//
// Cheap on the hot path: only CR frames are looked at, and only a short one that begins with a
// letter or '@' is decoded at all.

import { FrameKind } from '../core/abi.js';
import { framePtr, frameWord, wordKind, wordLength, type FrameConsumer, type FrameRound } from '../core/frames.js';
import { decode } from '../core/snapshot.js';

/** Overwritten segments kept, newest last. */
export const KEPT_SEGMENTS = 8;
/** Longer segments are not messages worth keeping. */
const MAX_SEGMENT = 1024;
const MIN_SEGMENT = 8;

function startsLikeText(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x40;
}

export class OverwrittenSegments implements FrameConsumer {
  readonly #kept: string[] = [];

  consume(round: FrameRound): void {
    for (let i = 0; i < round.count; i++) {
      const word = frameWord(round, i);
      if (wordKind(word) !== FrameKind.CR) continue;
      const length = wordLength(word);
      if (length < MIN_SEGMENT || length > MAX_SEGMENT) continue;
      const ptr = framePtr(round, i);
      if (!startsLikeText(round.memory[ptr])) continue;
      const text = decode(round.memory.subarray(ptr, ptr + length));
      if (this.#kept[this.#kept.length - 1] === text) continue;
      this.#kept.push(text);
      if (this.#kept.length > KEPT_SEGMENTS) this.#kept.shift();
    }
  }

  /** The kept segments, oldest first. */
  get segments(): readonly string[] {
    return this.#kept;
  }
}
