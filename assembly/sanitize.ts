// Terminal-safe text: the bytes a remote side wrote, made unable to retitle, clear or reorder a
// terminal, exactly as the TypeScript host's terminalSafe() makes a string safe (the test suite
// holds the two to each other), so that a host without JavaScript shows the same text.
//
// The bytes are read as UTF-8 the way TextDecoder reads them (WHATWG: each maximal invalid
// subpart becomes U+FFFD), then every control character but tab and newline is shown visibly:
// C0 and DEL in caret notation (`^[`, `^M`, `^?`), C1 as `M-^[`, and the characters that reorder
// text or break lines (U+061C, U+200E/F, U+2028/9, U+202A-E, U+2066-9) as `<U+202E>`. With
// SANITIZE_COLOURS, an SGR sequence (`ESC [ params m`, at most 64 parameter characters) that
// only sets colours and plain attributes passes whole; any other loses its ESC to `^[`.
//
// With SANITIZE_MORE the text continues in a later call: what could still change meaning with
// the bytes that follow (an unfinished UTF-8 sequence; with colours, an unfinished SGR sequence)
// is left unconsumed, at most SANITIZE_HOLD_MAX bytes, for the host to pass again in front of
// the next piece.

import { sanitizeOutput, SANITIZE_INPUT_MAX, SANITIZE_OUTPUT_MAX, SANITIZE_COLOURS, SANITIZE_MORE, ERR_RANGE } from './layout';

const ESC: u32 = 0x1b;
const SGR_PARAMS_MAX: u32 = 64;

// Bytes of the last call's input that it consumed (the rest was held back under SANITIZE_MORE).
export let sanitizeConsumed: u32 = 0;

// Where the next output byte goes.
let w: usize = 0;

@inline function put(byte: u32): void {
  store<u8>(w++, <u8>byte);
}

function putHex4(code: u32): void {
  for (let shift: i32 = 12; shift >= 0; shift -= 4) {
    const digit = (code >>> (<u32>shift)) & 0xf;
    put(digit < 10 ? 0x30 + digit : 0x41 + digit - 10);
  }
}

// How one unsafe character is shown, as terminal-safe.ts's visible().
function putVisible(code: u32): void {
  if (code < 0x20) {
    put(0x5e); // ^
    put(code + 0x40);
  } else if (code == 0x7f) {
    put(0x5e);
    put(0x3f); // ?
  } else if (code < 0xa0) {
    put(0x4d); // M
    put(0x2d); // -
    put(0x5e);
    put(code - 0x80 + 0x40);
  } else {
    put(0x3c); // <
    put(0x55); // U
    put(0x2b); // +
    putHex4(code);
    put(0x3e); // >
  }
}

@inline function isUnsafeAscii(byte: u32): bool {
  return (byte < 0x20 && byte != 0x09 && byte != 0x0a) || byte == 0x7f;
}

// The characters beyond ASCII that are shown: C1 controls, and those that reorder text or
// separate lines.
function isUnsafeCode(code: u32): bool {
  if (code < 0xa0) return true; // only C1 reaches here below 0xa0
  if (code == 0x061c || code == 0x200e || code == 0x200f || code == 0x2028 || code == 0x2029) return true;
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

@inline function isSgrParam(byte: u32): bool {
  return (byte >= 0x30 && byte <= 0x39) || byte == 0x3b || byte == 0x3a; // 0-9 ; :
}

// ---- SGR parameters, read one word at a time (words are separated by ';' or ':') ----

let wordAt: usize = 0;
let wordsEnd: usize = 0;
let wordsLeft: bool = false;
let wordLength: u32 = 0;

// The next word's value: -1 when it is not 1 to 3 digits, -2 when there is no word left.
function nextWord(): i32 {
  if (!wordsLeft) return -2;
  let value: i32 = 0;
  let length: u32 = 0;
  let digits = true;
  while (wordAt < wordsEnd) {
    const byte = <u32>load<u8>(wordAt);
    if (byte == 0x3b || byte == 0x3a) break;
    if (byte < 0x30 || byte > 0x39) digits = false;
    else if (length < 3) value = value * 10 + <i32>(byte - 0x30);
    length++;
    wordAt++;
  }
  wordLength = length;
  if (wordAt < wordsEnd)
    wordAt++; // past the separator: another word follows, maybe empty
  else wordsLeft = false;
  return digits && length >= 1 && length <= 3 ? value : -1;
}

// SGR parameters that only colour or style text: not 8 (conceal) nor 5 and 6 (blink).
function isColour(n: i32): bool {
  if ((n >= 30 && n <= 37) || (n >= 40 && n <= 47) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107)) return true;
  return (
    n == 0 ||
    n == 1 ||
    n == 2 ||
    n == 3 ||
    n == 4 ||
    n == 7 ||
    n == 9 ||
    n == 21 ||
    n == 22 ||
    n == 23 ||
    n == 24 ||
    n == 27 ||
    n == 29 ||
    n == 39 ||
    n == 49 ||
    n == 59
  );
}

