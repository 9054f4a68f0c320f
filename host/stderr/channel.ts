// The stderr channel of one child: the endpoint whose write end becomes the child's fd 2, and
// the pump that drains the read end straight into a StderrCapture's staging area.
//
//   const channel = new StderrChannel(capture);
//   const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', channel.childFd] });
//   channel.spawned();                      // closes our copy of the child's end, starts the pump
//   child.on('exit', () => channel.finish(100));
//   await channel.ended;                    // every byte the child wrote is in the capture
//
// The child is spawned by Node's child_process.spawn with the integer fd: libuv dup2()s it to
// the child's fd 2 and nothing else (both ends are close-on-exec), and Node keeps its own exit
// handling, ENOENT reporting and signal delivery, which a native spawn would have to redo.

import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { StderrCapture } from '../core/capture.js';
import {
  loadBinding,
  type EndpointBackend,
  type EndpointOptions,
  type NativeBinding,
  type NativePump,
  type PumpEndReason,
} from '../native/binding.js';
import { inspect } from '../inspect.js';

export interface StderrChannelOptions extends EndpointOptions {
  /** The addon to use; the default build unless a test picks another. */
  binding?: NativeBinding;
  /** Called after each batch reached the capture (the forwarder's cue). */
  onBatch?: () => void;
}

export interface ChannelEnd {
  /** 'eof': the writers all closed; 'deadline': a writer outlived the child past the drain
   * deadline; 'error': reading failed (errno says how); 'closed': stopped by close(). */
  reason: PumpEndReason | 'closed';
  errno: string | null;
}

export interface ChannelInfo {
  backend: EndpointBackend;
  kernelBufferSize: number;
  fallbackReason: string | null;
}

export class StderrChannel {
  /** The child's fd 2: the endpoint's write end, or 'pipe' (Node's own) without the addon. */
  readonly childFd: number | 'pipe';
  readonly info: ChannelInfo;
  /** Settles once the channel stopped reading; never rejects. */
  readonly ended: Promise<ChannelEnd>;

  readonly #binding: NativeBinding;
  readonly #capture: StderrCapture;
  readonly #parentFd: number;
  readonly #onBatch: (() => void) | undefined;
  #childFdOpen = true;
  #pump: NativePump | undefined;
  #jsReader: Readable | undefined;
  #state: 'created' | 'pumping' | 'ended' = 'created';
  #resolveEnded!: (end: ChannelEnd) => void;

  constructor(capture: StderrCapture, options: StderrChannelOptions = {}) {
    this.#binding = options.binding ?? loadBinding();
    this.#capture = capture;
    this.#onBatch = options.onBatch;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    if (this.#binding.createEndpoint === undefined) {
      // No addon: Node makes the child's stderr, and it is read from JavaScript.
      this.childFd = 'pipe';
      this.#parentFd = -1;
      this.#childFdOpen = false;
      this.info = { backend: 'js', kernelBufferSize: 0, fallbackReason: this.#binding.unavailable ?? null };
      return;
    }
    const endpoint = this.#binding.createEndpoint({ injectFailure: options.injectFailure });
    this.childFd = endpoint.childFd;
    this.#parentFd = endpoint.parentFd;
    this.info = {
      backend: endpoint.backend,
      kernelBufferSize: endpoint.kernelBufferSize,
      fallbackReason: endpoint.fallbackReason,
    };
  }

  /** The child is spawned: drop our copy of its end (else EOF never comes) and start reading;
   * without the addon, `child`'s own stderr is read. */
  spawned(child?: ChildProcess): void {
    if (this.#state !== 'created') return;
    this.#closeChildFd();
    this.#state = 'pumping';
    if (this.childFd === 'pipe') {
      if (child?.stderr) this.#read(child.stderr);
      else this.#end({ reason: 'eof', errno: null });
      return;
    }
    const Pump = this.#binding.Pump;
    if (Pump === undefined) {
      // A libuv pipe, not an fs stream: fs.read on a pipe holds one of the threadpool's four
      // threads for as long as the child lives, so four running shells would stall every fs
      // call, dns.lookup and zlib job of the process. libuv reads a pipe without the pool (on
      // Windows, a thread it can interrupt at close) and closes the fd with the socket.
      let socket: Socket;
      try {
        socket = new Socket({ fd: this.#parentFd, readable: true, writable: false });
      } catch (err) {
        // Not a pipe libuv can open (ERR_INVALID_FD_TYPE, or the open failed): the child runs,
        // so this must not throw; the fd is ours still, and the end says why.
        this.#binding.closeFd(this.#parentFd);
        this.#end({ reason: 'error', errno: (err as NodeJS.ErrnoException).code ?? null });
        return;
      }
      this.#read(socket);
      return;
    }
    const staging = this.#capture.stagingArea;
    this.#pump = new Pump({
      fd: this.#parentFd,
      memory: staging.buffer,
      offset: staging.offset,
      size: staging.size,
      onBatch: (bytes) => {
        this.#capture.commitStaged(bytes);
        this.#onBatch?.();
      },
      onEnd: (reason, errno) => this.#end({ reason, errno }),
    });
    this.#pump.start();
  }

  /** The child has exited: read what is left, then stop (see ChannelEnd for how). */
  finish(drainTimeoutMs: number): void {
    if (this.#state !== 'pumping') return;
    if (this.#pump) this.#pump.finish(drainTimeoutMs);
    else setTimeout(() => this.close(), drainTimeoutMs).unref();
  }

  /** Stops at once and releases both fds (after a failed spawn, or on abort). */
  close(): void {
    if (this.#state === 'ended') return;
    this.#closeChildFd();
    if (this.#pump) this.#pump.close();
    else if (this.#jsReader) this.#jsReader.destroy();
    else if (this.#parentFd >= 0) this.#binding.closeFd(this.#parentFd);
    this.#end({ reason: 'closed', errno: null });
  }

  /** The pump's counters; undefined without the pump. */
  [inspect](): { pumpStats: NativePump['stats'] | undefined } {
    return { pumpStats: this.#pump?.stats };
  }

  #closeChildFd(): void {
    if (!this.#childFdOpen) return;
    this.#childFdOpen = false;
    this.#binding.closeFd(this.childFd as number);
  }

  #end(end: ChannelEnd): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#resolveEnded(end);
  }

  // Without the pump (Windows has no uv_poll on pipes; without the addon there is no endpoint):
  // read from JavaScript, one Buffer per chunk.
  #read(reader: Readable): void {
    this.#jsReader = reader;
    reader.on('data', (chunk: Buffer) => {
      this.#capture.write(chunk);
      this.#onBatch?.();
    });
    reader.on('end', () => this.#end({ reason: 'eof', errno: null }));
    reader.on('close', () => this.#end({ reason: 'eof', errno: null }));
    reader.on('error', (err: NodeJS.ErrnoException) => this.#end({ reason: 'error', errno: err.code ?? null }));
  }
}
