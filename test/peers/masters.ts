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
