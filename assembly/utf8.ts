// UTF-8 boundaries. Frames and snapshots never cut a multi-byte sequence in two; invalid bytes
// are not judged here, they pass through untouched for the host to decode with replacements.

// How many bytes at the end of [ptr, ptr+len) are the unfinished start of a multi-byte
// sequence (0 to 3): a lead byte C2-DF, E0-EF or F0-F4 followed by fewer continuation bytes
// than it announces. Anything else (ASCII, a complete sequence, an invalid lead byte, a run
// of stray continuation bytes) holds nothing back.
export function utf8HoldBack(ptr: usize, len: u32): u32 {
  const look = len < 3 ? len : 3;
  for (let i: u32 = 1; i <= look; i++) {
    const b = <u32>load<u8>(ptr + <usize>(len - i));
    if ((b & 0xc0) == 0x80) continue;
    let need: u32 = 1;
    if (b >= 0xc2 && b <= 0xdf) need = 2;
    else if (b >= 0xe0 && b <= 0xef) need = 3;
    else if (b >= 0xf0 && b <= 0xf4) need = 4;
    return need > i ? i : 0;
  }
  return 0;
}

// How many continuation bytes (at most 3) open [ptr, ptr+len): the remains of a sequence
// whose lead byte was cut away.
export function utf8SkipContinuation(ptr: usize, len: u32): u32 {
  let i: u32 = 0;
  while (i < len && i < 3 && ((<u32>load<u8>(ptr + <usize>i)) & 0xc0) == 0x80) i++;
  return i;
}
