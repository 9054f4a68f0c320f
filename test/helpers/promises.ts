// Waiting in tests: for a time, or for the RemoteShellError a promise must reject with.

import { RemoteShellError } from '../../host/index.js';

export const sleep = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));

export async function rejection(promise: Promise<unknown>): Promise<RemoteShellError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RemoteShellError) return err;
    throw err;
  }
  throw new Error('expected a RemoteShellError, but the promise resolved');
}
