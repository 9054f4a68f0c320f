import assert from 'node:assert/strict';
import { capture, enc } from './helpers.js';

describe('snapshot', () => {
  it('is the whole stream when nothing was dropped, as a terminal shows it', () => {
    using c = capture();
    c.write(enc('start\r\ncopy  0%\rcopy 50%\rcopy 100%\ndone\n'));
    const snap = c.snapshot();
    assert.equal(snap.text, 'start\ncopy 100%\ndone\n');
    assert.equal(snap.omittedBytes, 0);
    assert.equal(snap.bytesSeen, 40);
  });

  it('keeps a progress meter shown when a trailing CR is all that follows it', () => {
    using c = capture();
    c.write(enc('50%\r'));
    assert.equal(c.snapshot().text, '50%');
  });

  it('keeps the head and the newest tail, and counts the omitted middle', () => {
    using c = capture({ capacity: 1024, headSize: 64 });
    const lines = Array.from({ length: 500 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`);
    c.write(enc(lines.join('')));
    const snap = c.snapshot();
    // The head ends at its last line break; the tail starts at its first one.
    assert.equal(snap.head, lines.slice(0, 7).join(''));
    assert.ok(snap.tail.endsWith('line 499\n'));
    assert.ok(snap.tail.startsWith('line '));
    const shown = snap.head.length + snap.tail.length;
    assert.equal(snap.omittedBytes, 500 * 9 - shown);
    assert.match(snap.text, /^line 000\n[\s\S]*line 006\n\[\.\.\. \d+ bytes of stderr omitted \.\.\.\]\nline \d{3}\n/);
    assert.deepEqual(c.stats, { bytesSeen: 4500, bytesDropped: 4500 - 1024 - 64 });
  });

  it('starts at a UTF-8 boundary after the ring wraps at any offset of a character', () => {
    for (const ch of ['é', '€', '😀']) {
      for (let shift = 0; shift < 8; shift++) {
        using c = capture({ capacity: 64, headSize: 0 });
        c.write(enc('x'.repeat(shift) + ch.repeat(60)));
        const snap = c.snapshot();
        assert.ok(!snap.tail.includes('\uFFFD'), `${ch} shifted ${shift}: ${snap.tail}`);
        assert.equal(snap.omittedBytes + snap.tailBytes.length, snap.bytesSeen);
      }
    }
  });

  it('starts at a line boundary when one lies near the cut, not when it is far', () => {
    // With a 256-byte ring, "near" is within 64 bytes (a quarter of the ring, at most 1 KiB).
    using near = capture({ capacity: 256, headSize: 0 });
    near.write(enc('a'.repeat(130) + '\n' + 'c'.repeat(200) + '\nlast line\n'));
    assert.equal(near.snapshot().tail, 'c'.repeat(200) + '\nlast line\n');
    using far = capture({ capacity: 256, headSize: 0 });
    far.write(enc('a'.repeat(200) + '\n' + 'b'.repeat(150) + '\nend\n'));
    assert.equal(far.snapshot().tail, 'a'.repeat(100) + '\n' + 'b'.repeat(150) + '\nend\n');
  });

  it('is still there after close, and so are the stats', () => {
    const c = capture();
    c.write(enc('Permission denied (publickey).\n'));
    c.close();
    assert.equal(c.snapshot().text, 'Permission denied (publickey).\n');
    assert.equal(c.stats.bytesSeen, 31);
  });

  it('never throws on invalid UTF-8: bytes are kept, text has replacement characters', () => {
    using c = capture();
    c.write(Uint8Array.of(0xff, 0xfe, 0x41, 0x0a));
    const snap = c.snapshot();
    assert.deepEqual([...snap.tailBytes], [0xff, 0xfe, 0x41, 0x0a]);
    assert.equal(snap.text, '\uFFFD\uFFFDA\n');
  });
});
