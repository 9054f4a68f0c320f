import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { StderrCapture } from '../../host/core/index.js';
import { DEFAULT_BINDING_PATH, loadBinding, type NativeBinding } from '../../host/native/binding.js';
import { StderrChannel, type ChannelEnd, type StderrChannelOptions } from '../../host/stderr/channel.js';
import { ROOT as root } from '../helpers/root.js';

/** The default build (pipe) and the ssh-socketpair-stderr build that `npm test` makes first. */
export const SOCKETPAIR_BINDING_PATH = path.join(root, 'build/variants/socketpair/build/Release/rsh_transport.node');

export interface Backend {
  name: 'pipe' | 'socketpair' | 'js';
  binding: () => NativeBinding;
}

/** Whether this run is the one without the addon (RSH_TRANSPORT_NO_ADDON, see npm test). Any
 * other run needs the addon: one that cannot load fails, rather than turn into this run. */
export const NO_ADDON = !['', '0', undefined].includes(process.env.RSH_TRANSPORT_NO_ADDON);

export const BACKENDS: Backend[] = NO_ADDON
  ? [{ name: 'js', binding: () => loadBinding() }]
  : [
      { name: 'pipe', binding: () => loadBinding(DEFAULT_BINDING_PATH) },
      { name: 'socketpair', binding: () => loadBinding(SOCKETPAIR_BINDING_PATH) },
    ];

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

export interface Run {
  child: ChildProcess;
  channel: StderrChannel;
  capture: StderrCapture;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves after exit and the channel's end, with when each happened. */
  done: Promise<{ end: ChannelEnd; exitedAt: number; endedAt: number; code: number | null }>;
}

/** Spawns `command` with its stderr on a channel of the given backend, as the transport does. */
export function runWithChannel(
  backend: Backend,
  command: string,
  args: string[],
  options: { drainTimeoutMs?: number; stdout?: 'pipe' | 'ignore'; channel?: StderrChannelOptions } = {},
): Run {
  const capture = new StderrCapture();
  capture.setFrameConsumer({ consume() {} });
  const channel = new StderrChannel(capture, { binding: backend.binding(), ...options.channel });
  const child = spawn(command, args, { stdio: ['ignore', options.stdout ?? 'ignore', channel.childFd] });
  channel.spawned();
  let exitedAt = 0;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exitedAt = performance.now();
      channel.finish(options.drainTimeoutMs ?? 100);
      resolve({ code, signal });
    });
  });
  const done = Promise.all([exit, channel.ended]).then(([{ code }, end]) => ({
    end,
    exitedAt,
    endedAt: performance.now(),
    code,
  }));
  return { child, channel, capture, exit, done };
}
