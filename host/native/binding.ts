// The native addon's contract, written once: every call, what it returns and what it throws
// (its C++ side: native/; the reasons behind it: native/README.md), and where it is loaded
// from. Where no addon can be had, a stand-in of the same shape without the native parts lets
// everything run on Node's own pipes.
//
// Every error the addon throws for a failed system call has `code` (the errno name, 'EMFILE'),
// `errno` (negative, as Node's) and `syscall`, and a message that says what could not be done,
// then the call and the errno: `cannot create the stderr endpoint: pipe2 failed: EMFILE (too
// many open files)`. No call that throws leaves an fd it made open. An exception thrown by
// JavaScript the addon runs (an option's getter, a setter up the prototype chain of a result)
// reaches the caller as it was thrown. A call given an argument of the wrong type throws a
// TypeError that shows how it is called (`closeFd(fd)`).

import { closeSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** 'js': no addon could be loaded, and stderr is read from JavaScript (see loadBinding). */
export type EndpointBackend = 'pipe' | 'socketpair' | 'js';

export interface NativeEndpoint {
  /** Read end: non-blocking, close-on-exec; owned by a Pump once one is made. Windows: an fd of
   * node.exe's C runtime over a blocking anonymous pipe, read as a net.Socket (a libuv pipe);
   * not inheritable. */
  parentFd: number;
  /** Write end: blocking, close-on-exec; becomes the child's fd 2, then the parent closes it.
   * Windows: not inheritable either (the spawn makes the child's own inheritable copy). */
  childFd: number;
  backend: EndpointBackend;
  /** Pipe capacity (F_GETPIPE_SZ, raised towards 1 MiB on Linux; 0 where the system cannot tell), or
   * the socket's SO_RCVBUF, in bytes. */
  kernelBufferSize: number;
  /** Why a socketpair was wanted and a pipe was made; null when nothing fell back. */
  fallbackReason: string | null;
}

export interface EndpointOptions {
  /** Tests only: errno values to fail the socketpair or pipe call with, instead of calling it
   * (Windows: a Win32 error code for CreatePipe, such as 4, ERROR_TOO_MANY_OPEN_FILES). */
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
  /**
   * Watches the fd on Node's event loop and reads it into the staging area: onBatch(n) once 64
   * KiB wait there (or the area is full), else 1 ms after the first byte of a small batch. A
   * wake-up reads at most 16 areas before yielding to the loop.
   * @throws Error `Pump: already started` for a second start(), or one after close().
   * @throws Error (`syscall` 'uv_poll_init') when the fd cannot be watched.
   */
  start(): void;
  /**
   * The child has exited. A socket is shut for reading (shutdown(SHUT_RD)): EOF comes once the
   * queued bytes are read, whoever else holds the other end. A pipe is read on until EOF or
   * `drainTimeoutMs`; then a last pass takes what is queued (at most 8 areas). The fd is closed
   * before onEnd.
   */
  finish(drainTimeoutMs: number): void;
  /** Stops at once and closes the fd; onEnd is not called. */
  close(): void;
  readonly stats: PumpStats;
}

export interface NativePumpOptions {
  /** The read end to drain (non-blocking); the pump owns it from now on. Whether it is a socket
   * (finish() then shuts it down) is found out from the fd itself. */
  fd: number;
  /** The memory the staging area lies in (the core's); the pump keeps it alive. */
  memory: ArrayBuffer;
  /** The staging area: offset and size in `memory`. */
  offset: number;
  size: number;
  /** Each batch read into the staging area, `bytes` long: it must be consumed before the call
   * returns (the next read overwrites it). */
  onBatch(bytes: number): void;
  /** Once, when the pump stops reading (not after close()): 'eof', 'deadline', or 'error' with
   * the errno's name. */
  onEnd(reason: PumpEndReason, errno: string | null): void;
}

export interface NativePumpConstructor {
  /**
   * Owns `fd` once made: it closes it when it ends, on close(), or when it is collected without
   * having been started. A constructor that throws owns nothing: the caller still closes `fd`.
   * Once ended, the pump lets go of the callbacks and the memory. An exception thrown by onBatch
   * or onEnd stops the pump and is reported as any error thrown by a callback is (process
   * 'uncaughtException').
   * @throws TypeError for a missing or mistyped option, naming every option.
   * @throws RangeError for a negative fd, an empty staging area, or one outside `memory`.
   * @throws Error (`syscall` 'fstat') when the fd cannot be inspected.
   */
  new (options: NativePumpOptions): NativePump;
}

export interface NativeBinding {
  /** The build feature (`ssh-socketpair-stderr`), and whether Pump exists (not on Windows). */
  features: { socketpairStderr: boolean; pump: boolean };
  /**
   * The child's stderr endpoint: a pipe (pipe2, O_CLOEXEC), or with the socketpair feature an
   * AF_UNIX socketpair, shut for writing on the parent's end and for reading on the child's. A
   * socketpair that fails, whatever the errno, is replaced by a pipe, and fallbackReason says
   * why. Windows: an anonymous pipe (CreatePipe, 1 MiB), its handles made fds of node.exe's runtime
   * by node.exe's libuv (uv_open_osfhandle), whatever the build feature. Absent without the addon:
   * the child's stderr is then Node's own pipe, read from JavaScript.
   * @throws Error (`syscall` 'pipe2', 'pipe' or 'fcntl'; on Windows 'CreatePipe', its Win32 error
   * named as libuv names it, or 'uv_open_osfhandle' with EMFILE; `fallbackReason` when a
   * socketpair failed first) when no endpoint can be made.
   */
  createEndpoint?(options?: EndpointOptions): NativeEndpoint;
  /**
   * A socketpair for the child's stdin or stdout, as Node's stdio 'pipe' makes; parentFd
   * non-blocking, both close-on-exec. Absent on Windows, where Node's own stdio pipes are used.
   * @throws Error (`syscall` 'socketpair').
   */
  createStdioPair?(): { parentFd: number; childFd: number };
  /**
   * Closes an fd the addon made that nothing owns: an endpoint's or a stdio pair's child end
   * after the spawn, or both ends when the spawn failed. Once a Pump or a net.Socket owns an
   * fd, that owner closes it. Windows: closed by node.exe's libuv (uv_fs_close), handle and all.
   * @throws Error (`syscall` 'close'): 'EBADF' for an fd that is not open.
   */
  closeFd(fd: number): void;
  /**
   * Bytes waiting in the kernel to be read from `fd` (ioctl FIONREAD); not on Windows.
   * @throws Error (`syscall` 'ioctl') for an fd that is not open.
   */
  pendingBytes?(fd: number): number;
  /**
   * Points `fd` at /dev/null (dup2), letting go of what it was while the number stays taken; not
   * on Windows.
   * @throws Error (`syscall` 'open' or 'dup2').
   */
  redirectToNull?(fd: number): void;
  /** Asks for `signal` when the parent process exits (Linux's PR_SET_PDEATHSIG); false where
   * the system cannot. Not on Windows. */
  setParentDeathSignal?(signal: number): boolean;
  /** Absent on Windows, where the stderr pipe is read from JavaScript. */
  Pump?: NativePumpConstructor;
  /** RLIMIT_NOFILE (not on Windows).
   * @throws Error (`syscall` 'getrlimit'). */
  openFileLimit?(): { soft: number; hard: number };
  /** Sets the soft RLIMIT_NOFILE, at most the hard one (OPEN_MAX on macOS; not on Windows).
   * @throws Error (`syscall` 'getrlimit' or 'setrlimit'). */
  setOpenFileLimit?(soft: number): void;
  /** Where the binding was loaded from; '' for the JavaScript stand-in. */
  path: string;
  /** Why there is no addon (the JavaScript stand-in only). */
  unavailable?: string;
}

/** The addon a source build makes (`npm ci` here, `npm rebuild rsh-transport` for a user). */
export const DEFAULT_BINDING_PATH = fileURLToPath(new URL('../../build/Release/rsh_transport.node', import.meta.url));

/** Where the package's prebuilt addons are: `prebuilds/<platform>-<arch>/node.napi[.libc].node`,
 * the layout node-gyp-build and prebuildify use. */
export const PREBUILDS_DIR = fileURLToPath(new URL('../../prebuilds', import.meta.url));

/** Set (to anything but '' or '0'), the addon is not loaded: stderr is read from JavaScript. */
const NO_ADDON_VARIABLE = 'RSH_TRANSPORT_NO_ADDON';

const loaded = new Map<string, NativeBinding>();
let chosen: NativeBinding | undefined;

function dlopen(path: string): NativeBinding {
  // What require() does for a .node file, without loading node:module (the command's start
  // counts every millisecond).
  const module = { exports: {} as Omit<NativeBinding, 'path'> };
  process.dlopen(module, path);
  return { ...module.exports, path };
}

/**
 * The addon at `path`, loaded once per process; without `path`, the one this platform has (a
 * source build first, then a prebuild that loads), else the JavaScript stand-in (`js`), which
 * says why in `unavailable`.
 * @throws Error when `path` is given and cannot be loaded.
 */
export function loadBinding(path?: string): NativeBinding {
  if (path === undefined) return (chosen ??= chooseBinding());
  let binding = loaded.get(path);
  if (binding === undefined) {
    try {
      binding = dlopen(path);
    } catch (err) {
      throw new Error(`rsh-transport native addon cannot be loaded from ${path}: run \`npm rebuild rsh-transport\``, { cause: err });
    }
    loaded.set(path, binding);
  }
  return binding;
}

function chooseBinding(): NativeBinding {
  const off = process.env[NO_ADDON_VARIABLE];
  if (off !== undefined && off !== '' && off !== '0') return jsBinding(`${NO_ADDON_VARIABLE} is set`);
  const failures: string[] = [];
  for (const candidate of [DEFAULT_BINDING_PATH, ...prebuilds()]) {
    if (!existsSync(candidate)) continue;
    try {
      return loadBinding(candidate);
    } catch (err) {
      failures.push(`${candidate}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
  }
  const platform = `${process.platform}-${process.arch}`;
  return jsBinding(
    failures.length > 0
      ? `no native addon loads on ${platform} (${failures.join('; ')})`
      : `no native addon for ${platform}: none was built or prebuilt`,
  );
}

// This platform's prebuilds, those for its C library first (a glibc build fails to load on musl).
function prebuilds(): string[] {
  const dir = join(PREBUILDS_DIR, `${process.platform}-${process.arch}`);
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.node'));
  } catch {
    return [];
  }
  const libc = process.platform === 'linux' ? (existsSync('/etc/alpine-release') ? 'musl' : 'glibc') : '';
  const rank = (name: string): number => (libc !== '' && name.split('.').includes(libc) ? 0 : 1);
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => join(dir, name));
}

/** The binding without an addon: no endpoint, no pump; the child's stdio are Node's pipes. */
function jsBinding(unavailable: string): NativeBinding {
  return {
    features: { socketpairStderr: false, pump: false },
    closeFd: (fd) => closeSync(fd),
    path: '',
    unavailable,
  };
}
