// The process's private directory: ssh control sockets and the askpass channel live in it. It
// is made on first use under the system's temporary directory (mode 0700, a short name: a Unix
// socket's path is limited to about 104 bytes) and removed when the process exits, after what
// lives in it has been stopped (see atExit).
//
// A directory the caller names instead must be private too: a directory of this user that no
// one else may enter or write, under parents that no one else can swap (each owned by root or
// this user, and writable by others only when sticky, as /tmp is). It is made (mode 0700) when
// it does not exist; one that others can reach is refused rather than trusted, since whoever
// can write to it could put their own socket where ssh or the askpass helper looks for ours.

import { lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let own: string | undefined;
const stops: Array<() => void> = [];
let hooked = false;

// What ssh reads as one ControlPath word, with no % token in it.
const SAFE_PATH = /^[A-Za-z0-9._/+,:@=~-]+$/;

/** The process's own private directory, made on first use. */
export function runtimeDir(): string {
  if (own === undefined) {
    // A long TMPDIR (macOS's /var/folders/...) would leave too little room for socket names,
    // and one with a blank or a % could not be a ControlPath.
    const base = tmpdir().length <= 40 && SAFE_PATH.test(tmpdir()) ? tmpdir() : '/tmp';
    own = mkdtempSync(path.join(base, 'rsh-'));
    hookExit();
  }
  return own;
}

/** `stop` runs when the process exits, before the directory goes (a master's socket must
 * still be there to ask it to stop). */
export function atExit(stop: () => void): void {
  stops.push(stop);
  hookExit();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const stop of stops) {
      try {
        stop();
      } catch {
        // At exit nothing can be reported: the other stops and the removal still run.
      }
    }
    removeRuntimeDir();
  });
}

/** Removes the process's directory (at exit, after everything in it has been stopped). */
export function removeRuntimeDir(): void {
  if (own === undefined) return;
  try {
    rmSync(own, { recursive: true, force: true });
  } catch {
    // Out of fds at exit: the directory stays, empty of anything running.
  }
  own = undefined;
}

/**
 * `dir` checked (every character one ssh reads as part of a path, parents no one else can
 * swap), then made private when it does not exist, or checked to be private when it does.
 * @throws RangeError naming the directory and what is wrong with it.
 */
export function privateDir(name: string, dir: string): string {
  const absolute = path.resolve(dir);
  checkPath(name, dir, absolute);
  try {
    mkdirSync(absolute, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new RangeError(`${name} ${JSON.stringify(dir)} cannot be made: ${(err as Error).message}`);
  }
  const stat = lstatSync(absolute);
  if (!stat.isDirectory()) throw new RangeError(`${name} ${JSON.stringify(dir)} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new RangeError(`${name} ${JSON.stringify(dir)} belongs to uid ${stat.uid}, not to this user (${uid})`);
  if ((stat.mode & 0o077) !== 0) {
    throw new RangeError(`${name} ${JSON.stringify(dir)} is open to others (mode ${(stat.mode & 0o777).toString(8)}): make it 0700`);
  }
  return absolute;
}

/** What privateDir checks before it makes anything. */
export function checkPath(name: string, dir: string, absolute = path.resolve(dir)): void {
  if (!SAFE_PATH.test(absolute)) {
    throw new RangeError(
      `${name} ${JSON.stringify(dir)} holds a character ssh would not take in a ControlPath (a blank, %, a quote...): use letters, digits and ._-/+,:@=~`,
    );
  }
  const uid = process.getuid?.();
  if (uid === undefined) return;
  // The existing parents: a parent others could write to could have the directory replaced.
  for (let parent = path.dirname(absolute); ; parent = path.dirname(parent)) {
    let stat;
    try {
      stat = lstatSync(parent);
    } catch {
      stat = undefined; // made by privateDir, as this user
    }
    if (stat) {
      const owner = stat.uid === 0 || stat.uid === uid;
      // A symbolic link's own mode means nothing; its owner decides where it points.
      const writable = !stat.isSymbolicLink() && (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
      if (!owner || writable) {
        throw new RangeError(
          `${name} ${JSON.stringify(dir)} is under ${parent}, which ${owner ? 'others may write to' : `belongs to uid ${stat.uid}`}: choose a directory whose parents only you or root can change`,
        );
      }
    }
    if (parent === path.dirname(parent)) break;
  }
}

// sun_path holds 108 bytes on Linux and 104 elsewhere, with its terminating NUL.
const SUN_PATH = process.platform === 'linux' ? 108 : 104;

/** The longest socket path that can be bound, less `reserve` bytes a program adds to it. */
export function maxSocketPath(reserve = 0): number {
  return SUN_PATH - 1 - reserve;
}
