// What /proc and Node say a process holds: its fds and their flags, its handles, what it runs.
// Linux only, as the suites that use it.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** This process's open fds and what each refers to (`socket:[...]`, `pipe:[...]`, a path). */
export function fdTargets(): Map<string, string> {
  const targets = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the fd readdir itself used
    }
  }
  return targets;
}

export function openFds(): string[] {
  return [...fdTargets().keys()];
}

// Linux open flags as /proc/PID/fdinfo shows them (octal), which os.constants does not export.
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

export function fdFlags(fd: number | string, pid: number | 'self' = 'self'): number {
  return parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1], 8);
}

/** Besides 0, 1 and 2, a child can only hold fds this process inherited without close-on-exec
 * from whoever started it (a test harness may leave some open). */
export function inheritedFds(): string[] {
  return openFds()
    .filter((fd) => Number(fd) > 2 && !(fdFlags(fd) & O_CLOEXEC))
    .sort((a, b) => Number(a) - Number(b));
}

/** Waits until a child spawned from this process runs `program` (it has exec'd): until then it
 * is a copy of this process and still holds fds that close on exec. */
export async function execed(pid: number, program: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith(program)) return;
    } catch {
      // not there yet, or gone
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`process ${pid} did not exec ${program}`);
}

/** Active handles by type (ProcessWrap, PipeWrap, Timeout...), to see what outlives a shell. */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
