#!/usr/bin/env node
// Runs the transport suite as it would run where there is no POSIX shell (Windows): the tests
// that do not say (POSIX), with nothing on PATH, so that no `sh`, `head` or `cat` can be found.
// A test that still reaches for one fails here, on Linux, rather than there. Extra arguments go
// to mocha; RSH_TRANSPORT_NO_ADDON=1 runs it without the addon.
//
//   npm run test:no-shell

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
const empty = mkdtempSync(path.join(tmpdir(), 'rsh-no-shell-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toUpperCase() !== 'PATH'));
const args = [
  '--import=tsx',
  mocha,
  ...['--no-config', '--extension', 'ts', '--timeout', '60000', '--exit', '--grep', '(POSIX)', '--invert'],
  ...process.argv.slice(2),
  'test/{transport,lifecycle}/**/*.test.ts',
];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...env, PATH: empty } });
rmSync(empty, { recursive: true, force: true });
process.exit(run.status ?? 1);
