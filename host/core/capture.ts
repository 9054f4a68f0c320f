// StderrCapture: one stream of stderr bytes kept in a core ring and framed into lines.
//
//   const capture = new StderrCapture();
//   for (const line of capture.write(bytes)) console.log(line.kind, line.text);
//   capture.end();
//   capture.snapshot().text;   // what a terminal would show of the retained bytes
//
// Bytes reach the core either by copy (write) or in place: a pump reads them straight into
// the staging area (stagingArea) and calls commitStaged(n).

import { check } from './abi.js';
import { poolFor, type CorePool, type CoreInstance, type Geometry } from './pool.js';
import { forEachLine, type FrameConsumer, type FrameRound } from './frames.js';
import { readSnapshot, type Snapshot } from './snapshot.js';
import { BatchCollector, type StderrLineBatch } from './line-batch.js';
import { lineOf, type StderrLine } from './line.js';

export type { StderrLine } from './line.js';

export interface CaptureStats {
  /** Bytes written to the capture. */
  readonly bytesSeen: number;
  /** Bytes kept neither in the head nor in the ring. */
  readonly bytesDropped: number;
}

export interface StderrCaptureOptions {
  /** Ring capacity in bytes, a power of two. Default 64 KiB. */
  capacity?: number;
  /** Bytes kept from the start of the stream beside the ring. Default 4 KiB; 0 for none. */
  headSize?: number;
  /** Longest line before it is cut and continued. Default 4 KiB. */
  lineMax?: number;
  /** Receives every line; without it (and without onLines), write(), flush() and end() return them. */
  onLine?: (line: StderrLine) => void;
  /**
   * Receives the lines of each round of the core at once, as offsets into one buffer: one call
   * and no object per line, for streams of many short lines. Not with onLine.
   */
  onLines?: (batch: StderrLineBatch) => void;
  /** Every other field of the core's geometry, for tests and benchmarks. @internal */
  geometry?: Partial<Geometry>;
}

/** Where a pump may write bytes for commitStaged(). */
export interface StagingArea {
  readonly buffer: ArrayBuffer;
  readonly offset: number;
  readonly size: number;
}

/** Turns each frame into StderrLines (an LF frame may hold several) for a callback or a list. */
class LineCollector implements FrameConsumer {
  collected: StderrLine[] = [];
  readonly #onLine: ((line: StderrLine) => void) | undefined;
  constructor(onLine: ((line: StderrLine) => void) | undefined) {
    this.#onLine = onLine;
  }
  consume(round: FrameRound): void {
    let failure: { error: unknown } | undefined;
    forEachLine(round, (start, end, kind) => {
      const line = lineOf(round.memory.slice(start, end), kind);
      if (!this.#onLine) {
        this.collected.push(line);
        return;
      }
      // One line's failure does not cost the callback the round's other lines.
      try {
        this.#onLine(line);
      } catch (error) {
        failure ??= { error };
      }
    });
    if (failure) throw failure.error;
  }
  take(): StderrLine[] {
    const lines = this.collected;
    this.collected = [];
    return lines;
  }
}

