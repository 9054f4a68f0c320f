// StderrCapture's batch callback (onLines): the same lines as the per-line form, in the same
// order, one call per round, in arrays the batch owns.
//
// The property is seeded: fast-check prints the seed and the counterexample on failure. Replay
// with RSH_BATCH_SEED=<seed>; more runs with RSH_BATCH_RUNS=<n>.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameKind, StderrCapture, type StderrLine, type StderrLineBatch } from '../../host/core/index.js';
import { enc, shape } from './helpers.js';

type Step = { op: 'write'; bytes: Uint8Array } | { op: 'flush' };

/** What a step gives through onLines, flattened, and through the list form. */
function both(geometry: { lineMax: number; stagingSize: number }, steps: Step[]) {
  const batched: StderrLine[] = [];
  const batches: StderrLineBatch[] = [];
  const withBatches = new StderrCapture({
    lineMax: geometry.lineMax,
    geometry: { stagingSize: geometry.stagingSize },
    onLines: (batch) => {
      batches.push(batch);
      batched.push(...batch);
    },
  });
  const listed = new StderrCapture({ lineMax: geometry.lineMax, geometry: { stagingSize: geometry.stagingSize } });
  const list: StderrLine[] = [];
  for (const step of steps) {
    if (step.op === 'write') {
      assert.deepEqual(withBatches.write(step.bytes), [], 'write() returns no line with onLines');
      list.push(...listed.write(step.bytes));
    } else {
      withBatches.flush();
      list.push(...listed.flush());
    }
  }
  withBatches.end();
  list.push(...listed.end());
  withBatches.close();
  listed.close();
  return { batched, list, batches };
}

const alphabet = [0x0a, 0x0d, 0x61, 0x62, 0x20, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x09, 0x00];
const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => b.map((x) => alphabet[x % alphabet.length])),
  fc.integer({ min: 1, max: 200 }).map((n) => enc(`${'x'.repeat(n)}\n`.repeat(8))),
  fc.integer({ min: 100, max: 5000 }).map((n) => enc('y'.repeat(n))),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: chunk.map((bytes) => ({ op: 'write' as const, bytes })) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
);

describe('StderrCapture onLines (the batch form)', () => {
  it('gives the lines the list form gives, in order, for random streams, chunkings and geometries', () => {
    const seed = process.env.RSH_BATCH_SEED === undefined ? undefined : Number(process.env.RSH_BATCH_SEED);
    fc.assert(
      fc.property(
        fc.constantFrom(128, 200, 4096),
        fc.constantFrom(4096, 65536),
        fc.array(stepArb, { maxLength: 40 }),
        (lineMax, stagingSize, steps) => {
          const { batched, list, batches } = both({ lineMax, stagingSize }, steps);
          assert.deepEqual(batched.map(shape), list.map(shape));
          assert.deepEqual(
            batched.map((l) => [...l.bytes]),
            list.map((l) => [...l.bytes]),
          );
          for (const batch of batches) {
            // The offsets lie in the batch's own bytes, in order, and the kinds are frame kinds.
            for (let i = 0; i < batch.length; i++) {
              const [start, end] = [batch.offsets[2 * i], batch.offsets[2 * i + 1]];
              assert.ok(start <= end && end <= batch.bytes.length && (i === 0 || start >= batch.offsets[2 * i - 1]));
              assert.ok(FrameKind.LF <= batch.kinds[i] && batch.kinds[i] <= FrameKind.PARTIAL);
            }
          }
        },
      ),
      { seed, numRuns: Number(process.env.RSH_BATCH_RUNS ?? 300) },
    );
  });

  it('calls once per round, with every line of a run of short lines in one batch', () => {
    const lengths: number[] = [];
    const texts: string[] = [];
    using c = new StderrCapture({
      onLines: (batch) => {
        lengths.push(batch.length);
        for (let i = 0; i < batch.length; i++) texts.push(batch.textOf(i));
      },
    });
    const lines = Array.from({ length: 50_000 }, (_, i) => String(i % 1000));
    c.write(enc(lines.map((l) => `${l}\n`).join('')));
    // Past every scratch array's first size: what was copied over on growth is still right.
    assert.deepEqual(texts, lines);
    assert.ok(lengths.length < 10, `${lengths.length} calls for one write`);
    assert.ok(Math.max(...lengths) > 1024, 'a batch larger than the first scratch space');
  });

  it('hands out arrays the batch owns: a batch kept after the call still holds its lines', () => {
    const kept: StderrLineBatch[] = [];
    using c = new StderrCapture({ onLines: (batch) => kept.push(batch) });
    c.write(enc('first\r\nsecond\rthird\n'));
    c.write(enc('fourth\n'.repeat(1000)));
    c.write(enc('z'.repeat(5000)));
    c.end();
    const [first] = kept;
    assert.deepEqual([...first].map(shape), [
      ['line', 'first', '\r\n'],
      ['progress', 'second', '\r'],
      ['line', 'third', '\n'],
    ]);
    assert.deepEqual([...first.kinds], [FrameKind.CRLF, FrameKind.CR, FrameKind.LF]);
    assert.deepEqual([...first.offsets], [0, 5, 5, 11, 11, 16]);
    assert.equal(new TextDecoder().decode(first.bytes), 'firstsecondthird');
    const all = kept.flatMap((b) => [...b]).map((l) => l.kind);
    assert.equal(all.filter((k) => k === 'cut').length, 1);
    assert.equal(all.at(-1), 'partial', 'the last 904 bytes, emitted at end()');
  });

  it('makes no call for a round that completes no line', () => {
    let calls = 0;
    using c = new StderrCapture({ onLines: () => calls++ });
    c.write(enc('no end yet'));
    assert.equal(calls, 0);
    c.flush();
    assert.equal(calls, 1, 'flush() emits the partial line');
  });

  it('refuses onLine beside onLines, and an onLines that is not a function', () => {
    assert.throws(() => new StderrCapture({ onLine: () => {}, onLines: () => {} }), {
      name: 'TypeError',
      message: 'onLine and onLines are two forms of the same callback: give one',
    });
    assert.throws(() => new StderrCapture({ onLines: 'yes' as never }), { name: 'TypeError', message: 'onLines must be a function' });
  });

  it('says which line is missing when asked for one out of range', () => {
    let batch: StderrLineBatch | undefined;
    using c = new StderrCapture({ onLines: (b) => (batch = b) });
    c.write(enc('one\n'));
    assert.equal(batch!.textOf(0), 'one');
    for (const i of [1, -1, 0.5]) assert.throws(() => batch!.bytesOf(i), { name: 'RangeError', message: `no line ${i} in a batch of 1` });
  });
});
