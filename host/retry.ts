// Trying the connection again: only for a failure whose diagnosis says the connection was never
// established (refused, timed out, closed by the server before authentication; a name that did
// not resolve only when asked), and only while nothing has crossed the protocol stream: the
// caller has neither written nor ended it and no byte came back. A retry can then cost no
// protocol byte, and repeat no work of the remote command, which never ran.

import type { RemoteShellFailureReason } from './diagnosis/reasons.js';
import type { RemoteShellError } from './errors.js';

export interface RetryOptions {
  /** How many times to try again after the first attempt. */
  attempts: number;
  /** The wait before each new attempt. Default 1000 ms. */
  delayMs?: number;
  /** Try again when the host name did not resolve (a name service that is starting). Default false. */
  hostNotFound?: boolean;
}

/** The retry policy once checked. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMs: number;
  readonly hostNotFound: boolean;
}

export const NO_RETRY: RetryPolicy = Object.freeze({ attempts: 0, delayMs: 0, hostNotFound: false });
export const DEFAULT_RETRY_DELAY_MS = 1000;
export const MAX_RETRY_ATTEMPTS = 100;

const RETRIED: ReadonlySet<RemoteShellFailureReason> = new Set(['connect-refused', 'connect-timeout', 'closed-by-remote']);

/** Whether a failed attempt may be tried again under the policy. */
export function isRetryable(error: RemoteShellError, policy: RetryPolicy): boolean {
  if (!error.neverConnected) return false;
  return RETRIED.has(error.reason) || (policy.hostNotFound && error.reason === 'host-not-found');
}
