// RemoteShell: one spawned remote shell, its protocol stream, its captured stderr, and the
// policy of its life: when it has finished, what error says why it failed, and that no fd,
// timer or child outlives `finished`.

import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { StderrCapture, type StderrCaptureOptions } from './core/capture.js';
import type { Snapshot } from './core/snapshot.js';
import { MESSAGE_TAIL_BYTES, RemoteShellError, tailForMessage, type RemoteShellErrorCode } from './errors.js';
import { internal, type InternalOptions } from './internal.js';
import { loadBinding, type EndpointBackend } from './native/binding.js';
import { StderrChannel } from './stderr/channel.js';
import { makeSink, type Sink, type StderrOption } from './stderr/sink.js';
import { ChildStdio } from './stream/child-stdio.js';
import { Tunnel } from './stream/tunnel.js';

export interface RemoteShellOptions {
  /** Where the remote shell's stderr goes as it arrives. Default 'forward' (process.stderr). */
  stderr?: StderrOption;
  /** Aborting sends SIGTERM (SIGKILL after killGraceMs) and rejects `finished` with ERR_ABORTED. */
  signal?: AbortSignal;
  /** The remote shell's environment. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The remote shell's working directory. */
  cwd?: string;
  /** How long to keep reading stderr (and stdout) after the remote shell exits, for a writer
   * that outlives it, such as an ssh ControlPersist master. Default 100 ms. */
  drainTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL, and the wait in close(). Default 2000 ms. */
  killGraceMs?: number;
  /** An unfinished stderr line (a prompt) is forwarded after this much quiet. Default 50 ms. */
  idleFlushMs?: number;
  /** Geometry of the stderr capture: ring capacity (64 KiB), head size (4 KiB), lineMax (4 KiB). */
  capture?: Pick<StderrCaptureOptions, 'capacity' | 'headSize' | 'lineMax'>;
}

export interface RemoteShellResult {
  code: 0;
  signal: null;
  /** Protocol bytes read from the remote shell's stdout. */
  bytesReceived: number;
  /** Protocol bytes written to its stdin. */
  bytesSent: number;
}

export interface RemoteShellStderrStats {
  /** The stderr endpoint in use. */
  backend: EndpointBackend | null;
  /** Why a socketpair was wanted and a pipe was made; null when nothing fell back. */
  fallbackReason: string | null;
  /** The endpoint's kernel buffer in bytes. */
  kernelBufferSize: number;
  bytesSeen: number;
  bytesDropped: number;
  bytesForwarded: number;
  /** Bytes a slow stderr sink could not take and that were skipped. */
  bytesNotForwarded: number;
}

export interface RemoteShellStderr {
  /** The retained head and tail of the remote shell's stderr as a terminal shows them. */
  snapshot(): Snapshot;
  readonly stats: RemoteShellStderrStats;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 100;
const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_IDLE_FLUSH_MS = 50;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class RemoteShell implements AsyncDisposable {
  /** The protocol stream: writes go to the remote shell's stdin, reads come from its stdout. */
  readonly stream: Duplex;
  /** Settles once the remote shell has exited and every fd, timer and capture is released. */
  readonly finished: Promise<RemoteShellResult>;
  /** Resolves as soon as the remote shell process exits (like ChildProcess 'exit'), before its
   * stderr is drained; `{ code: null, signal: null }` when it never started. Never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** [program, ...args] as spawned. */
  readonly argv: readonly string[];
  readonly stderr: RemoteShellStderr;

  readonly #options: RemoteShellOptions;
  readonly #capture: StderrCapture;
  readonly #sink: Sink;
  #channel: StderrChannel | undefined;
  #child: ChildProcess | undefined;
  #stdin: Writable | undefined;
  #stdout: Readable | undefined;
  #tunnel: Tunnel | undefined;
  #exit: Exit | undefined;
  #stderrEnded = false;
  #stdoutEnded = false;
  #failure: RemoteShellError | undefined;
  #aborted = false;
  #settled = false;
  #timers = new Set<NodeJS.Timeout>();
  #idleTimer: NodeJS.Timeout | undefined;
  #resolve!: (result: RemoteShellResult) => void;
  #resolveExited!: (exit: Exit) => void;
  #reject!: (err: RemoteShellError) => void;
  #onAbort = (): void => this.#abort();

  /** Use openRemoteShell(); this spawns `argv` as it is. */
  constructor(argv: readonly string[], options: RemoteShellOptions & { [internal]?: InternalOptions } = {}) {
    this.argv = Object.freeze([...argv]);
    this.#options = options;
    this.finished = new Promise<RemoteShellResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Awaiting `finished` is optional: a failure must not also surface as an unhandled rejection.
    this.finished.catch(() => {});
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));

    this.#capture = new StderrCapture(options.capture ?? {});
    this.#sink = makeSink(options.stderr, this.#capture);
    this.#capture.setFrameConsumer(this.#sink.consumer);
    const capture = this.#capture;
    const shell = this;
    this.stderr = {
      snapshot: () => capture.snapshot(),
      get stats() {
        return shell.#stderrStats();
      },
    };

