// The line framer: turns a committed batch into frame records (pointer, length, kind) that the
// host reads before its next call. Frames point into the staging area where the batch lies, or
// into a carry buffer for a line that began in an earlier batch, so nothing is copied except
// the unfinished line at a batch's end.
//
// Runs of plain LF-ended lines (no CR, none too long) become one KIND_LF frame holding them all
// joined by LF: the run scanner finds them 64 bytes at a time, so the cost is per block, not
// per line. Everything else (CRs, cuts, batch ends) goes line by line.
//
// A round is one commit()/resume()/flush() call; its frames stay valid until the next call on
// the same capture. Two carry buffers let a round emit a frame from one while the unfinished
// line moves into the other; when both are in use the round ends early and resume() goes on.

import {
  framesMax,
  lineMax,
  offFrames,
  FRAME_SIZE,
  carryAt,
  KIND_LF,
  KIND_CRLF,
  KIND_CR,
  KIND_CUT,
  KIND_PARTIAL,
  ST_SCAN_POS,
  ST_SCAN_END,
  ST_FRAMES,
  ST_CARRY_REFS,
  ST_CARRY_LEN,
  ST_CARRY_CUR,
  ST_PENDING_CR,
  ST_BUSY,
} from './layout';
import { findLineEnd, isLF } from './scan';
import { utf8HoldBack } from './utf8';

const BLOCK: usize = 64;
// The run scanner cuts at most one line per block, which needs lines of two blocks or more.
const RUN_LINE_MAX_MIN: u32 = 2 * <u32>BLOCK;
// A run may end with a pending run frame and a cut: room for both, plus the run after them.
const RUN_FRAMES_RESERVE: u32 = 3;

// A frame record at index `frames` of a slot's frame area; returns the count after it.
//
// The framer keeps no state of its own: between calls everything is in the capture's record
// (the ST_ fields of its slot), and during a call in locals, stored back before it returns. The
// line loop counts frames in a local; the run scanner, which emits few, in the slot's ST_FRAMES.
// Measured against module globals for the round, the two modules side by side on line-free
// bytes and on 20-byte, 80-byte, CRLF and 10,000-byte lines: the same speed within 3%.
@inline function record(area: usize, frames: u32, ptr: usize, len: usize, kind: u32): u32 {
  const at = area + <usize>frames * FRAME_SIZE;
  store<u32>(at, <u32>ptr);
  store<u32>(at, (<u32>len) | (kind << 24), 4);
  return frames + 1;
}

