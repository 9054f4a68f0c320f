#!/usr/bin/env node
// Everything the tests test, built before they start (npm's pretest and pretest:unit), each part
// only when one of its sources is newer than what it builds. Nothing is built while the suites
// run, so every suite tests the same build, and the checkout does not change under them.
//
//   node scripts/build-for-tests.mjs             every part that is out of date, then the typecheck
//   node scripts/build-for-tests.mjs --unit      the same, but not the prebuilds (test:unit packs nothing)
//   node scripts/build-for-tests.mjs --force     every part, up to date or not
//
// The parts, and what makes each out of date (besides package.json and package-lock.json, for
// all of them):
//   core        assembly/ (but wasi/), asconfig.json                 -> build/core.wasm
//   core-wasi   assembly/, asconfig.wasi.json and the shim's         -> build/core-wasi.wasm
//   dist        host/, tsconfig.json                                 -> dist/ (tsc, the command's bundle)
//   addon       native/, binding.gyp, scripts/build-native.mjs       -> build/Release/rsh_transport.node
//   socketpair  the same, built with the ssh-socketpair-stderr feature -> build/variants/socketpair/
//   portable    the same, built with macOS's calls                   -> build/variants/portable/
//   launcher    launcher/, the core, the wasm2c runtime                -> build/launcher/rsh-transport-launcher
//   prebuilds   the addon's and the launcher's, scripts/prebuild.mjs, scripts/build-win32.mjs -> prebuilds/ (this platform's
//               and win32-x64's: what the package test packs, as `npm pack` would build them)

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
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

/** The newest modification time among `paths`: files, and directories walked whole (their own
 * times too, which a deleted file changes), but `skip` and documentation (*.md), which no build
 * reads. */
function newest(paths, skip = () => false) {
  let latest = 0;
  const visit = (file) => {
    if (skip(file) || file.endsWith('.md')) return;
    const stat = statSync(file);
    latest = Math.max(latest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(file)) visit(path.join(file, name));
  };
  for (const item of paths) visit(path.join(root, item));
  return latest;
}

/** When the oldest of `outputs` was made, or 0 when one is not there. */
const madeAt = (outputs) =>
  Math.min(...outputs.map((output) => (existsSync(path.join(root, output)) ? statSync(path.join(root, output)).mtimeMs : 0)));

// The default builds are the default whatever npm passes on (npm test --ssh-socketpair-stderr,
// or the setting in .npmrc): the variants ask for the feature themselves.
const env = { ...process.env };
delete env.npm_config_ssh_socketpair_stderr;

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`build-for-tests: ${[command, ...commandArgs].join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const npmRun = (script) => ['npm', ['run', '--silent', script]];
const node = (script, ...scriptArgs) => [process.execPath, [path.join(root, script), ...scriptArgs]];
// What every part is built with: the scripts and the tools' versions.
const TOOLS = ['package.json', 'package-lock.json'];
const NATIVE = [...TOOLS, 'native', 'binding.gyp', 'scripts/build-native.mjs'];
// The addon's sources, walked once for the four parts built from them.
const native = newest(NATIVE);
const LAUNCHER = [
  'launcher',
  'core-hosts/c/core-abi.h',
  'core-hosts/c/core-abi-constants.h',
  'third_party/wasm2c-runtime',
  'scripts/build-launcher.mjs',
];
// After the core's part has run: the launcher is built from it.
const launcher = () => Math.max(newest([...TOOLS, ...LAUNCHER]), madeAt(['build/core.wasm']));
const parts = [
  {
    name: 'core',
    sources: newest([...TOOLS, 'assembly', 'asconfig.json'], (f) => f.endsWith(`${path.sep}wasi`)),
    outputs: ['build/core.wasm'],
    build: npmRun('build:core'),
  },
  {
    name: 'core-wasi',
    sources: newest([...TOOLS, 'assembly', 'asconfig.wasi.json', 'node_modules/@assemblyscript/wasi-shim/asconfig.json']),
    outputs: ['build/core-wasi.wasm'],
    build: npmRun('build:wasi'),
  },
  { name: 'dist', sources: newest([...TOOLS, 'host', 'tsconfig.json']), outputs: ['dist/cli/bundle.js'], build: npmRun('build:ts') },
  { name: 'addon', sources: native, outputs: ['build/Release/rsh_transport.node'], build: node('scripts/build-native.mjs') },
  {
    name: 'socketpair',
    sources: native,
    outputs: ['build/variants/socketpair/build/Release/rsh_transport.node'],
    build: node('scripts/build-native.mjs', '--ssh-socketpair-stderr', '--out=build/variants/socketpair'),
  },
  {
    name: 'portable',
    sources: native,
    outputs: ['build/variants/portable/build/Release/rsh_transport.node'],
    build: node('scripts/build-native.mjs', '--ssh-socketpair-stderr', '--portable-posix', '--out=build/variants/portable'),
  },
  { name: 'launcher', sources: launcher, outputs: ['build/launcher/rsh-transport-launcher'], build: node('scripts/build-launcher.mjs') },
  ...(unit
    ? []
    : [
        {
          name: 'prebuilds',
          sources: () => Math.max(native, launcher(), newest(['scripts/prebuild.mjs', 'scripts/build-win32.mjs'])),
          outputs: [`prebuilds/${process.platform}-${process.arch}`, 'prebuilds/win32-x64/node.napi.node'],
          build: node('scripts/prebuild.mjs'),
        },
      ]),
];

for (const part of parts) {
  const made = madeAt(part.outputs);
  const sources = typeof part.sources === 'function' ? part.sources() : part.sources;
  if (!force && made > 0 && made >= sources) continue;
  console.log(`build-for-tests: ${part.name} (${made === 0 ? 'not built yet' : 'a source changed'})`);
  run(...part.build);
  // Built now, whatever the build tool chose to leave as it was (make relinks nothing for a
  // source it does not compile here): else the part would be built again on every run.
  const now = new Date();
  for (const output of part.outputs) if (existsSync(path.join(root, output))) utimesSync(path.join(root, output), now, now);
}
run(...npmRun('typecheck'));
