// RemoteShell: one spawned remote shell and the policy of its life. It settles `finished` once
// three things are over: the child has exited, its stderr is drained, and its stdout is done
// (read to the end by the consumer, or given up); then no fd, timer, child or capture slot of it
// is left.
//
// What happens to stdout after the exit, the part that decides whether `finished` can hang:
// - a consumer reading, however slowly, gets every byte, and `finished` waits for it;
// - a consumer that never attached a reader gets stdout drained and discarded (Node's
//   flushStdio does the same for child_process);
// - after close(), an abort or kill(), the consumer has drainTimeoutMs after the exit to read
//   what is left, then the rest is discarded and the stream destroyed;
// - a writer that outlives the child (a grandchild holding its stdout, which may write for ever)
//   is stopped listening to after drainTimeoutMs, once everything the child itself wrote is in.
//
// With `retry`, a child that exited with 255 while nothing crossed the stream is not yet the
// end: the exit waits (stdout's end held back, stdin left open) until its stderr is drained and
// diagnosed; if the connection was never established, a new child takes its place behind the
// same stream after retry.delayMs. Using the stream, close(), an abort or kill() ends the waiting.

import type { ChildProcess } from 'node:child_process';
import { Duplex, type Readable, type Writable } from 'node:stream';
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
import type { NativeBinding } from './native/binding.js';
import { checkKillSignal, checkShellOptions, type RemoteShellOptions, type ShellSettings } from './options.js';
import { grantAskpass, type AskpassGrant } from './askpass/askpass-server.js';
import { isRetryable } from './retry.js';
import { checkRshWords } from './rsh/argv.js';
import { startRemoteShell } from './shell-spawn.js';
import { NO_STDERR, type ShellStderr, type RemoteShellStderr } from './stderr/shell-stderr.js';
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

