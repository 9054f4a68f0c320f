// Reading the frame records a round of the core leaves in memory.

import { FRAME_LEN_MASK, FRAME_SIZE, FrameKind, type FrameKindCode } from './abi.js';

/** How a line of stderr ended. */
export type StderrLineKind = 'line' | 'progress' | 'cut' | 'partial';

/** The terminators as received, by frame kind (index = kind). */
export const TERMINATORS = ['', '\n', '\r\n', '\r', '', ''] as const;
export type Terminator = (typeof TERMINATORS)[number];
/** Byte length of each kind's terminator (index = kind). */
export const TERMINATOR_LENGTH = [0, 1, 2, 1, 0, 0] as const;

export function kindName(kind: FrameKindCode): StderrLineKind {
  switch (kind) {
    case FrameKind.LF:
    case FrameKind.CRLF:
      return 'line';
    case FrameKind.CR:
      return 'progress';
    case FrameKind.CUT:
      return 'cut';
    default:
      return 'partial';
  }
}

/** A round's frames: `count` records at `records` in the instance's memory. */
export interface FrameRound {
  readonly memory: Uint8Array;
  readonly view: DataView;
  readonly records: number;
  readonly count: number;
}

export function framePtr(round: FrameRound, i: number): number {
  return round.view.getUint32(round.records + i * FRAME_SIZE, true);
}

export function frameWord(round: FrameRound, i: number): number {
  return round.view.getUint32(round.records + i * FRAME_SIZE + 4, true);
}

export function wordLength(word: number): number {
  return word & FRAME_LEN_MASK;
}

export function wordKind(word: number): FrameKindCode {
  return (word >>> 24) as FrameKindCode;
}

/** Whoever takes the frames of a capture, one round at a time; they are valid only during the call. */
export interface FrameConsumer {
  consume(round: FrameRound): void;
}

/** Hands each round to several consumers in turn. */
export class FrameTee implements FrameConsumer {
  constructor(private readonly consumers: readonly FrameConsumer[]) {}
  consume(round: FrameRound): void {
    for (const consumer of this.consumers) consumer.consume(round);
  }
}

/**
 * Calls visit(start, end, kind) for every line of a round, in order: an LF frame's lines one by
 * one (kind LF each), any other frame as it is. [start, end) is the line without terminator.
 */
export function forEachLine(round: FrameRound, visit: (start: number, end: number, kind: FrameKindCode) => void): void {
  for (let i = 0; i < round.count; i++) {
    const ptr = framePtr(round, i);
    const word = frameWord(round, i);
    const kind = wordKind(word);
    const end = ptr + wordLength(word);
    if (kind !== FrameKind.LF) {
      visit(ptr, end, kind);
      continue;
    }
    for (let at = ptr; ;) {
      const lf = round.memory.indexOf(0x0a, at);
      const stop = lf < 0 || lf >= end ? end : lf;
      visit(at, stop, kind);
      if (stop === end) break;
      at = stop + 1;
    }
  }
}
