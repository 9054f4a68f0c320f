// Waiting in tests: for a time, or for the RemoteShellError a promise must reject with.

import { RemoteShellError } from '../../host/index.js';

export const sleep = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));

/** One turn of the event loop: whatever was already set going (promise jobs, I/O callbacks) has run. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Two turns of the event loop, close callbacks included: what the last callbacks set going
 * (a handle's close, a warning on the next tick) is done. */
export async function wholeTurn(): Promise<void> {
  for (let i = 0; i < 2; i++) await turn();
}

export async function rejection(promise: Promise<unknown>): Promise<RemoteShellError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RemoteShellError) return err;
    throw err;
  }
  throw new Error('expected a RemoteShellError, but the promise resolved');
}

/** How much slower than this machine the tests may run (emulation, a loaded CI): time bounds
 * are multiplied by it. From RSH_TEST_TIME_SCALE, 1 by default. */
export function timeScale(): number {
  const scale = Number(process.env.RSH_TEST_TIME_SCALE ?? 1);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

/** A suite's or test's own mocha bound, scaled like every other: `this.timeout(n)` overrides
 * the command line's `--timeout`, so an unscaled one fails a correct test under emulation. */
export const scaled = (ms: number): number => ms * timeScale();

/** Waits until `condition` holds, looking every 20 ms; fails naming `what` when it still does
 * not after `boundMs` (times the time scale). Never a fixed wait: a fast machine goes on at once. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, boundMs = 10_000): Promise<void> {
  const deadline = performance.now() + boundMs * timeScale();
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`still not so after ${Math.round(boundMs * timeScale())} ms: ${what}`);
    await sleep(20);
  }
}
