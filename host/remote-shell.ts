// RemoteShell: one spawned remote shell, the public object of a run, and how the run ends. Its
// parts (host/lifecycle/) each hold one decision:
// - Completion: `finished` settles once the child has exited, its stderr is drained and its
//   stdout is done (read to the end by the consumer, or given up); then no fd, timer, child or
//   capture slot of it is left;
// - Attempts: the children of the run, one or more (retry), and their stderr;
// - DeferredStart: a child that starts once its shared connection is ready;
// - RetryDecision: whether an exit ends the run or a new child takes its place;
// - StdoutAfterExit: what happens to unread output once the child is gone.
// What stays here: the caller's ways out (close, kill, an abort), the errors a write gets, and
// what `finished` settles with.

import type { Duplex, Readable, Writable } from 'node:stream';
import {
  abortError,
  exitError,
  NO_BYTES,
  sharedConnectionError,
  sharedConnectionLostError,
  spawnError,
  streamClosedError,
  type ByteCounts,
  type Exit,
  type RemoteShellError,
  type ShellFacts,
} from './errors.js';
import { internal, type InternalOptions } from './internal.js';
import { Attempts } from './lifecycle/attempts.js';
import { Completion } from './lifecycle/completion.js';
import { DeferredStart } from './lifecycle/deferred-start.js';
import { RetryDecision, type RetryRun } from './lifecycle/retry-decision.js';
import { StdoutAfterExit } from './lifecycle/stdout-after-exit.js';
import { checkKillSignal, checkShellOptions, type RemoteShellOptions, type ShellSettings } from './options.js';
import { checkRshWords } from './rsh/argv.js';
import { NO_STDERR, type RemoteShellStderr } from './stderr/shell-stderr.js';
import { FailedStream } from './stream/failed-stream.js';
import { Tunnel } from './stream/tunnel.js';
import { Timers } from './timers.js';

export type { RemoteShellOptions } from './options.js';
export type { RemoteShellStderr, RemoteShellStderrStats } from './stderr/shell-stderr.js';

export interface RemoteShellResult extends ByteCounts {
  code: 0;
  signal: null;
}

const DESTROYED_BEFORE_START = 'the stream was destroyed before the remote shell started';
const NEVER_RAN: Exit = Object.freeze({ code: null, signal: null });

/** How the caller ended the run. Each abandons what stdout still holds once the child is gone. */
type Ending = 'close' | 'abort' | 'kill';

export class RemoteShell implements AsyncDisposable {
  /** The protocol stream: writes go to the remote shell's stdin, reads come from its stdout. */
  readonly stream: Duplex;
  /** Settles once the remote shell has exited, its stderr is drained and its stdout is done;
   * by then every fd, timer and capture is released. */
  readonly finished: Promise<RemoteShellResult>;
  /** Resolves as soon as the remote shell process exits (like ChildProcess 'exit'), before its
   * stderr is drained; `{ code: null, signal: null }` when it never started. Never rejects. */
  readonly exited: Promise<Exit>;
  /** [program, ...args] as spawned. */
  readonly argv: readonly string[];
  /** The remote shell's stderr: its snapshot and stats, kept after `finished`. */
  readonly stderr: RemoteShellStderr;

  readonly #settings: ShellSettings;
  // What openRemoteShell arranged: the start's gate, the shared connection's checks.
  readonly #internal: InternalOptions;
  // Every timer of the run, cleared together when it settles.
  readonly #timers = new Timers();
  readonly #attempts: Attempts;
  readonly #completion: Completion<RemoteShellResult>;
  // The stream over the children's stdio, and the decisions about it; all undefined when no
  // child could start (the stream is then a FailedStream).
  #tunnel: Tunnel | undefined;
  #retry: RetryDecision | undefined;
  #afterExit: StdoutAfterExit | undefined;
  // Set while the child waits for a shared connection (see DeferredStart).
  #deferred: DeferredStart | undefined;
  readonly #endedBy = new Set<Ending>();
  // One error per stage of the run for writes that fail (see #closedError).
  readonly #closedErrors = new Map<string, RemoteShellError>();
  readonly #onAbort = (): void => this.#abort();

