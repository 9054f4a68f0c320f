// Reading the process tree from /proc: the command is the native launcher, then the remote
// shell; or a shell launcher, then Node, then the remote shell. The tests look at each.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { sleep } from '../helpers/promises.js';

/** The pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Waits until `pid` has a child that satisfies `test` (by its cmdline), and returns it. */
export async function childMatching(pid: number, test: (cmdline: string[]) => boolean, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const child of childrenOf(pid)) {
      if (test(cmdline(child))) return child;
    }
    await sleep(10);
  }
  throw new Error(`no child of ${pid} appeared in ${timeoutMs} ms`);
}

/** The descendants of `pid` (children, grandchildren...) with their cmdlines. */
export function descendantsOf(pid: number): Array<{ pid: number; argv: string[] }> {
  const found: Array<{ pid: number; argv: string[] }> = [];
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push({ pid: next, argv: cmdline(next) });
    queue.push(...childrenOf(next));
  }
  return found;
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** What fd `fd` of `pid` refers to (`pipe:[...]`, `socket:[...]`, `/dev/null`). */
export function fdTarget(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** Whether `pid` runs: not gone, and not a zombie that nobody has reaped yet (an orphan's
 * new parent may be slow to, or never, reap it). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Whether `pid` has a handler for `signal` (its bit in SigCgt): it catches it, rather than
 * dying of it or ignoring it. */
export function catches(pid: number, signal: NodeJS.Signals): boolean {
  try {
    const mask = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);
    return (mask & (1n << BigInt(constants.signals[signal] - 1))) !== 0n;
  } catch {
    return false; // gone, or not yet there
  }
}
