// One run of a remote shell behind its public object (RemoteShell): the start, now or once a
// shared connection is ready (DeferredStart); each child (Attempts) and its exit, which may be
// tried again (RetryDecision); unread output after it (StdoutAfterExit); the caller's ways out;
// and the end, once the conditions of Completion are met, with what settleRun decides.

import type { Duplex, Readable, Writable } from 'node:stream';
import {
  abortError,
  NO_BYTES,
  sharedConnectionError,
  spawnError,
  streamClosedError,
  type Exit,
  type RemoteShellError,
  type ShellFacts,
} from '../errors.js';
import type { InternalOptions } from '../internal.js';
import type { ShellSettings } from '../options.js';
import { NO_STDERR, type RemoteShellStderr } from '../stderr/shell-stderr.js';
import { FailedStream } from '../stream/failed-stream.js';
import { Tunnel } from '../stream/tunnel.js';
import { effectiveConfig } from '../diagnosis/effective-config.js';
import { RunEvents } from '../events.js';
import { Timers } from '../timers.js';
import { Attempts } from './attempts.js';
import { Completion } from './completion.js';
import { DeferredStart, DESTROYED_BEFORE_START, type WaitingRun } from './deferred-start.js';
import { settleRun, type RemoteShellResult } from './outcome.js';
import { RetryDecision, type RetryRun } from './retry-decision.js';
import { watchStalls, type StallWatchdog } from './stall-watchdog.js';
import { StdoutAfterExit } from './stdout-after-exit.js';
import { WriteErrors } from './write-errors.js';

/** How the run was ended before its child ended it: by the caller, or by the stall watchdog. Each
 * abandons what stdout still holds once the child is gone. */
type Ending = 'close' | 'abort' | 'kill' | 'stall';

export class ShellRun {
  /** A Tunnel over the children's stdio, or a FailedStream when no child could start at all. */
  readonly stream: Duplex;
  readonly finished: Promise<RemoteShellResult>;
  readonly exited: Promise<Exit>;
  readonly #argv: readonly string[];
  readonly #settings: ShellSettings;
  // What openRemoteShell arranged: the start's gate, the shared connection's checks.
  readonly #internal: InternalOptions;
  // Every timer of the run, cleared together when it settles.
  readonly #timers = new Timers();
  // The run's children, and when the run is over.
  readonly #attempts: Attempts;
  readonly #completion: Completion<RemoteShellResult>;
  // The decisions about the stream once a child runs behind it.
  #retry: RetryDecision | undefined;
  #afterExit: StdoutAfterExit | undefined;
  // Set while the child waits for a shared connection (see DeferredStart).
  #deferred: DeferredStart | undefined;
  // Ends a child through which nothing moves while the caller waits (stallTimeoutMs).
  #watchdog: StallWatchdog | undefined;
  // How the caller ended it; the errors failed writes get; the abort signal's listener.
  readonly #endedBy = new Set<Ending>();
  readonly #writeErrors: WriteErrors;
  readonly #onAbort = (): void => this.#abort();
  // What observers are told (diagnostics_channel).
  readonly #events: RunEvents;

