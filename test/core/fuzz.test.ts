import { timeScale } from '../helpers/promises.js';
import { fuzzCore } from './fuzz-runner.js';

// RSH_FUZZ_RUNS: fewer runs where the CPU is emulated (10 to 30 times slower), more for a campaign.
const RUNS = Number(process.env.RSH_FUZZ_RUNS ?? 10_000);

describe('core against the reference model', function () {
  // About 18 ms a run here, with room for a loaded machine.
  this.timeout(Math.max(60_000, RUNS * 18 * 10) * timeScale());

  it(`agrees with the model on frames, stats and snapshots over ${RUNS.toLocaleString('en')} random command sequences`, function () {
    fuzzCore(RUNS);
  });
});
