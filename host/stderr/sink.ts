// Turning the `stderr` option into the consumer of a capture's frames.

import { Writable } from 'node:stream';
import type { StderrCapture } from '../core/capture.js';
import type { FrameConsumer } from '../core/frames.js';
import {
  CallbackForwarder, NoForwarder, WritableForwarder, type ForwardStats, type StderrLineCallback,
} from './forwarder.js';

/** 'forward' (to process.stderr), 'capture' (snapshot only), a Writable, or a line callback. */
export type StderrOption = 'forward' | 'capture' | Writable | StderrLineCallback;

export interface Sink {
  consumer: FrameConsumer & { stats: ForwardStats; finish(): void };
  /** Whether the user saw the lines live (errors then repeat only the last one). */
  live: boolean;
}

export function makeSink(option: StderrOption | undefined, capture: StderrCapture): Sink {
  const staging = capture.stagingArea;
  if (option === undefined || option === 'forward') {
    return { consumer: new WritableForwarder(process.stderr, staging), live: true };
  }
  if (option === 'capture') return { consumer: new NoForwarder(), live: false };
  if (typeof option === 'function') return { consumer: new CallbackForwarder(option), live: true };
  if (option instanceof Writable || isWritableLike(option)) {
    return { consumer: new WritableForwarder(option as Writable, staging), live: true };
  }
  throw new TypeError(`stderr must be 'forward', 'capture', a Writable or a function, got ${String(option)}`);
}

function isWritableLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Writable).write === 'function'
    && typeof (value as Writable).once === 'function';
}
