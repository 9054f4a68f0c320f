// What a run settles with once it is over: its byte counts, or the one error that says why it
// failed. A failure known before the end (no child could start) wins; then an abort; then a
// stall; then the child's exit, diagnosed from its stderr.

import {
  abortError,
  exitError,
  sharedConnectionLostError,
  stalledError,
  type ByteCounts,
  type RemoteShellError,
  type ShellFacts,
} from '../errors.js';
import { configMapping, type EffectiveConfig } from '../diagnosis/effective-config.js';
import type { RunEvents } from '../events.js';
import { addSshConfig } from '../remote-shell-error.js';
import type { InternalOptions } from '../internal.js';

export interface RemoteShellResult extends ByteCounts {
  code: 0;
  signal: null;
}

export interface RunEnd {
  readonly facts: ShellFacts;
  readonly failure: RemoteShellError | undefined;
  /** An abort ended the run, for `abortReason`. */
  readonly aborted: boolean;
  readonly abortReason: unknown;
  /** The stall watchdog ended the run after this many ms without progress. */
  readonly stalledMs: number | undefined;
  /** The askpass callback's first failure: why its prompt was cancelled. */
  readonly askpassFailure: unknown;
  readonly sharedConnectionLost: InternalOptions['sharedConnectionLost'];
  /** A child of the run's own was started (one through a shared connection waits for it first). */
  readonly spawned: boolean;
  /** Told how the run ended, before its promise settles. */
  readonly events: RunEvents;
  /** What ssh -G says of the run's argv (see effective-config.ts). */
  readonly sshConfig: () => Promise<EffectiveConfig | undefined>;
}

export function settleRun(
  end: RunEnd,
  resolveRun: (result: RemoteShellResult) => void,
  rejectRun: (error: RemoteShellError) => void,
): void {
  const { facts, failure, aborted } = end;
  // Carried by a shared connection: a session of one whose own ssh started (not one whose
  // master could not be made).
  const shared = end.sharedConnectionLost !== undefined && end.spawned;
  const resolve = (result: RemoteShellResult): void => {
    end.events.settled(undefined, facts, shared);
    resolveRun(result);
  };
  const reject = (error: RemoteShellError): void => {
    end.events.settled(error, facts, shared);
    rejectRun(error);
  };
  const stalled = end.stalledMs === undefined ? undefined : stalledError(facts, end.stalledMs);
  const error = failure ?? (aborted ? abortError(facts, end.abortReason) : (stalled ?? exitError(facts)));
  if (!error) {
    resolve({ code: 0, signal: null, ...facts.counts });
    return;
  }
  if (error.cause === undefined && end.askpassFailure !== undefined) error.cause = end.askpassFailure;
  const lost = end.sharedConnectionLost;
  if (lost && !failure && !aborted && !stalled && mayBeSharedConnectionEnd(error)) {
    // ssh's 255 through a shared connection: the master may have ended under the session,
    // which the session's own stderr does not say (the master's goes to /dev/null).
    lost(error)
      .then((found) => reject(found ? sharedConnectionLostError(facts, found.target, found.cause) : error))
      .catch(() => reject(error));
    return;
  }
  if (!failure && !aborted && !stalled && error.neverConnected) {
    // Never connected: what ssh's configuration made of the target may be why (bounded in time).
    end
      .sshConfig()
      .then((found) => found && addSshConfig(error, found.config, configMapping(found, facts.argv)))
      .catch(() => {})
      .finally(() => reject(error));
    return;
  }
  reject(error);
}

// ssh's own exit (255) that its stderr does not explain as one of ssh's failures: through a
// shared connection, that is what a session sees when its master ends.
function mayBeSharedConnectionEnd(error: RemoteShellError): boolean {
  return error.exitCode === 255 && ['remote-command-failed', 'unknown', 'connection-lost', 'closed-by-remote'].includes(error.reason);
}
