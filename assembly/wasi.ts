// A WASI command around the core (build/core-wasi.wasm, `npm run build:wasi`): a stderr
// filter for any WASI runtime.
//
//   core-wasi.wasm          bytes on stdin; on stdout one record per framed line, then, at end
//                           of input, the snapshot and the totals (default geometry)
//   core-wasi.wasm --vec    a test vector (NAME.vec) on stdin, its NAME.out records on stdout
//
// The records are those of test/vectors/format.ts: `lf HEX`, `crlf HEX`, `cr HEX`, `cut HEX`,
// `partial HEX`, `snapshot OMITTED SEEN HEADHEX TAILHEX`, `stats SEEN DROPPED`.
//
// The core lays out its memory from __heap_base on, and this module is built with the stub
// runtime like the core: so nothing here allocates (no strings made, no arrays, no
// process.argv), or the allocator would hand out the core's memory. Buffers are static data,
// and the I/O goes straight through the shim's WASI bindings.

import {
  args_get, args_sizes_get, fd_read, fd_write, proc_exit, iovec,
} from "bindings/wasi_snapshot_preview1";
import {
  init, capture_open, staging_ptr, frames_ptr, commit, resume, flush, bytes_seen, bytes_dropped,
  snapshot, snapshot_info_ptr, staging_size,
} from "./index";
import {
  FRAME_SIZE, FRAME_LEN_MASK, KIND_LF, KIND_CRLF, KIND_CR, KIND_CUT, KIND_PARTIAL,
  SNAP_PTR, SNAP_HEAD_LEN, SNAP_TAIL_LEN, SNAP_OMITTED, SNAP_SEEN,
} from "./layout";

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;
const EXIT_INPUT: u32 = 1; // bad arguments or a malformed vector
const EXIT_CORE: u32 = 2; // an export returned an error

const IO_SIZE: usize = 65536;
const ARGS_SIZE: usize = 4096;
const inBuf = memory.data(<i32>IO_SIZE);
const outBuf = memory.data(<i32>IO_SIZE);
const argsBuf = memory.data(<i32>ARGS_SIZE);
const scratch = memory.data(32, 16); // an iovec and a result word, or decimal digits

let outLen: usize = 0;

// ---- output ----

function writeAll(fd: u32, ptr: usize, len: usize): void {
  while (len > 0) {
    changetype<iovec>(scratch).buf = ptr;
    changetype<iovec>(scratch).buf_len = len;
    if (fd_write(fd, scratch, 1, scratch + 8) != 0) proc_exit(EXIT_CORE);
    const n = <usize>load<u32>(scratch + 8);
    ptr += n;
    len -= n;
  }
}

function flushOut(): void {
  writeAll(STDOUT, outBuf, outLen);
  outLen = 0;
}

function putByte(b: u32): void {
  if (outLen == IO_SIZE) flushOut();
  store<u8>(outBuf + outLen++, <u8>b);
}

// Literals are static data: reading their code units allocates nothing.
function putText(text: string): void {
  for (let i = 0; i < text.length; i++) putByte(<u32>text.charCodeAt(i));
}

function putHex(ptr: usize, len: usize): void {
  if (len == 0) {
    putByte(0x2d); // '-'
    return;
  }
  for (let i: usize = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + i);
    putByte(hexDigit(b >> 4));
    putByte(hexDigit(b & 15));
  }
}

@inline function hexDigit(d: u32): u32 {
  return d < 10 ? 0x30 + d : 0x57 + d;
}

function putDecimal(value: u64): void {
  let n: usize = 0;
  do {
    store<u8>(scratch + n++, <u8>(0x30 + <u32>(value % 10)));
    value /= 10;
  } while (value != 0);
  while (n > 0) putByte(<u32>load<u8>(scratch + --n));
}

// Ends the program with `core-wasi: MESSAGE NUMBER` on stderr.
function fail(status: u32, message: string, number: i32): void {
  flushOut();
  putText("core-wasi: ");
  putText(message);
  putByte(0x20);
  if (number < 0) putByte(0x2d);
  putDecimal(<u64>(number < 0 ? -number : number));
  putByte(0x0a);
  writeAll(STDERR, outBuf, outLen);
  proc_exit(status);
}

function check(call: string, status: i32): i32 {
  if (status < 0) fail(EXIT_CORE, call, status);
  return status;
}

// ---- the core ----

let handle: i32 = -1;