// Whether the parameters [from, to) only set colours and plain attributes.
function onlyColours(from: usize, to: usize): bool {
  if (from == to) return true;
  wordAt = from;
  wordsEnd = to;
  wordsLeft = true;
  while (wordsLeft) {
    const n = nextWord();
    if (n < 0) return false;
    if (n == 38 || n == 48 || n == 58) {
      // 38;5;N (a palette colour) or 38;2;R;G;B (a true colour).
      const selector = nextWord();
      const single = wordLength == 1;
      const count = single && selector == 5 ? 1 : single && selector == 2 ? 3 : 0;
      if (count == 0) return false;
      for (let i = 0; i < count; i++) {
        const value = nextWord();
        if (value < 0 || value > 255) return false;
      }
      continue;
    }
    if (!isColour(n)) return false;
  }
  return true;
}

// ---- UTF-8 as TextDecoder reads it ----

// Set by decodeAt(): the code point (INVALID for an invalid or unfinished sequence) and its bytes.
const INVALID: u32 = 0xffff_ffff;
let decodedCode: u32 = 0;
let decodedLength: u32 = 0;

// Decodes the sequence at [at, end) that starts with a byte >= 0x80. Returns false when it is a
// valid but unfinished prefix reaching `end` (a later piece may finish it).
function decodeAt(at: usize, end: usize): bool {
  const lead = <u32>load<u8>(at);
  let needed: u32 = 0;
  let code: u32 = 0;
  let lower: u32 = 0x80;
  let upper: u32 = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    needed = 1;
    code = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    needed = 2;
    code = lead & 0x0f;
    if (lead == 0xe0) lower = 0xa0;
    if (lead == 0xed) upper = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    needed = 3;
    code = lead & 0x07;
    if (lead == 0xf0) lower = 0x90;
    if (lead == 0xf4) upper = 0x8f;
  } else {
    decodedCode = INVALID;
    decodedLength = 1;
    return true;
  }
  for (let i: u32 = 1; i <= needed; i++) {
    if (at + <usize>i >= end) {
      decodedCode = INVALID;
      decodedLength = i;
      return false;
    }
    const byte = <u32>load<u8>(at + <usize>i);
    if (byte < lower || byte > upper) {
      // The byte that broke the sequence is read again as the start of the next one.
      decodedCode = INVALID;
      decodedLength = i;
      return true;
    }
    lower = 0x80;
    upper = 0xbf;
    code = (code << 6) | (byte & 0x3f);
  }
  decodedCode = code;
  decodedLength = needed + 1;
  return true;
}

// An SGR sequence at `at` (which holds ESC) within [at, end): its length, 0 when the bytes there
// are not one, -1 when they are an unfinished one reaching `end`.
function sgrLength(at: usize, end: usize): i32 {
  if (at + 1 >= end) return -1;
  if (load<u8>(at + 1) != 0x5b) return 0; // [
  let p = at + 2;
  let count: u32 = 0;
  while (p < end && count < SGR_PARAMS_MAX && isSgrParam(<u32>load<u8>(p))) {
    p++;
    count++;
  }
  if (p == end) return -1;
  return load<u8>(p) == 0x6d ? <i32>(p + 1 - at) : 0; // m
}

// Writes the terminal-safe form of [src, src + n) at sanitizeOutput; returns its length.
export function sanitizeText(src: usize, len: i32, flags: u32): i32 {
  // A refused call consumed nothing.
  sanitizeConsumed = 0;
  if (len < 0 || len > SANITIZE_INPUT_MAX) return ERR_RANGE;
  const n = <u32>len;
  // In 64 bits: an address near 4 GiB plus the length must not wrap round.
  if (<u64>src + <u64>n > (<u64>memory.size()) << 16) return ERR_RANGE;
  const end = src + <usize>n;
  const outEnd = sanitizeOutput + <usize>SANITIZE_OUTPUT_MAX;
  if (n > 0 && src < outEnd && end > sanitizeOutput) return ERR_RANGE; // the output would overwrite it
  const colours = (flags & SANITIZE_COLOURS) != 0;
  const more = (flags & SANITIZE_MORE) != 0;
  w = sanitizeOutput;
  let i = src;
  while (i < end) {
    const byte = <u32>load<u8>(i);
    if (byte == ESC && colours) {
      const length = sgrLength(i, end);
      if (length < 0 && more) break;
      if (length > 0) {
        const keep = onlyColours(i + 2, i + <usize>length - 1);
        if (keep) put(ESC);
        else putVisible(ESC);
        memory.copy(w, i + 1, <usize>length - 1);
        w += <usize>length - 1;
        i += <usize>length;
        continue;
      }
      putVisible(ESC);
      i++;
    } else if (byte < 0x80) {
      if (isUnsafeAscii(byte)) putVisible(byte);
      else put(byte);
      i++;
    } else {
      if (!decodeAt(i, end) && more) break;
      const code = decodedCode;
      const length = decodedLength;
      if (code == INVALID) {
        // U+FFFD, as TextDecoder replaces it.
        put(0xef);
        put(0xbf);
        put(0xbd);
      } else if (isUnsafeCode(code)) {
        putVisible(code);
      } else {
        memory.copy(w, i, <usize>length);
        w += <usize>length;
      }
      i += <usize>length;
    }
  }
  sanitizeConsumed = <u32>(i - src);
  return <i32>(w - sanitizeOutput);
}
