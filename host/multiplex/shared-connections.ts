// The shared connections of this process: one ControlMaster per target, where a target is
// everything that decides where ssh connects and how it authenticates (its program and options,
// the user, the host; the remote command is not part of it). Sessions to the same target wait
// for the same master; the first session's environment, working directory, askpass and retry
// start it.
//
// A session's ssh runs with ControlMaster=no and the master's ControlPath: through the master
// when it takes the session, and on a connection of its own otherwise (the master went in
// between), so that a master lost at the wrong moment costs time, never the session.

import { createHash } from 'node:crypto';
import type { RemoteShellError } from '../errors.js';
import path from 'node:path';
import { atExit, checkPath, maxSocketPath, privateDir, runtimeDir } from '../runtime-dir.js';
import { watchSocket } from '../exit-watchdog.js';
import { ControlMaster, type MasterOptions } from './control-master.js';
import type { MultiplexSettings } from './options.js';
import { inspect } from '../inspect.js';

export interface SharedConnection {
  /** The session's argv: through the master's socket. */
  readonly argv: string[];
  /** Resolves when the session may start, or with why the master could not be made. */
  readonly ready: Promise<RemoteShellError | undefined>;
  /** For a session that ssh ended with 255: whether its master ended under it (stopped, or its
   * socket no longer answers), with the connection's name and why; undefined when it stands. */
  readonly lost: (error: RemoteShellError) => Promise<{ target: string; cause: unknown } | undefined>;
  /** The session no longer waits (close, kill, an abort, destroy): a master still starting that
   * no session waits for any more is stopped, so that nothing keeps the process alive. */
  readonly release: () => void;
}

// A session waiting for a master: the master it waits for now (a replacement may follow), and
// the one it started through.
interface Waiter {
  master: ControlMaster | undefined;
  released: boolean;
  through?: ControlMaster;
}