function open(ringLog2: i32, headSize: i32, stagingSize: i32, lineMax: i32, framesMax: i32): void {
  check("init", init(1, ringLog2, headSize, stagingSize, lineMax, framesMax));
  handle = check("capture_open", capture_open());
}

// One record per line: an LF frame may join several lines with LF.
function putFrame(kind: u32, ptr: usize, len: usize): void {
  let start = ptr;
  const end = ptr + len;
  for (let p = ptr; p <= end; p++) {
    if (p < end && !(kind == KIND_LF && load<u8>(p) == 0x0a)) continue;
    if (kind == KIND_LF) putText("lf ");
    else if (kind == KIND_CRLF) putText("crlf ");
    else if (kind == KIND_CR) putText("cr ");
    else if (kind == KIND_CUT) putText("cut ");
    else if (kind == KIND_PARTIAL) putText("partial ");
    else fail(EXIT_CORE, "frame of unknown kind", <i32>kind);
    putHex(start, p - start);
    putByte(0x0a);
    start = p + 1;
  }
}

function drain(n: i32): void {
  const records = <usize>frames_ptr(handle);
  while (n > 0) {
    for (let i = 0; i < n; i++) {
      const at = records + <usize>i * FRAME_SIZE;
      const word = load<u32>(at, 4);
      putFrame(word >>> 24, <usize>load<u32>(at), <usize>(word & FRAME_LEN_MASK));
    }
    n = check("resume", resume(handle));
  }
}

function commitStaged(n: usize): void {
  drain(check("commit", commit(handle, <i32>n)));
}

function putSnapshot(): void {
  const length = check("snapshot", snapshot(handle));
  const info = <usize>snapshot_info_ptr();
  const text = <usize>load<u32>(info + SNAP_PTR);
  const headLen = <usize>load<u32>(info + SNAP_HEAD_LEN);
  const tailLen = <usize>load<u32>(info + SNAP_TAIL_LEN);
  if (headLen + tailLen != <usize>length) fail(EXIT_CORE, "snapshot length differs from its parts", length);
  putText("snapshot ");
  putDecimal(load<u64>(info + SNAP_OMITTED));
  putByte(0x20);
  putDecimal(load<u64>(info + SNAP_SEEN));
  putByte(0x20);
  putHex(text, headLen);
  putByte(0x20);
  putHex(text + headLen, tailLen);
  putByte(0x0a);
}

function putStats(): void {
  putText("stats ");
  putDecimal(<u64>bytes_seen(handle));
  putByte(0x20);
  putDecimal(<u64>bytes_dropped(handle));
  putByte(0x0a);
}

// ---- input ----

let inPos: usize = 0;
let inLen: usize = 0;

// The next byte of stdin, or -1 at its end.
function nextByte(): i32 {
  if (inPos == inLen) {
    changetype<iovec>(scratch).buf = inBuf;
    changetype<iovec>(scratch).buf_len = IO_SIZE;
    const errno = fd_read(STDIN, scratch, 1, scratch + 8);
    if (errno != 0) fail(EXIT_INPUT, "cannot read stdin, errno", <i32>errno);
    inLen = <usize>load<u32>(scratch + 8);
    inPos = 0;
    if (inLen == 0) return -1;
  }
  return <i32>load<u8>(inBuf + inPos++);
}

// Filter mode: stdin is read straight into the staging area.
function filter(): void {
  open(0, -1, 0, 0, 0);
  const staging = <usize>staging_ptr(handle);
  const size = <usize>staging_size();
  while (true) {
    changetype<iovec>(scratch).buf = staging;
    changetype<iovec>(scratch).buf_len = size;
    const errno = fd_read(STDIN, scratch, 1, scratch + 8);
    if (errno != 0) fail(EXIT_INPUT, "cannot read stdin, errno", <i32>errno);
    const n = <usize>load<u32>(scratch + 8);
    if (n == 0) break;
    commitStaged(n);
  }
  drain(check("flush", flush(handle, 1)));
  putSnapshot();
  putStats();
}

// ---- vector mode ----

const WORD_MAX: usize = 16;
const word = memory.data(<i32>WORD_MAX);
let wordLen: usize = 0;
let lineNumber: i32 = 0;

function badVector(message: string): void {
  fail(EXIT_INPUT, message, lineNumber);
}