// Frames what is left of the batch in [ST_SCAN_POS, ST_SCAN_END); returns the frames ready.
export function runFramer(slot: usize): i32 {
  let p = <usize>load<u32>(slot + ST_SCAN_POS);
  const end = <usize>load<u32>(slot + ST_SCAN_END);
  const area = slot + offFrames;
  let frames = load<u32>(slot + ST_FRAMES);
  let refs = load<u32>(slot + ST_CARRY_REFS);
  let carryLen = <usize>load<u32>(slot + ST_CARRY_LEN);
  let cur = load<u32>(slot + ST_CARRY_CUR);
  let pendingCR = load<u32>(slot + ST_PENDING_CR);
  const max = framesMax;
  const limitLen = <usize>lineMax;
  const runs = lineMax >= RUN_LINE_MAX_MIN;
  let done = false;

  // Every pass emits at most one frame (the run scanner checks room for its own).
  while (frames < max) {
    if (pendingCR) {
      // The segment before a batch-final CR waits in the carry for the byte that tells
      // a CRLF line end from a lone CR.
      if (p >= end) {
        done = true;
        break;
      }
      let kind = KIND_CR;
      if (isLF(p)) {
        kind = KIND_CRLF;
        p++;
      }
      frames = record(area, frames, carryAt(slot, cur), carryLen, kind);
      refs |= 1 << cur;
      pendingCR = 0;
      carryLen = 0;
      continue;
    }

    if (carryLen > 0) {
      // Only one frame of a round may point into the carry it is completing; a second one
      // waits for the next round.
      if (refs != 0) break;
      if (p >= end) {
        done = true;
        break;
      }
      const carry = carryAt(slot, cur);
      const room = limitLen - carryLen;
      const limit = end - p > room ? p + room : end;
      const q = findLineEnd(p, limit);
      const taken = q - p;
      memory.copy(carry + carryLen, p, taken);
      carryLen += taken;
      if (q < limit) {
        if (isLF(q)) {
          frames = record(area, frames, carry, carryLen, KIND_LF);
          p = q + 1;
        } else if (q + 1 < end) {
          const crlf = isLF(q + 1);
          frames = record(area, frames, carry, carryLen, crlf ? KIND_CRLF : KIND_CR);
          p = q + (crlf ? 2 : 1);
        } else {
          pendingCR = 1;
          p = end;
          done = true;
          break;
        }
        refs |= 1 << cur;
        carryLen = 0;
        continue;
      }
      if (carryLen == limitLen) {
        const held = <usize>utf8HoldBack(carry, <u32>carryLen);
        frames = record(area, frames, carry, carryLen - held, KIND_CUT);
        refs |= 1 << cur;
        if (held <= taken) {
          // The held-back bytes are still in the staging area: frame them from there.
          p = q - held;
          carryLen = 0;
        } else {
          const other = cur ^ 1;
          memory.copy(carryAt(slot, other), carry + carryLen - held, held);
          cur = other;
          carryLen = held;
          p = q;
        }
        continue;
      }
      p = end;
      done = true;
      break;
    }

    if (p >= end) {
      done = true;
      break;
    }
    if (runs && end - p >= BLOCK && frames + RUN_FRAMES_RESERVE <= max) {
      store<u32>(slot + ST_FRAMES, frames);
      p = scanRun(slot, p, end);
      frames = load<u32>(slot + ST_FRAMES);
      if (frames >= max) break;
      if (p >= end) {
        done = true;
        break;
      }
    }
    const limit = end - p > limitLen ? p + limitLen : end;
    const q = findLineEnd(p, limit);
    if (q < limit) {
      if (isLF(q)) {
        frames = record(area, frames, p, q - p, KIND_LF);
        p = q + 1;
        continue;
      }
      if (q + 1 < end) {
        const crlf = isLF(q + 1);
        frames = record(area, frames, p, q - p, crlf ? KIND_CRLF : KIND_CR);
        p = q + (crlf ? 2 : 1);
        continue;
      }
      const into = freeCarry(refs, cur);
      if (into < 0) break;
      cur = <u32>into;
      carryLen = q - p;
      memory.copy(carryAt(slot, cur), p, carryLen);
      pendingCR = 1;
      p = end;
      done = true;
      break;
    }
    if (limit - p == limitLen) {
      const held = <usize>utf8HoldBack(p, lineMax);
      frames = record(area, frames, p, limitLen - held, KIND_CUT);
      p = limit - held;
      continue;
    }
    const into = freeCarry(refs, cur);
    if (into < 0) break;
    cur = <u32>into;
    carryLen = end - p;
    memory.copy(carryAt(slot, cur), p, carryLen);
    p = end;
    done = true;
    break;
  }

  store<u32>(slot + ST_SCAN_POS, <u32>p);
  store<u32>(slot + ST_FRAMES, frames);
  store<u32>(slot + ST_CARRY_REFS, refs);
  store<u32>(slot + ST_CARRY_LEN, <u32>carryLen);
  store<u32>(slot + ST_CARRY_CUR, cur);
  store<u32>(slot + ST_PENDING_CR, pendingCR);
  store<u32>(slot + ST_BUSY, done ? 0 : 1);
  return <i32>frames;
}

