// The records of test/vectors/format.ts, written from one capture of the core: `lf HEX`,
// `crlf HEX`, `cr HEX`, `cut HEX`, `partial HEX`, `snapshot OMITTED SEEN HEADHEX TAILHEX`,
// `stats SEEN DROPPED`. Shared by the core's WASI commands.

import { init, capture_open, frames_ptr, commit, resume, bytes_seen, bytes_dropped, snapshot, snapshot_info_ptr } from '../index';
import {
  FRAME_SIZE,
  FRAME_LEN_MASK,
  KIND_LF,
  KIND_CRLF,
  KIND_CR,
  KIND_CUT,
  KIND_PARTIAL,
  SNAP_PTR,
  SNAP_HEAD_LEN,
  SNAP_TAIL_LEN,
  SNAP_OMITTED,
  SNAP_SEEN,
} from '../layout';
import { EXIT_CORE, check, fail, putByte, putDecimal, putHex, putText } from './output';

let handle: i32 = -1;

// The one capture, once open() has made it.
export function captureHandle(): i32 {
  return handle;
}

export function open(ringLog2: i32, headSize: i32, stagingSize: i32, lineMax: i32, framesMax: i32): void {
  check('init', init(1, ringLog2, headSize, stagingSize, lineMax, framesMax));
  handle = check('capture_open', capture_open());
}

// One record per line: an LF frame may join several lines with LF.
function putFrame(kind: u32, ptr: usize, len: usize): void {
  let start = ptr;
  const end = ptr + len;
  for (let p = ptr; p <= end; p++) {
    if (p < end && !(kind == KIND_LF && load<u8>(p) == 0x0a)) continue;
    if (kind == KIND_LF) putText('lf ');
    else if (kind == KIND_CRLF) putText('crlf ');
    else if (kind == KIND_CR) putText('cr ');
    else if (kind == KIND_CUT) putText('cut ');
    else if (kind == KIND_PARTIAL) putText('partial ');
    else fail(EXIT_CORE, 'frame of unknown kind', <i32>kind);
    putHex(start, p - start);
    putByte(0x0a);
    start = p + 1;
  }
}

export function drain(n: i32): void {
  const records = <usize>frames_ptr(handle);
  while (n > 0) {
    for (let i = 0; i < n; i++) {
      const at = records + <usize>i * FRAME_SIZE;
      const word = load<u32>(at, 4);
      putFrame(word >>> 24, <usize>load<u32>(at), <usize>(word & FRAME_LEN_MASK));
    }
    n = check('resume', resume(handle));
  }
}

export function commitStaged(n: usize): void {
  drain(check('commit', commit(handle, <i32>n)));
}

export function putSnapshot(): void {
  const length = check('snapshot', snapshot(handle));
  const info = <usize>snapshot_info_ptr();
  const text = <usize>load<u32>(info + SNAP_PTR);
  const headLen = <usize>load<u32>(info + SNAP_HEAD_LEN);
  const tailLen = <usize>load<u32>(info + SNAP_TAIL_LEN);
  if (headLen + tailLen != <usize>length) fail(EXIT_CORE, 'snapshot length differs from its parts', length);
  putText('snapshot ');
  putDecimal(load<u64>(info + SNAP_OMITTED));
  putByte(0x20);
  putDecimal(load<u64>(info + SNAP_SEEN));
  putByte(0x20);
  putHex(text, headLen);
  putByte(0x20);
  putHex(text + headLen, tailLen);
  putByte(0x0a);
}

export function putStats(): void {
  putText('stats ');
  putDecimal(<u64>bytes_seen(handle));
  putByte(0x20);
  putDecimal(<u64>bytes_dropped(handle));
  putByte(0x0a);
}