function wordIs(text: string): bool {
  if (<usize>text.length != wordLen) return false;
  for (let i = 0; i < text.length; i++) if (<u32>load<u8>(word + <usize>i) != <u32>text.charCodeAt(i)) return false;
  return true;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

// Reads the command word; returns the byte after it (a space, LF or -1).
function readWord(first: i32): i32 {
  wordLen = 0;
  let c = first;
  while (c != 0x20 && c != 0x0a && c != -1) {
    if (wordLen == WORD_MAX) badVector("unknown command on line");
    store<u8>(word + wordLen++, <u8>c);
    c = nextByte();
  }
  return c;
}

// `write HEX`: decoded into the staging area, committed whenever it is full and more follows.
function writeLine(): i32 {
  const staging = <usize>staging_ptr(handle);
  const size = <usize>staging_size();
  let n: usize = 0;
  let c = nextByte();
  if (c == 0x2d) {
    c = nextByte();
  } else {
    while (c != 0x0a && c != -1) {
      const hi = hexValue(c);
      const lo = hexValue(nextByte());
      if (hi < 0 || lo < 0) badVector("bad hex on line");
      if (n == size) {
        commitStaged(n);
        n = 0;
      }
      store<u8>(staging + n++, <u8>(hi << 4 | lo));
      c = nextByte();
    }
    if (n == 0) badVector("bad hex on line");
  }
  commitStaged(n);
  return c;
}

// `geometry` numbers, separated by single spaces; numberEnd is the byte after the last one.
let numberEnd: i32 = 0;

function readNumber(): i32 {
  let c = nextByte();
  let value: i32 = 0;
  let digits = 0;
  while (c >= 0x30 && c <= 0x39 && digits < 9) {
    value = value * 10 + (c - 0x30);
    digits++;
    c = nextByte();
  }
  if (digits == 0) badVector("bad geometry line");
  numberEnd = c;
  return value;
}

function readSpaced(): i32 {
  const value = readNumber();
  if (numberEnd != 0x20) badVector("bad geometry line");
  return value;
}

function geometryLine(): i32 {
  if (handle >= 0) badVector("second geometry line");
  const ringLog2 = readSpaced();
  const headSize = readSpaced();
  const stagingSize = readSpaced();
  const lineMax = readSpaced();
  const framesMax = readNumber();
  open(ringLog2, headSize, stagingSize, lineMax, framesMax);
  return numberEnd;
}

function vector(): void {
  let c = nextByte();
  while (c != -1) {
    lineNumber++;
    if (c == 0x0a) {
      c = nextByte();
      continue;
    }
    if (c == 0x23) { // '#': a comment
      while (c != 0x0a && c != -1) c = nextByte();
      c = nextByte();
      continue;
    }
    c = readWord(c);
    if (wordIs("geometry")) {
      if (c != 0x20) badVector("bad geometry line");
      c = geometryLine();
    } else if (handle < 0) {
      badVector("geometry must come first, line");
    } else if (wordIs("write")) {
      if (c != 0x20) badVector("bad write line");
      c = writeLine();
    } else if (c != 0x0a && c != -1) {
      badVector("unexpected argument on line");
    } else if (wordIs("flush")) {
      drain(check("flush", flush(handle, 0)));
    } else if (wordIs("end")) {
      drain(check("flush", flush(handle, 1)));
    } else if (wordIs("snapshot")) {
      putSnapshot();
    } else if (wordIs("stats")) {
      putStats();
    } else {
      badVector("unknown command on line");
    }
    if (c != 0x0a && c != -1) badVector("trailing bytes on line");
    c = nextByte();
  }
  if (handle < 0) badVector("no geometry line");
}

// ---- arguments ----

// Whether the command line is exactly `PROGRAM --vec`; any other argument is refused.
function vectorMode(): bool {
  if (args_sizes_get(scratch, scratch + 4) != 0) return false;
  const count = load<u32>(scratch);
  const size = <usize>load<u32>(scratch, 4);
  if (count < 2) return false;
  if (count > 2 || size + 16 > ARGS_SIZE) fail(EXIT_INPUT, "usage: core-wasi.wasm [--vec], arguments:", <i32>count);
  if (args_get(argsBuf, argsBuf + 16) != 0) fail(EXIT_INPUT, "cannot read the arguments:", <i32>count);
  const arg = <usize>load<u32>(argsBuf, 4);
  const flag = "--vec";
  for (let i = 0; i <= flag.length; i++) {
    const expected: u32 = i < flag.length ? <u32>flag.charCodeAt(i) : 0;
    if (<u32>load<u8>(arg + <usize>i) != expected) fail(EXIT_INPUT, "usage: core-wasi.wasm [--vec], arguments:", <i32>count);
  }
  return true;
}

if (vectorMode()) vector();
else filter();
flushOut();
