// The `multiplex` option: one ssh ControlMaster per target, shared by the sessions to it.

import { checkInteger, refuseUnknownKeys, show } from '../options.js';

export interface MultiplexOptions {
  /** How long a master stays up once its last session has ended (ssh's ControlPersist, rounded
   * up to whole seconds). Default 60000 ms. */
  persistMs?: number;
  /** The private directory of the control sockets (made with mode 0700 when missing; refused
   * when others can reach it). Default: a directory of this process, removed at its exit. */
  dir?: string;
}

export interface MultiplexSettings {
  readonly persistMs: number;
  readonly dir: string | undefined;
}

export const DEFAULT_PERSIST_MS = 60_000;
// A day: beyond it, persisting is not what shared connections are for.
const MAX_PERSIST_MS = 86_400_000;

/** The option checked; undefined when multiplexing is off.
 * @throws TypeError or RangeError naming what is wrong; RangeError on Windows. */
export function checkMultiplex(value: unknown, platform: NodeJS.Platform = process.platform): MultiplexSettings | undefined {
  if (value === undefined || value === false) return undefined;
  // Win32-OpenSSH's ControlMaster cannot take connections (`getsockname failed: Not a socket`):
  // a master there would fail every session, after a handshake for nothing.
  if (platform === 'win32') {
    throw new RangeError(
      "multiplex is not available on Windows: Win32-OpenSSH's ControlMaster does not work there (getsockname failed: Not a socket); open sessions without it",
    );
  }
  if (value === true) return Object.freeze({ persistMs: DEFAULT_PERSIST_MS, dir: undefined });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`multiplex must be true, false or { persistMs, dir }, got ${show(value)}`);
  }
  refuseUnknownKeys(value, ['persistMs', 'dir'], 'multiplex');
  const given = value as { persistMs?: unknown; dir?: unknown };
  const persistMs =
    given.persistMs === undefined
      ? DEFAULT_PERSIST_MS
      : checkInteger('multiplex.persistMs', given.persistMs, 1, MAX_PERSIST_MS, ' of milliseconds');
  if (given.dir !== undefined && (typeof given.dir !== 'string' || given.dir === '' || given.dir.includes('\0'))) {
    throw new TypeError(`multiplex.dir must be a non-empty path without NUL bytes, got ${show(given.dir)}`);
  }
  return Object.freeze({ persistMs, dir: given.dir as string | undefined });
}