  /**
   * Use openRemoteShell(); this spawns `argv` as it is.
   * @throws RemoteShellError ERR_INVALID_RSH for a malformed argv, TypeError or RangeError for an
   * option out of its range, before anything is allocated or spawned.
   */
  constructor(argv: readonly string[], options: RemoteShellOptions & { [internal]?: InternalOptions } = {}) {
    if (!Array.isArray(argv)) throw new TypeError('argv must be an array of strings: [program, ...args]');
    this.argv = Object.freeze(checkRshWords(argv));
    this.#settings = checkShellOptions(options);
    this.#internal = options[internal] ?? {};
    this.#completion = new Completion((resolve, reject) => this.#settle(resolve, reject));
    this.finished = this.#completion.finished;
    this.exited = this.#completion.exited;
    this.#attempts = new Attempts(this.argv, this.#settings, this.#internal, {
      exited: (attempt, exit) => this.#onExit(attempt, exit),
      stderrEnded: () => this.#completion.meet('stderr drained'),
    });
    const current = (): RemoteShellStderr => this.#attempts.stderr ?? NO_STDERR;
    this.stderr = {
      snapshot: () => current().snapshot(),
      get stats() {
        return current().stats;
      },
    };
    this.stream = this.#start();
    // Errors of the stream reach write callbacks and `finished`; unobserved, they must not crash.
    this.stream.on('error', () => {});
  }

  /** How many times the remote shell was started: 1, or more when `retry` tried again. */
  get attempts(): number {
    return this.#attempts.count;
  }

  /** The remote shell's pid, undefined when it could not be spawned. */
  get pid(): number | undefined {
    return this.#attempts.child?.pid;
  }

  /**
   * Sends a signal to the remote shell; false when it is not running. Any signal but 0 also says
   * the run is over for the caller: once the child is gone, the consumer has drainTimeoutMs to
   * read what is left of stdout, then the rest is discarded.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    checkKillSignal(signal);
    if (signal !== 0) {
      if (this.#deferred?.waiting) this.#giveUpStart(new Error(`killed (${signal}) before it started`));
      this.#abandon('kill');
    }
    return this.#signal(signal);
  }

  /**
   * Ends the remote shell's stdin and waits for it to exit; after killGraceMs sends SIGTERM,
   * after as long again SIGKILL. Resolves once everything is released, at the latest
   * killGraceMs * 2 + drainTimeoutMs after the call (plus scheduling); never rejects (the
   * outcome stays in `finished`).
   */
  async close(): Promise<void> {
    if (!this.#completion.settled && !this.#endedBy.has('close')) {
      this.#abandon('close');
      const tunnel = this.#tunnel;
      if (tunnel && !tunnel.writableEnded && !tunnel.destroyed) tunnel.end();
      const grace = this.#settings.killGraceMs;
      if (this.#deferred?.waiting) {
        // A start still waiting gets as long as a running child would to finish, and a child
        // that starts meanwhile is ended on the same schedule (see #startNow).
        this.#deferred.closed();
        this.#timers.after(grace * 2, () => this.#giveUpStart(new Error(`closed, and not started within ${grace * 2} ms`)));
      } else {
        this.#terminate(grace);
      }
    }
    await this.finished.then(
      () => {},
      () => {},
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- starting ----

  #start(): Duplex {
    const settings = this.#settings;
    if (settings.signal?.aborted) {
      this.#endedBy.add('abort');
      return this.#failBeforeSpawn(Promise.resolve(abortError(this.#facts(), settings.signal.reason)));
    }
    const gate = this.#internal.startAfter;
    if (gate !== undefined) {
      // The stream takes writes meanwhile, and holds them.
      const tunnel = this.#openTunnel(undefined);
      const whyNot = (err: unknown): RemoteShellError => spawnError(this.#facts(), err, settings.cwd);
      this.#deferred = new DeferredStart(gate, {
        ready: () => this.#startNow(),
        refused: (refusal) => this.#failUnstarted(() => sharedConnectionError(this.#facts(), refusal)),
        broken: (err) => {
          const refusal = whyNot(err);
          this.#failUnstarted(() => sharedConnectionError(this.#facts(), refusal));
        },
        failed: (err) => this.#failUnstarted(() => whyNot(err)),
      });
      return tunnel;
    }
    const started = this.#attempts.start();
    if ('failure' in started) return this.#failBeforeSpawn(started.failure.then((err) => spawnError(this.#facts(), err, settings.cwd)));
    return this.#openTunnel(started);
  }

  #openTunnel(started: { stdin: Writable | null; stdout: Readable | null } | undefined): Tunnel {
    const settings = this.#settings;
    const completion = this.#completion;
    const handedOver = typeof settings.stdin === 'number' ? settings.stdin : undefined;
    const tunnel = (this.#tunnel = new Tunnel(
      started?.stdin ?? null,
      started?.stdout ?? null,
      {
        closedError: (cause) => this.#closedError(cause, handedOver),
        pendingBytes: (fd) => this.#attempts.binding?.pendingBytes?.(fd),
        // Using the stream ends a retry being decided on or waited for: the last exit is the end.
        touched: () => this.#retry?.endWaiting(),
      },
      started === undefined,
    ));
    this.#retry = new RetryDecision(settings.retry, settings.drainTimeoutMs, this.#timers, tunnel.retryView, this.#retryRun());
    this.#afterExit = new StdoutAfterExit(tunnel, this.#timers, settings.drainTimeoutMs, () => completion.has('stdout done'));
    tunnel.holdEnd(settings.retry.attempts > 0);
    if (started && !started.stdout) completion.meet('stdout done');
    tunnel.once('end', () => completion.meet('stdout done'));
    tunnel.once('close', () => {
      // Destroyed before its child could start: it never will.
      if (this.#deferred?.waiting) this.#giveUpStart(new Error(DESTROYED_BEFORE_START));
      completion.meet('stdout done');
    });
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    return tunnel;
  }

  // The shared connection the child waited for is ready: it starts now.
  #startNow(): void {
    if (this.#tunnel!.destroyed) {
      // Destroyed in the same turn: its 'close' is still to come, and no child may start.
      this.#giveUpStart(new Error(DESTROYED_BEFORE_START));
      return;
    }
    const started = this.#attempts.start();
    if ('failure' in started) {
      // Still waiting, as far as the caller can tell, until why is known.
      void started.failure.then((err) => this.#failUnstarted(() => spawnError(this.#facts(), err, this.#settings.cwd)));
      return;
    }
    this.#deferred!.end();
    if (!started.stdout) this.#completion.meet('stdout done');
    this.#tunnel!.attach(started.stdin, started.stdout);
    // close() came while it waited: SIGTERM when it would have come had the child been running.
    const delay = this.#deferred!.termDelay(this.#settings.killGraceMs);
    if (delay !== undefined) this.#terminate(delay);
  }

  // The caller gave up on a start that waits (`why` is the abort error's cause).
  #giveUpStart(why: unknown): void {
    if (this.#deferred?.waiting) this.#internal.gaveUpWaiting?.();
    this.#failUnstarted(() => abortError(this.#facts(), why));
  }

  // No child will run: what waited to be written fails with the error. The run settles with
  // the error made again once those writes are counted as not sent (its bytesNotSent).
  #failUnstarted(error: () => RemoteShellError): void {
    if (!this.#deferred?.end()) return;
    const completion = this.#completion;
    completion.recordExit(NEVER_RAN);
    completion.failure = error();
    this.#tunnel!.closeInput();
    this.#tunnel!.endOutput();
    completion.failure = error();
    completion.meet('exited', 'stderr drained', 'stdout done');
  }

  // Nothing runs: the stream fails with the error once it is known, and `finished` rejects.
  #failBeforeSpawn(error: Promise<RemoteShellError>): Duplex {
    this.#completion.recordExit(NEVER_RAN);
    void error.then((err) => {
      this.#completion.failure = err;
      this.#completion.meet('exited', 'stderr drained', 'stdout done');
    });
    return new FailedStream(error);
  }

  // ---- the child's exit ----

  #onExit(attempt: number, exit: Exit): void {
    if (!this.#retry!.exitWaits(attempt, exit)) this.#exited(exit);
  }

  // The child is gone for good: what follows its exit.
  #exited(exit: Exit): void {
    this.#completion.recordExit(exit);
    const tunnel = this.#tunnel!;
    tunnel.holdEnd(false);
    // As Node does for its own stdio: a write after the exit fails at once, even when a
    // grandchild still holds the child's stdin.
    tunnel.closeInput();
    void this.#attempts.drainStderr();
    this.#afterExit!.childExited(this.#endedBy.size > 0);
    this.#completion.meet('exited');
  }

  // The run as the retry decision sees it.
  #retryRun(): RetryRun {
    const attempts = this.#attempts;
    const endedBy = this.#endedBy;
    return {
      get attempts() {
        return attempts.count;
      },
      get gaveUp() {
        return endedBy.size > 0;
      },
      drainStderr: () => attempts.drainStderr(),
      facts: (exit) => ({ ...this.#facts(), exit }),
      final: (exit) => this.#exited(exit),
      startAgain: (exit) => this.#startAgain(exit),
    };
  }

  // A new child behind the same stream, in place of one that never connected.
  #startAgain(exit: Exit): void {
    this.#completion.unmeet('stderr drained');
    const started = this.#attempts.startAgain();
    if ('failure' in started) {
      // No child this time: the run ends with why it could not start.
      void started.failure.then((err) => {
        this.#completion.failure = spawnError(this.#facts(), err, this.#settings.cwd);
        this.#completion.meet('stderr drained', 'stdout done');
        this.#exited(exit);
      });
      return;
    }
    this.#tunnel!.reattach(started.stdin, started.stdout);
  }

  // ---- the ways out ----

  #abandon(how: Ending): void {
    if (this.#completion.settled) return;
    this.#endedBy.add(how);
    // A retry being decided on or waited for is off: the last exit is the end.
    this.#retry?.endWaiting();
    if (this.#completion.exit) this.#afterExit?.abandoned();
  }

  #abort(): void {
    if (this.#completion.settled) return;
    this.#endedBy.add('abort');
    if (this.#deferred?.waiting) this.#giveUpStart(this.#settings.signal?.reason);
    this.#abandon('abort');
    this.#terminate(0);
  }

  // SIGTERM after `delay`, SIGKILL after killGraceMs more, for as long as the child runs.
  #terminate(delay: number): void {
    const grace = this.#settings.killGraceMs;
    const term = (): void => {
      if (this.#signal('SIGTERM')) this.#timers.after(grace, () => this.#signal('SIGKILL'));
    };
    if (delay === 0) term();
    else this.#timers.after(delay, term);
  }

  #signal(signal: NodeJS.Signals | number): boolean {
    const child = this.#attempts.child;
    if (!child || this.#completion.exit || this.#retry?.pending || child.pid === undefined) return false;
    return child.kill(signal);
  }

  // One error for every write that fails at the same stage of the run (running, exited, drained):
  // each stage knows more of why, and a writer that keeps writing does not diagnose each time.
  #closedError(cause: Error | undefined, handedOver: number | undefined): RemoteShellError {
    const completion = this.#completion;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    const stage = `${completion.exit ? 'exited' : 'running'}/${completion.has('stderr drained') ? 'drained' : 'draining'}/${code}`;
    // A start that never happened: a write fails with why.
    if (!this.#attempts.child && completion.failure) return completion.failure;
    let error = this.#closedErrors.get(stage);
    if (!error) {
      error = streamClosedError(this.#facts(), cause, handedOver);
      this.#closedErrors.set(stage, error);
    }
    return error;
  }

  // ---- settling ----

  #settle(resolve: (result: RemoteShellResult) => void, reject: (error: RemoteShellError) => void): void {
    this.#timers.clear();
    this.#settings.signal?.removeEventListener('abort', this.#onAbort);
    this.#tunnel?.release();
    this.#attempts.release();

    const facts = this.#facts();
    const failure = this.#completion.failure;
    const aborted = this.#endedBy.has('abort');
    const error = failure ?? (aborted ? abortError(facts, this.#settings.signal?.reason) : exitError(facts));
    // A callback that failed is why its prompt was cancelled.
    const askpassFailure = this.#attempts.askpassFailure;
    if (error && error.cause === undefined && askpassFailure !== undefined) error.cause = askpassFailure;
    const lost = this.#internal.sharedConnectionLost;
    if (error && lost && !failure && !aborted && mayBeSharedConnectionEnd(error)) {
      // ssh's 255 through a shared connection: the master may have ended under the session,
      // which the session's own stderr does not say (the master's goes to /dev/null).
      lost(error)
        .then((found) => reject(found ? sharedConnectionLostError(facts, found.target, found.cause) : error))
        .catch(() => reject(error));
      return;
    }
    if (error) reject(error);
    else resolve({ code: 0, signal: null, ...facts.counts });
  }

  #facts(): ShellFacts {
    const stderr = this.#attempts.stderr;
    const notSent = this.stream instanceof FailedStream ? this.stream.bytesNotSent : 0;
    return {
      argv: this.argv,
      exit: this.#completion.exit,
      counts: this.#tunnel?.counts ?? { ...NO_BYTES, bytesNotSent: notSent },
      stderr: { snapshot: () => this.stderr.snapshot(), overwritten: stderr?.overwritten ?? [] },
      live: stderr?.live ?? false,
      stdoutHandedOver: this.#settings.stdout !== 'pipe',
      attempts: Math.max(this.#attempts.count, 1),
    };
  }
}

// ssh's own exit (255) that its stderr does not explain as one of ssh's failures: through a
// shared connection, that is what a session sees when its master ends.
function mayBeSharedConnectionEnd(error: RemoteShellError): boolean {
  return error.exitCode === 255 && ['remote-command-failed', 'unknown', 'connection-lost', 'closed-by-remote'].includes(error.reason);
}
