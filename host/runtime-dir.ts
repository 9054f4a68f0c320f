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
//
// Parents are checked the way the kernel reaches them: every symbolic link on the way is
// followed, and each directory it leads through is checked as well as the link itself. A link
// of one's own is only a name: checking where it stands and not where it leads would let a
// link into a directory anyone may write to pass for private. The temporary directory the
// default one is made in is checked the same way.

import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { watchDir } from './exit-watchdog.js';
import { claimDir, sweepStaleDirs } from './stale-dirs.js';

let own: string | undefined;
const stops: Array<() => void> = [];
let hooked = false;

// What ssh reads as one ControlPath word, with no % token in it.
const SAFE_PATH = /^[A-Za-z0-9._/+,:@=~-]+$/;

/** The process's own private directory, made on first use.
 * @throws RangeError when neither TMPDIR nor /tmp is a place no one else can swap it in. */
export function runtimeDir(): string {
  if (own === undefined) {
    own = makeOwn();
    hookExit();
    // Removed at exit by the hook; when the process ends without running it (SIGKILL, a signal
    // without a handler), by the watchdog; when both were killed, by the next process here.
    watchDir(own);
    claimDir(own);
    const uid = process.getuid?.();
    if (uid !== undefined) void sweepStaleDirs(path.dirname(own), own, uid);
  }
  return own;
}

// TMPDIR, then /tmp: the first that is safe and takes a directory of ours.
function makeOwn(): string {
  const uid = process.getuid?.();
  // Resolved here, once, against the process's working directory: a relative TMPDIR left as it
  // is would be resolved again by each ssh, against its session's cwd.
  const given = path.resolve(tmpdir());
  const candidates: Array<[string, string]> = given === '/tmp' ? [] : [[`TMPDIR ${JSON.stringify(given)}`, given]];
  candidates.push(['/tmp', '/tmp']);
  const reasons: string[] = [];
  let warning: string | undefined;
  for (const [label, base] of candidates) {
    // A long TMPDIR (macOS's /var/folders/...) would leave too little room for socket names,
    // and one with a blank or a % could not be a ControlPath: /tmp serves, as it always has.
    if (base.length > 40) {
      reasons.push(`${label} is too long for the sockets in it (over 40 bytes)`);
      continue;
    }
    if (!SAFE_PATH.test(base)) {
      reasons.push(`${label} holds a character ssh would not take in a ControlPath`);
      continue;
    }
    const problem = uid === undefined ? undefined : unsafeWay(base, uid, true);
    let reason = problem && `${label} is refused, as ${problem.where} ${problem.is}`;
    let made: string | undefined;
    if (reason === undefined) {
      try {
        made = mkdtempSync(path.join(base, 'rsh-'));
      } catch (err) {
        reason = `${label} takes no directory: ${(err as Error).message}`;
      }
    }
    if (made !== undefined) {
      // Said, not silent: a TMPDIR in which others can swap what is made is unsafe for more
      // than this library, and whoever set it should know.
      if (warning !== undefined) process.emitWarning(`${warning}: the private directory is made under ${base} instead`);
      return checkOwn(made, uid);
    }
    reasons.push(reason!);
    warning ??= reason;
  }
  throw new RangeError(
    `no private directory can be made: ${reasons.join('; ')}: set TMPDIR to a directory whose parents only you or root can change`,
  );
}

