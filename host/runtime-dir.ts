// The process's private directory: ssh control sockets and the askpass channel live in it. It
// is made on first use under the system's temporary directory (mode 0700, a short name: a Unix
// socket's path is limited to about 104 bytes) and removed when the process exits.
//
// A directory the caller names instead must be private too: a directory of this user that no
// one else may enter or write. It is made (mode 0700) when it does not exist; an existing one
// that others can reach is refused rather than trusted, since whoever can write to it could
// put their own socket where ssh or the askpass helper looks for ours.

import { lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let own: string | undefined;

/** The process's own private directory, made on first use. */
export function runtimeDir(): string {
  if (own === undefined) {
    // A long TMPDIR (macOS's /var/folders/...) would leave too little room for socket names.
    const base = tmpdir().length <= 40 ? tmpdir() : '/tmp';
    own = mkdtempSync(path.join(base, 'rsh-'));
    process.once('exit', removeRuntimeDir);
  }
  return own;
}

/** Removes the process's directory (at exit, after everything in it has been stopped). */
export function removeRuntimeDir(): void {
  if (own === undefined) return;
  rmSync(own, { recursive: true, force: true });
  own = undefined;
  process.removeListener('exit', removeRuntimeDir);
}

/**
 * `dir` made private when it does not exist, checked when it does.
 * @throws RangeError naming the directory and what is wrong with it.
 */
export function privateDir(name: string, dir: string): string {
  const absolute = path.resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new RangeError(`${name} ${JSON.stringify(dir)} cannot be made: ${(err as Error).message}`);
  }
  const stat = lstatSync(absolute);
  if (!stat.isDirectory()) throw new RangeError(`${name} ${JSON.stringify(dir)} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new RangeError(`${name} ${JSON.stringify(dir)} belongs to uid ${stat.uid}, not to this user (${uid})`);
  if ((stat.mode & 0o077) !== 0) {
    throw new RangeError(`${name} ${JSON.stringify(dir)} is open to others (mode ${(stat.mode & 0o777).toString(8)}): make it 0700`);
  }
  return absolute;
}

// sun_path holds 108 bytes on Linux and 104 elsewhere, with its terminating NUL.
const SUN_PATH = process.platform === 'linux' ? 108 : 104;

/** The longest socket path that can be bound, less `reserve` bytes a program adds to it. */
export function maxSocketPath(reserve = 0): number {
  return SUN_PATH - 1 - reserve;
}
