// The memory layout of the core, written down once. Every other file reads and writes memory
// through the names below; assembly/README.md describes the same layout for other hosts.
//
//   [ __heap_base, aligned ] instance area: snapshot info (32 B), snapshot buffer,
//                            sanitize input, sanitize output
//   [ slots ]                maxCaptures slots of `slotStride` bytes each:
//       state (STATE_SIZE) | head | ring | carry A | carry B | staging | frames
//
// Everything is reserved by init() with a single memory.grow; nothing grows afterwards, so a
// host may keep pointers into memory.buffer for the life of the instance.

// ---- error codes (negative results of every export) ----
export const ERR_BAD_HANDLE: i32 = -1;
export const ERR_NO_SLOT: i32 = -2;
export const ERR_NO_MEMORY: i32 = -3;
export const ERR_BUSY: i32 = -4;
export const ERR_RANGE: i32 = -5;
export const ERR_NOT_INITIALISED: i32 = -6;
export const ERR_ALREADY_INITIALISED: i32 = -7;
export const ERR_BAD_CONFIG: i32 = -8;

// ---- frame kinds (top byte of a frame record's second word) ----
export const KIND_LF: u32 = 1; // one or more lines, each ended by "\n" (joined by "\n", the last one not included)
export const KIND_CRLF: u32 = 2; // line ended by "\r\n" (CR not in the content)
export const KIND_CR: u32 = 3; // progress segment ended by a lone "\r": the next segment replaces it
export const KIND_CUT: u32 = 4; // line reached line_max: it continues in the next frame
export const KIND_PARTIAL: u32 = 5; // partial line flushed on request: it continues in the next frame

export const FRAME_SIZE: u32 = 8; // u32 ptr, u32 (len | kind << 24)
export const FRAME_LEN_MASK: u32 = 0x00ff_ffff;

// ---- sanitize() ----
export const SANITIZE_COLOURS: u32 = 1; // flag: SGR sequences that only set colours pass
export const SANITIZE_MORE: u32 = 2; // flag: the text continues in a later call
export const SANITIZE_INPUT_MAX: i32 = 16384; // bytes of input one call takes
export const SANITIZE_OUTPUT_MAX: i32 = 65536; // bytes one call may write: 4 per input byte at most
export const SANITIZE_HOLD_MAX: i32 = 66; // bytes SANITIZE_MORE may leave unconsumed (ESC [ and 64 parameters)

// ---- defaults and limits of init() ----
export const DEFAULT_MAX_CAPTURES: i32 = 64;
export const DEFAULT_RING_LOG2: i32 = 16; // 64 KiB
export const DEFAULT_HEAD_SIZE: i32 = 4096;
export const DEFAULT_STAGING_SIZE: i32 = 256 * 1024;
export const DEFAULT_LINE_MAX: i32 = 4096;
export const DEFAULT_FRAMES_MAX: i32 = 256;

export const MAX_CAPTURES_LIMIT: i32 = 65535;
export const RING_LOG2_MIN: i32 = 4;
export const RING_LOG2_MAX: i32 = 24;
export const HEAD_SIZE_MAX: i32 = 1 << 24;
export const STAGING_SIZE_MIN: i32 = 16;
export const STAGING_SIZE_MAX: i32 = 1 << 24;
export const LINE_MAX_MIN: i32 = 8; // a cut holds back at most 3 bytes of a UTF-8 sequence
export const LINE_MAX_LIMIT: i32 = 1 << 20; // must fit FRAME_LEN_MASK
export const FRAMES_MAX_LIMIT: i32 = 1 << 16;

export const ALIGN: u32 = 64;
@inline export function alignUp(n: usize): usize {
  return (n + (ALIGN - 1)) & ~(ALIGN - 1);
}