    this.stream = this.#start(options[internal] ?? {});
    // Errors of the stream reach write callbacks and `finished`; unobserved, they must not crash.
    this.stream.on('error', () => {});
  }

  /** The remote shell's pid, undefined when it could not be spawned. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Sends a signal to the remote shell; false when it is not running. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (!this.#child || this.#exit || this.#child.pid === undefined) return false;
    return this.#child.kill(signal);
  }

  /**
   * Ends the remote shell's stdin and waits for it to exit; after killGraceMs sends SIGTERM,
   * after as long again SIGKILL. Resolves once everything is released; never rejects (the
   * outcome stays in `finished`).
   */
  async close(): Promise<void> {
    if (!this.#settled) {
      const grace = this.#options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
      this.#after(grace, () => {
        if (this.kill('SIGTERM')) this.#after(grace, () => this.kill('SIGKILL'));
      });
    }
    await this.finished.then(() => {}, () => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #start(opts: InternalOptions): Duplex {
    const signal = this.#options.signal;
    if (signal?.aborted) {
      this.#aborted = true;
      return this.#failBeforeSpawn(this.#abortError(signal));
    }
    // Each step makes fds the child is to hold; when one fails, what the others made is closed.
    let channel: StderrChannel | undefined;
    let stdio: ChildStdio | undefined;
    let child: ChildProcess;
    try {
      const binding = opts.binding ?? loadBinding();
      channel = this.#channel = new StderrChannel(this.#capture, {
        binding,
        injectFailure: opts.injectFailure,
        onBatch: () => this.#armIdleFlush(),
      });
      stdio = ChildStdio.open(binding);
      child = spawn(this.argv[0], this.argv.slice(1), {
        stdio: [...stdio.spawnStdio, channel.childFd],
        env: childEnv(this.#options.env ?? process.env),
        cwd: this.#options.cwd,
        windowsHide: true,
      });
    } catch (err) {
      stdio?.close();
      channel?.close();
      return this.#failBeforeSpawn(this.#spawnError(err));
    }
    this.#child = child;
    if (child.pid === undefined) {
      // Not found, not executable, out of fds: Node reports why on the next tick.
      stdio.close(child);
      channel.close();
      return this.#failBeforeSpawn(new Promise((resolve) => child.once('error', (err) => resolve(this.#spawnError(err)))));
    }
    channel.spawned();
    const { stdin, stdout } = stdio.spawned(child);
    this.#stdin = stdin;
    this.#stdout = stdout;
    const tunnel = new Tunnel(stdin, stdout, { argv: this.argv, describeExit: () => this.#describeExit() });
    this.#tunnel = tunnel;

    // After a successful spawn, 'error' only reports a failed kill(), which kill() returns.
    child.on('error', () => {});
    child.once('exit', (code, sig) => {
      // As Node does for its own stdio: a write after the exit fails at once, even when a
      // grandchild still holds the child's stdin.
      stdin.destroy();
      this.#exit = { code, signal: sig };
      this.#resolveExited(this.#exit);
      const drain = this.#options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
      channel.finish(drain);
      this.#watchStdoutAfterExit(drain);
      this.#maybeSettle();
    });
    stdout.once('close', () => {
      this.#stdoutEnded = true;
      this.#maybeSettle();
    });
    channel.ended.then(() => {
      this.#stderrEnded = true;
      this.#maybeSettle();
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    return tunnel;
  }

  // Nothing runs: the stream fails with the error once it is known, and `finished` rejects.
  #failBeforeSpawn(error: RemoteShellError | Promise<RemoteShellError>): Duplex {
    this.#exit = { code: null, signal: null };
    this.#stderrEnded = this.#stdoutEnded = true;
    const known = Promise.resolve(error);
    known.then((err) => {
      this.#failure = err;
      this.#maybeSettle();
    });
    return failedStream(known);
  }

  // A writer that outlives the child (a grandchild holding stdout) must not hold `finished`
  // back for ever; a reader that is merely slow must not lose the last bytes. So stdout is given
  // up only when, after the drain time, nothing is waiting for the reader.
  #watchStdoutAfterExit(drainMs: number): void {
    const check = (): void => {
      if (this.#stdoutEnded || !this.#tunnel) return;
      const backlogged = this.#tunnel.readableLength > 0 || (this.#stdout?.readableLength ?? 0) > 0;
      if (backlogged) {
        this.#after(drainMs, check).unref();
        return;
      }
      this.#tunnel.endReadable();
    };
    this.#after(drainMs, check);
  }

  #maybeSettle(): void {
    if (this.#settled || !this.#exit || !this.#stderrEnded || !this.#stdoutEnded) return;
    this.#settled = true;
    this.#resolveExited(this.#exit);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#stdin?.destroy();
    if (!this.#capture.closed) this.#capture.end();
    this.#sink.consumer.finish();

    const error = this.#failure ?? this.#exitError();
    this.#capture.close();
    if (error) this.#reject(error);
    else this.#resolve({ code: 0, signal: null, bytesReceived: this.#bytesReceived(), bytesSent: this.#tunnel?.bytesSent ?? 0 });
  }

  #exitError(): RemoteShellError | undefined {
    const { code, signal } = this.#exit!;
    if (this.#aborted) return this.#abortError(this.#options.signal);
    if (code === 0) return undefined;
    const kind: RemoteShellErrorCode = signal ? 'ERR_REMOTE_SHELL_SIGNAL' : 'ERR_REMOTE_SHELL_EXIT';
    return this.#error(kind, `connection unexpectedly closed (${this.#bytesReceived()} bytes received so far): ${this.#describeExit()}`);
  }

  #abortError(signal: AbortSignal | undefined): RemoteShellError {
    const how = this.#exit?.signal ? `: ${this.#program()} was stopped by ${this.#exit.signal}` : '';
    return this.#error('ERR_ABORTED', `remote shell aborted (${this.#bytesReceived()} bytes received so far)${how}`, signal?.reason);
  }

  #spawnError(err: unknown): RemoteShellError {
    const e = err as NodeJS.ErrnoException;
    const program = JSON.stringify(this.argv[0]);
    let why: string;
    if (e.code === 'ENOENT' && e.syscall?.startsWith('spawn')) {
      why = this.argv[0].includes('/') ? `${program} does not exist` : `${program} was not found on PATH`;
    } else if (e.code === 'EACCES' && e.syscall?.startsWith('spawn')) {
      why = `${program} is not executable (EACCES)`;
    } else if (e.code === 'EMFILE' || e.code === 'ENFILE') {
      const which = e.code === 'EMFILE' ? 'this process has' : 'the system has';
      why = `${which} too many open files (${e.code}${e.syscall ? `, ${e.syscall}` : ''}): raise the limit (raiseOpenFileLimit(), ulimit -n) or open fewer remote shells at once`;
    } else {
      why = e.message;
    }
    return this.#error('ERR_SPAWN', `cannot start the remote shell: ${why}`, err);
  }

  #error(code: RemoteShellErrorCode, shortMessage: string, cause?: unknown): RemoteShellError {
    const snapshot = this.#capture.snapshot();
    // Lines the user saw live are not repeated: only the last one says why.
    const stderrLines = this.#sink.live
      ? tailForMessage(snapshot.text, 0, 1, MESSAGE_TAIL_BYTES, false)
      : tailForMessage(snapshot.text, snapshot.omittedBytes);
    return new RemoteShellError(code, shortMessage, {
      exitCode: this.#exit?.code ?? null,
      signal: this.#exit?.signal ?? null,
      argv: this.argv,
      bytesReceived: this.#bytesReceived(),
      stderrTail: snapshot.text,
      stderrOmitted: snapshot.omittedBytes,
      stderrLines,
      cause,
    });
  }

  #describeExit(): string | undefined {
    const exit = this.#exit;
    if (!exit) return undefined;
    if (exit.signal) return `${this.#program()} was killed by ${exit.signal}`;
    if (exit.code !== null) return `${this.#program()} exited with code ${exit.code}`;
    return undefined;
  }

  #program(): string {
    const name = this.argv[0] ?? 'remote shell';
    return name.slice(name.lastIndexOf('/') + 1);
  }

  #bytesReceived(): number {
    return this.#tunnel?.bytesReceived ?? 0;
  }

  #abort(): void {
    if (this.#settled || this.#exit) return;
    this.#aborted = true;
    const grace = this.#options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.kill('SIGTERM');
    this.#after(grace, () => this.kill('SIGKILL'));
  }

  #armIdleFlush(): void {
    if (this.#idleTimer) {
      this.#idleTimer.refresh();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      if (!this.#capture.closed && !this.#settled) this.#capture.flush();
    }, this.#options.idleFlushMs ?? DEFAULT_IDLE_FLUSH_MS);
    this.#idleTimer.unref();
  }

  #after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #stderrStats(): RemoteShellStderrStats {
    const info = this.#channel?.info;
    return {
      backend: info?.backend ?? null,
      fallbackReason: info?.fallbackReason ?? null,
      kernelBufferSize: info?.kernelBufferSize ?? 0,
      ...this.#capture.stats,
      ...this.#sink.consumer.stats,
    };
  }
}

// The stream of a remote shell that never ran: every write fails, and it is destroyed with the
// error once that is known.
function failedStream(error: Promise<RemoteShellError>): Duplex {
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      error.then(callback);
    },
  });
  error.then((err) => stream.destroy(err));
  return stream;
}

// As upstream rsync does, the remote shell gets no DISPLAY unless SSH_ASKPASS is set, so that
// ssh does not try X11 for a passphrase when nothing asks for one.
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DISPLAY === undefined || env.SSH_ASKPASS !== undefined) return env;
  const { DISPLAY: _display, ...rest } = env;
  return rest;
}