const EMPTY: StderrLine[] = [];

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class StderrCapture {
  readonly #pool: CorePool;
  readonly #instance: CoreInstance;
  readonly #handle: number;
  readonly #staging: number;
  readonly #records: number;
  readonly #collector: LineCollector;
  #consumer: FrameConsumer;
  #ended = false;
  // Once closed: the last snapshot and stats, which stay readable.
  #closedWith: { snapshot: Snapshot; stats: CaptureStats } | undefined;
  // While a batch's lines are being handed out: the staging area and the core's rounds are in
  // use, so a write from a callback would overwrite bytes not yet framed.
  #delivering = false;
  #closeWhenDelivered = false;

  constructor(options: StderrCaptureOptions = {}) {
    if (options.onLine !== undefined && typeof options.onLine !== 'function') {
      throw new TypeError('onLine must be a function');
    }
    if (options.onLines !== undefined && typeof options.onLines !== 'function') {
      throw new TypeError('onLines must be a function');
    }
    if (options.onLine !== undefined && options.onLines !== undefined) {
      throw new TypeError('onLine and onLines are two forms of the same callback: give one');
    }
    const { capacity, headSize, lineMax } = options;
    this.#pool = poolFor({ ...options.geometry, ...definedOnly({ capacity, headSize, lineMax }) });
    const { instance, handle } = this.#pool.acquire();
    this.#instance = instance;
    this.#handle = handle;
    this.#staging = check('staging_ptr', instance.exports.staging_ptr(handle));
    this.#records = check('frames_ptr', instance.exports.frames_ptr(handle));
    this.#collector = new LineCollector(options.onLine);
    this.#consumer = options.onLines ? new BatchCollector(options.onLines) : this.#collector;
  }

  /**
   * Copies bytes into the capture; returns the lines they completed (none with onLine or onLines).
   *
   * A callback that throws does not stop the capture: every byte is still taken and every line
   * still handed out, then the first exception is thrown from here. A callback may not write to
   * the capture it is called by (an Error says so); it may close it, which takes effect once the
   * batch being handed out is done: no line after it is handed out, no byte after it taken.
   */
  write(bytes: Uint8Array): StderrLine[] {
    this.#assertWritable('write');
    const size = this.#instance.geometry.stagingSize;
    let failure: { error: unknown } | undefined;
    for (let at = 0; at < bytes.length && !this.#closedWith; at += size) {
      const chunk = bytes.subarray(at, Math.min(at + size, bytes.length));
      this.#instance.bytes.set(chunk, this.#staging);
      failure ??= this.#run('commit', () => this.#instance.exports.commit(this.#handle, chunk.length));
    }
    return this.#lines(failure);
  }

  /** Emits the unfinished last line (as kind 'partial'), holding back a split UTF-8 sequence. */
  flush(): StderrLine[] {
    this.#assertWritable('flush');
    return this.#lines(this.#run('flush', () => this.#instance.exports.flush(this.#handle, 0)));
  }

  /** Marks the end of the stream: the unfinished line is emitted whole. */
  end(): StderrLine[] {
    if (this.#ended || this.#closedWith) return EMPTY;
    this.#assertNotDelivering('end');
    const failure = this.#run('flush', () => this.#instance.exports.flush(this.#handle, 1));
    this.#ended = true;
    return this.#lines(failure);
  }

  /** The retained head and tail as a terminal would show them. Valid after close() too. */
  snapshot(): Snapshot {
    if (this.#closedWith) return this.#closedWith.snapshot;
    check('snapshot', this.#instance.exports.snapshot(this.#handle));
    return readSnapshot(this.#instance);
  }

  get stats(): CaptureStats {
    if (this.#closedWith) return this.#closedWith.stats;
    const core = this.#instance.exports;
    return {
      bytesSeen: Number(core.bytes_seen(this.#handle)),
      bytesDropped: Number(core.bytes_dropped(this.#handle)),
    };
  }

  get closed(): boolean {
    return this.#closedWith !== undefined;
  }

  /** Frees the capture's slot; snapshot() and stats keep their last values. From a line
   * callback, once the batch being handed out is done. */
  close(): void {
    if (this.#closedWith) return;
    if (this.#delivering) {
      this.#closeWhenDelivered = true;
      return;
    }
    this.#closedWith = { snapshot: this.snapshot(), stats: this.stats };
    this.#pool.release(this.#instance, this.#handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Where a pump writes bytes in place; valid until close(). @internal */
  get stagingArea(): StagingArea {
    return { buffer: this.#instance.exports.memory.buffer, offset: this.#staging, size: this.#instance.geometry.stagingSize };
  }

  /** Sends every frame to `consumer` instead of making StderrLine objects. @internal */
  setFrameConsumer(consumer: FrameConsumer): void {
    this.#consumer = consumer;
  }

  /** Frames the n bytes a pump wrote at stagingArea.offset. @internal */
  commitStaged(n: number): void {
    this.#assertWritable('commit');
    const failure = this.#run('commit', () => this.#instance.exports.commit(this.#handle, n));
    if (failure) throw failure.error;
  }

  /**
   * Runs one core call and hands every round of frames it makes to the consumer, to the last:
   * the core's rounds must all be read before it takes more bytes. Returns the first exception
   * the consumer threw, if any, for the caller to throw once its own work is done.
   */
  #run(call: string, start: () => number): { error: unknown } | undefined {
    const instance = this.#instance;
    let failure: { error: unknown } | undefined;
    this.#delivering = true;
    try {
      for (let count = check(call, start()); count > 0; count = check('resume', instance.exports.resume(this.#handle))) {
        if (this.#closeWhenDelivered) continue;
        try {
          this.#consumer.consume({ memory: instance.bytes, view: instance.view, records: this.#records, count });
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.#delivering = false;
    }
    if (this.#closeWhenDelivered) this.close();
    return failure;
  }

  #lines(failure: { error: unknown } | undefined): StderrLine[] {
    const lines = this.#collector.take();
    if (failure) throw failure.error;
    return lines;
  }

  #assertWritable(what: string): void {
    if (this.#closedWith) throw new Error(`cannot ${what}: the capture is closed`);
    if (this.#ended) throw new Error(`cannot ${what}: the capture has ended`);
    this.#assertNotDelivering(what);
  }

  #assertNotDelivering(what: string): void {
    if (this.#delivering) {
      throw new Error(`cannot ${what} from a line callback of the same capture: the lines of the last batch are still being handed out`);
    }
  }
}