// From the line start p, frames whole blocks of CR-free text: complete lines as one KIND_LF
// run, lines reaching lineMax as cuts. Stops before a block holding a CR, before the last
// partial block, or when frames run short; returns where the current line starts. The frame
// count stays in the slot's ST_FRAMES meanwhile.
//
// The exact start of the current line is worked out only when the line might reach lineMax:
// until then `anchor`, the start of the newest block holding an LF, bounds it from below,
// and a block costs two vector tests.
function scanRun(slot: usize, p: usize, end: usize): usize {
  const lfv = i8x16.splat(0x0a);
  const crv = i8x16.splat(0x0d);
  const limitLen = <usize>lineMax;
  const max = framesMax;
  let runStart = p;
  let lineStart = p;
  let anchor = p;
  let lastLF: usize = 0; // the newest block holding an LF, not yet folded into lineStart
  while (p + BLOCK <= end) {
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    const cr = v128.or(v128.or(i8x16.eq(a, crv), i8x16.eq(b, crv)), v128.or(i8x16.eq(c, crv), i8x16.eq(d, crv)));
    const lf = v128.or(v128.or(i8x16.eq(a, lfv), i8x16.eq(b, lfv)), v128.or(i8x16.eq(c, lfv), i8x16.eq(d, lfv)));
    if (!v128.any_true(v128.or(cr, lf))) {
      if (p + BLOCK - anchor >= limitLen) {
        if (lastLF != 0) {
          lineStart = lastLF + BLOCK - <usize>clz(lfBits(lastLF));
          lastLF = 0;
          anchor = lineStart;
        }
        if (p + BLOCK - lineStart >= limitLen) {
          // No LF or CR in [lineStart, lineStart + lineMax): the cut the line path makes.
          if (load<u32>(slot + ST_FRAMES) + RUN_FRAMES_RESERVE > max) break;
          lineStart = cut(slot, runStart, lineStart);
          runStart = lineStart;
          anchor = lineStart;
          continue;
        }
      }
      p += BLOCK;
      if (p > anchor + 2 * BLOCK) {
        // Two plain blocks in a row: a long line, not the gap between two short ones. Skip
        // the plain blocks that follow while the line stays shorter than lineMax.
        const lineLimit = anchor + limitLen - BLOCK;
        const stopAt = lineLimit < end - BLOCK ? lineLimit : end - BLOCK;
        while (p + BLOCK < stopAt && !hasControl128(p)) p += 2 * BLOCK;
        while (p < stopAt && !hasLineEnd(p)) p += BLOCK;
      }
      continue;
    }
    if (v128.any_true(cr)) break;
    if (p + BLOCK - anchor > limitLen) {
      // The line ending in this block may have reached lineMax before its LF.
      if (lastLF != 0) lineStart = lastLF + BLOCK - <usize>clz(lfBits(lastLF));
      const firstLF = p + <usize>ctz(lfBits(p));
      if (firstLF - lineStart >= limitLen) {
        if (load<u32>(slot + ST_FRAMES) + RUN_FRAMES_RESERVE > max) break;
        lineStart = cut(slot, runStart, lineStart);
        runStart = lineStart;
        anchor = lineStart;
        lastLF = 0;
        continue;
      }
    }
    lastLF = p;
    anchor = p;
    p += BLOCK;
  }
  if (lastLF != 0) lineStart = lastLF + BLOCK - <usize>clz(lfBits(lastLF));
  if (lineStart > runStart) recordInSlot(slot, runStart, lineStart - 1 - runStart, KIND_LF);
  return lineStart;
}

// Emits the run of complete lines before lineStart, if any, and the first lineMax bytes of the
// line at lineStart (less a split UTF-8 sequence); returns where the rest of the line starts.
function cut(slot: usize, runStart: usize, lineStart: usize): usize {
  if (lineStart > runStart) recordInSlot(slot, runStart, lineStart - 1 - runStart, KIND_LF);
  const len = <usize>lineMax - <usize>utf8HoldBack(lineStart, lineMax);
  recordInSlot(slot, lineStart, len, KIND_CUT);
  return lineStart + len;
}

// record() for the run scanner, which emits few frames: the count stays in the slot.
function recordInSlot(slot: usize, ptr: usize, len: usize, kind: u32): void {
  store<u32>(slot + ST_FRAMES, record(slot + offFrames, load<u32>(slot + ST_FRAMES), ptr, len, kind));
}