  constructor(argv: readonly string[], settings: ShellSettings, internal: InternalOptions) {
    this.#argv = argv;
    this.#settings = settings;
    this.#internal = internal;
    this.#events = new RunEvents(argv, internal.master === true);
    this.#completion = new Completion((resolve, reject) => this.#settle(resolve, reject));
    const handedOver = typeof settings.stdin === 'number' ? settings.stdin : undefined;
    this.#writeErrors = new WriteErrors((cause) => streamClosedError(this.#facts(), cause, handedOver));
    this.finished = this.#completion.finished;
    this.exited = this.#completion.exited;
    this.#attempts = new Attempts(argv, settings, internal, this.#timers, {
      exited: (attempt, exit) => this.#onExit(attempt, exit),
      stderrEnded: () => this.#completion.meet('stderr drained'),
      spawned: (attempt, pid) => this.#events.spawned(attempt, pid),
    });
    this.stream = this.#start();
  }

  /** The last attempt's stderr (its capture stays readable after the end). */
  get stderr(): RemoteShellStderr {
    return this.#attempts.stderr ?? NO_STDERR;
  }

  get attempts(): number {
    return this.#attempts.count;
  }

  get pid(): number | undefined {
    return this.#attempts.child?.pid;
  }

  /** See RemoteShell.kill (the signal already checked). */
  kill(signal: NodeJS.Signals | number): boolean {
    if (signal !== 0) {
      this.#deferred?.giveUp(new Error(`killed (${signal}) before it started`));
      this.#abandon('kill');
    }
    return this.#attempts.signal(signal);
  }

  /** See RemoteShell.close: ends stdin, and the child on close()'s schedule. */
  close(): void {
    if (this.#completion.settled || this.#endedBy.has('close')) return;
    this.#abandon('close');
    const tunnel = this.#tunnel;
    if (tunnel && !tunnel.writableEnded && !tunnel.destroyed) tunnel.end();
    const grace = this.#settings.killGraceMs;
    if (this.#deferred?.waiting) {
      // A start still waiting gets as long as a running child would to finish, and a child
      // that starts meanwhile is ended on the same schedule (see DeferredStart).
      this.#deferred.closed();
      this.#timers.after(grace * 2, () => this.#deferred!.giveUp(new Error(`closed, and not started within ${grace * 2} ms`)));
    } else {
      this.#attempts.terminate(grace);
    }
  }

  // The stream over the children's stdio; undefined while being made, or when none could start.
  get #tunnel(): Tunnel | undefined {
    return this.stream instanceof Tunnel ? this.stream : undefined;
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
      this.#deferred = new DeferredStart(gate, this.#waitingRun(tunnel), settings.killGraceMs);
      return tunnel;
    }
    const started = this.#attempts.start();
    if ('failure' in started) return this.#failBeforeSpawn(started.failure.then((err) => spawnError(this.#facts(), err, settings.cwd)));
    return this.#openTunnel(started);
  }

  #openTunnel(started: { stdin: Writable | null; stdout: Readable | null } | undefined): Tunnel {
    const settings = this.#settings;
    const completion = this.#completion;
    const tunnel = new Tunnel(
      started?.stdin ?? null,
      started?.stdout ?? null,
      {
        closedError: (cause) => this.#closedError(cause),
        pendingBytes: (fd) => this.#attempts.binding?.pendingBytes?.(fd),
        // Using the stream ends a retry being decided on or waited for: the last exit is the end.
        touched: () => this.#retry?.endWaiting(),
        firstByte: () => this.#events.connected(this.#attempts.count),
      },
      started === undefined,
    );
    this.#retry = new RetryDecision(settings.retry, settings.drainTimeoutMs, this.#timers, tunnel.retryView, this.#retryRun());
    this.#afterExit = new StdoutAfterExit(tunnel, this.#timers, settings.drainTimeoutMs, () => completion.has('stdout done'));
    tunnel.holdEnd(settings.retry.attempts > 0);
    if (started && !started.stdout) completion.meet('stdout done');
    tunnel.once('end', () => completion.meet('stdout done'));
    tunnel.once('close', () => {
      // Destroyed before its child could start: it never will.
      this.#deferred?.giveUp(new Error(DESTROYED_BEFORE_START));
      completion.meet('stdout done');
    });
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#watchdog = watchStalls(
      settings.stallTimeoutMs,
      this.#timers,
      tunnel,
      () => this.#attempts.running,
      () => this.#stall(),
    );
    return tunnel;
  }

  // The run as a start that waits sees it.
  #waitingRun(tunnel: Tunnel): WaitingRun {
    const completion = this.#completion;
    return {
      streamDestroyed: () => tunnel.destroyed,
      startChild: () => {
        const started = this.#attempts.start();
        if ('failure' in started) return started.failure;
        if (!started.stdout) completion.meet('stdout done');
        tunnel.attach(started.stdin, started.stdout);
        return undefined;
      },
      endUnstarted: (error) => {
        completion.failure = error();
        tunnel.closeInput();
        tunnel.endOutput();
        completion.neverRan(error());
      },
      terminate: (delayMs) => this.#attempts.terminate(delayMs),
      abortError: (why) => abortError(this.#facts(), why),
      refusedError: (refusal) => sharedConnectionError(this.#facts(), refusal),
      spawnError: (cause) => spawnError(this.#facts(), cause, this.#settings.cwd),
      gaveUpWaiting: this.#internal.gaveUpWaiting,
    };
  }

  // Nothing runs: the stream fails with the error once it is known, and `finished` rejects.
  #failBeforeSpawn(error: Promise<RemoteShellError>): Duplex {
    void error.then((err) => this.#completion.neverRan(err));
    return new FailedStream(error);
  }

  // ---- the child's exit ----

  #onExit(attempt: number, exit: Exit): void {
    if (!this.#retry!.exitWaits(attempt, exit)) this.#exited(exit);
  }

  // The child is gone for good: what follows its exit.
  #exited(exit: Exit): void {
    this.#watchdog?.stop();
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
    return {
      attempts: () => this.#attempts.count,
      gaveUp: () => this.#endedBy.size > 0,
      drainStderr: () => this.#attempts.drainStderr(),
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
    this.#watchdog?.stop();
    // A retry being decided on or waited for is off: the last exit is the end.
    this.#retry?.endWaiting();
    if (this.#completion.exit) this.#afterExit?.abandoned();
  }

  #abort(): void {
    if (this.#completion.settled) return;
    this.#endedBy.add('abort');
    this.#deferred?.giveUp(this.#settings.signal?.reason);
    this.#abandon('abort');
    this.#attempts.terminate(0);
  }

  // Nothing moved while the caller waited (stallTimeoutMs): ended as an abort is, and said so.
  #stall(): void {
    this.#abandon('stall');
    this.#attempts.terminate(0);
  }

  #closedError(cause: Error | undefined): RemoteShellError {
    const completion = this.#completion;
    // A start that never happened: a write fails with why.
    if (!this.#attempts.child && completion.failure) return completion.failure;
    return this.#writeErrors.errorFor({ exited: completion.exit !== undefined, drained: completion.has('stderr drained') }, cause);
  }

  #settle(resolve: (result: RemoteShellResult) => void, reject: (error: RemoteShellError) => void): void {
    this.#timers.clear();
    this.#settings.signal?.removeEventListener('abort', this.#onAbort);
    this.#tunnel?.release();
    this.#attempts.release();
    const end = {
      facts: this.#facts(),
      failure: this.#completion.failure,
      aborted: this.#endedBy.has('abort'),
      abortReason: this.#settings.signal?.reason,
      stalledMs: this.#endedBy.has('stall') ? this.#settings.stallTimeoutMs : undefined,
      askpassFailure: this.#attempts.askpassFailure,
      sharedConnectionLost: this.#internal.sharedConnectionLost,
      spawned: this.#attempts.count > 0,
      events: this.#events,
      sshConfig: () => effectiveConfig(this.#argv, this.#settings.env, this.#settings.cwd, { signal: this.#settings.signal }),
    };
    settleRun(end, resolve, reject);
  }

  #facts(): ShellFacts {
    const stderr = this.#attempts.stderr;
    // Read while the stream is being made, too (an abort before the start).
    const notSent = this.stream instanceof FailedStream ? this.stream.bytesNotSent : 0;
    return {
      argv: this.#argv,
      exit: this.#completion.exit,
      counts: this.#tunnel?.counts ?? { ...NO_BYTES, bytesNotSent: notSent },
      stderr: { snapshot: () => this.stderr.snapshot(), overwritten: stderr?.overwritten ?? [] },
      live: stderr?.live ?? false,
      stdoutHandedOver: this.#settings.stdout !== 'pipe',
      attempts: Math.max(this.#attempts.count, 1),
    };
  }
}
