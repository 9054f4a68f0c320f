// A line callback that throws, writes back into its capture, or closes it: no line is lost or
// overwritten, the capture stays usable, and the caller hears of the failure. For both forms of
// the callback (onLine, onLines), with rounds of two frames so that a batch spans many rounds.

import assert from 'node:assert/strict';
import { StderrCapture, type StderrCaptureOptions, type StderrLine } from '../../host/core/index.js';
import { enc, shape } from './helpers.js';

const geometry = { framesMax: 2 };
const INPUT = enc('a\rb\rc\rd\re\rf\r');
const EXPECTED = ['a', 'b', 'c', 'd', 'e'];

type Form = 'onLine' | 'onLines';

/** A capture whose callback, in either form, calls `each` for every line. */
function captureWith(form: Form, each: (line: StderrLine, capture: StderrCapture) => void): StderrCapture {
  // The callbacks run only once the capture exists, so they may name it.
  const capture: StderrCapture = new StderrCapture(
    form === 'onLine'
      ? { geometry, onLine: (line) => each(line, capture) }
      : {
          geometry,
          onLines: (batch) => {
            for (const line of batch) each(line, capture);
          },
        },
  );
  return capture;
}

describe('line callbacks that throw, write back or close', () => {
  for (const form of ['onLine', 'onLines'] as const) {
    it(`${form}: a callback that throws still gets every line, and write() then throws its first exception`, () => {
      const seen: string[] = [];
      const refuse = (texts: string[]): never => {
        seen.push(...texts);
        throw new Error(`refused ${texts[0]}`);
      };
      const options: StderrCaptureOptions =
        form === 'onLine'
          ? { geometry, onLine: (line) => refuse([line.text]) }
          : { geometry, onLines: (batch) => refuse([...batch].map((l) => l.text)) };
      using capture = new StderrCapture(options);
      assert.throws(() => capture.write(INPUT), { message: 'refused a' });
      assert.deepEqual(seen, EXPECTED);
      // Nothing is left half-framed: the capture takes more, and the next byte ends f's line.
      seen.length = 0;
      assert.throws(() => capture.write(enc('\n')), { message: 'refused f' });
      assert.deepEqual(seen, ['f']);
      assert.equal(capture.stats.bytesSeen, INPUT.length + 1);
    });

    it(`${form}: a write back from the callback is refused before it touches the batch being framed`, () => {
      const seen: [string, string, string][] = [];
      const refused: string[] = [];
      using capture = captureWith(form, (line, c) => {
        seen.push(shape(line));
        if (line.text !== 'b') return;
        for (const call of [() => c.write(enc('ZZZZZZZZ\n')), () => c.flush(), () => c.end()]) {
          try {
            call();
          } catch (err) {
            refused.push((err as Error).message);
          }
        }
      });
      capture.write(INPUT);
      assert.deepEqual(refused, [
        'cannot write from a line callback of the same capture: the lines of the last batch are still being handed out',
        'cannot flush from a line callback of the same capture: the lines of the last batch are still being handed out',
        'cannot end from a line callback of the same capture: the lines of the last batch are still being handed out',
      ]);
      assert.deepEqual(
        seen,
        EXPECTED.map((text) => ['progress', text, '\r']),
      );
      // Outside the callback, the capture goes on.
      assert.deepEqual(capture.write(enc('\n')), []);
      assert.deepEqual(seen.at(-1), ['line', 'f', '\r\n']);
    });

    it(`${form}: close() from the callback takes effect once the batch is handed out`, () => {
      const seen: string[] = [];
      const capture = captureWith(form, (line, c) => {
        seen.push(line.text);
        if (line.text === 'b') c.close();
      });
      assert.doesNotThrow(() => capture.write(INPUT));
      assert.equal(capture.closed, true);
      // The first round (two frames) is handed out whole; none after it.
      assert.deepEqual(seen, ['a', 'b']);
      assert.equal(capture.snapshot().bytesSeen, INPUT.length, 'the bytes of the batch were taken');
      assert.throws(() => capture.write(enc('more\n')), { message: 'cannot write: the capture is closed' });
    });
  }
});
