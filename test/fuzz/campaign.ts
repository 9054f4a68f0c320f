// A long fuzz campaign of the core against the model: `npm run fuzz -- RUNS [SEED]`.
import { fuzzCore } from '../core/fuzz-runner.js';

const runs = Number(process.argv[2] ?? 1_000_000);
const seed = process.argv[3] === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.argv[3]);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: npm run fuzz -- RUNS [SEED]   (got RUNS=${process.argv[2]})`);
  process.exit(2);
}
console.log(`fuzzing the core against the model: ${runs} runs, seed ${seed}`);
const started = Date.now();
fuzzCore(runs, seed);
console.log(`${runs} runs passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
