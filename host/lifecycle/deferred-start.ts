// A child whose start waits for what it needs (a shared connection to be ready). The stream is
// handed out at once and holds what is written meanwhile; the wait ends one way only: the child
// starts, or no child will (the connection was refused, the caller gave up, the spawn failed).

import type { RemoteShellError } from '../errors.js';

export interface DeferredStartHandlers {
  /** What the child waited for is ready: start it. */
  ready(): void;
  /** It could not be made: `refusal` is why (the master's error). */
  refused(refusal: RemoteShellError): void;
  /** What it waited for failed with an error, not a refusal. */
  broken(err: unknown): void;
  /** Starting it (ready, refused or broken) threw. */
  failed(err: unknown): void;
}

export class DeferredStart {
  // Until the child has started or no child will: the one way out is taken by whoever comes first.
  #waiting = true;
  // When close() came while it waited: a child that starts afterwards is ended on close()'s schedule.
  #closedAt: number | undefined;

  constructor(gate: Promise<RemoteShellError | undefined>, handlers: DeferredStartHandlers) {
    gate
      .then(
        (refusal) => {
          if (!this.#waiting) return;
          if (refusal) handlers.refused(refusal);
          else handlers.ready();
        },
        (err: unknown) => {
          if (this.#waiting) handlers.broken(err);
        },
      )
      .catch((err: unknown) => {
        if (this.#waiting) handlers.failed(err);
      });
  }

  get waiting(): boolean {
    return this.#waiting;
  }

  /** Ends the wait; true for the one caller that ended it. */
  end(): boolean {
    const was = this.#waiting;
    this.#waiting = false;
    return was;
  }

  /** close() came while the start waited. */
  closed(now = performance.now()): void {
    this.#closedAt ??= now;
  }

  /** For a child that starts after close(): how long SIGTERM would still have waited had it been
   * running since close() came (0 once that time is past); undefined when close() did not come. */
  termDelay(killGraceMs: number, now = performance.now()): number | undefined {
    if (this.#closedAt === undefined) return undefined;
    return Math.max(0, Math.ceil(this.#closedAt + killGraceMs - now));
  }
}
