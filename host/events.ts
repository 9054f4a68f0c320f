// What a run does, published on node:diagnostics_channel for whoever observes (tracing,
// metrics, logs): its children's starts, the moment its session is known to be up, and its end.
// No dependency, and nothing is built when no one subscribes. Each payload carries `run`, a
// number that ties the events of one openRemoteShell together.

import { channel } from 'node:diagnostics_channel';
import type { RemoteShellFailureReason } from './diagnosis/reasons.js';
import type { ShellFacts } from './errors.js';
import type { ByteCounts, RemoteShellError } from './remote-shell-error.js';

/** The channels' names, for `diagnostics_channel.subscribe(name, listener)`. */
export const CHANNELS = {
  spawn: 'rsh-transport:spawn',
  connected: 'rsh-transport:connected',
  exit: 'rsh-transport:exit',
} as const;

/** What every payload carries. */
export interface RunEventBase {
  /** Ties the events of one run together. */
  run: number;
  argv: readonly string[];
  /** The run is a shared connection's master (multiplex), started for the sessions to a
   * target: a run of its own, with no openRemoteShell of its own. */
  master: boolean;
}

/** A child was started (each attempt of a retried connection is one). */
export interface SpawnEvent extends RunEventBase {
  /** 1, then 2 and on for the attempts of `retry`. */
  attempt: number;
  /** undefined when it could not start (the exit event says why). */
  pid: number | undefined;
}

/** The session is known to be up: the first protocol byte came back. */
export interface ConnectedEvent extends RunEventBase {
  attempt: number;
  /** From the start of the run. */
  ms: number;
}

/** The run is over: `finished` settles with this. */
export interface ExitEvent extends RunEventBase, ByteCounts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it failed, or null when it succeeded. */
  reason: RemoteShellFailureReason | null;
  /** From the start of the run to its end. */
  durationMs: number;
  attempts: number;
  /** A shared connection (multiplex) carried the session: its own ssh ran through a master. */
  sharedConnection: boolean;
}

const spawnChannel = channel(CHANNELS.spawn);
const connectedChannel = channel(CHANNELS.connected);
const exitChannel = channel(CHANNELS.exit);

let runs = 0;

/** One run's events. */
export class RunEvents {
  readonly #run = ++runs;
  readonly #argv: readonly string[];
  readonly #master: boolean;
  readonly #started = performance.now();
  #connected = false;

  constructor(argv: readonly string[], master = false) {
    this.#argv = argv;
    this.#master = master;
  }

  #base(): RunEventBase {
    return { run: this.#run, argv: this.#argv, master: this.#master };
  }

  spawned(attempt: number, pid: number | undefined): void {
    if (spawnChannel.hasSubscribers) spawnChannel.publish({ ...this.#base(), attempt, pid } satisfies SpawnEvent);
  }

  /** Once per run: a retry only follows an attempt that never connected. */
  connected(attempt: number): void {
    if (this.#connected) return;
    this.#connected = true;
    if (connectedChannel.hasSubscribers) {
      const ms = performance.now() - this.#started;
      connectedChannel.publish({ ...this.#base(), attempt, ms } satisfies ConnectedEvent);
    }
  }

  /** The run settled: with `error`, or with success. */
  settled(error: RemoteShellError | undefined, facts: Pick<ShellFacts, 'exit' | 'counts' | 'attempts'>, sharedConnection: boolean): void {
    if (!exitChannel.hasSubscribers) return;
    const counts = error ?? facts.counts;
    exitChannel.publish({
      ...this.#base(),
      code: error ? error.exitCode : (facts.exit?.code ?? null),
      signal: error ? error.signal : (facts.exit?.signal ?? null),
      reason: error?.reason ?? null,
      bytesReceived: counts.bytesReceived,
      bytesSent: counts.bytesSent,
      bytesDiscarded: counts.bytesDiscarded,
      bytesNotSent: counts.bytesNotSent,
      durationMs: performance.now() - this.#started,
      attempts: facts.attempts ?? 1,
      sharedConnection,
    } satisfies ExitEvent);
  }
}
