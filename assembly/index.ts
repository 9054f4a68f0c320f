// rsh-transport core: the stderr ring buffer and line framer, one zero-import Wasm module.
// The ABI (every export, the memory layout, error codes) is documented in assembly/README.md.

import {
  initialised,
  maxCaptures,
  stagingSize,
  ringCapacity,
  headSize,
  lineMax,
  framesMax,
  snapInfo,
  sanitizeInput,
  sanitizeOutput,
  slotAt,
  setGeometry,
  clearGeometry,
  markInitialised,
  offStaging,
  offFrames,
  ERR_BAD_HANDLE,
  ERR_NO_SLOT,
  ERR_NO_MEMORY,
  ERR_BUSY,
  ERR_RANGE,
  ERR_NOT_INITIALISED,
  ERR_ALREADY_INITIALISED,
  ERR_BAD_CONFIG,
  DEFAULT_MAX_CAPTURES,
  DEFAULT_RING_LOG2,
  DEFAULT_HEAD_SIZE,
  DEFAULT_STAGING_SIZE,
  DEFAULT_LINE_MAX,
  DEFAULT_FRAMES_MAX,
  MAX_CAPTURES_LIMIT,
  RING_LOG2_MIN,
  RING_LOG2_MAX,
  HEAD_SIZE_MAX,
  STAGING_SIZE_MIN,
  STAGING_SIZE_MAX,
  LINE_MAX_MIN,
  LINE_MAX_LIMIT,
  FRAMES_MAX_LIMIT,
  STATE_SIZE,
  ST_OPEN,
  ST_GENERATION,
  ST_SEEN,
  ST_SCAN_POS,
  ST_SCAN_END,
  ST_BUSY,
  ST_FRAMES,
  ST_CARRY_REFS,
} from './layout';
import { retain } from './ring';
import { runFramer, flushLine } from './framer';
import { takeSnapshot } from './snapshot';
import { sanitizeText, sanitizeConsumed } from './sanitize';
import './abort';

const PAGE: usize = 65536;
const HANDLE_INDEX_MASK: i32 = 0xffff;
const GENERATION_MASK: u32 = 0x7fff;

@inline function orDefault(value: i32, fallback: i32): i32 {
  return value == 0 ? fallback : value;
}

function noMemory(): i32 {
  clearGeometry();
  return ERR_NO_MEMORY;
}

// Reserves memory for `max_captures` captures of one geometry (0 = default for each field).
export function init(max_captures: i32, ring_log2: i32, head_size: i32, staging_size: i32, line_max: i32, frames_max: i32): i32 {
  if (initialised) return ERR_ALREADY_INITIALISED;
  const captures = orDefault(max_captures, DEFAULT_MAX_CAPTURES);
  const log2 = orDefault(ring_log2, DEFAULT_RING_LOG2);
  const head = head_size < 0 ? DEFAULT_HEAD_SIZE : head_size; // 0 is a real choice: no head
  const staging = orDefault(staging_size, DEFAULT_STAGING_SIZE);
  const lines = orDefault(line_max, DEFAULT_LINE_MAX);
  const frames = orDefault(frames_max, DEFAULT_FRAMES_MAX);
  if (captures < 1 || captures > MAX_CAPTURES_LIMIT) return ERR_BAD_CONFIG;
  if (log2 < RING_LOG2_MIN || log2 > RING_LOG2_MAX) return ERR_BAD_CONFIG;
  if (head > HEAD_SIZE_MAX) return ERR_BAD_CONFIG;
  if (staging < STAGING_SIZE_MIN || staging > STAGING_SIZE_MAX) return ERR_BAD_CONFIG;
  if (lines < LINE_MAX_MIN || lines > LINE_MAX_LIMIT) return ERR_BAD_CONFIG;
  if (frames < 1 || frames > FRAMES_MAX_LIMIT) return ERR_BAD_CONFIG;

  const end = setGeometry(<u32>captures, <u32>log2, <u32>head, <u32>staging, <u32>lines, <u32>frames);
  if (end > <u64>0xffff_0000) return noMemory();
  const have = <u64>memory.size() * <u64>PAGE;
  if (end > have) {
    const pages = <i32>((end - have + <u64>PAGE - 1) / <u64>PAGE);
    if (memory.grow(pages) < 0) return noMemory();
  }
  markInitialised();
  return 0;
}

// The slot of an open handle, or 0.
function slotOf(handle: i32): usize {
  if (!initialised || handle < 0) return 0;
  const index = <u32>(handle & HANDLE_INDEX_MASK);
  if (index >= maxCaptures) return 0;
  const slot = slotAt(index);
  if (load<u32>(slot + ST_OPEN) == 0) return 0;
  if (load<u32>(slot + ST_GENERATION) != (<u32>handle) >>> 16) return 0;
  return slot;
}

@inline function badHandle(): i32 {
  return initialised ? ERR_BAD_HANDLE : ERR_NOT_INITIALISED;
}

