// Model-based fuzzing of the core: random command sequences run against the Wasm module
// (through StderrCapture) and against the reference model, compared after every step.

import fc from 'fast-check';
import assert from 'node:assert/strict';
import { StderrCapture, type StderrLine } from '../../host/core/index.js';
import { CaptureModel, Kind, type ModelFrame } from './model.js';

// A fixed set of geometries keeps the number of core instances small; each is small enough
// to wrap many times in one run, and frames/staging small enough to split rounds and batches.
export const GEOMETRIES = [
  { capacity: 16, headSize: 0, lineMax: 8, stagingSize: 16, framesMax: 1 },
  { capacity: 32, headSize: 5, lineMax: 8, stagingSize: 23, framesMax: 2 },
  { capacity: 64, headSize: 16, lineMax: 13, stagingSize: 17, framesMax: 3 },
  { capacity: 128, headSize: 7, lineMax: 40, stagingSize: 64, framesMax: 4 },
  { capacity: 256, headSize: 64, lineMax: 21, stagingSize: 100, framesMax: 7 },
  { capacity: 512, headSize: 0, lineMax: 64, stagingSize: 31, framesMax: 16 },
  { capacity: 1024, headSize: 100, lineMax: 9, stagingSize: 256, framesMax: 5 },
  { capacity: 4096, headSize: 300, lineMax: 200, stagingSize: 1000, framesMax: 64 },
  // lineMax >= 128 turns on the run scanner; few frames make it stop for room often.
  { capacity: 512, headSize: 32, lineMax: 128, stagingSize: 300, framesMax: 3 },
  { capacity: 2048, headSize: 0, lineMax: 130, stagingSize: 777, framesMax: 9 },
  // Long enough lines for the run scanner to skip plain blocks in bulk.
  { capacity: 4096, headSize: 64, lineMax: 700, stagingSize: 3000, framesMax: 4 },
  { capacity: 8192, headSize: 0, lineMax: 1000, stagingSize: 2500, framesMax: 32 },
] as const;

// Pieces that stress the framer: line ends of each kind, UTF-8 of every length, cut and
// invalid sequences, and long runs that cross lineMax and the ring's capacity.
const piece: fc.Arbitrary<readonly number[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom([0x0a], [0x0d], [0x0d, 0x0a], [0x0d, 0x0d]) },
  { weight: 6, arbitrary: fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom([0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0x9f, 0xbf]) },
  { weight: 2, arbitrary: fc.constantFrom([0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xbf, 0xbf], [0xc0], [0xff], [0xf5, 0x80]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 1, max: 2500 }))
      .map(([b, n]) => new Array<number>(n).fill(b)),
  },
  // Other control bytes (tab, NUL, ...): neither line ends nor ordinary text to a prefilter.
  { weight: 1, arbitrary: fc.array(fc.constantFrom(0x00, 0x07, 0x08, 0x09, 0x0b, 0x0c, 0x1b), { minLength: 1, maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(0x0a, 0x0d), fc.integer({ min: 1, max: 40 })).map(([b, n]) => new Array<number>(n).fill(b)),
  },
  // Lines of a length around the run scanner's block and bound.
  {
    weight: 2,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 260 }), { minLength: 1, maxLength: 8 })
      .map((lengths) => lengths.flatMap((n) => [...new Array<number>(n).fill(0x61), 0x0a])),
  },
);

const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 8, arbitrary: fc.array(piece, { maxLength: 30 }).map((pieces) => Uint8Array.from(pieces.flat())) },
  // Several times the capacity in one write: a batch larger than the ring.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(piece, { minLength: 1, maxLength: 20 }), fc.integer({ min: 2, max: 40 }))
      .map(([pieces, times]) => Uint8Array.from(new Array(times).fill(pieces.flat()).flat())),
  },
);

export type Command =
  | { op: 'write'; target: number; bytes: Uint8Array }
  | { op: 'flush'; target: number }
  | { op: 'end'; target: number }
  | { op: 'snapshot'; target: number };

const CAPTURES = 3;
const target = fc.integer({ min: 0, max: CAPTURES - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('write' as const), target, bytes: bytesArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const), target }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const), target }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('snapshot' as const), target }) },
);

export const scenarioArb = fc.record({
  geometry: fc.integer({ min: 0, max: GEOMETRIES.length - 1 }),
  commands: fc.array(commandArb, { maxLength: 25 }),
});

const KIND_OF_LINE: Record<string, number> = { '\n': Kind.LF, '\r\n': Kind.CRLF, '\r': Kind.CR };

function asModelFrames(lines: StderrLine[]): ModelFrame[] {
  return lines.map((line) => ({
    bytes: line.bytes,
    kind: line.kind === 'cut' ? Kind.CUT : line.kind === 'partial' ? Kind.PARTIAL : KIND_OF_LINE[line.terminator],
  }));
}

interface Pair {
  capture: StderrCapture;
  model: CaptureModel;
}

function open(geometryIndex: number): Pair {
  const g = GEOMETRIES[geometryIndex];
  const capture = new StderrCapture({ geometry: { ...g, slotsPerInstance: CAPTURES } });
  return { capture, model: new CaptureModel(g) };
}

/** Runs one scenario; throws an AssertionError at the first step where module and model differ. */
export function runScenario({ geometry, commands }: { geometry: number; commands: Command[] }): void {
  const pairs = Array.from({ length: CAPTURES }, () => open(geometry));
  try {
    commands.forEach((command, step) => {
      const pair = pairs[command.target];
      const where = `step ${step} (${command.op} on capture ${command.target})`;
      switch (command.op) {
        case 'write':
          assert.deepEqual(asModelFrames(pair.capture.write(command.bytes)), pair.model.write(command.bytes), `${where}: frames`);
          break;
        case 'flush':
          assert.deepEqual(asModelFrames(pair.capture.flush()), pair.model.flush(false), `${where}: frames`);
          break;
        case 'end':
          assert.deepEqual(asModelFrames(pair.capture.end()), pair.model.flush(true), `${where}: frames`);
          pair.capture.close();
          pairs[command.target] = open(geometry);
          break;
        case 'snapshot': {
          const { headBytes, tailBytes, omittedBytes, bytesSeen } = pair.capture.snapshot();
          assert.deepEqual({ headBytes, tailBytes, omittedBytes, bytesSeen }, pair.model.snapshot(), `${where}: snapshot`);
          break;
        }
      }
      assert.deepEqual(pair.capture.stats, pair.model.stats, `${where}: stats`);
    });
  } finally {
    for (const { capture } of pairs) capture.close();
  }
}

export function fuzzCore(numRuns: number, seed?: number): void {
  fc.assert(
    fc.property(scenarioArb, (scenario) => runScenario(scenario)),
    { numRuns, seed },
  );
}
