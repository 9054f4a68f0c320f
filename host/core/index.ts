/**
 * rsh-transport/core: the stderr ring buffer and line framer, usable without the native addon.
 *
 * ```ts
 * import { StderrCapture } from 'rsh-transport/core';
 * const capture = new StderrCapture({ onLine: (line) => console.error(line.text) });
 * capture.write(new TextEncoder().encode('Permission denied (publickey).\n'));
 * capture.end();
 * capture.snapshot().text; // 'Permission denied (publickey).\n'
 * ```
 */
export { StderrCapture } from './capture.js';
export type { StderrLine, CaptureStats, StderrCaptureOptions, StagingArea } from './capture.js';
export type { Snapshot } from './snapshot.js';
export type { StderrLineBatch } from './line-batch.js';
export type { StderrLineKind, Terminator } from './frames.js';
export { CoreError, CORE_WASM_URL, FrameKind } from './abi.js';
export { DEFAULT_GEOMETRY } from './pool.js';
export type { Geometry } from './pool.js';
