// A child whose start waits for what it needs (a shared connection to be ready). The stream is
// handed out at once and holds what is written meanwhile; the wait ends one way only: the child
// starts, or no child will (the connection was refused, the caller gave up, the spawn failed),
// and then the held writes fail and the run ends with why.

import type { RemoteShellError } from '../errors.js';

/** The run as a waiting start sees it (see ShellRun). */
export interface WaitingRun {
  /** The stream was destroyed: its 'close' may still be to come, and no child may start. */
  streamDestroyed(): boolean;
  /** Starts the child behind the stream: undefined once it runs, else a promise of why not. */
  startChild(): Promise<unknown> | undefined;
  /** No child will run: the held writes fail, and the run ends with the error (asked for
   * again once those writes are counted as not sent). */
  endUnstarted(error: () => RemoteShellError): void;
  /** SIGTERM after `delayMs`, then SIGKILL after the grace. */
  terminate(delayMs: number): void;
  abortError(why: unknown): RemoteShellError;
  /** The run's error for the shared connection's `refusal`. */
  refusedError(refusal: RemoteShellError): RemoteShellError;
  spawnError(cause: unknown): RemoteShellError;
  /** The caller gave up waiting: what was being made for this run alone may stop. */
  gaveUpWaiting?(): void;
}

export const DESTROYED_BEFORE_START = 'the stream was destroyed before the remote shell started';

export class DeferredStart {
  readonly #run: WaitingRun;
  readonly #killGraceMs: number;
  // Until the child has started or no child will: the one way out is taken by whoever comes first.
  #waiting = true;
  // When close() came while it waited: a child that starts afterwards is ended on close()'s schedule.
  #closedAt: number | undefined;

  constructor(gate: Promise<RemoteShellError | undefined>, run: WaitingRun, killGraceMs: number) {
    this.#run = run;
    this.#killGraceMs = killGraceMs;
    gate
      .then(
        (refusal) => {
          if (refusal) this.#fail(() => run.refusedError(refusal));
          else this.#ready();
        },
        (err: unknown) => {
          const refusal = run.spawnError(err);
          this.#fail(() => run.refusedError(refusal));
        },
      )
      .catch((err: unknown) => this.#fail(() => run.spawnError(err)));
  }

  get waiting(): boolean {
    return this.#waiting;
  }

  /** The caller gave up (close, kill, an abort, destroy); `why` is the abort error's cause. */
  giveUp(why: unknown): void {
    if (!this.#waiting) return;
    this.#run.gaveUpWaiting?.();
    this.#fail(() => this.#run.abortError(why));
  }

  /** close() came while the start waited: a start that comes within killGraceMs * 2 is ended on
   * close()'s schedule, and none at all after that. */
  closed(now = performance.now()): void {
    if (this.#closedAt !== undefined) return;
    this.#closedAt = now;
  }

  /** For a child that starts after close(): how long SIGTERM would still have waited had it been
   * running since close() came (0 once that time is past); undefined when close() did not come. */
  termDelay(now = performance.now()): number | undefined {
    if (this.#closedAt === undefined) return undefined;
    return Math.max(0, Math.ceil(this.#closedAt + this.#killGraceMs - now));
  }

  // What the child waited for is ready: it starts now, unless the stream is gone.
  #ready(): void {
    const run = this.#run;
    if (!this.#waiting) return;
    if (run.streamDestroyed()) {
      this.giveUp(new Error(DESTROYED_BEFORE_START));
      return;
    }
    const failure = run.startChild();
    if (failure) {
      // Still waiting, as far as the caller can tell, until why is known.
      void failure.then((cause) => this.#fail(() => run.spawnError(cause)));
      return;
    }
    this.#waiting = false;
    // close() came while it waited: SIGTERM when it would have come had the child been running.
    const delay = this.termDelay();
    if (delay !== undefined) run.terminate(delay);
  }

  #fail(error: () => RemoteShellError): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#run.endUnstarted(error);
  }
}
