// Every option of a remote shell, checked before anything is allocated or spawned: a value out
// of its range throws a RangeError, a value of the wrong kind a TypeError, each naming the
// option and what it accepts. What comes out is complete (defaults filled in) and frozen.

import { fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { CAPTURE_LIMITS, type CaptureGeometry } from './core/pool.js';
import { DEFAULT_RETRY_DELAY_MS, MAX_RETRY_ATTEMPTS, NO_RETRY, type RetryOptions, type RetryPolicy } from './retry.js';
import type { AskpassCallback } from './askpass/request.js';
import type { SanitizeOption, StderrOption } from './stderr/forwarder.js';

/**
 * The remote shell's stdin or stdout. `'pipe'` (the default) connects it to `stream`. Anything
 * else hands an existing file descriptor to the remote shell as it is, and its bytes never pass
 * through this process: an fd number, or a stream or handle that has one (`process.stdin`, a
 * `net.Socket`, an `fs` stream once open, a `FileHandle`).
 */
export type StdioOption = 'pipe' | number | { readonly fd: number } | NodeJS.ReadableStream | NodeJS.WritableStream;

export interface RemoteShellOptions {
  /** Where the remote shell's stderr goes as it arrives. Default 'forward' (process.stderr). */
  stderr?: StderrOption;
  /** Whether forwarded stderr is made terminal-safe (control characters shown as `^[`, colours
   * kept). Default 'auto': for a terminal sink (`isTTY`) and a callback's text; a Writable that
   * is not a terminal gets the bytes exactly. Errors and snapshots are always terminal-safe. */
  sanitize?: SanitizeOption;
  /** Aborting sends SIGTERM (SIGKILL after killGraceMs) and rejects `finished` with ERR_ABORTED. */
  signal?: AbortSignal;
  /** The remote shell's environment. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The remote shell's working directory. */
  cwd?: string | URL;
  /** How long to keep reading stderr (and stdout, for a writer that outlives the remote shell,
   * such as an ssh ControlPersist master) after it exits; also how long a consumer has to read
   * what is left after close(), an abort or kill(). 0: no wait. Default 100 ms. */
  drainTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL, and the wait in close() before SIGTERM. 0: at once.
   * Default 2000 ms. */
  killGraceMs?: number;
  /** An unfinished stderr line (a prompt) is forwarded after this much quiet. 0: after the very
   * batch that brought it. Default 50 ms. */
  idleFlushMs?: number;
  /** Ends the remote shell (SIGTERM, SIGKILL after killGraceMs; reason 'stalled') when no
   * protocol byte moved through `stream` for this long while the caller wanted to read or had
   * bytes to write. stderr is not progress. 0: never. Default 0 ms. Needs stdin and stdout as 'pipe'. */
  stallTimeoutMs?: number;
  /** Geometry of the stderr capture: ring capacity (64 KiB), head size (4 KiB), lineMax (4 KiB). */
  capture?: Partial<CaptureGeometry>;
  /** The remote shell's stdin: 'pipe' (writes to `stream`, the default) or an fd to hand over. */
  stdin?: StdioOption;
  /** The remote shell's stdout: 'pipe' (reads from `stream`, the default) or an fd to hand over. */
  stdout?: StdioOption;
  /** Try the connection again when it was never established (refused, timed out, closed by the
   * server before authentication), as long as nothing crossed `stream`: a number of retries, or
   * `{ attempts, delayMs (1000), hostNotFound (false) }`. Default none. Needs stdin and stdout
   * as 'pipe'. */
  retry?: number | RetryOptions;
  /** Answers ssh's prompts (a key's passphrase, a password, an unknown host key) instead of a
   * terminal: ssh runs a helper of this library as SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force), which
   * asks this callback over a private socket. Return the answer, or null to cancel. */
  askpass?: AskpassCallback;
}

/** The options once checked: defaults filled in, stdio resolved to fd numbers. */
export interface ShellSettings {
  readonly stderr: StderrOption;
  readonly sanitize: SanitizeOption;
  readonly signal: AbortSignal | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string | URL | undefined;
  readonly drainTimeoutMs: number;
  readonly killGraceMs: number;
  readonly idleFlushMs: number;
  readonly stallTimeoutMs: number;
  readonly capture: Readonly<CaptureGeometry>;
  /** 'pipe', or the fd handed to the remote shell. */
  readonly stdin: 'pipe' | number;
  readonly stdout: 'pipe' | number;
  readonly retry: RetryPolicy;
  readonly askpass: AskpassCallback | undefined;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 100;
export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_IDLE_FLUSH_MS = 50;

/** setTimeout's largest delay: anything above fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const CAPTURE_KEYS = ['capacity', 'headSize', 'lineMax'] as const;

/** A value as an error message names it. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return String(value);
}

/** Refuses the keys of `value` that are not `known`, naming them and the known ones:
 * `OWNER has no option "x" (known: ...)`, or `unknown option "x" (known: ...)` at the top. */
export function refuseUnknownKeys(value: object, known: readonly string[], owner?: string): void {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const names = unknown.map((key) => JSON.stringify(key)).join(', ');
  throw new TypeError(`${owner === undefined ? 'unknown option' : `${owner} has no option`} ${names} (known: ${known.join(', ')})`);
}

/** An integer in [min, max]: TypeError when not a number, RangeError when out of range. */
export function checkInteger(name: string, value: unknown, min: number, max: number, unit = ''): number {
  const range = `a whole number${unit} from ${min} to ${max}`;
  if (typeof value !== 'number') throw new TypeError(`${name} must be ${range}, got ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be ${range}, got ${show(value)}`);
  return value;
}

/** The check of a timer option: milliseconds from 0 to the largest delay a timer can hold. */
function timer(name: string, fallback: number): (value: unknown) => number {
  return (value) => (value === undefined ? fallback : checkInteger(name, value, 0, MAX_TIMER_MS, ' of milliseconds'));
}

function checkStderr(value: unknown): StderrOption {
  if (value === undefined) return 'forward';
  if (value === 'forward' || value === 'capture' || typeof value === 'function') return value as StderrOption;
  const writable = value as Partial<Writable> | null;
  if (typeof writable === 'object' && writable !== null && typeof writable.write === 'function' && typeof writable.once === 'function') {
    return value as Writable;
  }
  throw new TypeError(`stderr must be 'forward', 'capture', a Writable or a function (line, info) => void, got ${show(value)}`);
}

function checkSanitize(value: unknown): SanitizeOption {
  if (value === undefined) return 'auto';
  if (value === true || value === false || value === 'auto') return value;
  throw new TypeError(`sanitize must be true, false or 'auto', got ${show(value)}`);
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const signal = value as Partial<AbortSignal> | null;
  if (
    typeof signal !== 'object' ||
    signal === null ||
    typeof signal.aborted !== 'boolean' ||
    typeof signal.addEventListener !== 'function' ||
    typeof signal.removeEventListener !== 'function'
  ) {
    throw new TypeError(`signal must be an AbortSignal, got ${show(value)}`);
  }
  return value as AbortSignal;
}

function checkEnv(value: unknown): NodeJS.ProcessEnv {
  if (value === undefined) return process.env;
  const prototype = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (value !== process.env && prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`env must be a plain object of strings, got ${show(value)}`);
  }
  for (const [key, entry] of Object.entries(value as object)) {
    if (key === '' || key.includes('=') || key.includes('\0')) {
      throw new TypeError(`env holds an invalid variable name ${JSON.stringify(key)}: it is empty, or holds '=' or a NUL byte`);
    }
    if (entry === undefined) continue;
    if (typeof entry !== 'string') throw new TypeError(`env.${key} must be a string, got ${show(entry)}`);
    if (entry.includes('\0')) throw new TypeError(`env.${key} holds a NUL byte, which no environment can hold`);
  }
  return value as NodeJS.ProcessEnv;
}

function checkCwd(value: unknown): string | URL | undefined {
  if (value === undefined) return undefined;
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw new TypeError(`cwd must be a path or a file: URL, got ${value.protocol} URL`);
    return value;
  }
  if (typeof value !== 'string' || value === '') throw new TypeError(`cwd must be a non-empty path or a file: URL, got ${show(value)}`);
  if (value.includes('\0')) throw new TypeError('cwd holds a NUL byte');
  return value;
}

