import assert from 'node:assert/strict';
import { capture, enc, reassemble, shape } from './helpers.js';

describe('framer', () => {
  it('ends a line at LF', () => {
    using c = capture();
    assert.deepEqual(c.write(enc('one\ntwo\n')).map(shape), [
      ['line', 'one', '\n'],
      ['line', 'two', '\n'],
    ]);
  });

  it('ends a line at CRLF without the CR in its content', () => {
    using c = capture();
    assert.deepEqual(c.write(enc('dos\r\n')).map(shape), [['line', 'dos', '\r\n']]);
  });

  it('treats a lone CR followed by text as a progress segment the next one replaces', () => {
    using c = capture();
    assert.deepEqual(c.write(enc(' 10%\r 55%\r100%\n')).map(shape), [
      ['progress', ' 10%', '\r'],
      ['progress', ' 55%', '\r'],
      ['line', '100%', '\n'],
    ]);
  });

  it('waits for the byte after a batch-final CR to tell CRLF from a lone CR', () => {
    using c = capture();
    assert.deepEqual(c.write(enc('half\r')), []);
    assert.deepEqual(c.write(enc('\nnext\r')).map(shape), [['line', 'half', '\r\n']]);
    assert.deepEqual(c.write(enc('x')).map(shape), [['progress', 'next', '\r']]);
  });

  it('frames a CR storm of 100,000 progress updates one by one and shows only the last', () => {
    using c = capture();
    const updates = Array.from({ length: 100_000 }, (_, i) => `\r${(i / 1000).toFixed(1)}%`).join('');
    const lines = c.write(enc(`copying${updates}\n`));
    assert.equal(lines.length, 100_001);
    assert.deepEqual(shape(lines[0]), ['progress', 'copying', '\r']);
    assert.deepEqual(shape(lines[100_000]), ['line', '100.0%', '\n']);
    assert.equal(c.snapshot().tail === '100.0%\n', true);
  });

  it('cuts a line longer than lineMax and continues it, losing no byte', () => {
    using c = capture({ lineMax: 16 });
    const long = 'x'.repeat(40);
    const lines = c.write(enc(`${long}\n`));
    assert.deepEqual(lines.map(shape), [
      ['cut', 'x'.repeat(16), ''],
      ['cut', 'x'.repeat(16), ''],
      ['line', 'x'.repeat(8), '\n'],
    ]);
    assert.deepEqual(reassemble(lines), enc(`${long}\n`));
  });

  it('never cuts a multi-byte character, at any offset against the bound', () => {
    for (const ch of ['é', '€', '😀']) {
      for (let pad = 0; pad < 16; pad++) {
        using c = capture({ lineMax: 16 });
        const text = 'a'.repeat(pad) + ch.repeat(12) + '\n';
        const lines = c.write(enc(text));
        for (const line of lines) assert.ok(!line.text.includes('\uFFFD'), `split ${ch} after ${pad} bytes: ${JSON.stringify(line.text)}`);
        assert.equal(lines.map((l) => l.text + l.terminator).join(''), text);
      }
    }
  });

  it('joins a character split across writes at every offset into one line', () => {
    const text = 'ok 😀 € é\n';
    const bytes = enc(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      using c = capture();
      const lines = [...c.write(bytes.subarray(0, cut)), ...c.write(bytes.subarray(cut))];
      assert.deepEqual(lines.map(shape), [['line', 'ok 😀 € é', '\n']], `cut at ${cut}`);
    }
  });

  it('flushes a partial line on request, holding back an unfinished character', () => {
    using c = capture();
    const euro = enc('€');
    c.write(Buffer.concat([enc('Password: '), euro.subarray(0, 2)]));
    assert.deepEqual(c.flush().map(shape), [['partial', 'Password: ', '']]);
    assert.deepEqual(c.flush(), []);
    assert.deepEqual(c.write(Buffer.concat([euro.subarray(2), enc('\n')])).map(shape), [['line', '€', '\n']]);
  });

  it('flushes whatever is left at the end, a trailing CR as progress', () => {
    using a = capture();
    a.write(enc('no newline'));
    assert.deepEqual(a.end().map(shape), [['partial', 'no newline', '']]);
    using b = capture();
    b.write(enc('50%\r'));
    assert.deepEqual(b.end().map(shape), [['progress', '50%', '\r']]);
    using d = capture();
    d.write(Uint8Array.of(0x61, 0xe2, 0x82));
    assert.deepEqual(
      d.end().map((l) => [...l.bytes]),
      [[0x61, 0xe2, 0x82]],
    );
  });

  it('keeps an idle flush before a CR consistent with the CRLF that follows', () => {
    using c = capture();
    c.write(enc('waiting\r'));
    assert.deepEqual(c.flush().map(shape), [['partial', 'waiting', '']]);
    assert.deepEqual(c.write(enc('\n')).map(shape), [['line', '', '\r\n']]);
  });

  it('passes invalid UTF-8 through as bytes and decodes it with replacement characters', () => {
    using c = capture();
    const [line] = c.write(Uint8Array.of(0x66, 0xff, 0xc0, 0x80, 0x6f, 0x0a));
    assert.deepEqual([...line.bytes], [0x66, 0xff, 0xc0, 0x80, 0x6f]);
    assert.equal(line.text, 'f\uFFFD\uFFFD\uFFFDo');
  });

  it('delivers lines to onLine in order when given, returning none', () => {
    const seen: string[] = [];
    using c = capture({ onLine: (line) => seen.push(line.text) });
    assert.deepEqual(c.write(enc('a\nb\nc')), []);
    c.end();
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('stands for every input byte: frames and terminators reassemble the stream', () => {
    using c = capture({ lineMax: 32 });
    const input = new Uint8Array(200_000);
    let seed = 7;
    for (let i = 0; i < input.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const r = seed >>> 24;
      input[i] = r < 10 ? 0x0a : r < 20 ? 0x0d : r;
    }
    const lines = [];
    for (let at = 0; at < input.length; at += 9973) lines.push(...c.write(input.subarray(at, at + 9973)));
    lines.push(...c.end());
    assert.deepEqual(reassemble(lines), input);
  });

  it('refuses writes after end and after close with a clear error', () => {
    const c = capture();
    c.end();
    assert.throws(() => c.write(enc('x')), /cannot write: the capture has ended/);
    c.close();
    assert.throws(() => c.flush(), /cannot flush: the capture is closed/);
  });
});
