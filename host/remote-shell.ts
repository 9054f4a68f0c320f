// RemoteShell: the public object of one spawned remote shell. It checks what it is given before
// anything starts, then hands the run to ShellRun (host/lifecycle/run.ts), where how a run
// starts, is tried again and ends is decided, each decision a unit of that folder.

import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Exit } from './errors.js';
import { internal, type InternalOptions } from './internal.js';
import type { RemoteShellResult } from './lifecycle/outcome.js';
import { ShellRun } from './lifecycle/run.js';
import { checkShellOptions, type RemoteShellOptions } from './options.js';
import { checkRshWords } from './rsh/argv.js';
import type { RemoteShellStderr } from './stderr/shell-stderr.js';

export type { RemoteShellResult } from './lifecycle/outcome.js';
export type { RemoteShellOptions } from './options.js';
export type { RemoteShellStderr, RemoteShellStderrStats } from './stderr/shell-stderr.js';

const SIGNAL_NUMBERS = new Set<number>(Object.values(constants.signals));

/** A signal for kill(): a name this system knows, 0, or a number one of its signals has. */
function checkKillSignal(signal: unknown): void {
  const known =
    typeof signal === 'number' ? signal === 0 || SIGNAL_NUMBERS.has(signal) : typeof signal === 'string' && signal in constants.signals;
  if (!known)
    throw new TypeError(`kill() needs a signal name such as 'SIGTERM' or a signal number this system knows, got ${String(signal)}`);
}

export class RemoteShell implements AsyncDisposable {
  /** The protocol stream: writes go to the remote shell's stdin, reads come from its stdout. */
  readonly stream: Duplex;
  /** Settles once the remote shell has exited, its stderr is drained and its stdout is done
   * (read to the end by the consumer, or given up); by then every fd, timer and capture is
   * released. */
  readonly finished: Promise<RemoteShellResult>;
  /** Resolves as soon as the remote shell process exits (like ChildProcess 'exit'), before its
   * stderr is drained; `{ code: null, signal: null }` when it never started. Never rejects. */
  readonly exited: Promise<Exit>;
  /** [program, ...args] as spawned. */
  readonly argv: readonly string[];
  /** The remote shell's stderr: its snapshot and stats, kept after `finished`. */
  readonly stderr: RemoteShellStderr;
  readonly #run: ShellRun;

  /**
   * Use openRemoteShell(); this spawns `argv` as it is.
   * @throws RemoteShellError ERR_INVALID_RSH for a malformed argv, TypeError or RangeError for an
   * option out of its range, before anything is allocated or spawned.
   */
  constructor(argv: readonly string[], options: RemoteShellOptions & { [internal]?: InternalOptions } = {}) {
    if (!Array.isArray(argv)) throw new TypeError('argv must be an array of strings: [program, ...args]');
    this.argv = Object.freeze(checkRshWords(argv));
    const given = options[internal] ?? {};
    const run = (this.#run = new ShellRun(this.argv, given.settings ?? checkShellOptions(options), given));
    this.finished = run.finished;
    this.exited = run.exited;
    this.stderr = {
      snapshot: () => run.stderr.snapshot(),
      get stats() {
        return run.stderr.stats;
      },
    };
    this.stream = run.stream;
    // Errors of the stream reach write callbacks and `finished`; unobserved, they must not crash.
    this.stream.on('error', () => {});
  }

  /** How many times the remote shell was started: 1, or more when `retry` tried again. */
  get attempts(): number {
    return this.#run.attempts;
  }

  /** The remote shell's pid, undefined when it could not be spawned. */
  get pid(): number | undefined {
    return this.#run.pid;
  }

  /**
   * Sends a signal to the remote shell; false when it is not running. Any signal but 0 also says
   * the run is over for the caller: once the child is gone, the consumer has drainTimeoutMs to
   * read what is left of stdout, then the rest is discarded.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    checkKillSignal(signal);
    return this.#run.kill(signal);
  }

  /**
   * Ends the remote shell's stdin and waits for it to exit; after killGraceMs sends SIGTERM,
   * after as long again SIGKILL. Resolves once everything is released, at the latest
   * killGraceMs * 2 + drainTimeoutMs after the call (plus scheduling); never rejects (the
   * outcome stays in `finished`).
   */
  async close(): Promise<void> {
    this.#run.close();
    await this.finished.then(
      () => {},
      () => {},
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
