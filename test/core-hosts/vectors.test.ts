// The vector corpus (test/vectors/corpus) through the reference model and through
// build/core.wasm in Node by the raw ABI: both must give each .out byte for byte. The C and
// WASI hosts are then compared with the same files.

import assert from 'node:assert/strict';
import { parseVector } from '../vectors/format.js';
import { runOnModel } from '../vectors/run-model.js';
import { runOnWasm } from '../vectors/run-wasm.js';
import { corpus, firstDifference } from './corpus.js';

describe('test vectors in Node', () => {
  const entries = corpus();

  it('has a corpus covering the rules and the random scenarios', () => {
    assert.ok(entries.filter((e) => e.name.startsWith('rule-')).length >= 30, 'rule vectors missing: run `npm run vectors`');
    assert.ok(entries.filter((e) => e.name.startsWith('random-')).length >= 200, 'random vectors missing: run `npm run vectors`');
  });

  it('matches the reference model on every vector (the .out files are current)', () => {
    for (const { name, vec, expected } of entries) {
      const actual = runOnModel(parseVector(vec));
      assert.ok(
        actual === expected,
        `${name}: the model disagrees with ${name}.out (run \`npm run vectors\`): ${firstDifference(actual, expected)}`,
      );
    }
  });

  it('gives every .out byte for byte from build/core.wasm through the raw ABI', () => {
    for (const { name, vec, expected } of entries) {
      const actual = runOnWasm(parseVector(vec));
      assert.ok(actual === expected, `${name}: ${firstDifference(actual, expected)}`);
    }
  });
});
