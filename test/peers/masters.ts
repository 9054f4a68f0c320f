// The ssh ControlMasters a test can see in /proc.

import { readdirSync, readFileSync } from 'node:fs';

/** The pids of live ssh masters whose control socket is under `dir` (a zombie has no cmdline). */
export function mastersUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let words: string[];
    try {
      words = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (words.includes('ControlMaster=yes') && words.some((word) => word.startsWith(`ControlPath=${dir}/`))) pids.push(Number(entry));
  }
  return pids;
}

/** The pids of the exit watchdogs (`/bin/sh -c` running the watchdog's script) whose parent is
 * `parent`. */
export function watchdogsOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const words = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = Number(
        readFileSync(`/proc/${entry}/stat`, 'utf8')
          .replace(/^.*\) /s, '')
          .split(' ')[1],
      );
      if (ppid === parent && words[0] === '/bin/sh' && words[1] === '-c' && words[2]?.includes("'socket '*)")) pids.push(Number(entry));
    } catch {
      continue;
    }
  }
  return pids;
}

/** Whether a process of that pid still runs (a zombie is not running). */
export function running(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
