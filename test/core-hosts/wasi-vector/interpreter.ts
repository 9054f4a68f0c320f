// The tests' WASI vector interpreter (build/test/core-wasi-vec.wasm, built by
// test/core-hosts/wasi.test.ts): a test vector (NAME.vec, test/vectors/format.ts) on stdin,
// its NAME.out records on stdout. The same core and the same records as the published filter
// (assembly/wasi/filter.ts); only the input differs. Not part of the package.
//
// Nothing here allocates: see assembly/wasi/output.ts.

import { fd_read, iovec } from 'bindings/wasi_snapshot_preview1';
import { flush, staging_ptr, staging_size } from '../../../assembly/index';
import { EXIT_INPUT, IO_SIZE, STDIN, check, fail, flushOut, scratch } from '../../../assembly/wasi/output';
import { captureHandle, commitStaged, drain, open, putSnapshot, putStats } from '../../../assembly/wasi/records';

const inBuf = memory.data(<i32>IO_SIZE);
let inPos: usize = 0;
let inLen: usize = 0;

// The next byte of stdin, or -1 at its end.
function nextByte(): i32 {
  if (inPos == inLen) {
    changetype<iovec>(scratch).buf = inBuf;
    changetype<iovec>(scratch).buf_len = IO_SIZE;
    const errno = fd_read(STDIN, scratch, 1, scratch + 8);
    if (errno != 0) fail(EXIT_INPUT, 'cannot read stdin, errno', <i32>errno);
    inLen = <usize>load<u32>(scratch + 8);
    inPos = 0;
    if (inLen == 0) return -1;
  }
  return <i32>load<u8>(inBuf + inPos++);
}

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
    if (wordLen == WORD_MAX) badVector('unknown command on line');
    store<u8>(word + wordLen++, <u8>c);
    c = nextByte();
  }
  return c;
}

// `write HEX`: decoded into the staging area, committed whenever it is full and more follows.
function writeLine(): i32 {
  const staging = <usize>staging_ptr(captureHandle());
  const size = <usize>staging_size();
  let n: usize = 0;
  let c = nextByte();
  if (c == 0x2d) {
    c = nextByte();
  } else {
    while (c != 0x0a && c != -1) {
      const hi = hexValue(c);
      const lo = hexValue(nextByte());
      if (hi < 0 || lo < 0) badVector('bad hex on line');
      if (n == size) {
        commitStaged(n);
        n = 0;
      }
      store<u8>(staging + n++, <u8>((hi << 4) | lo));
      c = nextByte();
    }
    if (n == 0) badVector('bad hex on line');
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
  if (digits == 0) badVector('bad geometry line');
  numberEnd = c;
  return value;
}

function readSpaced(): i32 {
  const value = readNumber();
  if (numberEnd != 0x20) badVector('bad geometry line');
  return value;
}

function geometryLine(): i32 {
  if (captureHandle() >= 0) badVector('second geometry line');
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
    if (c == 0x23) {
      // '#': a comment
      while (c != 0x0a && c != -1) c = nextByte();
      c = nextByte();
      continue;
    }
    c = readWord(c);
    if (wordIs('geometry')) {
      if (c != 0x20) badVector('bad geometry line');
      c = geometryLine();
    } else if (captureHandle() < 0) {
      badVector('geometry must come first, line');
    } else if (wordIs('write')) {
      if (c != 0x20) badVector('bad write line');
      c = writeLine();
    } else if (c != 0x0a && c != -1) {
      badVector('unexpected argument on line');
    } else if (wordIs('flush')) {
      drain(check('flush', flush(captureHandle(), 0)));
    } else if (wordIs('end')) {
      drain(check('flush', flush(captureHandle(), 1)));
    } else if (wordIs('snapshot')) {
      putSnapshot();
    } else if (wordIs('stats')) {
      putStats();
    } else {
      badVector('unknown command on line');
    }
    if (c != 0x0a && c != -1) badVector('trailing bytes on line');
    c = nextByte();
  }
  if (captureHandle() < 0) badVector('no geometry line');
}

vector();
flushOut();
