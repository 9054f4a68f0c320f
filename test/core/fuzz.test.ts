import { fuzzCore } from './fuzz-runner.js';

describe('core against the reference model', function () {
  this.timeout(180_000);

  it('agrees with the model on frames, stats and snapshots over 10,000 random command sequences', function () {
    fuzzCore(10_000);
  });
});
