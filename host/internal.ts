// What the public API does not offer. Options: for the tests, which native build to load (both
// stderr backends are tested in one run) and failures to inject into the endpoint; for
// openRemoteShell, what the start of the child waits for. And the one key under which the tests
// read internal state (inspect).

import type { RemoteShellError } from './errors.js';
import type { EndpointOptions, NativeBinding } from './native/binding.js';
import type { ShellSettings } from './options.js';

export const internal = Symbol('rsh-transport internal options');

/** The key of what the tests read of the library's state (see inspect.ts). */
export { inspect } from './inspect.js';

export interface InternalOptions {
  /** The options as openRemoteShell already checked them: taken as they are, not checked again. */
  settings?: ShellSettings;
  binding?: NativeBinding;
  injectFailure?: EndpointOptions['injectFailure'];
  /** The child starts once its shared connection is ready (this resolves with nothing), or
   * never, when it resolves with the master's error (the run fails with it, as with a failed
   * spawn). */
  startAfter?: Promise<RemoteShellError | undefined>;
  /** The caller gave up waiting for `startAfter` (close, kill, an abort, destroy): what was being
   * made for this shell alone may stop. */
  gaveUpWaiting?: () => void;
  /** For a session through a shared connection whose ssh exited with 255: whether that
   * connection ended under it (its name and why), or undefined when it still stands. */
  sharedConnectionLost?: (error: RemoteShellError) => Promise<{ target: string; cause: unknown } | undefined>;
  /** The run is a shared connection's master (multiplex), not a caller's session. */
  master?: boolean;
}
