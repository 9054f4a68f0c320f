// Runs build/core-wasi.wasm under node:wasi for each run of a plan (JSON: { wasm, runs: [{ args,
// stdin, stdout, stderr }] }), each with files as its stdio, and prints the exit codes as JSON.
// A process of its own for the WASI tests (see test/core-hosts/wasi.test.ts).
//
// Each run makes a new instance, whose memory the core reserves whole; a few hundred of them
// without a garbage collection in between exhaust what V8 reserves for Wasm memories, and Node 20
// then dies of SIGSEGV (480 runs: 4 crashes in 4; with a collection every 25 runs: none in 4).
// So the runner collects as it goes (node --expose-gc).

import { closeSync, openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const COLLECT_EVERY = 25;
const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const module = new WebAssembly.Module(readFileSync(plan.wasm));
const codes = [];
for (const run of plan.runs) {
  const fds = [openSync(run.stdin, 'r'), openSync(run.stdout, 'w'), openSync(run.stderr, 'w')];
  try {
    const [stdin, stdout, stderr] = fds;
    const wasi = new WASI({ version: 'preview1', args: ['core-wasi.wasm', ...run.args], stdin, stdout, stderr, returnOnExit: true });
    codes.push(wasi.start(new WebAssembly.Instance(module, wasi.getImportObject())));
    if (codes.length % COLLECT_EVERY === 0) globalThis.gc?.();
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}
process.stdout.write(JSON.stringify(codes));
