// One line of stderr as the capture hands it out, its text decoded on first use.

import { decode } from './snapshot.js';
import type { FrameKindCode } from './abi.js';
import { kindName, TERMINATORS, type StderrLineKind, type Terminator } from './frames.js';

export interface StderrLine {
  /** The line's bytes as received, without the terminator. */
  readonly bytes: Uint8Array;
  /** 'line' ended by LF or CRLF; 'progress' ended by a lone CR (the next one replaces it);
   * 'cut' reached lineMax and 'partial' was flushed early: both continue in the next line. */
  readonly kind: StderrLineKind;
  /** The terminator as received: '\n', '\r\n', '\r', or '' for 'cut' and 'partial'. */
  readonly terminator: Terminator;
  /** The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD. */
  readonly text: string;
}

export class Line implements StderrLine {
  #text: string | undefined;
  constructor(
    readonly bytes: Uint8Array,
    readonly kind: StderrLineKind,
    readonly terminator: Terminator,
  ) {}
  get text(): string {
    return (this.#text ??= decode(this.bytes));
  }
}

/** The line a frame of `kind` gives for `bytes` (its content, without the terminator). */
export function lineOf(bytes: Uint8Array, kind: FrameKindCode): Line {
  return new Line(bytes, kindName(kind), TERMINATORS[kind]);
}