function checkCapture(value: unknown): CaptureGeometry {
  if (value === undefined) return { ...CAPTURE_LIMITS.defaults };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`capture must be an object { capacity, headSize, lineMax }, got ${show(value)}`);
  }
  refuseUnknownKeys(value, CAPTURE_KEYS, 'capture');
  const geometry = { ...CAPTURE_LIMITS.defaults };
  const given = value as Partial<Record<(typeof CAPTURE_KEYS)[number], unknown>>;
  for (const key of CAPTURE_KEYS) {
    if (given[key] === undefined) continue;
    const [min, max] = CAPTURE_LIMITS[key];
    geometry[key] = checkInteger(`capture.${key}`, given[key], min, max, ' of bytes');
  }
  if ((geometry.capacity & (geometry.capacity - 1)) !== 0) {
    throw new RangeError(
      `capture.capacity must be a power of two from ${CAPTURE_LIMITS.capacity[0]} to ${CAPTURE_LIMITS.capacity[1]}, got ${geometry.capacity}`,
    );
  }
  return geometry;
}

function checkRetry(value: unknown): RetryPolicy {
  if (value === undefined) return NO_RETRY;
  const options = typeof value === 'number' ? { attempts: value } : value;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`retry must be a number of retries or { attempts, delayMs, hostNotFound }, got ${show(value)}`);
  }
  refuseUnknownKeys(options, ['attempts', 'delayMs', 'hostNotFound'], 'retry');
  const given = options as Partial<Record<keyof RetryOptions, unknown>>;
  const attempts = checkInteger(typeof value === 'number' ? 'retry' : 'retry.attempts', given.attempts, 0, MAX_RETRY_ATTEMPTS);
  const delayMs =
    given.delayMs === undefined
      ? DEFAULT_RETRY_DELAY_MS
      : checkInteger('retry.delayMs', given.delayMs, 0, MAX_TIMER_MS, ' of milliseconds');
  if (given.hostNotFound !== undefined && typeof given.hostNotFound !== 'boolean')
    throw new TypeError(`retry.hostNotFound must be true or false, got ${show(given.hostNotFound)}`);
  return Object.freeze({ attempts, delayMs, hostNotFound: given.hostNotFound === true });
}

