// Whether a child that exited is the end of the run, or is tried again (the `retry` option).
// Only ssh's own failure (255) while nothing crossed the stream may be: the exit then waits
// (stdout's end held back, stdin left open) until its stderr is drained and diagnosed; if the
// connection was never established, a new child takes its place behind the same stream after
// retry.delayMs. Using the stream, close(), an abort or kill() end the waiting: the last exit
// is the end.

import { exitError, type Exit, type ShellFacts } from '../errors.js';
import { isRetryable, type RetryPolicy } from '../retry.js';
import type { Timers } from '../timers.js';

/** The stdout side of the stream as the decision sees it (see Tunnel). */
export interface RetryView {
  /** 'yes' when nothing crossed the stream; 'unknown' where the kernel cannot say yet. */
  readonly untouchedState: 'yes' | 'no' | 'unknown';
  /** Where the kernel cannot be asked: reads stdout on until its end, or `ms` of quiet. */
  readToEnd(ms: number): Promise<void>;
}

/** The run as the decision sees it (see RemoteShell). */
export interface RetryRun {
  /** Attempts started so far; the last one is the one whose exit is decided on. */
  attempts(): number;
  /** close(), an abort or kill() came: no new attempt. */
  gaveUp(): boolean;
  /** The last attempt's stderr is read to its end (started here, once per attempt). */
  drainStderr(): Promise<unknown>;
  facts(exit: Exit): ShellFacts;
  /** The exit ends the run. */
  final(exit: Exit): void;
  /** A new child takes the place of the one that exited with `exit`. */
  startAgain(exit: Exit): void;
}

export class RetryDecision {
  readonly #policy: RetryPolicy;
  readonly #drainTimeoutMs: number;
  readonly #timers: Timers;
  readonly #stdout: RetryView;
  readonly #run: RetryRun;
  // The exit waiting for the decision; undefined once it is taken.
  #pending: Exit | undefined;

  constructor(policy: RetryPolicy, drainTimeoutMs: number, timers: Timers, stdout: RetryView, run: RetryRun) {
    this.#policy = policy;
    this.#drainTimeoutMs = drainTimeoutMs;
    this.#timers = timers;
    this.#stdout = stdout;
    this.#run = run;
  }

  /** An exit waits for the decision: the child is gone, but the run is not over yet. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** The exit of `attempt`: true when it waits for the decision instead of ending the run. */
  exitWaits(attempt: number, exit: Exit): boolean {
    // Where the kernel cannot say whether anything came back, the decision finds out.
    if (!this.#mayRetry(exit, true)) return false;
    this.#pending = exit;
    const run = this.#run;
    const isCurrent = (): boolean => attempt === run.attempts() && this.#pending === exit;
    // Without the addon, whether anything came back is known once stdout's end is read.
    Promise.all([run.drainStderr(), this.#stdout.readToEnd(this.#drainTimeoutMs)]).then(() => {
      if (!isCurrent()) return;
      const failure = exitError(run.facts(exit));
      if (!failure || !isRetryable(failure, this.#policy) || !this.#mayRetry(exit)) {
        this.#end(exit);
        return;
      }
      this.#timers.after(this.#policy.delayMs, () => {
        if (!isCurrent()) return;
        if (!this.#mayRetry(exit)) {
          this.#end(exit);
          return;
        }
        this.#pending = undefined;
        run.startAgain(exit);
      });
    });
    return true;
  }

  /** The stream was used, or the run abandoned: an exit waiting for the decision is the end. */
  endWaiting(): void {
    if (this.#pending) this.#end(this.#pending);
  }

  #end(exit: Exit): void {
    this.#pending = undefined;
    this.#run.final(exit);
  }

  #mayRetry(exit: Exit, unknownIsEnough = false): boolean {
    const untouched = this.#stdout.untouchedState;
    return (
      exit.code === 255 &&
      this.#run.attempts() <= this.#policy.attempts &&
      !this.#run.gaveUp() &&
      (untouched === 'yes' || (unknownIsEnough && untouched === 'unknown'))
    );
  }
}
