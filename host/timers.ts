// The timers of one remote shell, cleared together when it settles, so that none outlives it.

import { MAX_TIMER_MS } from './options.js';

export class Timers {
  readonly #pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms` (0 included) unless clear() comes first. A delay longer than a timer
   * can hold (a sum of long options, killGraceMs * 2) waits the longest it can: setTimeout would
   * take it for 1 ms. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.#pending.delete(timer);
        fn();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    this.#pending.add(timer);
  }

  clear(): void {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}
