#!/usr/bin/env node
// Coverage-guided fuzzing of the core's wasm2c translation (core-hosts/c/fuzz.c) with libFuzzer:
//
//   npm run fuzz:native -- [SECONDS]     (default 60)
//
// Builds build/c-host/fuzz, then fuzzes for SECONDS with the corpus in .fuzz/native/corpus
// (kept between runs, gitignored). A finding is saved as .fuzz/native/crash-*; the exit status
// is then 1, and core-hosts/c/README.md says how to turn it into a test vector.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.argv[2] ?? 60);
if (!Number.isInteger(seconds) || seconds < 1) {
  console.error('usage: npm run fuzz:native -- [SECONDS]');
  process.exit(2);
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-c-host.mjs'), '--fuzz'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const work = path.join(root, '.fuzz/native');
const corpus = path.join(work, 'corpus');
mkdirSync(corpus, { recursive: true });
if (readdirSync(corpus).length === 0) writeSeeds(corpus);
const before = readdirSync(corpus).length;

const args = [
  `-max_total_time=${seconds}`,
  '-print_final_stats=1',
  '-timeout=30',
  '-rss_limit_mb=4096',
  '-max_len=8192',
  `-artifact_prefix=${work}/`,
  corpus,
];
console.log(`fuzz:native: build/c-host/fuzz ${args.join(' ')}`);
const fuzzer = spawn(path.join(root, 'build/c-host/fuzz'), args, { cwd: work, stdio: ['ignore', 'inherit', 'pipe'] });

// libFuzzer reports on stderr: keep its findings and summary, not a line per new input.
let log = '';
let inDictionary = false;
let pending = '';
fuzzer.stderr.setEncoding('utf8');
fuzzer.stderr.on('data', (chunk) => {
  log += chunk;
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    if (line.startsWith('###### Recommended dictionary')) inDictionary = true;
    const quiet = inDictionary || /^#\d+\s+(NEW|REDUCE|pulse)/.test(line);
    if (line.startsWith('###### End of recommended dictionary')) inDictionary = false;
    if (!quiet) process.stderr.write(`${line}\n`);
  }
});

fuzzer.on('close', (code, signal) => {
  if (pending) process.stderr.write(`${pending}\n`);
  const stat = (name) => log.match(new RegExp(`stat::${name}:\\s+(\\d+)`))?.[1];
  const runs = stat('number_of_executed_units');
  const rate = stat('average_exec_per_sec');
  const after = readdirSync(corpus).length;
  if (code === 0) {
    console.log(`fuzz:native: no finding in ${seconds} s: ${runs} executions, ${rate} per second; corpus ${before} -> ${after} inputs`);
    return;
  }
  const artifact = log.match(/Test unit written to (\S+)/)?.[1];
  console.error(`fuzz:native: FINDING (exit ${code ?? signal})${artifact ? `, input saved to ${artifact}` : ''}`);
  if (artifact) {
    console.error(`  replay it and turn it into vectors: build/c-host/fuzz-replay ${artifact} test/vectors/corpus && npm run vectors`);
  }
  process.exit(1);
});

// A few inputs in core-hosts/c/fuzz.c's encoding, so that a first run starts from long lines,
// cuts and CR storms instead of finding them by chance.
function writeSeeds(dir) {
  const u16 = (v) => [v & 0xff, v >> 8];
  // captures, ring_log2 - 4, head, staging - 16, line_max - 8, frames_max - 1 (before the moduli)
  const header = (ringSel, head, staging, lineMax, frames) => [
    0,
    ringSel,
    ...u16(head),
    ...u16(staging - 16),
    ...u16(lineMax - 8),
    frames - 1,
  ];
  // write op on capture 0 in staging-sized pieces: a template repeated, an LF every `every` bytes
  const write = (template, every, n) => [0, 0, 1, 2, template.length - 1, ...template, ...u16(every), ...u16(n)];
  const bytes = (text) => [...Buffer.from(text, 'latin1')];
  const snapshot = [7, 0];
  const end = [6, 0];
  const seeds = {
    'seed-long-lines-130': [
      ...header(8, 65, 2000, 130, 3),
      ...write(bytes('abcdefgh'), 200, 6000),
      ...write(bytes('xyz\r'), 0, 300),
      ...snapshot,
      ...end,
    ],
    'seed-cuts-700': [...header(9, 130, 1500, 700, 9), ...write(bytes('0123456'), 900, 6000), ...snapshot, ...end],
    'seed-cr-utf8-8': [
      ...header(0, 0, 16, 8, 1),
      ...write(bytes('\r\r\n'), 0, 500),
      ...write([0xe2, 0x82, 0xac], 10, 100),
      ...snapshot,
      ...end,
    ],
  };
  for (const [name, seed] of Object.entries(seeds)) writeFileSync(path.join(dir, name), Uint8Array.from(seed));
}
