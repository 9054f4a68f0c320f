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
import { forEachLine, kindName, TERMINATORS, type FrameConsumer, type FrameRound, type StderrLineKind, type Terminator } from './frames.js';
import { decode, readSnapshot, type Snapshot } from './snapshot.js';
import { BatchCollector, type StderrLineBatch } from './line-batch.js';

export interface StderrLine {
  /** The line's bytes as received, without the terminator. */
  readonly bytes: Uint8Array;
  /** 'line' ended by LF or CRLF; 'progress' ended by a lone CR (the next one replaces it);
   * 'cut' reached lineMax and 'partial' was flushed early: both continue in the next line. */
  readonly kind: StderrLineKind;
  /** The terminator as received: '\n', '\r\n', '\r', or '' for 'cut' and 'partial'. */
  readonly terminator: Terminator;
  /** The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD. */
  readonly text: string;
}

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

class Line implements StderrLine {
  #text: string | undefined;
  constructor(
    readonly bytes: Uint8Array,
    readonly kind: StderrLineKind,
    readonly terminator: Terminator,
  ) {}
  get text(): string {
    return (this.#text ??= decode(this.bytes));
  }
}

/** Turns each frame into StderrLines (an LF frame may hold several) for a callback or a list. */
class LineCollector implements FrameConsumer {
  collected: StderrLine[] = [];
  constructor(private readonly onLine: ((line: StderrLine) => void) | undefined) {}
  consume(round: FrameRound): void {
    forEachLine(round, (start, end, kind) => {
      this.#push(new Line(round.memory.slice(start, end), kindName(kind), TERMINATORS[kind]));
    });
  }
  #push(line: StderrLine): void {
    if (this.onLine) this.onLine(line);
    else this.collected.push(line);
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
  #closed = false;
  #lastSnapshot: Snapshot | undefined;
  #lastStats: CaptureStats | undefined;

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

  /** Copies bytes into the capture; returns the lines they completed (none with onLine or onLines). */
  write(bytes: Uint8Array): StderrLine[] {
    this.#assertWritable('write');
    const size = this.#instance.geometry.stagingSize;
    for (let at = 0; at < bytes.length; at += size) {
      const chunk = bytes.subarray(at, Math.min(at + size, bytes.length));
      this.#instance.bytes.set(chunk, this.#staging);
      this.commitStaged(chunk.length);
    }
    return this.#collector.take();
  }

  /** Emits the unfinished last line (as kind 'partial'), holding back a split UTF-8 sequence. */
  flush(): StderrLine[] {
    this.#assertWritable('flush');
    this.#deliver(check('flush', this.#instance.exports.flush(this.#handle, 0)));
    return this.#collector.take();
  }

  /** Marks the end of the stream: the unfinished line is emitted whole. */
  end(): StderrLine[] {
    if (this.#ended || this.#closed) return EMPTY;
    this.#deliver(check('flush', this.#instance.exports.flush(this.#handle, 1)));
    this.#ended = true;
    return this.#collector.take();
  }

  /** The retained head and tail as a terminal would show them. Valid after close() too. */
  snapshot(): Snapshot {
    if (this.#closed) return this.#lastSnapshot!;
    check('snapshot', this.#instance.exports.snapshot(this.#handle));
    return readSnapshot(this.#instance);
  }

  get stats(): CaptureStats {
    if (this.#closed) return this.#lastStats!;
    const core = this.#instance.exports;
    return {
      bytesSeen: Number(core.bytes_seen(this.#handle)),
      bytesDropped: Number(core.bytes_dropped(this.#handle)),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frees the capture's slot; snapshot() and stats keep their last values. */
  close(): void {
    if (this.#closed) return;
    this.#lastSnapshot = this.snapshot();
    this.#lastStats = this.stats;
    this.#closed = true;
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
    this.#deliver(check('commit', this.#instance.exports.commit(this.#handle, n)));
  }

  #deliver(count: number): void {
    const instance = this.#instance;
    while (count > 0) {
      this.#consumer.consume({ memory: instance.bytes, view: instance.view, records: this.#records, count });
      count = check('resume', instance.exports.resume(this.#handle));
    }
  }

  #assertWritable(what: string): void {
    if (this.#closed) throw new Error(`cannot ${what}: the capture is closed`);
    if (this.#ended) throw new Error(`cannot ${what}: the capture has ended`);
  }
}