// Whether the 128 bytes at p hold any byte up to 0x0d: a cheaper test than for LF and CR
// exactly, whose rare false alarms (tabs, other controls) the exact test then clears.
@inline function hasControl128(p: usize): bool {
  const top = i8x16.splat(0x0d);
  return v128.any_true(
    v128.or(
      v128.or(
        v128.or(i8x16.le_u(v128.load(p), top), i8x16.le_u(v128.load(p, 16), top)),
        v128.or(i8x16.le_u(v128.load(p, 32), top), i8x16.le_u(v128.load(p, 48), top)),
      ),
      v128.or(
        v128.or(i8x16.le_u(v128.load(p, 64), top), i8x16.le_u(v128.load(p, 80), top)),
        v128.or(i8x16.le_u(v128.load(p, 96), top), i8x16.le_u(v128.load(p, 112), top)),
      ),
    ),
  );
}

@inline function hasLineEnd(p: usize): bool {
  const lfv = i8x16.splat(0x0a);
  const crv = i8x16.splat(0x0d);
  const a = v128.load(p);
  const b = v128.load(p, 16);
  const c = v128.load(p, 32);
  const d = v128.load(p, 48);
  return v128.any_true(
    v128.or(
      v128.or(v128.or(i8x16.eq(a, lfv), i8x16.eq(a, crv)), v128.or(i8x16.eq(b, lfv), i8x16.eq(b, crv))),
      v128.or(v128.or(i8x16.eq(c, lfv), i8x16.eq(c, crv)), v128.or(i8x16.eq(d, lfv), i8x16.eq(d, crv))),
    ),
  );
}

// Bit i set where byte p+i of the 64-byte block at p is an LF.
function lfBits(p: usize): u64 {
  const lfv = i8x16.splat(0x0a);
  return (
    (<u64>(<u32>i8x16.bitmask(i8x16.eq(v128.load(p), lfv)))) |
    ((<u64>(<u32>i8x16.bitmask(i8x16.eq(v128.load(p, 16), lfv)))) << 16) |
    ((<u64>(<u32>i8x16.bitmask(i8x16.eq(v128.load(p, 32), lfv)))) << 32) |
    ((<u64>(<u32>i8x16.bitmask(i8x16.eq(v128.load(p, 48), lfv)))) << 48)
  );
}

// A carry buffer that no frame of this round points into, or -1 when both are in use.
@inline function freeCarry(refs: u32, cur: u32): i32 {
  if ((refs & (1 << cur)) == 0) return <i32>cur;
  if ((refs & (1 << (cur ^ 1))) == 0) return <i32>(cur ^ 1);
  return -1;
}

// Emits the unfinished line on the host's request. At EOF (final) everything goes, a trailing
// CR as a progress segment; when idle, an unfinished UTF-8 sequence stays for the next batch.
export function flushLine(slot: usize, final: bool): i32 {
  const area = slot + offFrames;
  let frames: u32 = 0;
  let carryLen = load<u32>(slot + ST_CARRY_LEN);
  let cur = load<u32>(slot + ST_CARRY_CUR);
  const pendingCR = load<u32>(slot + ST_PENDING_CR);
  const from = cur;
  const carry = carryAt(slot, from);
  if (pendingCR) {
    if (final) {
      frames = record(area, frames, carry, carryLen, KIND_CR);
      store<u32>(slot + ST_PENDING_CR, 0);
      carryLen = 0;
    } else if (carryLen > 0) {
      // The CR stays pending: the next byte still decides whether the line ends here.
      frames = record(area, frames, carry, carryLen, KIND_PARTIAL);
      carryLen = 0;
    }
  } else if (carryLen > 0) {
    const held: u32 = final ? 0 : utf8HoldBack(carry, carryLen);
    if (carryLen > held) {
      frames = record(area, frames, carry, carryLen - held, KIND_PARTIAL);
      if (held > 0) {
        cur ^= 1;
        memory.copy(carryAt(slot, cur), carry + carryLen - held, held);
      }
      carryLen = held;
    }
  }
  store<u32>(slot + ST_CARRY_LEN, carryLen);
  store<u32>(slot + ST_CARRY_CUR, cur);
  store<u32>(slot + ST_FRAMES, frames);
  store<u32>(slot + ST_CARRY_REFS, frames > 0 ? 1 << from : 0);
  return <i32>frames;
}
