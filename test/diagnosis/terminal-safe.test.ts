import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StderrCapture } from '../../host/core/capture.js';
import { plainText, terminalSafe } from '../../host/terminal-safe.js';
import { CONTROL_CHARACTERS } from '../helpers/terminal.js';

const SEED = Number(process.env.RSH_TERMINAL_SEED ?? Date.now() % 2 ** 31);

describe('terminal-safe text', () => {
  const cases: [string, string, string][] = [
    ['OSC set-title ended by BEL', 'denied\x1b]0;all good\x07', 'denied^[]0;all good^G'],
    ['OSC ended by ST', '\x1b]8;;http://x\x1b\\link', '^[]8;;http://x^[\\link'],
    ['CSI cursor moves', 'a\x1b[2A\x1b[10;20Hb', 'a^[[2A^[[10;20Hb'],
    ['erase screen and line', '\x1b[2J\x1b[Kclean', '^[[2J^[[Kclean'],
    ['BEL and backspace', 'ding\x07\b\b', 'ding^G^H^H'],
    ['a lone CR', 'Permission denied\rall good', 'Permission denied^Mall good'],
    ['NUL and DEL', 'a\x00b\x7f', 'a^@b^?'],
    ['C1 controls (CSI and OSC as one character)', 'x\u009b2Jy\u009d0;t\u009c', 'xM-^[2JyM-^]0;tM-^\\'],
    ['bidi override and isolates (Trojan Source)', 'abc\u202Efed\u2066x\u2069', 'abc<U+202E>fed<U+2066>x<U+2069>'],
    ['Unicode line separators', 'a\u2028b\u2029c', 'a<U+2028>b<U+2029>c'],
    ['newline and tab kept', 'a\tb\nc', 'a\tb\nc'],
    ['plain UTF-8 kept', 'héllo ✓ 日本', 'héllo ✓ 日本'],
    ['SGR without colours allowed', '\x1b[1;31mred\x1b[0m', '^[[1;31mred^[[0m'],
  ];
  for (const [what, input, shown] of cases) {
    it(`${what}: shown visibly`, () => {
      assert.equal(terminalSafe(input), shown);
      assert.doesNotMatch(terminalSafe(input), CONTROL_CHARACTERS);
    });
  }

  it('lets SGR colour sequences through when colours are allowed, and nothing else', () => {
    assert.equal(terminalSafe('\x1b[1;31mred\x1b[0m', { colours: true }), '\x1b[1;31mred\x1b[0m');
    assert.equal(terminalSafe('\x1b[38:5:196mx\x1b[m', { colours: true }), '\x1b[38:5:196mx\x1b[m');
    assert.equal(terminalSafe('\x1b[31m\x1b]0;t\x07\x1b[2J', { colours: true }), '\x1b[31m^[]0;t^G^[[2J');
  });

  it('shows a lone ESC or a bidi control that follows an SGR sequence as such, whatever came before', () => {
    // s390x's Node handed the replace callback '' for the SGR group of these later matches.
    assert.equal(terminalSafe('\x1b[107;;9;97m\x1b', { colours: true }), '^[[107;;9;97m^[');
    assert.equal(terminalSafe('\x1b[107;;9;97m\u200e'), '^[[107;;9;97m<U+200E>');
    assert.equal(terminalSafe('\x1b[31mred\x1b[0m\x1b\u202e', { colours: true }), '\x1b[31mred\x1b[0m^[<U+202E>');
  });

  it('shows invalid UTF-8 as replacement characters in a snapshot, and keeps the raw bytes', () => {
    const capture = new StderrCapture();
    const raw = Uint8Array.from([0x6f, 0x6b, 0xff, 0xc3, 0x28, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]);
    capture.write(raw);
    capture.end();
    const snapshot = capture.snapshot();
    assert.equal(snapshot.text, 'ok\ufffd\ufffd(^[[2J\n');
    assert.deepEqual([...snapshot.tailBytes], [...raw]);
    capture.close();
  });

  it('a CR overwrite of a diagnostic leaves the visible state in the snapshot, safe', () => {
    const capture = new StderrCapture();
    capture.write(new TextEncoder().encode('Permission denied (publickey).\r\x1b]0;pwned\x07\x1b[2Jall good\n'));
    capture.end();
    assert.equal(capture.snapshot().text, '^[]0;pwned^G^[[2Jall good\n');
    capture.close();
  });

  it(`never leaves a control character, and is idempotent (fast-check, seed ${SEED})`, () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\x1b', '[', '3', '1', ';', 'm', ']', '\x07', '\r', '\n', '\t', '\u009b', '\u202e'),
        fc.string({ unit: 'binary', maxLength: 1 }),
      ),
    });
    fc.assert(
      fc.property(text, fc.boolean(), (input, colours) => {
        const safe = terminalSafe(input, { colours });
        const withoutSgr = colours ? safe.replace(/\x1b\[[0-9;:]*m/g, '') : safe;
        assert.doesNotMatch(withoutSgr, CONTROL_CHARACTERS);
        assert.equal(terminalSafe(safe, { colours }), safe);
        assert.doesNotMatch(plainText(input), CONTROL_CHARACTERS);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('plainText removes whole escape sequences, for matching', () => {
    assert.equal(plainText('\x1b[31mPermission denied\x1b[0m\r'), 'Permission denied');
    assert.equal(plainText('\x1b]0;title\x07ssh: connect'), 'ssh: connect');
  });
});
