// Starting the remote shell once: its stderr capture and endpoint, its stdin and stdout, and the
// child. Each step makes fds the child is to hold; when one fails, what the others made is
// released, so a failed start leaves nothing behind but why (and the capture, its channel
// closed, for whoever wants its stats).

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { InternalOptions } from './internal.js';
import { loadBinding, type NativeBinding } from './native/binding.js';
import type { ShellSettings } from './options.js';
import { ShellStderr } from './stderr/shell-stderr.js';
import { ChildStdio } from './stream/child-stdio.js';

export interface Started {
  readonly child: ChildProcess;
  readonly stderr: ShellStderr;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly binding: NativeBinding;
}

export interface NotStarted {
  /** Why: what was thrown, or (a child that got no pid) Node's 'error' on the next tick. */
  readonly cause: Promise<unknown>;
  /** The capture made before the failure, its channel closed; undefined if none was made. */
  readonly stderr: ShellStderr | undefined;
  readonly child: ChildProcess | undefined;
}

export function startRemoteShell(
  argv: readonly string[],
  settings: ShellSettings,
  opts: InternalOptions,
  extraEnv: Readonly<Record<string, string>> = {},
): Started | NotStarted {
  let stderr: ShellStderr | undefined;
  let stdio: ChildStdio | undefined;
  let child: ChildProcess;
  let binding: NativeBinding;
  try {
    binding = opts.binding ?? loadBinding();
    stderr = ShellStderr.open(settings, binding, opts.injectFailure);
    stdio = ChildStdio.open(binding, settings.stdin, settings.stdout);
    child = spawn(argv[0], argv.slice(1), {
      stdio: [...stdio.spawnStdio, stderr.childFd],
      env: childEnv({ ...settings.env, ...extraEnv }),
      cwd: settings.cwd,
      windowsHide: true,
    });
  } catch (err) {
    stdio?.close();
    stderr?.close();
    return { cause: Promise.resolve(err), stderr, child: undefined };
  }
  if (child.pid === undefined) {
    // Not found, not executable, out of fds: Node reports why on the next tick.
    stdio.close(child);
    stderr.close();
    return { cause: new Promise((resolve) => child.once('error', resolve)), stderr, child };
  }
  stderr.spawned(child);
  const { stdin, stdout } = stdio.spawned(child);
  // After a successful spawn, 'error' only reports a failed kill(), which kill() returns.
  child.on('error', () => {});
  return { child, stderr, stdin, stdout, binding };
}

// As upstream rsync does, the remote shell gets no DISPLAY unless SSH_ASKPASS is set, so that
// ssh does not try X11 for a passphrase when nothing asks for one.
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DISPLAY === undefined || env.SSH_ASKPASS !== undefined) return env;
  const { DISPLAY: _display, ...rest } = env;
  return rest;
}
