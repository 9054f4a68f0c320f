// The core's sanitize() against the TypeScript host's terminalSafe(): the same bytes for the same
// text, so that a host without JavaScript shows what this one shows.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { endianness } from 'node:os';
import { instantiateCore, type CoreExports } from '../../host/core/abi.js';
import { SANITIZE_FLAGS, SANITIZE_HOLD_MAX, SANITIZE_INPUT_MAX, SANITIZE_OUTPUT_MAX } from '../../host/core/abi-constants.js';
import { terminalSafe } from '../../host/terminal-safe.js';

const SEED = Number(process.env.RSH_SANITIZE_SEED ?? Date.now() % 2 ** 31);
const ERR_RANGE = -5;
const ERR_NOT_INITIALISED = -6;

function core(): CoreExports {
  const exports = instantiateCore();
  assert.equal(exports.init(2, 0, 0, 0, 0, 0), 0);
  return exports;
}

/** UTF-8 decoded as the Encoding Standard says and TextDecoder does (a BOM kept): each maximal
 * invalid subpart, and an unfinished sequence at the end, becomes one U+FFFD. The test's own,
 * held to TextDecoder below where Node's is right: Node 20.11 on big-endian s390x misdecodes
 * (E2 80 8E came back as another character), and the core must be held there too. */
function decodeUtf8(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      out += String.fromCharCode(lead);
      i++;
      continue;
    }
    let need: number;
    let lower = 0x80;
    let upper = 0xbf;
    let codePoint: number;
    if (lead >= 0xc2 && lead <= 0xdf) [need, codePoint] = [1, lead & 0x1f];
    else if (lead >= 0xe0 && lead <= 0xef)
      [need, codePoint, lower, upper] = [2, lead & 0x0f, lead === 0xe0 ? 0xa0 : 0x80, lead === 0xed ? 0x9f : 0xbf];
    else if (lead >= 0xf0 && lead <= 0xf4)
      [need, codePoint, lower, upper] = [3, lead & 0x07, lead === 0xf0 ? 0x90 : 0x80, lead === 0xf4 ? 0x8f : 0xbf];
    else {
      out += '\ufffd';
      i++;
      continue;
    }
    let j = i + 1;
    let complete = true;
    for (let k = 0; k < need; k++, j++) {
      const next = bytes[j];
      if (j >= bytes.length || next < lower || next > upper) {
        complete = false;
        break;
      }
      [lower, upper] = [0x80, 0xbf];
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    // An incomplete sequence ends before the byte that broke it, which is read again.
    out += complete ? String.fromCodePoint(codePoint) : '\ufffd';
    i = j;
  }
  return out;
}

/** A string's UTF-8 bytes (the test's own, for the same reason; it holds no lone surrogate). */
function encodeUtf8(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(bytes);
}

/** What the TypeScript host shows: the bytes decoded as its snapshots decode them, made safe. */
function reference(bytes: Uint8Array, colours: boolean): Buffer {
  return encodeUtf8(terminalSafe(decodeUtf8(bytes), { colours }));
}

function sanitizeOnce(c: CoreExports, bytes: Uint8Array, flags: number): { out: Buffer; consumed: number } {
  new Uint8Array(c.memory.buffer).set(bytes, c.sanitize_input_ptr());
  const length = c.sanitize(c.sanitize_input_ptr(), bytes.length, flags);
  assert.ok(length >= 0, `sanitize returned ${length}`);
  const at = c.sanitize_output_ptr();
  return { out: Buffer.from(new Uint8Array(c.memory.buffer, at, length)), consumed: c.sanitize_consumed() };
}

/** The text given in pieces cut at `cuts`, each but the last with SANITIZE_MORE, what was held
 * back passed again in front of the next one. */
function sanitizeInPieces(c: CoreExports, bytes: Uint8Array, cuts: number[], colours: boolean): Buffer {
  const flags = colours ? SANITIZE_FLAGS.COLOURS : 0;
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length);
  const out: Buffer[] = [];
  let held = new Uint8Array(0);
  let start = 0;
  ends.forEach((end, i) => {
    if (end < start) return;
    const last = i === ends.length - 1;
    const piece = Buffer.concat([held, bytes.subarray(start, end)]);
    const result = sanitizeOnce(c, piece, last ? flags : flags | SANITIZE_FLAGS.MORE);
    assert.ok(piece.length - result.consumed <= SANITIZE_HOLD_MAX, `held back ${piece.length - result.consumed} bytes`);
    if (last) assert.equal(result.consumed, piece.length);
    out.push(result.out);
    held = piece.subarray(result.consumed);
    start = end;
  });
  return Buffer.concat(out);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// Pieces that meet every rule: escape sequences and their parameters, C0, C1 and bidi controls,
