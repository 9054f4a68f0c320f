#!/usr/bin/env node
// Builds the native addon with node-gyp against this machine's Node headers.
//
//   node scripts/build-native.mjs                          -> build/Release/rsh_transport.node
//   node scripts/build-native.mjs --ssh-socketpair-stderr  -> the same, socketpair endpoint
//   node scripts/build-native.mjs --ssh-socketpair-stderr --out=build/variants/socketpair
//                                                          -> a second build beside the first
//   node scripts/build-native.mjs --portable-posix --out=build/variants/portable
//                                                          -> pipe()+fcntl() instead of pipe2(), no
//                                                             pipe resize: the macOS branch, on Linux
//   ... --if-missing                                       -> only when that build is not there
//
// The feature also comes from npm (`npm install --ssh-socketpair-stderr`, `npm rebuild
// --ssh-socketpair-stderr`), which passes it as npm_config_ssh_socketpair_stderr. It is read
// here, at build time only, and compiled in as a define.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const truthy = (value) => /^(1|true|yes|on)$/i.test(value ?? '');
const socketpair = args.includes('--ssh-socketpair-stderr') || truthy(process.env.npm_config_ssh_socketpair_stderr);
const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const ifMissing = args.includes('--if-missing');
const portable = args.includes('--portable-posix');
const unknown = args.filter((a) => !['--ssh-socketpair-stderr', '--if-missing', '--portable-posix'].includes(a) && !a.startsWith('--out='));
if (unknown.length > 0) {
  console.error(`build-native: unknown option ${unknown[0]} (known: --ssh-socketpair-stderr, --portable-posix, --out=DIR, --if-missing)`);
  process.exit(2);
}
if (ifMissing && existsSync(path.join(out ? path.resolve(root, out) : root, 'build/Release/rsh_transport.node'))) process.exit(0);

// npm hands scripts its own node-gyp; without npm, the one in devDependencies.
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
}

// Headers of the running Node, so that nothing is downloaded (node-gyp would fetch them).
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

let directory = root;
if (out) {
  // A second build: its own copy of the sources, so that the two never share objects.
  directory = path.resolve(root, out);
  mkdirSync(directory, { recursive: true });
  cpSync(path.join(root, 'binding.gyp'), path.join(directory, 'binding.gyp'));
  cpSync(path.join(root, 'native'), path.join(directory, 'native'), { recursive: true });
}

const gyp = nodeGyp();
const defines = [`-Dssh_socketpair_stderr=${socketpair ? 1 : 0}`, `-Dportable_posix=${portable ? 1 : 0}`];
for (const step of [['configure', ...nodedirArgs(), '--', ...defines], ['build']]) {
  const result = spawnSync(process.execPath, [gyp, ...step], { cwd: directory, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-native: node-gyp ${step[0]} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}
console.log(
  `build-native: ${path.relative(root, path.join(directory, 'build/Release/rsh_transport.node'))} (stderr endpoint: ${socketpair ? 'socketpair, pipe as fallback' : 'pipe'}${portable ? '; portable POSIX calls' : ''})`,
);