// How often to look again whether a slow consumer has taken in what the child wrote.
const RECHECK_MS = 20;

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
  readonly #timers = new Timers();
  #shellStderr: ShellStderr | undefined;
  #child: ChildProcess | undefined;
  #tunnel: Tunnel | undefined;
  #failed: FailedStream | undefined;
  #exit: Exit | undefined;
  #stderrDone = false;
  #stdoutDone = false;
  #spawnFailure: RemoteShellError | undefined;
  #aborted = false;
  #closing = false;
  // close(), an abort or kill(): once the child is gone, unread output may be given up.
  #abandoned = false;
  #discardArmed = false;
  #settled = false;
  #resolve!: (result: RemoteShellResult) => void;
  #reject!: (err: RemoteShellError) => void;
  #resolveExited!: (exit: Exit) => void;
  readonly #onAbort = (): void => this.#abort();
  readonly #closedErrors = new Map<string, RemoteShellError>();
  #internal: InternalOptions = {};
  // Attempts started, and the exit of the last one while a retry is being decided on.
  #attempts = 0;
  #pendingExit: Exit | undefined;
  #drainedAttempt = 0;
  // The start waits for what the child needs (see #start); the binding of the last start.
  #waiting = false;
  #closedAt = 0;
  #binding: NativeBinding | undefined;
  // The askpass channel of this shell's prompts, void once it settles.
  #askpass: AskpassGrant | undefined;

  /**
   * Use openRemoteShell(); this spawns `argv` as it is.
   * @throws RemoteShellError ERR_INVALID_RSH for a malformed argv, TypeError or RangeError for an
   * option out of its range, before anything is allocated or spawned.
   */
  constructor(argv: readonly string[], options: RemoteShellOptions & { [internal]?: InternalOptions } = {}) {
    if (!Array.isArray(argv)) throw new TypeError('argv must be an array of strings: [program, ...args]');
    this.argv = Object.freeze(checkRshWords(argv));
    this.#settings = checkShellOptions(options);
    this.finished = new Promise<RemoteShellResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Awaiting `finished` is optional: a failure must not also surface as an unhandled rejection.
    this.finished.catch(() => {});
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    const current = (): RemoteShellStderr => this.#shellStderr ?? NO_STDERR;
    this.stderr = {
      snapshot: () => current().snapshot(),
      get stats() {
        return current().stats;
      },
    };
    this.#internal = options[internal] ?? {};
    this.stream = this.#start();
    // Errors of the stream reach write callbacks and `finished`; unobserved, they must not crash.
    this.stream.on('error', () => {});
  }

  /** How many times the remote shell was started: 1, or more when `retry` tried again. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The remote shell's pid, undefined when it could not be spawned. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Sends a signal to the remote shell; false when it is not running. Any signal but 0 also says
   * the run is over for the caller: once the child is gone, the consumer has drainTimeoutMs to
   * read what is left of stdout, then the rest is discarded.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    checkKillSignal(signal);
    if (signal !== 0 && this.#waiting) this.#giveUpStart(new Error(`killed (${signal}) before it started`));
    if (signal !== 0) this.#abandon();
    return this.#signal(signal);
  }

  /**
   * Ends the remote shell's stdin and waits for it to exit; after killGraceMs sends SIGTERM,
   * after as long again SIGKILL. Resolves once everything is released, at the latest
   * killGraceMs * 2 + drainTimeoutMs after the call (plus scheduling); never rejects (the
   * outcome stays in `finished`).
   */
  async close(): Promise<void> {
    if (!this.#settled && !this.#closing) {
      this.#closing = true;
      this.#abandon();
      const tunnel = this.#tunnel;
      if (tunnel && !tunnel.writableEnded && !tunnel.destroyed) tunnel.end();
      // A start still waiting gets as long as a running child would to finish, and a child
      // that starts meanwhile is ended on the same schedule (see #startNow): close() keeps its bound.
      this.#closedAt = performance.now();
      if (this.#waiting) {
        const bound = this.#settings.killGraceMs * 2;
        this.#timers.after(bound, () => this.#giveUpStart(new Error(`closed, and not started within ${bound} ms`)));
      } else {
        this.#terminate(this.#settings.killGraceMs);
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
      this.#aborted = true;
      return this.#failBeforeSpawn(abortError(this.#facts(), settings.signal.reason));
    }
    const gate = this.#internal.startAfter;
    if (gate !== undefined) {
      // The child starts once what it needs (a shared connection) is ready; the stream takes
      // writes meanwhile, and holds them.
      this.#waiting = true;
      const tunnel = this.#openTunnel(undefined);
      gate
        .then(
          (refusal) => this.#startNow(refusal),
          (err: unknown) => this.#startNow(spawnError(this.#facts(), err, settings.cwd)),
        )
        .catch((err: unknown) => this.#failUnstarted(() => spawnError(this.#facts(), err, settings.cwd)));
      return tunnel;
    }
    const started = this.#spawnAttempt();
    if ('failure' in started) return this.#failBeforeSpawn(started.failure);
    return this.#openTunnel(started);
  }

  #openTunnel(started: { stdin: Writable | null; stdout: Readable | null } | undefined): Tunnel {
    const settings = this.#settings;
    const handedOver = typeof settings.stdin === 'number' ? settings.stdin : undefined;
    const tunnel = (this.#tunnel = new Tunnel(
      started?.stdin ?? null,
      started?.stdout ?? null,
      {
        closedError: (cause) => this.#closedError(cause, handedOver),
        pendingBytes: (fd) => this.#binding?.pendingBytes?.(fd),
        // Using the stream ends a retry being decided on or waited for: the last exit is the end.
        touched: () => {
          if (this.#pendingExit) this.#exited(this.#pendingExit);
        },
      },
      started === undefined,
    ));
    tunnel.holdEnd(settings.retry.attempts > 0);
    if (started && !started.stdout) this.#stdoutDone = true;
    tunnel.once('end', () => this.#onStdoutDone());
    tunnel.once('close', () => {
      // Destroyed before its child could start: it never will.
      if (this.#waiting) this.#giveUpStart(new Error(DESTROYED_BEFORE_START));
      this.#onStdoutDone();
    });
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    return tunnel;
  }

  // The shared connection the child waited for is ready, or could not be made (`refusal`, the
  // master's error): it starts now, unless the caller gave up meanwhile.
  #startNow(refusal: RemoteShellError | undefined): void {
    if (!this.#waiting) return;
    if (refusal) {
      this.#failUnstarted(() => sharedConnectionError(this.#facts(), refusal));
      return;
    }
    if (this.#tunnel!.destroyed) {
      // Destroyed in the same turn: its 'close' is still to come, and no child may start.
      this.#giveUpStart(new Error(DESTROYED_BEFORE_START));
      return;
    }
    this.#waiting = false;
    const started = this.#spawnAttempt();
    if ('failure' in started) {
      this.#waiting = true;
      void started.failure.then((err) => this.#failUnstarted(() => err));
      return;
    }
    if (!started.stdout) this.#stdoutDone = true;
    this.#tunnel!.attach(started.stdin, started.stdout);
    // close() came while it waited: SIGTERM when it would have come had the child been running.
    if (this.#closing) this.#terminate(Math.max(0, Math.ceil(this.#closedAt + this.#settings.killGraceMs - performance.now())));
  }

  // The caller gave up on a start that waits (`why` is the abort error's cause).
  #giveUpStart(why: unknown): void {
    if (this.#waiting) this.#internal.gaveUpWaiting?.();
    this.#failUnstarted(() => abortError(this.#facts(), why));
  }

  // No child will run: what waited to be written fails with the error, and the run settles
  // with it, made again once those writes are counted as not sent.
  #failUnstarted(error: () => RemoteShellError): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#exit = { code: null, signal: null };
    this.#resolveExited(this.#exit);
    this.#stderrDone = this.#stdoutDone = true;
    this.#spawnFailure = error();
    this.#tunnel!.closeInput();
    this.#tunnel!.endOutput();
    this.#spawnFailure = error();
    this.#maybeSettle();
  }

  // Starts one child; on failure, leaves nothing behind (see shell-spawn.ts) and says why.
  #spawnAttempt(): { stdin: Writable | null; stdout: Readable | null; binding: NativeBinding } | { failure: Promise<RemoteShellError> } {
    const attempt = ++this.#attempts;
    const askpass = this.#settings.askpass;
    try {
      if (askpass && !this.#askpass) this.#askpass = grantAskpass(askpass);
    } catch (err) {
      // No private directory for the channel (TMPDIR gone, no space): nothing was started.
      return { failure: Promise.resolve(spawnError(this.#facts(), err, this.#settings.cwd)) };
    }
    const started = startRemoteShell(this.argv, this.#settings, this.#internal, this.#askpass?.env);
    if ('cause' in started) {
      // A later attempt's capture never takes over: the last attempt's stderr explains the run.
      if (attempt === 1) this.#shellStderr = started.stderr;
      else started.stderr?.finish();
      if (started.child) this.#child = started.child;
      return { failure: started.cause.then((err) => spawnError(this.#facts(), err, this.#settings.cwd)) };
    }
    this.#child = started.child;
    this.#shellStderr = started.stderr;
    this.#binding = started.binding;
    started.child.once('exit', (code, signal) => this.#onExit(attempt, { code, signal }));
    started.stderr.ended.then(() => {
      if (attempt !== this.#attempts) return;
      this.#stderrDone = true;
      this.#maybeSettle();
    });
    return started;
  }

  // Nothing runs: the stream fails with the error once it is known, and `finished` rejects.
  #failBeforeSpawn(error: RemoteShellError | Promise<RemoteShellError>): Duplex {
    this.#exit = { code: null, signal: null };
    this.#stderrDone = this.#stdoutDone = true;
    const known = Promise.resolve(error);
    const stream = (this.#failed = new FailedStream(known));
    known.then((err) => {
      this.#spawnFailure = err;
      this.#maybeSettle();
    });
    return stream;
  }

  // ---- events ----

  #onExit(attempt: number, exit: Exit): void {
    if (attempt !== this.#attempts) return;
    // Where the kernel cannot say whether anything came back, the decision finds out.
    if (this.#mayRetry(exit, true)) {
      this.#awaitRetryDecision(attempt, exit);
      return;
    }
    this.#exited(exit);
  }

  // The child is gone for good: what follows its exit.
  #exited(exit: Exit): void {
    this.#pendingExit = undefined;
    this.#exit = exit;
    this.#resolveExited(exit);
    const tunnel = this.#tunnel!;
    tunnel.holdEnd(false);
    // As Node does for its own stdio: a write after the exit fails at once, even when a
    // grandchild still holds the child's stdin.
    tunnel.closeInput();
    this.#drainStderr();
    this.#stdoutAfterExit();
    this.#maybeSettle();
  }

  // The attempt's stderr is read to its end (once per attempt).
  #drainStderr(): void {
    if (this.#drainedAttempt === this.#attempts) return;
    this.#drainedAttempt = this.#attempts;
    this.#shellStderr!.childExited(this.#settings.drainTimeoutMs);
  }

  // ---- trying again ----

  #mayRetry(exit: Exit, unknownIsEnough = false): boolean {
    const untouched = this.#tunnel!.untouchedState;
    return (
      exit.code === 255 &&
      this.#attempts <= this.#settings.retry.attempts &&
      !this.#abandoned &&
      !this.#aborted &&
      !this.#closing &&
      (untouched === 'yes' || (unknownIsEnough && untouched === 'unknown'))
    );
  }

  // The exit of `attempt` waits until its stderr is drained and says whether it ever connected.
  #awaitRetryDecision(attempt: number, exit: Exit): void {
    this.#pendingExit = exit;
    const stderr = this.#shellStderr!;
    this.#drainStderr();
    // Without the addon, whether anything came back is known once stdout's end is read.
    Promise.all([stderr.ended, this.#tunnel!.readToEnd(this.#settings.drainTimeoutMs)]).then(() => {
      if (attempt !== this.#attempts || this.#pendingExit !== exit) return;
      const failure = exitError({ ...this.#facts(), exit });
      if (!failure || !isRetryable(failure, this.#settings.retry) || !this.#mayRetry(exit)) {
        this.#exited(exit);
        return;
      }
      this.#timers.after(this.#settings.retry.delayMs, () => this.#retry(attempt, exit));
    });
  }

  #retry(attempt: number, exit: Exit): void {
    if (attempt !== this.#attempts || this.#pendingExit !== exit) return;
    if (!this.#mayRetry(exit)) {
      this.#exited(exit);
      return;
    }
    const previous = this.#shellStderr!;
    previous.finish();
    this.#stderrDone = false;
    this.#pendingExit = undefined;
    const started = this.#spawnAttempt();
    if ('failure' in started) {
      // No child this time: the run ends with why it could not start.
      void Promise.resolve(started.failure).then((err) => {
        this.#spawnFailure = err;
        this.#stderrDone = this.#stdoutDone = true;
        this.#exited(exit);
      });
      return;
    }
    this.#tunnel!.reattach(started.stdin, started.stdout);
  }

  #onStdoutDone(): void {
    this.#stdoutDone = true;
    this.#maybeSettle();
  }

  #stdoutAfterExit(): void {
    const tunnel = this.#tunnel!;
    if (this.#stdoutDone) return;
    tunnel.childExited();
    if (this.#abandoned) {
      this.#armDiscard();
      return;
    }
    // After the 'exit' handlers and the continuations of `exited` have had their turn to attach.
    setImmediate(() => {
      if (!this.#stdoutDone && !this.#abandoned && !tunnel.hasReader) tunnel.discardOutput();
    });
    // A writer that outlives the child (a grandchild holding its stdout) may write for ever:
    // once what the child itself wrote is in, and the drain time is over, stdout ends.
    const lingering = (): void => {
      if (this.#stdoutDone || tunnel.outputEnded) return;
      if (tunnel.discarding || tunnel.childOutputIn(this.#settings.drainTimeoutMs)) tunnel.endOutput();
      else this.#timers.after(Math.max(Math.min(this.#settings.drainTimeoutMs, RECHECK_MS * 5), RECHECK_MS), lingering);
    };
    this.#timers.after(this.#settings.drainTimeoutMs, lingering);
  }

  // ---- the ways out ----

  #abandon(): void {
    if (this.#settled) return;
    this.#abandoned = true;
    // A retry being decided on or waited for is off: the last exit is the end.
    if (this.#pendingExit) this.#exited(this.#pendingExit);
    if (this.#exit) this.#armDiscard();
  }

  #armDiscard(): void {
    if (this.#discardArmed || this.#stdoutDone) return;
    this.#discardArmed = true;
    this.#timers.after(this.#settings.drainTimeoutMs, () => {
      if (!this.#stdoutDone) this.#tunnel?.abandonOutput();
    });
  }

  #abort(): void {
    if (this.#settled) return;
    this.#aborted = true;
    if (this.#waiting) this.#giveUpStart(this.#settings.signal?.reason);
    this.#abandon();
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
    if (!this.#child || this.#exit || this.#pendingExit || this.#child.pid === undefined) return false;
    return this.#child.kill(signal);
  }

  // One error for every write that fails at the same stage of the run (running, exited, drained):
  // each stage knows more of why, and a writer that keeps writing does not diagnose each time.
  #closedError(cause: Error | undefined, handedOver: number | undefined): RemoteShellError {
    const stage = `${this.#exit ? 'exited' : 'running'}/${this.#stderrDone ? 'drained' : 'draining'}/${(cause as NodeJS.ErrnoException | undefined)?.code ?? ''}`;
    // A start that never happened: a write fails with why.
    if (!this.#child && this.#spawnFailure) return this.#spawnFailure;
    let error = this.#closedErrors.get(stage);
    if (!error) {
      error = streamClosedError(this.#facts(), cause, handedOver);
      this.#closedErrors.set(stage, error);
    }
    return error;
  }

  // ---- settling ----

  #maybeSettle(): void {
    if (this.#settled || !this.#exit || !this.#stderrDone || !this.#stdoutDone) return;
    this.#settled = true;
    this.#resolveExited(this.#exit);
    this.#timers.clear();
    this.#settings.signal?.removeEventListener('abort', this.#onAbort);
    this.#tunnel?.release();
    this.#shellStderr?.finish();
    this.#askpass?.revoke();

    const facts = this.#facts();
    const error = this.#spawnFailure ?? (this.#aborted ? abortError(facts, this.#settings.signal?.reason) : exitError(facts));
    // A callback that failed is why its prompt was cancelled.
    if (error && error.cause === undefined && this.#askpass?.failure !== undefined) error.cause = this.#askpass.failure;
    const lost = this.#internal.sharedConnectionLost;
    if (error && lost && !this.#spawnFailure && !this.#aborted && mayBeSharedConnectionEnd(error)) {
      // ssh's 255 through a shared connection: the master may have ended under the session,
      // which the session's own stderr does not say (the master's goes to /dev/null).
      lost(error)
        .then((found) => this.#reject(found ? sharedConnectionLostError(facts, found.target, found.cause) : error))
        .catch(() => this.#reject(error));
      return;
    }
    if (error) this.#reject(error);
    else this.#resolve({ code: 0, signal: null, ...facts.counts });
  }

  #facts(): ShellFacts {
    return {
      argv: this.argv,
      exit: this.#exit,
      counts: this.#tunnel?.counts ?? { ...NO_BYTES, bytesNotSent: this.#failed?.bytesNotSent ?? 0 },
      stderr: { snapshot: () => this.stderr.snapshot(), overwritten: this.#shellStderr?.overwritten ?? [] },
      live: this.#shellStderr?.live ?? false,
      stdoutHandedOver: this.#settings.stdout !== 'pipe',
      attempts: Math.max(this.#attempts, 1),
    };
  }
}

// ssh's own exit (255) that its stderr does not explain as one of ssh's failures: through a
// shared connection, that is what a session sees when its master ends.
function mayBeSharedConnectionEnd(error: RemoteShellError): boolean {
  return error.exitCode === 255 && ['remote-command-failed', 'unknown', 'connection-lost', 'closed-by-remote'].includes(error.reason);
}
