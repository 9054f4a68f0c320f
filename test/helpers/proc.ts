// What /proc and Node say a process holds: its fds and their flags, its handles, what it runs.
// Linux only, as the suites that use it.

import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';

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

/** How this process's fds differ from `before` (from fdTargets()): `+fd -> target` for one open
 * now that was not, or that refers to something else; `-fd -> target` for one closed since. An
 * fd closed that the test did not open is as much a defect as one left open: both are listed. */
export function fdsChangedSince(before: ReadonlyMap<string, string>): string[] {
  const now = fdTargets();
  const opened = [...now].filter(([fd, target]) => before.get(fd) !== target).map(([fd, target]) => `+${fd} -> ${target}`);
  const closed = [...before].filter(([fd, target]) => now.get(fd) !== target).map(([fd, target]) => `-${fd} -> ${target}`);
  return [...opened, ...closed];
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

/** Waits until a child spawned from this process runs `program` and its exec is complete: until
 * then it still holds this process's fds that close on exec. Its command line is no sign of
 * that: Linux's exec switches to the new program's memory (and so its command line) before it
 * closes those fds, and a test that looked then saw them (an "extra fd 3" under load). Since
 * Linux 5.9 the name (`comm`) is set after they are closed; older kernels set it before, so a
 * test of the child's fds also waits for the list it expects (see childFds). */
export async function execed(pid: number, program: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd() === program.slice(0, 15)) return;
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

/** The child's fds, sorted, once they are `expected` (what it inherits never changes after its
 * exec, so a list that differs for long is a leak); the last list seen if not within 2 s. */
export async function childFds(pid: number, expected: readonly string[]): Promise<string[]> {
  const list = (): string[] => readdirSync(`/proc/${pid}/fd`).sort((a, b) => Number(a) - Number(b));
  for (let i = 0; i < 100; i++) {
    const fds = list();
    if (fds.join() === expected.join()) return fds;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return list();
}

/** The threads of libuv's pool in this process (UV_THREADPOOL_SIZE, else libuv's 4). */
export function threadpoolSize(): number {
  return Number(process.env.UV_THREADPOOL_SIZE) || 4;
}

/** SIGKILL to a child spawned with `detached: true` and to everything it started: its process
 * group. A shell's own children would otherwise outlive it (and the test). */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** A shell fragment that leaves a background `sleep` holding stderr, as a remote command's
 * daemon would, and appends its pid to `pidFile`, so that the test can end it with
 * endLingering() rather than leave it running. The path is double-quoted: the fragment may sit
 * inside a single-quoted word of a test's shell script. */
export function lingeringOnStderr(seconds: number, pidFile: string): string {
  if (/["$`\\'\n]/.test(pidFile)) throw new Error(`a pid file path that double quotes keep as it is, not ${pidFile}`);
  return `sleep ${seconds} >&2 </dev/null & echo $! >> "${pidFile}"`;
}

/** Ends every process lingeringOnStderr() recorded in `pidFile`, and forgets them. */
export function endLingering(pidFile: string): void {
  let pids: number[];
  try {
    pids = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(pidFile, { force: true });
}