// What ssh prints when a session could not reach its master and made a connection of its own
// (a socket file that refuses; a missing one is silent): then the master is not the session's.
const OWN_CONNECTION = /^Control socket connect\(/m;

// ssh binds a master's socket under a temporary name first: its path plus '.' and 16 characters.
const SSH_TEMPORARY_SUFFIX = 17;

const masters = new Map<string, ControlMaster>();
// Masters being stopped, oldest first: a new master on the same socket starts once the last of
// them is gone; at exit, they are stopped at once like the others.
const stopping = new Map<ControlMaster, Promise<void>>();
let exitHook = false;

function lastStopOn(socket: string): Promise<void> | undefined {
  let last: Promise<void> | undefined;
  for (const [master, stopped] of stopping) if (master.socket === socket) last = stopped;
  return last;
}

/**
 * The shared connection of a session: `target` is its argv without the remote command, `argv`
 * the session's own, `name` what messages call the connection (`user@host`).
 * @throws RangeError when the directory is not private or its socket path would be too long.
 */
export function shareConnection(
  target: readonly string[],
  argv: readonly string[],
  settings: MultiplexSettings,
  options: MasterOptions,
  name: string,
  masterTarget = target,
): SharedConnection {
  const dir = settings.dir === undefined ? runtimeDir() : path.resolve(settings.dir);
  // Everything is checked before a directory of the caller's is made: a refused call leaves nothing.
  if (settings.dir !== undefined) checkPath('multiplex.dir', settings.dir, dir);
  // This process's own masters only: another process's, in the same directory, are its own to
  // replace and stop.
  const key = createHash('sha256')
    .update(JSON.stringify([process.pid, dir, ...target]))
    .digest('hex')
    .slice(0, 16);
  const socket = `${dir}/${key}`;
  const room = maxSocketPath(SSH_TEMPORARY_SUFFIX);
  if (Buffer.byteLength(socket) > room) {
    throw new RangeError(
      `multiplex.dir ${JSON.stringify(settings.dir)} is too long for a control socket (${Buffer.byteLength(socket)} bytes, at most ${room}): choose a shorter path`,
    );
  }
  if (settings.dir !== undefined) privateDir('multiplex.dir', settings.dir);
  const make = (): ControlMaster => {
    // Before ssh can fork a master: whatever way this process ends, that master is stopped.
    watchSocket(socket);
    const master = new ControlMaster(masterTarget, socket, settings.persistMs, options, lastStopOn(socket));
    void master.ready.then(() => started.add(master));
    masters.set(socket, master);
    if (!exitHook) {
      exitHook = true;
      atExit(stopAllNow);
    }
    return master;
  };
  const [program, ...rest] = argv;
  const waiter: Waiter = { master: undefined, released: false };
  return {
    argv: [program, '-o', 'ControlMaster=no', '-o', `ControlPath=${socket}`, ...rest],
    ready: readyMaster(socket, make, waiter),
    lost: async (error) => {
      const master = waiter.through;
      if (!master || OWN_CONNECTION.test(error.stderrTail)) return undefined;
      if (!master.ended && (await master.alive())) return undefined;
      const cause =
        master.ended ??
        new Error(`the master${master.pid === undefined ? '' : ` (pid ${master.pid})`} is gone: its socket refuses connections`);
      return { target: name, cause };
    },
    release: () => {
      waiter.released = true;
      const master = waiter.master;
      if (master) stopWhenUnwanted(socket, master, waiter);
    },
  };
}

// Sessions waiting for each master still starting.
const waiters = new WeakMap<ControlMaster, Set<Waiter>>();

// Masters whose start is over (ready or failed): a master that is up carries other sessions,
// and is never stopped because one session gave up.
const started = new WeakSet<ControlMaster>();

function stopWhenUnwanted(key: string, master: ControlMaster, waiter: Waiter): void {
  const waiting = waiters.get(master);
  if (!waiting?.delete(waiter) || waiting.size > 0 || started.has(master)) return;
  // Its last session gave up: a start no one waits for must not hold the process (a server
  // that never answers would hold it for good). The next session starts afresh.
  if (masters.get(key) === master) masters.delete(key);
  void stopMaster(master, 'no session waited for the shared connection any more');
}

// The master of `key` once it is ready: the one there is if it still answers, else a new one.
async function readyMaster(
  key: string,
  make: () => ControlMaster,
  waiter: Waiter,
  replaced = false,
): Promise<RemoteShellError | undefined> {
  const master = masters.get(key) ?? make();
  waiter.master = master;
  let waiting = waiters.get(master);
  if (!waiting) waiters.set(master, (waiting = new Set()));
  waiting.add(waiter);
  const failure = await master.ready;
  // Ready or not, it no longer needs this session to wait for it.
  waiting.delete(waiter);
  waiter.master = undefined;
  if (failure) {
    // The next session tries afresh.
    if (masters.get(key) === master) masters.delete(key);
    return failure;
  }
  // Nobody to start for: a master found gone is left to the next session.
  if (waiter.released) return undefined;
  if (await master.alive()) {
    waiter.through = master;
    return undefined;
  }
  // Gone (killed, or its persist time is over): the first session to notice replaces it, once
  // what is left of it is stopped; the others wait for the replacement. A replacement that is
  // gone at once is not chased.
  if (masters.get(key) === master) {
    masters.delete(key);
    stopMaster(master, 'the master was gone: its socket refused connections');
  }
  // A session that gave up meanwhile starts no replacement.
  return replaced || waiter.released ? undefined : readyMaster(key, make, waiter, true);
}

function stopMaster(master: ControlMaster, why: string): Promise<void> {
  const stopped = master.stop(why);
  stopping.set(master, stopped);
  return stopped.finally(() => stopping.delete(master));
}

/**
 * Stops every ssh ControlMaster this process started (`multiplex`), and any start in progress;
 * sessions still running through one end with it. A later session starts a new master.
 * They are also stopped when the process exits normally. Never rejects.
 */
export async function closeMultiplexedConnections(): Promise<void> {
  const all = [...masters.values()];
  masters.clear();
  await Promise.all(all.map((master) => stopMaster(master, 'closeMultiplexedConnections() closed the shared connection')));
}

/** The masters running or starting (for the tests: see internal.ts). */
export const runningMasters = { [inspect]: (): readonly ControlMaster[] => [...masters.values()] };

function stopAllNow(): void {
  for (const master of [...masters.values(), ...stopping.keys()]) master.stopNow();
  masters.clear();
}
