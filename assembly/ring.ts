// The bounded store of a capture: a power-of-two ring that keeps the newest bytes, and a head
// that keeps the first ones (the opening lines of a failure are often the telling ones).
// Stream byte i lives at ring[i & mask] while i >= seen - capacity, and at head[i] while
// i < headSize.

import { offHead, offRing, ringCapacity, ringMask, headSize, ST_SEEN } from './layout';

// Keeps what matters of the n bytes at src, which follow the `seen` bytes already committed.
// Of a batch larger than the ring, only its last `capacity` bytes are copied.
export function retain(slot: usize, src: usize, n: u32): void {
  const seen = load<u64>(slot + ST_SEEN);
  if (seen < <u64>headSize) {
    const room = <u32>(<u64>headSize - seen);
    memory.copy(slot + offHead + <usize>seen, src, <usize>(n < room ? n : room));
  }
  const skip: u32 = n > ringCapacity ? n - ringCapacity : 0;
  const count = n - skip;
  const at = <u32>((seen + <u64>skip) & (<u64>ringMask));
  const first = count < ringCapacity - at ? count : ringCapacity - at;
  const ring = slot + offRing;
  memory.copy(ring + <usize>at, src + <usize>skip, <usize>first);
  if (count > first) memory.copy(ring, src + <usize>(skip + first), <usize>(count - first));
  store<u64>(slot + ST_SEEN, seen + <u64>n);
}

// Copies stream bytes [from, to) out of the ring into dst; they must still be in the ring.
export function copyFromRing(slot: usize, from: u64, to: u64, dst: usize): void {
  const n = <u32>(to - from);
  const at = <u32>(from & (<u64>ringMask));
  const first = n < ringCapacity - at ? n : ringCapacity - at;
  const ring = slot + offRing;
  memory.copy(dst, ring + <usize>at, <usize>first);
  if (n > first) memory.copy(dst + <usize>first, ring, <usize>(n - first));
}
