// The snapshot: what the captured stream looks like on a terminal, bounded by head + ring.
//
// When bytes were dropped between the head and the tail, the tail starts at a UTF-8 boundary
// and, when a line break lies within SNAP_ALIGN_WINDOW bytes of the cut, at the next line; the
// head ends likewise at its last line break near its end. Each line is then shown as a
// terminal leaves it: CRLF becomes LF, and of segments separated by lone CRs only the last
// non-empty one remains (a progress meter's final state).

import {
  ringCapacity,
  headSize,
  snapBuffer,
  snapInfo,
  offHead,
  ST_SEEN,
  SNAP_PTR,
  SNAP_HEAD_LEN,
  SNAP_TAIL_LEN,
  SNAP_OMITTED,
  SNAP_SEEN,
} from './layout';
import { copyFromRing } from './ring';
import { utf8HoldBack, utf8SkipContinuation } from './utf8';

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const SNAP_ALIGN_WINDOW: u32 = 1024;

export function takeSnapshot(slot: usize): i32 {
  const seen = load<u64>(slot + ST_SEEN);
  const capacity = <u64>ringCapacity;
  const head = <u64>headSize;
  const out = snapBuffer;
  let headLen: usize = 0;
  let tailLen: usize = 0;
  let omitted: u64 = 0;

  if (seen <= capacity + head) {
    // Nothing was dropped: the whole stream is head[0, seen - capacity) + ring.
    const fromRing = seen < capacity ? <u64>0 : seen - capacity;
    memory.copy(out, slot + offHead, <usize>fromRing);
    copyFromRing(slot, fromRing, seen, out + <usize>fromRing);
    tailLen = render(out, <usize>seen, out);
  } else {
    const window = alignWindow();
    const headRaw = slot + offHead;
    let h = headSize - utf8HoldBack(headRaw, headSize);
    const lastBreak = lastLF(headRaw, h > window ? h - window : 0, h);
    if (lastBreak >= 0) h = <u32>lastBreak + 1;
    headLen = render(headRaw, <usize>h, out);

    // The tail's raw bytes go after the largest possible head text, then render down to it.
    const raw = out + <usize>headSize;
    copyFromRing(slot, seen - capacity, seen, raw);
    let start = utf8SkipContinuation(raw, ringCapacity);
    const firstBreak = firstLF(raw, start, min(ringCapacity, start + window));
    if (firstBreak >= 0) start = <u32>firstBreak + 1;
    tailLen = render(raw + <usize>start, <usize>(ringCapacity - start), out + headLen);
    omitted = seen - capacity + <u64>start - <u64>h;
  }

  store<u32>(snapInfo + SNAP_PTR, <u32>out);
  store<u32>(snapInfo + SNAP_HEAD_LEN, <u32>headLen);
  store<u32>(snapInfo + SNAP_TAIL_LEN, <u32>tailLen);
  store<u64>(snapInfo + SNAP_OMITTED, omitted);
  store<u64>(snapInfo + SNAP_SEEN, seen);
  return <i32>(headLen + tailLen);
}

// How far from a cut the snapshot looks for a line break to start or end at.
export function alignWindow(): u32 {
  const quarter = ringCapacity >> 2;
  return quarter < SNAP_ALIGN_WINDOW ? quarter : SNAP_ALIGN_WINDOW;
}

function firstLF(ptr: usize, from: u32, to: u32): i32 {
  for (let i = from; i < to; i++) if (load<u8>(ptr + <usize>i) == LF) return <i32>i;
  return -1;
}

function lastLF(ptr: usize, from: u32, to: u32): i32 {
  for (let i = to; i > from; i--) if (load<u8>(ptr + <usize>(i - 1)) == LF) return <i32>(i - 1);
  return -1;
}

// Writes the terminal view of [src, src+n) to dst (dst <= src: it may render in place) and
// returns its length.
function render(src: usize, n: usize, dst: usize): usize {
  let w = dst;
  let i: usize = 0;
  while (i < n) {
    let j = i;
    while (j < n && load<u8>(src + j) != LF) j++;
    const hasLF = j < n;
    let segEnd = j;
    while (segEnd > i && load<u8>(src + segEnd - 1) == CR) segEnd--;
    let segStart = segEnd;
    while (segStart > i && load<u8>(src + segStart - 1) != CR) segStart--;
    const len = segEnd - segStart;
    memory.copy(w, src + segStart, len);
    w += len;
    if (hasLF) store<u8>(w++, LF);
    i = j + 1;
  }
  return w - dst;
}
