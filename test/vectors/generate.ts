// Writes the vector corpus: `npm run vectors`.
//
// test/vectors/corpus/rule-*.vec and random-*.vec come from scenarios.ts; any other .vec there
// (a fuzzing finding turned into a vector, see core-hosts/c/README.md) is kept as it is. Every .out
// is what the reference model gives for its .vec.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, formatVector, parseVector } from './format.js';
import { runOnModel } from './run-model.js';
import { allScenarios } from './scenarios.js';

const GENERATED = /^(rule|random)-/;

function main(): void {
  mkdirSync(CORPUS_DIR, { recursive: true });
  for (const file of readdirSync(CORPUS_DIR)) {
    if (GENERATED.test(file)) rmSync(path.join(CORPUS_DIR, file));
  }
  for (const scenario of allScenarios()) {
    writeFileSync(path.join(CORPUS_DIR, `${scenario.name}.vec`), formatVector(scenario, scenario.comment));
  }
  let count = 0;
  let bytes = 0;
  for (const file of readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.vec'))
    .sort()) {
    const text = readFileSync(path.join(CORPUS_DIR, file), 'utf8');
    const out = runOnModel(parseVector(text));
    writeFileSync(path.join(CORPUS_DIR, file.replace(/\.vec$/, '.out')), out);
    count++;
    bytes += text.length + out.length;
  }
  console.log(`vectors: ${count} in ${path.relative(process.cwd(), CORPUS_DIR)} (${(bytes / 1e6).toFixed(2)} MB)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
