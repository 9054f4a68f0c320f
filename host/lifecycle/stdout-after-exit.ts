// What happens to stdout once the child has exited: the part that decides whether a run can
// hang on a consumer, or on a writer that outlives the child.
// - a consumer reading, however slowly, gets every byte, and the run waits for it;
// - a consumer that never attached a reader gets stdout drained and discarded (Node's
//   flushStdio does the same for child_process);
// - after close(), an abort or kill() (the run is abandoned), the consumer has drainTimeoutMs
//   after the exit to read what is left, then the rest is discarded and the stream destroyed;
// - a writer that outlives the child (a grandchild holding its stdout, which may write for ever)
//   is stopped listening to after drainTimeoutMs, once everything the child itself wrote is in.

import type { Timers } from '../timers.js';

/** What of the protocol stream's readable side the policy needs (see Tunnel). */
export interface ExitedOutput {
  readonly hasReader: boolean;
  readonly outputEnded: boolean;
  readonly discarding: boolean;
  childExited(): void;
  childOutputIn(quietMs: number): boolean;
  discardOutput(): void;
  endOutput(): void;
  abandonOutput(): void;
}

// How often to look again whether a slow consumer has taken in what the child wrote.
const RECHECK_MS = 20;

export class StdoutAfterExit {
  readonly #output: ExitedOutput;
  readonly #timers: Timers;
  readonly #drainTimeoutMs: number;
  // Whether stdout is done (read to its end, or given up): then nothing is left to decide.
  readonly #done: () => boolean;
  // The consumer's last drainTimeoutMs, once the run is abandoned, runs once.
  #discardArmed = false;

  constructor(output: ExitedOutput, timers: Timers, drainTimeoutMs: number, done: () => boolean) {
    this.#output = output;
    this.#timers = timers;
    this.#drainTimeoutMs = drainTimeoutMs;
    this.#done = done;
  }

  /** The child has exited for good; `abandoned`: close(), an abort or kill() came before. */
  childExited(abandoned: boolean): void {
    const output = this.#output;
    if (this.#done()) return;
    output.childExited();
    if (abandoned) {
      this.abandoned();
      return;
    }
    // After the 'exit' handlers and the continuations of `exited` have had their turn to attach.
    setImmediate(() => {
      if (!this.#done() && !this.#discardArmed && !output.hasReader) output.discardOutput();
    });
    const drainMs = this.#drainTimeoutMs;
    // A writer that outlives the child may write for ever: once what the child itself wrote is
    // in, and the drain time is over, stdout ends.
    const lingering = (): void => {
      if (this.#done() || output.outputEnded) return;
      if (output.discarding || output.childOutputIn(drainMs)) output.endOutput();
      else this.#timers.after(Math.max(Math.min(drainMs, RECHECK_MS * 5), RECHECK_MS), lingering);
    };
    this.#timers.after(drainMs, lingering);
  }

  /** The run is abandoned and the child gone: the consumer has drainTimeoutMs more to read. */
  abandoned(): void {
    if (this.#discardArmed || this.#done()) return;
    this.#discardArmed = true;
    this.#timers.after(this.#drainTimeoutMs, () => {
      if (!this.#done()) this.#output.abandonOutput();
    });
  }
}
