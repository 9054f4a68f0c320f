// The native addon's whole surface, typed in one place (its C++ side: native/, its contract:
// native/README.md), and where it is loaded from.

import { fileURLToPath } from 'node:url';

export type EndpointBackend = 'pipe' | 'socketpair';

export interface NativeEndpoint {
  /** Read end: non-blocking, close-on-exec; owned by a Pump once one is made. */
  parentFd: number;
  /** Write end: close-on-exec; becomes the child's fd 2, then the parent closes it. */
  childFd: number;
  backend: EndpointBackend;
  /** Pipe capacity, or the socket's SO_RCVBUF, in bytes. */
  kernelBufferSize: number;
  /** Why a socketpair was wanted and a pipe was made; null when nothing fell back. */
  fallbackReason: string | null;
}

export interface EndpointOptions {
  /** Tests only: errno values to fail the socketpair or pipe call with, instead of calling it. */
  injectFailure?: { socketpair?: number; pipe?: number };
}

export type PumpEndReason = 'eof' | 'deadline' | 'error';

export interface PumpStats {
  bytes: number;
  reads: number;
  batches: number;
  wakeups: number;
  ended: boolean;
}

export interface NativePump {
  start(): void;
  /** The child has exited: socket -> shutdown(SHUT_RD); pipe -> EOF or the deadline ends it. */
  finish(drainTimeoutMs: number): void;
  /** Stops at once and closes the fd; onEnd is not called. */
  close(): void;
  readonly stats: PumpStats;
}

export interface NativePumpConstructor {
  new (
    fd: number, memory: ArrayBuffer, stagingOffset: number, stagingSize: number, isSocket: boolean,
    onBatch: (bytes: number) => void, onEnd: (reason: PumpEndReason, errno: string | null) => void,
  ): NativePump;
}

export interface NativeBinding {
  features: { socketpairStderr: boolean; pump: boolean };
  createEndpoint(options?: EndpointOptions): NativeEndpoint;
  /** A socketpair for the child's stdin or stdout; parentFd non-blocking, both close-on-exec.
   * Absent on Windows, where Node's own stdio pipes are used. */
  createStdioPair?(): { parentFd: number; childFd: number };
  closeFd(fd: number): void;
  /** Bytes waiting in the kernel to be read from `fd` (ioctl FIONREAD); not on Windows. */
  pendingBytes?(fd: number): number;
  /** Points `fd` at /dev/null (dup2), letting go of what it was; not on Windows. */
  redirectToNull?(fd: number): void;
  /** Asks for `signal` when the parent process exits (Linux's PR_SET_PDEATHSIG); false where
   * the system cannot. Not on Windows. */
  setParentDeathSignal?(signal: number): boolean;
  /** Absent on Windows, where the stderr pipe is read from JavaScript. */
  Pump?: NativePumpConstructor;
  /** RLIMIT_NOFILE (not on Windows). */
  openFileLimit?(): { soft: number; hard: number };
  /** Sets the soft RLIMIT_NOFILE, at most the hard one (not on Windows). */
  setOpenFileLimit?(soft: number): void;
  /** Where the binding was loaded from. */
  path: string;
}

/** The addon `npm ci` builds (with or without the ssh-socketpair-stderr feature). */
export const DEFAULT_BINDING_PATH = fileURLToPath(new URL('../../build/Release/rsh_transport.node', import.meta.url));

const loaded = new Map<string, NativeBinding>();

/** Loads the addon at `path` once per process. */
export function loadBinding(path: string = DEFAULT_BINDING_PATH): NativeBinding {
  let binding = loaded.get(path);
  if (binding === undefined) {
    try {
      // What require() does for a .node file, without loading node:module (the command's start
      // counts every millisecond).
      const module = { exports: {} as Omit<NativeBinding, 'path'> };
      process.dlopen(module, path);
      binding = { ...module.exports, path };
    } catch (err) {
      throw new Error(`rsh-transport native addon not found at ${path}: run \`npm run build:native\``, { cause: err });
    }
    loaded.set(path, binding);
  }
  return binding;
}