// valid UTF-8 of every length, and invalid or unfinished sequences of each kind.
const FRAGMENTS = [
  '\x1b',
  '[',
  ']',
  'm',
  ';',
  ':',
  '0',
  '1',
  '2',
  '5',
  '8',
  '31',
  '38',
  '48',
  '58',
  '255',
  '256',
  '0007',
  '\x07',
  '\r',
  '\n',
  '\t',
  '\x00',
  '\x7f',
  '\u0085',
  '\u009b',
  '\u009f',
  '\u00a0',
  '\u061c',
  '\u200e',
  '\u2028',
  '\u202e',
  '\u2066',
  '\u2069',
  '\ufeff',
  '\ufffd',
  'é',
  '日',
  '😀',
  'ok ',
].map((text) => Buffer.from(text, 'utf8'));
const INVALID = [
  [0xff],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xe0, 0x80],
].map((bytes) => Buffer.from(bytes));

// SGR sequences of parameters near every boundary of the colour rules.
const PARAMETERS = [
  '',
  '0',
  '1',
  '2',
  '5',
  '6',
  '7',
  '8',
  '9',
  '21',
  '29',
  '30',
  '37',
  '38',
  '39',
  '40',
  '48',
  '49',
  '58',
  '59',
  '60',
  '90',
  '97',
  '98',
  '100',
  '107',
  '108',
  '196',
  '255',
  '256',
  '0007',
  '1000',
];
const sgrArb = fc
  .array(fc.tuple(fc.constantFrom(...PARAMETERS), fc.constantFrom(';', ':')), { maxLength: 7 })
  .map((words) => Buffer.from(`\x1b[${words.map(([word, separator], i) => (i === 0 ? word : separator + word)).join('')}m`));

const textArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
      { weight: 2, arbitrary: sgrArb },
      fc.constantFrom(...INVALID),
      fc.uint8Array({ maxLength: 3 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

describe('core sanitize(), against terminalSafe()', () => {
  const cases: [string, string, boolean, string][] = [
    ['OSC set-title ended by BEL', 'denied\x1b]0;all good\x07', false, 'denied^[]0;all good^G'],
    ['CSI cursor moves and erase', 'a\x1b[2A\x1b[10;20Hb\x1b[2J', false, 'a^[[2A^[[10;20Hb^[[2J'],
    ['a lone CR, NUL and DEL', 'denied\rall good\x00\x7f', false, 'denied^Mall good^@^?'],
    ['C1 controls', 'x\u009b2Jy\u009d0;t\u009c', false, 'xM-^[2JyM-^]0;tM-^\\'],
    ['bidi and line separators', 'abc\u202efed\u2066x\u2069\u2028\u061c', false, 'abc<U+202E>fed<U+2066>x<U+2069><U+2028><U+061C>'],
    ['newline, tab, UTF-8 kept', 'a\tb\nhéllo ✓ 日本 😀', false, 'a\tb\nhéllo ✓ 日本 😀'],
    ['SGR without colours', '\x1b[1;31mred\x1b[0m', false, '^[[1;31mred^[[0m'],
    [
      'SGR with colours',
      '\x1b[1;31mred\x1b[38:5:196mx\x1b[38;2;1;2;3my\x1b[m',
      true,
      '\x1b[1;31mred\x1b[38:5:196mx\x1b[38;2;1;2;3my\x1b[m',
    ],
    ['SGR that conceals or blinks', '\x1b[8mhidden\x1b[5mblink\x1b[38;5;256m', true, '^[[8mhidden^[[5mblink^[[38;5;256m'],
    ['other sequences with colours on', '\x1b[31m\x1b]0;t\x07\x1b[2J', true, '\x1b[31m^[]0;t^G^[[2J'],
  ];
  for (const [what, input, colours, shown] of cases) {
    it(`${what}: ${JSON.stringify(shown)}`, () => {
      const c = core();
      const bytes = new Uint8Array(Buffer.from(input, 'utf8'));
      const { out, consumed } = sanitizeOnce(c, bytes, colours ? SANITIZE_FLAGS.COLOURS : 0);
      assert.equal(out.toString('utf8'), shown);
      assert.equal(consumed, bytes.length);
      assert.equal(out.toString('utf8'), terminalSafe(input, { colours }));
    });
  }

  it('replaces invalid UTF-8 as TextDecoder does, one U+FFFD per maximal invalid subpart', () => {
    const c = core();
    for (const bytes of [...INVALID, Buffer.from([0x61, 0xe2, 0x28, 0xa1]), Buffer.from([0xf0, 0x80, 0x80, 0x80])]) {
      assert.equal(hex(sanitizeOnce(c, new Uint8Array(bytes), 0).out), hex(reference(new Uint8Array(bytes), false)), hex(bytes));
    }
  });

  it(`the test's UTF-8 decoder and encoder are Node's, for any bytes (fast-check, seed ${SEED})`, function () {
    if (endianness() === 'BE') this.skip(); // Node's TextDecoder is the one that is wrong there
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    fc.assert(
      fc.property(fc.oneof(textArb, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        const text = decodeUtf8(bytes);
        assert.equal(text, decoder.decode(bytes), hex(bytes));
        assert.equal(hex(encodeUtf8(text)), hex(Buffer.from(text, 'utf8')), hex(bytes));
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it(`gives terminalSafe()'s bytes for any text, with and without colours (fast-check, seed ${SEED})`, () => {
    const c = core();
    fc.assert(
      fc.property(textArb, fc.boolean(), (bytes, colours) => {
        const { out } = sanitizeOnce(c, bytes, colours ? SANITIZE_FLAGS.COLOURS : 0);
        assert.equal(hex(out), hex(reference(bytes, colours)));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it(`gives the same bytes for text cut anywhere into pieces, holding back at most ${SANITIZE_HOLD_MAX} (fast-check, seed ${SEED})`, () => {
    const c = core();
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (bytes, cuts, colours) => {
        assert.equal(hex(sanitizeInPieces(c, bytes, cuts, colours)), hex(reference(bytes, colours)));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('holds back an unfinished SGR sequence of 64 parameters, and lets the next byte decide', () => {
    const c = core();
    const open = new Uint8Array(Buffer.from(`\x1b[${'1'.repeat(64)}`));
    const held = sanitizeOnce(c, open, SANITIZE_FLAGS.COLOURS | SANITIZE_FLAGS.MORE);
    assert.equal(held.consumed, 0);
    assert.equal(held.out.length, 0);
    assert.equal(SANITIZE_HOLD_MAX, open.length);
    // 65 parameters are no SGR sequence: the ESC is shown, the rest is text.
    const long = new Uint8Array(Buffer.from(`\x1b[${'1'.repeat(65)}m`));
    assert.equal(sanitizeOnce(c, long, SANITIZE_FLAGS.COLOURS).out.toString(), `^[[${'1'.repeat(65)}m`);
  });

  it('sanitises a frame where it lies in the capture, without a copy', () => {
    const c = core();
    const h = c.capture_open();
    const line = Buffer.from('Permission denied\x1b]0;pwned\x07 (publickey).\n');
    new Uint8Array(c.memory.buffer).set(line, c.staging_ptr(h));
    assert.equal(c.commit(h, line.length), 1);
    const view = new DataView(c.memory.buffer);
    const ptr = view.getUint32(c.frames_ptr(h), true);
    const length = view.getUint32(c.frames_ptr(h) + 4, true) & 0xffffff;
    const n = c.sanitize(ptr, length, 0);
    assert.equal(
      Buffer.from(new Uint8Array(c.memory.buffer, c.sanitize_output_ptr(), n)).toString(),
      'Permission denied^[]0;pwned^G (publickey).',
    );
  });

  it(`fits the worst case in its output: ${SANITIZE_INPUT_MAX} bytes give at most ${SANITIZE_OUTPUT_MAX}`, () => {
    const c = core();
    const worst = new Uint8Array(Buffer.from('\u061c'.repeat(SANITIZE_INPUT_MAX / 2)));
    assert.equal(worst.length, SANITIZE_INPUT_MAX);
    assert.equal(sanitizeOnce(c, worst, 0).out.length, SANITIZE_OUTPUT_MAX);
    assert.equal(sanitizeOnce(c, new Uint8Array(SANITIZE_INPUT_MAX).fill(0xff), 0).out.length, 3 * SANITIZE_INPUT_MAX);
  });

  it('refuses input it cannot take with ERR_RANGE, and works only after init', () => {
    const fresh = instantiateCore();
    assert.equal(fresh.sanitize(0, 0, 0), ERR_NOT_INITIALISED);
    assert.equal(fresh.sanitize_input_ptr(), ERR_NOT_INITIALISED);
    const c = core();
    const input = c.sanitize_input_ptr();
    assert.equal(c.sanitize(input, SANITIZE_INPUT_MAX + 1, 0), ERR_RANGE);
    assert.equal(c.sanitize(input, -1, 0), ERR_RANGE);
    assert.equal(c.sanitize(-1, 1, 0), ERR_RANGE);
    assert.equal(c.sanitize(c.memory.buffer.byteLength - 4, 8, 0), ERR_RANGE, 'beyond memory');
    assert.equal(c.sanitize(c.sanitize_output_ptr() + 10, 10, 0), ERR_RANGE, 'inside the output area');
    assert.equal(c.sanitize(c.sanitize_output_ptr() - 5, 10, 0), ERR_RANGE, 'overlapping the output area');
    new Uint8Array(c.memory.buffer).set(Buffer.from('abcde'), c.sanitize_output_ptr() - 5);
    assert.equal(c.sanitize(c.sanitize_output_ptr() - 5, 5, 0), 5, 'right before it');
    assert.equal(c.sanitize(input, 0, 0), 0);
    assert.equal(c.sanitize_consumed(), 0);
    // A refused call consumed nothing, whatever the last one did.
    new Uint8Array(c.memory.buffer).set(Buffer.from('abc'), input);
    assert.equal(c.sanitize(input, 3, 0), 3);
    assert.equal(c.sanitize_consumed(), 3);
    assert.equal(c.sanitize(input, -1, 0), ERR_RANGE);
    assert.equal(c.sanitize_consumed(), 0);
  });
});
