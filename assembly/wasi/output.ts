// Output for the core's WASI commands (the published filter, assembly/wasi/filter.ts, and the
// tests' vector interpreter): buffered stdout, and `core-wasi: MESSAGE NUMBER` on stderr for a
// failure.
//
// The core lays out its memory from __heap_base on, and these commands are built with the stub
// runtime like the core: so nothing here allocates (no strings made, no arrays, no
// process.argv), or the allocator would hand out the core's memory. Buffers are static data,
// and the I/O goes straight through the shim's WASI bindings.

import { fd_write, proc_exit, iovec } from 'bindings/wasi_snapshot_preview1';

export const STDIN: u32 = 0;
export const STDOUT: u32 = 1;
export const STDERR: u32 = 2;
export const EXIT_INPUT: u32 = 1; // bad arguments or malformed input
export const EXIT_CORE: u32 = 2; // an export returned an error

export const IO_SIZE: usize = 65536;
const outBuf = memory.data(<i32>IO_SIZE);
// An iovec and a result word, or decimal digits; callers may use it between two outputs.
export const scratch = memory.data(32, 16);

let outLen: usize = 0;

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

export function flushOut(): void {
  writeAll(STDOUT, outBuf, outLen);
  outLen = 0;
}

export function putByte(b: u32): void {
  if (outLen == IO_SIZE) flushOut();
  store<u8>(outBuf + outLen++, <u8>b);
}

// Literals are static data: reading their code units allocates nothing.
export function putText(text: string): void {
  for (let i = 0; i < text.length; i++) putByte(<u32>text.charCodeAt(i));
}

export function putHex(ptr: usize, len: usize): void {
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

export function putDecimal(value: u64): void {
  let n: usize = 0;
  do {
    store<u8>(scratch + n++, <u8>(0x30 + <u32>(value % 10)));
    value /= 10;
  } while (value != 0);
  while (n > 0) putByte(<u32>load<u8>(scratch + --n));
}

// Ends the program with `core-wasi: MESSAGE NUMBER` on stderr.
export function fail(status: u32, message: string, number: i32): void {
  flushOut();
  putText('core-wasi: ');
  putText(message);
  putByte(0x20);
  if (number < 0) putByte(0x2d);
  putDecimal(<u64>(number < 0 ? -number : number));
  putByte(0x0a);
  writeAll(STDERR, outBuf, outLen);
  proc_exit(status);
}

export function check(call: string, status: i32): i32 {
  if (status < 0) fail(EXIT_CORE, call, status);
  return status;
}