function checkAskpass(value: unknown): AskpassCallback | undefined {
  if (value === undefined || typeof value === 'function') return value as AskpassCallback | undefined;
  throw new TypeError(`askpass must be a function (request) => answer | null, got ${show(value)}`);
}

/** The fd of a stdio option, checked to be open; 'pipe' stays 'pipe'. */
function checkStdio(name: 'stdin' | 'stdout', value: unknown): 'pipe' | number {
  if (value === undefined || value === 'pipe') return 'pipe';
  let fd: unknown;
  if (typeof value === 'number') fd = value;
  else if (typeof value === 'object' && value !== null) {
    const holder = value as { fd?: unknown; _handle?: { fd?: unknown } | null };
    fd = typeof holder.fd === 'number' ? holder.fd : holder._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      throw new TypeError(`${name} must be 'pipe', an fd or a stream that has one, got ${show(value)} without an open file descriptor`);
    }
  } else {
    throw new TypeError(`${name} must be 'pipe', an fd or a stream that has one, got ${show(value)}`);
  }
  checkInteger(name, fd, 0, MAX_TIMER_MS);
  try {
    fstatSync(fd as number);
  } catch (err) {
    throw new RangeError(`${name} is fd ${fd}, which is not open (${(err as NodeJS.ErrnoException).code})`);
  }
  return fd as number;
}

/** Every option of a remote shell and its check: its kind, its range and its default are in
 * the check; the keys the options accept are this table's. Adding an option is one entry here
 * (the compiler holds the table to RemoteShellOptions and ShellSettings), one in the README's
 * table (docs.test.ts holds it to this one) and its test. */
const SHELL_OPTIONS = {
  stderr: checkStderr,
  sanitize: checkSanitize,
  signal: checkSignal,
  env: checkEnv,
  cwd: checkCwd,
  drainTimeoutMs: timer('drainTimeoutMs', DEFAULT_DRAIN_TIMEOUT_MS),
  killGraceMs: timer('killGraceMs', DEFAULT_KILL_GRACE_MS),
  idleFlushMs: timer('idleFlushMs', DEFAULT_IDLE_FLUSH_MS),
  stallTimeoutMs: timer('stallTimeoutMs', 0),
  capture: (value: unknown) => Object.freeze(checkCapture(value)),
  stdin: (value: unknown) => checkStdio('stdin', value),
  stdout: (value: unknown) => checkStdio('stdout', value),
  retry: checkRetry,
  askpass: checkAskpass,
} satisfies { [K in keyof Required<RemoteShellOptions>]: (value: unknown) => ShellSettings[K] };

export const SHELL_OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(SHELL_OPTIONS));

/** Checks every option, each read once; throws before anything is allocated. `extraKeys` are
 * the caller's own. */
export function checkShellOptions(options: unknown, extraKeys: ReadonlySet<string> = new Set()): ShellSettings {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`the options must be an object, got ${show(options)}`);
  }
  refuseUnknownKeys(options, [...extraKeys, ...SHELL_OPTION_KEYS]);
  const given = options as Record<string, unknown>;
  const settings = Object.fromEntries(
    Object.entries(SHELL_OPTIONS).map(([key, check]) => [key, (check as (value: unknown) => unknown)(given[key])]),
  ) as unknown as ShellSettings;
  // What depends on two options.
  const handedOver = settings.stdin !== 'pipe' || settings.stdout !== 'pipe';
  if (settings.retry.attempts > 0 && handedOver)
    throw new TypeError("retry needs stdin and stdout as 'pipe': with a handed-over fd nobody can tell whether a byte crossed it");
  if (settings.stallTimeoutMs > 0 && handedOver)
    throw new TypeError("stallTimeoutMs needs stdin and stdout as 'pipe': the bytes of a handed-over fd are not seen moving");
  return Object.freeze(settings);
}
