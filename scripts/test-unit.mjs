#!/usr/bin/env node
// npm run test:unit: the edit-and-test loop. Every suite that needs no sshd and packs nothing
// (test/peers/, test/package/, test/core-hosts/ and test/scale/ are left to npm test), two files
// a core at a time (the tests mostly wait on their children), with the random runs cut down
// (npm test runs them all). A variable already set wins:
//
//   RSH_FUZZ_RUNS=10000 npm run test:unit

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fewer = {
  RSH_FUZZ_RUNS: '1000',
  RSH_LIFECYCLE_RUNS: '8',
  RSH_PROMPT_RUNS: '1000',
  RSH_BATCH_RUNS: '100',
  RSH_CHANNEL_CYCLES: '100',
  // Bounds doubled: the files run beside each other.
  RSH_TEST_TIME_SCALE: '2',
};
const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
const args = [
  ...[
    '--no-config',
    '--node-option',
    'import=tsx',
    '--extension',
    'ts',
    '--timeout',
    '60000',
    '--exit',
    '--parallel',
    '--jobs',
    String(2 * availableParallelism()),
  ],
  'test/{askpass,cli,core,diagnosis,lifecycle,meta,multiplex,native,rsh,runtime-dir,stderr,stream,transport}/**/*.test.ts',
  'test/docs.test.ts',
  ...process.argv.slice(2),
];
const result = spawnSync(process.execPath, [mocha, ...args], { cwd: root, stdio: 'inherit', env: { ...fewer, ...process.env } });
process.exit(result.status ?? 1);
