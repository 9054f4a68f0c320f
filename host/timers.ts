// The timers of one remote shell, cleared together when it settles, so that none outlives it.

export class Timers {
  readonly #pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms` (0 included) unless clear() comes first. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      fn();
    }, ms);
    this.#pending.add(timer);
  }

  clear(): void {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}
