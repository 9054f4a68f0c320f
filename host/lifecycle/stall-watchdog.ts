// The stall watchdog (stallTimeoutMs): a remote shell through which no protocol byte has moved,
// in either direction, for that long while the caller waited on it (it wanted to read, or had
// bytes the child had not taken) is stuck: a remote command that hung, or a peer that vanished
// with no keepalive to notice. stderr is not progress: a chatty child that moves no protocol
// byte is stuck all the same. Time the caller did not wait (it paused, or had nothing to send and
// no reader) is not counted: a session may well sit idle.
//
// It samples rather than re-arming a timer at every chunk: several times per period, it looks
// whether the count of bytes moved changed, so a stall is seen between stallTimeoutMs and one
// sample later.

import type { Timers } from '../timers.js';

/** What the watchdog sees of the stream. */
export interface StallView {
  /** Bytes moved so far, both directions together. */
  moved(): number;
  /** Whether the caller waits on the remote side now. */
  waiting(): boolean;
}

// Samples per period, and the shortest time between two.
const SAMPLES = 8;
const MIN_SAMPLE_MS = 20;

export class StallWatchdog {
  readonly #timeoutMs: number;
  readonly #timers: Timers;
  readonly #view: StallView;
  readonly #onStall: () => void;
  #lastMoved = -1;
  // Since when nothing moved while the caller waited.
  #quietSince = 0;
  #stopped = false;

  /** `timeoutMs` 0: never. */
  constructor(timeoutMs: number, timers: Timers, view: StallView, onStall: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#timers = timers;
    this.#view = view;
    this.#onStall = onStall;
  }

  start(): void {
    if (this.#timeoutMs === 0 || this.#stopped) return;
    this.#quietSince = performance.now();
    this.#lastMoved = this.#view.moved();
    this.#schedule();
  }

  /** The child is gone, or the caller ended the run: nothing more to watch. */
  stop(): void {
    this.#stopped = true;
  }

  #schedule(): void {
    this.#timers.after(Math.max(MIN_SAMPLE_MS, Math.floor(this.#timeoutMs / SAMPLES)), () => this.#sample());
  }

  #sample(): void {
    if (this.#stopped) return;
    const now = performance.now();
    const moved = this.#view.moved();
    if (moved !== this.#lastMoved || !this.#view.waiting()) {
      this.#lastMoved = moved;
      this.#quietSince = now;
    } else if (now - this.#quietSince >= this.#timeoutMs) {
      this.#stopped = true;
      this.#onStall();
      return;
    }
    this.#schedule();
  }
}

/** A started watchdog over a stream that counts its bytes and says whether it is waited on. */
export function watchStalls(
  timeoutMs: number,
  timers: Timers,
  stream: { readonly moved: number; readonly waitingOnChild: boolean },
  childRuns: () => boolean,
  onStall: () => void,
): StallWatchdog {
  // While no child runs (a retry being decided on or waited for), nothing can move.
  const view = { moved: () => stream.moved, waiting: () => childRuns() && stream.waitingOnChild };
  const watchdog = new StallWatchdog(timeoutMs, timers, view, onStall);
  watchdog.start();
  return watchdog;
}
