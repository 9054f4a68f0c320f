// The children of one run: one, or more when `retry` tries again. Each attempt gets its own
// stderr capture and sockets; the askpass channel is granted once and serves them all. Only the
// last attempt speaks: an earlier child's exit or stderr end, arriving late, is ignored.

import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { grantAskpass, type AskpassGrant } from '../askpass/askpass-server.js';
import type { Exit } from '../errors.js';
import type { InternalOptions } from '../internal.js';
import type { NativeBinding } from '../native/binding.js';
import type { ShellSettings } from '../options.js';
import { startRemoteShell } from '../shell-spawn.js';
import type { ShellStderr } from '../stderr/shell-stderr.js';
import type { Timers } from '../timers.js';

export interface AttemptEvents {
  /** The last attempt's child exited. */
  exited(attempt: number, exit: Exit): void;
  /** The last attempt's stderr is read to its end. */
  stderrEnded(): void;
  /** A child was started, or could not be (no pid). */
  spawned(attempt: number, pid: number | undefined): void;
}

export class Attempts {
  // What every attempt is started with, and who hears of the last one's exit and stderr end.
  readonly #argv: readonly string[];
  readonly #settings: ShellSettings;
  readonly #internal: InternalOptions;
  readonly #events: AttemptEvents;
  // The run's timers: SIGKILL after SIGTERM is one of them.
  readonly #timers: Timers;
  // Attempts started; only the last one's events count.
  #count = 0;
  // The last attempt's child has started and not yet exited: it can be signalled.
  #running = false;
  // The last attempt's child, its capture (the first attempt's, when a later one could not make
  // its own) and the binding its sockets came from.
  #child: ChildProcess | undefined;
  #stderr: ShellStderr | undefined;
  #binding: NativeBinding | undefined;
  // The askpass channel of this run's prompts, void once revoked.
  #askpass: AskpassGrant | undefined;
  // The attempt whose stderr drain has begun: at most once each.
  #drained = 0;

  constructor(argv: readonly string[], settings: ShellSettings, internal: InternalOptions, timers: Timers, events: AttemptEvents) {
    this.#argv = argv;
    this.#settings = settings;
    this.#internal = internal;
    this.#timers = timers;
    this.#events = events;
  }

  /** Attempts started: 0 before the first. */
  get count(): number {
    return this.#count;
  }

  /** The last attempt's child has started and not exited. */
  get running(): boolean {
    return this.#running;
  }

  get child(): ChildProcess | undefined {
    return this.#child;
  }

  get stderr(): ShellStderr | undefined {
    return this.#stderr;
  }

  get binding(): NativeBinding | undefined {
    return this.#binding;
  }

  /** The first failure of the askpass callback, if any. */
  get askpassFailure(): unknown {
    return this.#askpass?.failure;
  }

  /** Starts one child; on failure, leaves nothing behind (see shell-spawn.ts) and says why:
   * `failure` is a promise of the cause (Node reports some on the next tick). */
  start(): { stdin: Writable | null; stdout: Readable | null } | { failure: Promise<unknown> } {
    const attempt = ++this.#count;
    const askpass = this.#settings.askpass;
    try {
      if (askpass && !this.#askpass) this.#askpass = grantAskpass(askpass);
    } catch (err) {
      // No private directory for the channel (TMPDIR gone, no space): nothing was started.
      this.#events.spawned(attempt, undefined);
      return { failure: Promise.resolve(err) };
    }
    const started = startRemoteShell(this.#argv, this.#settings, this.#internal, this.#askpass?.env);
    this.#events.spawned(attempt, 'cause' in started ? undefined : started.child.pid);
    if ('cause' in started) {
      // A later attempt's capture never takes over: the last attempt's stderr explains the run.
      if (attempt === 1) this.#stderr = started.stderr;
      else started.stderr?.finish();
      if (started.child) this.#child = started.child;
      this.#running = false;
      return { failure: started.cause };
    }
    this.#child = started.child;
    this.#stderr = started.stderr;
    this.#binding = started.binding;
    this.#running = true;
    started.child.once('exit', (code, signal) => {
      if (attempt !== this.#count) return;
      this.#running = false;
      this.#events.exited(attempt, { code, signal });
    });
    started.stderr.ended.then(() => {
      if (attempt === this.#count) this.#events.stderrEnded();
    });
    return started;
  }

  /** A new child in place of the last one, whose capture is done with. */
  startAgain(): ReturnType<Attempts['start']> {
    this.#stderr?.finish();
    return this.start();
  }

  /** The last attempt's stderr is read to its end, for at most drainTimeoutMs more (once per
   * attempt); resolves when it is. */
  drainStderr(): Promise<unknown> {
    const stderr = this.#stderr!;
    if (this.#drained !== this.#count) {
      this.#drained = this.#count;
      stderr.childExited(this.#settings.drainTimeoutMs);
    }
    return stderr.ended;
  }

  /** Sends `signal` to the last attempt's child; false when none runs. */
  signal(signal: NodeJS.Signals | number): boolean {
    if (!this.#running || this.#child?.pid === undefined) return false;
    return this.#child.kill(signal);
  }

  /** SIGTERM after `delayMs`, SIGKILL after killGraceMs more, for as long as the child runs. */
  terminate(delayMs: number): void {
    const term = (): void => {
      if (this.signal('SIGTERM')) this.#timers.after(this.#settings.killGraceMs, () => this.signal('SIGKILL'));
    };
    if (delayMs === 0) term();
    else this.#timers.after(delayMs, term);
  }

  /** Everything is over: the capture's last resources and the askpass channel go. */
  release(): void {
    this.#stderr?.finish();
    this.#askpass?.revoke();
  }
}