// mkdtemp makes the directory as this user with mode 0700, less the umask: checked, not trusted
// (a umask that takes the owner's own bits, a file system that keeps modes of its own). Where
// there are no uids (Windows), modes mean nothing either.
function checkOwn(made: string, uid: number | undefined): string {
  if (uid === undefined) return made;
  const stat = lstatSync(made);
  const mode = stat.mode & 0o7777;
  if (stat.isDirectory() && stat.uid === uid && mode === 0o700) return made;
  rmSync(made, { recursive: true, force: true });
  throw new RangeError(
    `the private directory ${made} was made ${stat.isDirectory() ? `with mode ${mode.toString(8)}` : 'as something else than a directory'} by uid ${stat.uid}, not with mode 700 by this user (${uid}): check the umask`,
  );
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
function removeRuntimeDir(): void {
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
 * A relative `dir` is the process's working directory's, never a session's `cwd`.
 * @returns `dir` as an absolute path.
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
  // lstat: the directory itself, never where a link would lead (checkPath refused a link; this
  // only sees one made in between, by root or this user).
  const stat = lstatSync(absolute);
  if (stat.isSymbolicLink()) throw new RangeError(`${name} ${JSON.stringify(dir)} is a symbolic link: name the directory itself`);
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
  const problem = unsafeWay(absolute, uid, false);
  if (problem === undefined) return;
  const shown = `${name} ${JSON.stringify(dir)}`;
  if (problem.kind === 'final') {
    // The directory itself a link is refused, not resolved: the sockets' paths are made from the
    // name given, so every connect would follow the link again, and what it leads to then is not
    // what was checked now. The caller names the directory; a link can be made to lead elsewhere.
    throw new RangeError(`${shown} is a symbolic link (to ${problem.where}): name the directory itself`);
  }
  throw new RangeError(
    `${shown} ${problem.kind === 'link' ? 'goes through' : 'is under'} ${problem.where}, which ${problem.which}: choose a directory whose parents only you or root can change`,
  );
}

interface Problem {
  /** under: a directory on the way; link: a link on the way; final: the path itself is a link. */
  readonly kind: 'under' | 'link' | 'final';
  /** What is wrong: a directory, with the last link that led to it; a link; a link's target. */
  readonly where: string;
  /** What is wrong with it, to follow "which". */
  readonly which: string;
  /** The same, to follow its name. */
  readonly is: string;
}

// Linux's MAXSYMLINKS: the kernel gives up after as many links (ELOOP), and so does this walk.
const MAX_LINKS = 40;

/**
 * What is wrong on the way to `absolute`, walked as the kernel walks it: each directory passed
 * through must be root's or this user's and writable by others only when sticky (else someone
 * else could rename what is in it and put something of theirs instead), and each symbolic link
 * followed must be root's or this user's (its owner decides where it leads). Following links
 * here rather than asking realpath for the end also checks the directories that hold the links
 * met on the way, which a resolved path no longer names. `whole`: `absolute` is a directory that
 * must exist and is checked like its parents (the temporary directory); otherwise it is one
 * privateDir makes or checks itself, and is only refused when it is a link.
 */
function unsafeWay(absolute: string, uid: number, whole: boolean): Problem | undefined {
  // The components still to walk, the next one last.
  const rest = components(absolute);
  let at = '/';
  let via: string | undefined;
  let links = 0;
  const where = (dir: string): string => (via === undefined ? dir : `${dir} (through the symbolic link ${via})`);
  const root = unsafeDirectory(lstatSync('/'), uid);
  if (root) return { kind: 'under', where: '/', ...root };
  while (rest.length > 0) {
    const part = rest.pop()!;
    if (part === '.') continue;
    // `at` names no link (each of its components was checked to be a directory): its parent is
    // its name's.
    if (part === '..') {
      at = path.dirname(at);
      continue;
    }
    const next = path.join(at, part);
    const last = rest.length === 0;
    let stat: Stats;
    try {
      stat = lstatSync(next);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !whole) return undefined; // the rest is made by privateDir, as this user, in `at`, checked
      const which = code === 'ENOENT' ? 'does not exist' : `cannot be examined (${code})`;
      return { kind: 'under', where: where(next), which, is: which };
    }
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(next);
      if (last && !whole) return { kind: 'final', where: target, which: '', is: '' };
      if (stat.uid !== 0 && stat.uid !== uid) {
        const which = `belongs to uid ${stat.uid}`;
        return { kind: 'link', where: `the symbolic link ${next}`, which, is: which };
      }
      if (++links > MAX_LINKS) {
        const which = 'leads through too many symbolic links';
        return { kind: 'under', where: where(next), which, is: which };
      }
      if (path.isAbsolute(target)) at = '/'; // checked already
      rest.push(...components(target));
      via = next;
      continue;
    }
    if (last && !whole) return undefined; // the directory itself: privateDir checks it is private
    if (!stat.isDirectory()) return { kind: 'under', where: where(next), which: 'is not a directory', is: 'is not a directory' };
    const wrong = unsafeDirectory(stat, uid);
    if (wrong) return { kind: 'under', where: where(next), ...wrong };
    at = next;
  }
  return undefined;
}

// A path's components, the first one last (to be popped first).
function components(p: string): string[] {
  return p
    .split('/')
    .filter((part) => part !== '')
    .reverse();
}

// What makes a directory one that others can change what is in it, if anything.
function unsafeDirectory(stat: Stats, uid: number): { which: string; is: string } | undefined {
  if (stat.uid !== 0 && stat.uid !== uid) return { which: `belongs to uid ${stat.uid}`, is: `belongs to uid ${stat.uid}` };
  // Sticky (/tmp): others may add names, but only rename or remove their own.
  if ((stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0)
    return { which: 'others may write to', is: 'is writable by others without the sticky bit' };
  return undefined;
}

// sun_path holds 108 bytes on Linux and 104 elsewhere, with its terminating NUL.
const SUN_PATH = process.platform === 'linux' ? 108 : 104;

/** The longest socket path that can be bound, less `reserve` bytes a program adds to it. */
export function maxSocketPath(reserve = 0): number {
  return SUN_PATH - 1 - reserve;
}