export function capture_open(): i32 {
  if (!initialised) return ERR_NOT_INITIALISED;
  for (let i: u32 = 0; i < maxCaptures; i++) {
    const slot = slotAt(i);
    if (load<u32>(slot + ST_OPEN) != 0) continue;
    const generation = load<u32>(slot + ST_GENERATION);
    memory.fill(slot, 0, STATE_SIZE);
    store<u32>(slot + ST_GENERATION, generation);
    store<u32>(slot + ST_OPEN, 1);
    return <i32>(i | (generation << 16));
  }
  return ERR_NO_SLOT;
}

export function capture_close(handle: i32): i32 {
  const slot = slotOf(handle);
  if (slot == 0) return badHandle();
  store<u32>(slot + ST_OPEN, 0);
  store<u32>(slot + ST_GENERATION, (load<u32>(slot + ST_GENERATION) + 1) & GENERATION_MASK);
  return 0;
}

export function staging_ptr(handle: i32): i32 {
  const slot = slotOf(handle);
  return slot == 0 ? badHandle() : <i32>(slot + offStaging);
}

export function frames_ptr(handle: i32): i32 {
  const slot = slotOf(handle);
  return slot == 0 ? badHandle() : <i32>(slot + offFrames);
}

// Takes the n bytes the host wrote at staging_ptr(handle) and frames them.
export function commit(handle: i32, n: i32): i32 {
  const slot = slotOf(handle);
  if (slot == 0) return badHandle();
  if (load<u32>(slot + ST_BUSY) != 0) return ERR_BUSY;
  if (n < 0 || <u32>n > stagingSize) return ERR_RANGE;
  const staging = slot + offStaging;
  retain(slot, staging, <u32>n);
  store<u32>(slot + ST_SCAN_POS, <u32>staging);
  store<u32>(slot + ST_SCAN_END, <u32>(staging + <usize>n));
  store<u32>(slot + ST_FRAMES, 0);
  store<u32>(slot + ST_CARRY_REFS, 0);
  return runFramer(slot);
}

// Frames more of the current batch after the host has read the last round's frames.
export function resume(handle: i32): i32 {
  const slot = slotOf(handle);
  if (slot == 0) return badHandle();
  store<u32>(slot + ST_FRAMES, 0);
  if (load<u32>(slot + ST_BUSY) == 0) return 0;
  store<u32>(slot + ST_CARRY_REFS, 0);
  return runFramer(slot);
}

// Emits the unfinished line: when idle (final = 0) or at end of stream (final = 1).
export function flush(handle: i32, final: i32): i32 {
  const slot = slotOf(handle);
  if (slot == 0) return badHandle();
  if (load<u32>(slot + ST_BUSY) != 0) return ERR_BUSY;
  return flushLine(slot, final != 0);
}

export function bytes_seen(handle: i32): i64 {
  const slot = slotOf(handle);
  return slot == 0 ? <i64>badHandle() : <i64>load<u64>(slot + ST_SEEN);
}

// Bytes kept neither in the head nor in the ring.
export function bytes_dropped(handle: i32): i64 {
  const slot = slotOf(handle);
  if (slot == 0) return <i64>badHandle();
  const seen = load<u64>(slot + ST_SEEN);
  const kept = <u64>ringCapacity + <u64>headSize;
  return seen > kept ? <i64>(seen - kept) : 0;
}

// Renders the capture's snapshot into the shared snapshot buffer; see snapshot_info_ptr().
export function snapshot(handle: i32): i32 {
  const slot = slotOf(handle);
  return slot == 0 ? badHandle() : takeSnapshot(slot);
}

export function snapshot_info_ptr(): i32 {
  return initialised ? <i32>snapInfo : ERR_NOT_INITIALISED;
}

// Writes the terminal-safe form of the len bytes at src to sanitize_output_ptr(); returns its length.
// (src is an address: above 2 GiB it comes as a negative i32, and is read unsigned.)
export function sanitize(src: i32, len: i32, flags: i32): i32 {
  if (!initialised) return ERR_NOT_INITIALISED;
  return sanitizeText(<usize>(<u32>src), len, <u32>flags);
}

export function sanitize_input_ptr(): i32 {
  return initialised ? <i32>sanitizeInput : ERR_NOT_INITIALISED;
}

export function sanitize_output_ptr(): i32 {
  return initialised ? <i32>sanitizeOutput : ERR_NOT_INITIALISED;
}

// Input bytes the last sanitize() consumed: all of them, but what SANITIZE_MORE held back.
export function sanitize_consumed(): i32 {
  return initialised ? <i32>sanitizeConsumed : ERR_NOT_INITIALISED;
}

export function ring_capacity(): i32 {
  return <i32>ringCapacity;
}
export function head_size(): i32 {
  return <i32>headSize;
}
export function staging_size(): i32 {
  return <i32>stagingSize;
}
export function line_max(): i32 {
  return <i32>lineMax;
}
export function frames_max(): i32 {
  return <i32>framesMax;
}
export function max_captures(): i32 {
  return <i32>maxCaptures;
}
