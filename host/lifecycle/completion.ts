// When a run is over: the meeting of three named conditions, each met in one place, whatever
// order they come in. A run settles once its child has exited, its stderr is drained and its
// stdout is done (read to the end by the consumer, or given up); a start that never ran meets
// all three at once.

import type { Exit, RemoteShellError } from '../errors.js';

const NEVER_RAN: Exit = Object.freeze({ code: null, signal: null });

export type Condition = 'exited' | 'stderr drained' | 'stdout done';

export class Completion<Result> {
  /** Settles once every condition is met, as `settle` decides. */
  readonly finished: Promise<Result>;
  /** Resolves as soon as the exit is known (see recordExit); never rejects. */
  readonly exited: Promise<Exit>;
  // The conditions met so far; a retry's new child takes 'stderr drained' back.
  readonly #met = new Set<Condition>();
  #exit: Exit | undefined;
  // Why the run fails, when that is known before the end (a start that failed).
  #failure: RemoteShellError | undefined;
  #settled = false;
  readonly #resolveExited: (exit: Exit) => void;
  // Called once, when every condition is met: releases the run and settles `finished`.
  readonly #whenComplete: () => void;

  constructor(settle: (resolve: (result: Result) => void, reject: (error: RemoteShellError) => void) => void) {
    let resolveExited!: (exit: Exit) => void;
    this.exited = new Promise((resolve) => (resolveExited = resolve));
    this.#resolveExited = resolveExited;
    let whenComplete!: () => void;
    this.finished = new Promise<Result>((resolve, reject) => (whenComplete = () => settle(resolve, reject)));
    // Awaiting `finished` is optional: a failure must not also surface as an unhandled rejection.
    this.finished.catch(() => {});
    this.#whenComplete = whenComplete;
  }

  /** The exit of the child that ends the run, or `{ code: null, signal: null }` when none ran.
   * Recorded (and `exited` resolved) before what follows the exit runs; `meet('exited')` after. */
  recordExit(exit: Exit): void {
    this.#exit = exit;
    this.#resolveExited(exit);
    this.meet();
  }

  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** Why the run fails, known before its end (no child could start). */
  get failure(): RemoteShellError | undefined {
    return this.#failure;
  }

  set failure(error: RemoteShellError) {
    this.#failure = error;
  }

  has(condition: Condition): boolean {
    return this.#met.has(condition);
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Meets the conditions; settles the run when that makes all three, the exit known. */
  meet(...conditions: Condition[]): void {
    for (const condition of conditions) this.#met.add(condition);
    if (this.#settled || this.#met.size < 3 || !this.#exit) return;
    this.#settled = true;
    this.#whenComplete();
  }

  /** No child ran, for `failure`: the run ends with it. */
  neverRan(failure: RemoteShellError): void {
    this.#failure = failure;
    this.recordExit(NEVER_RAN);
    this.meet('exited', 'stderr drained', 'stdout done');
  }

  /** A new child replaces one whose run was not the end (retry): its stderr is still to drain. */
  unmeet(condition: Condition): void {
    if (!this.#settled) this.#met.delete(condition);
  }
}
