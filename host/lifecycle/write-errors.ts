// The error a write gets once the child can take no more input: one per stage of the run
// (running or exited, its stderr draining or drained, the socket's errno). Each stage knows
// more of why the child failed, and a writer that keeps writing is not diagnosed each time.

import type { RemoteShellError } from '../errors.js';

export interface RunStage {
  readonly exited: boolean;
  readonly drained: boolean;
}

export class WriteErrors {
  readonly #made = new Map<string, RemoteShellError>();
  readonly #make: (cause: Error | undefined) => RemoteShellError;

  constructor(make: (cause: Error | undefined) => RemoteShellError) {
    this.#make = make;
  }

  /** The error for a write that failed at `stage`, its stdin's failure being `cause`. */
  errorFor(stage: RunStage, cause: Error | undefined): RemoteShellError {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    const key = `${stage.exited ? 'exited' : 'running'}/${stage.drained ? 'drained' : 'draining'}/${errno}`;
    let error = this.#made.get(key);
    if (!error) this.#made.set(key, (error = this.#make(cause)));
    return error;
  }
}
