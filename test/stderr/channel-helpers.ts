// The channel suite's own helper: a child spawned with its stderr on a channel, as the transport
// spawns it.

import { spawn, type ChildProcess } from 'node:child_process';
import { StderrCapture } from '../../host/core/index.js';
import { StderrChannel, type ChannelEnd, type StderrChannelOptions } from '../../host/stderr/channel.js';
import type { Backend } from '../helpers/backends.js';

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
