#!/usr/bin/env node
// Everything the tests test, built before they start (npm's pretest and pretest:unit), each part
// only when one of its sources is newer than what it builds. Nothing is built while the suites
// run, so every suite tests the same build, and the checkout does not change under them.
//
//   node scripts/build-for-tests.mjs             every part that is out of date, then the typecheck
//   node scripts/build-for-tests.mjs --unit      the same, but not the prebuilds (test:unit packs nothing)
//   node scripts/build-for-tests.mjs --force     every part, up to date or not
//
// The parts, and what makes each out of date:
//   core       assembly/ (but wasi/), asconfig.json          -> build/core.wasm
//   core-wasi  assembly/, asconfig.wasi.json                 -> build/core-wasi.wasm
//   dist       host/, tsconfig.json                          -> dist/ (tsc, and the command's bundle)
//   addon      native/, binding.gyp                          -> build/Release/rsh_transport.node
//   socketpair   the same, with the ssh-socketpair-stderr feature -> build/variants/socketpair/
//   portable     the same, with macOS's calls                 -> build/variants/portable/
//   prebuilds  native/, binding.gyp                          -> prebuilds/ (what the package test packs,
//                                                                 as `npm pack` would build it)

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unknown = args.filter((arg) => !['--unit', '--force'].includes(arg));
if (unknown.length > 0) {
  console.error(`build-for-tests: unknown option ${unknown[0]} (known: --unit, --force)`);
  process.exit(2);
}
const force = args.includes('--force');
const unit = args.includes('--unit');

/** The newest modification time among `paths` (files, or directories walked whole), but `skip`
 * and documentation (*.md), which no build reads. */
function newest(paths, skip = () => false) {
  let latest = 0;
  const visit = (file) => {
    if (skip(file) || file.endsWith('.md')) return;
    const stat = statSync(file);
    if (stat.isDirectory()) for (const name of readdirSync(file)) visit(path.join(file, name));
    else latest = Math.max(latest, stat.mtimeMs);
  };
  for (const item of paths) visit(path.join(root, item));
  return latest;
}

/** When `output` was made, or 0 when it is not there. */
const madeAt = (output) => (existsSync(path.join(root, output)) ? statSync(path.join(root, output)).mtimeMs : 0);

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-for-tests: ${[command, ...commandArgs].join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const npmRun = (script) => ['npm', ['run', '--silent', script]];
const node = (script, ...scriptArgs) => [process.execPath, [path.join(root, script), ...scriptArgs]];
const NATIVE = ['native', 'binding.gyp'];
const parts = [
  {
    name: 'core',
    sources: newest(['assembly', 'asconfig.json'], (f) => f.endsWith(`${path.sep}wasi`)),
    output: 'build/core.wasm',
    build: npmRun('build:core'),
  },
  { name: 'core-wasi', sources: newest(['assembly', 'asconfig.wasi.json']), output: 'build/core-wasi.wasm', build: npmRun('build:wasi') },
  { name: 'dist', sources: newest(['host', 'tsconfig.json']), output: 'dist/cli/bundle.js', build: npmRun('build:ts') },
  { name: 'addon', sources: newest(NATIVE), output: 'build/Release/rsh_transport.node', build: node('scripts/build-native.mjs') },
  {
    name: 'socketpair',
    sources: newest(NATIVE),
    output: 'build/variants/socketpair/build/Release/rsh_transport.node',
    build: node('scripts/build-native.mjs', '--ssh-socketpair-stderr', '--out=build/variants/socketpair'),
  },
  {
    name: 'portable',
    sources: newest(NATIVE),
    output: 'build/variants/portable/build/Release/rsh_transport.node',
    build: node('scripts/build-native.mjs', '--ssh-socketpair-stderr', '--portable-posix', '--out=build/variants/portable'),
  },
  ...(unit
    ? []
    : [
        {
          name: 'prebuilds',
          sources: newest([...NATIVE, 'scripts/prebuild.mjs']),
          output: `prebuilds/${process.platform}-${process.arch}`,
          build: node('scripts/prebuild.mjs'),
        },
      ]),
];

for (const part of parts) {
  const made = madeAt(part.output);
  if (!force && made > 0 && made >= part.sources) continue;
  console.log(`build-for-tests: ${part.name} (${made === 0 ? 'not built yet' : 'a source changed'})`);
  run(...part.build);
}
run(...npmRun('typecheck'));