// ---- the capture state at the start of each slot ----
export const ST_OPEN: u32 = 0; // u32: 1 while the handle is open
export const ST_GENERATION: u32 = 4; // u32: bumped on close, part of the handle
export const ST_SEEN: u32 = 8; // u64: bytes committed since open
export const ST_CARRY_LEN: u32 = 16; // u32: bytes of the unfinished line held in the current carry
export const ST_CARRY_CUR: u32 = 20; // u32: 0 or 1, which carry buffer holds them
export const ST_PENDING_CR: u32 = 24; // u32: 1 when the last byte seen was a CR not yet classified
export const ST_SCAN_POS: u32 = 28; // u32: where framing resumes in the staging area
export const ST_SCAN_END: u32 = 32; // u32: end of the batch being framed
export const ST_BUSY: u32 = 36; // u32: 1 while a batch is not fully framed
export const ST_FRAMES: u32 = 40; // u32: frame records ready this round
export const ST_CARRY_REFS: u32 = 44; // u32: bit i set when a frame of this round points into carry i
export const STATE_SIZE: u32 = 64;

// ---- snapshot info, written by snapshot() ----
export const SNAP_PTR: u32 = 0; // u32: where the text starts
export const SNAP_HEAD_LEN: u32 = 4; // u32: bytes of head text
export const SNAP_TAIL_LEN: u32 = 8; // u32: bytes of tail text, right after the head text
export const SNAP_OMITTED: u32 = 16; // u64: stream bytes between head and tail not shown
export const SNAP_SEEN: u32 = 24; // u64: bytes seen when the snapshot was taken
export const SNAP_INFO_SIZE: u32 = 32;

// ---- instance geometry, fixed by init() ----
export let initialised: bool = false;
export let maxCaptures: u32 = 0;
export let ringCapacity: u32 = 0;
export let ringMask: u32 = 0;
export let headSize: u32 = 0;
export let stagingSize: u32 = 0;
export let lineMax: u32 = 0;
export let framesMax: u32 = 0;

// After an init() that could not reserve its memory: the geometry getters say 0 again, as
// before any init().
export function clearGeometry(): void {
  maxCaptures = 0;
  ringCapacity = 0;
  ringMask = 0;
  headSize = 0;
  stagingSize = 0;
  lineMax = 0;
  framesMax = 0;
}

// Once init() has reserved the memory; never undone (a module is initialised once).
export function markInitialised(): void {
  initialised = true;
}

export let snapInfo: usize = 0;
export let snapBuffer: usize = 0;
export let sanitizeInput: usize = 0;
export let sanitizeOutput: usize = 0;
export let slotsBase: usize = 0;
export let slotStride: usize = 0;

// Offsets of the areas inside a slot.
export let offHead: usize = 0;
export let offRing: usize = 0;
export let offCarry: usize = 0; // carry B follows carry A at offCarry + carryStride
export let carryStride: usize = 0;
export let offStaging: usize = 0;
export let offFrames: usize = 0;

// Lays the instance out; returns the end of the last slot, computed in 64 bits so that a
// geometry larger than the 4 GiB address space is seen as such instead of wrapping.
export function setGeometry(captures: u32, ringLog2: u32, head: u32, staging: u32, lineLimit: u32, frames: u32): u64 {
  maxCaptures = captures;
  ringCapacity = (<u32>1) << ringLog2;
  ringMask = ringCapacity - 1;
  headSize = head;
  stagingSize = staging;
  lineMax = lineLimit;
  framesMax = frames;

  offHead = STATE_SIZE;
  offRing = alignUp(offHead + <usize>head);
  offCarry = alignUp(offRing + <usize>ringCapacity);
  carryStride = alignUp(<usize>lineLimit);
  offStaging = offCarry + 2 * carryStride;
  // SIMD scans read whole 16-byte vectors only inside [start, end), so no slack is needed.
  offFrames = alignUp(offStaging + <usize>staging);
  slotStride = alignUp(offFrames + <usize>frames * FRAME_SIZE);

  const base = alignUp(__heap_base);
  snapInfo = base;
  snapBuffer = alignUp(base + SNAP_INFO_SIZE);
  sanitizeInput = alignUp(snapBuffer + <usize>head + <usize>ringCapacity);
  sanitizeOutput = alignUp(sanitizeInput + <usize>SANITIZE_INPUT_MAX);
  slotsBase = alignUp(sanitizeOutput + <usize>SANITIZE_OUTPUT_MAX);
  return <u64>slotsBase + <u64>captures * <u64>slotStride;
}

@inline export function slotAt(index: u32): usize {
  return slotsBase + <usize>index * slotStride;
}

@inline export function carryAt(slot: usize, which: u32): usize {
  return slot + offCarry + <usize>which * carryStride;
}
