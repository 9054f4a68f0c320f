// Private directories whose process is gone, and whose exit hook and watchdog never ran (both
// killed, the machine's power lost): the next process that makes its own directory beside them
// stops the ssh masters named in them and removes them, so that none stays for good.
//
// Each default directory holds an `owner` file: its process's pid and pid namespace. A directory
// is stale only when it is certainly another process's of this user that has ended: a directory
// of this user with mode 0700 and a name like ours, whose owner file names a pid of the same pid
// namespace (containers sharing /tmp see other pids) that no longer exists. A directory without
// an owner file (a process that has just made it, or an older version's) or whose pid lives (or
// has gone to another process) is left: then at worst it stays, as before.

import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopMasterProcesses } from './multiplex/master-processes.js';

const OWNER_FILE = 'owner';
// What mkdtemp makes of `rsh-`.
const DIR_NAME = /^rsh-[A-Za-z0-9]{6}$/;
// A control socket's name (shared-connections.ts).
const SOCKET_NAME = /^[0-9a-f]{16}$/;
const STOP_GRACE_MS = 2000;

// Where pids are numbered: the pid namespace on Linux, one for the whole system elsewhere.
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '-';
  }
}

/** Writes the owner file of this process's directory `dir`, just made. */
export function claimDir(dir: string): void {
  writeFileSync(path.join(dir, OWNER_FILE), `${process.pid} ${pidNamespace()}\n`, { mode: 0o600, flag: 'wx' });
}

/** The stale directories beside `own` in `base`, by the rules above. */
export function staleDirs(base: string, own: string, uid: number): string[] {
  const stale: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return stale;
  }
  const namespace = pidNamespace();
  for (const name of names) {
    const dir = path.join(base, name);
    if (!DIR_NAME.test(name) || dir === own) continue;
    try {
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o777) !== 0o700) continue;
      const owner = path.join(dir, OWNER_FILE);
      const file = lstatSync(owner);
      if (!file.isFile() || file.uid !== uid) continue;
      const [pid, ns] = readFileSync(owner, 'utf8').trim().split(' ');
      if (ns !== namespace || !/^\d+$/.test(pid) || alive(Number(pid))) continue;
      stale.push(dir);
    } catch {
      // Gone meanwhile, or no owner file: not ours to judge.
    }
  }
  return stale;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as someone else's.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Stops the masters of each stale directory beside `own`, then removes it. Never rejects. */
export async function sweepStaleDirs(base: string, own: string, uid: number): Promise<void> {
  for (const dir of staleDirs(base, own, uid)) {
    try {
      const sockets = readdirSync(dir).filter((name) => SOCKET_NAME.test(name));
      await Promise.all(sockets.map((name) => stopMasterProcesses(path.join(dir, name), STOP_GRACE_MS)));
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process swept it first, or it cannot be removed: nothing to report.
    }
  }
}
