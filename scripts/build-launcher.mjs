#!/usr/bin/env node
// Builds the command's native launcher (launcher/README.md) from its C sources and the core as
// C: build/core.wasm translated by wasm2c (build/c-host/core.c and core.h), with the wasm2c
// runtime of third_party/wasm2c-runtime. In this repository the translation is made here when it
// is missing or older than build/core.wasm (wasm2c of the devDependency wabt); an installed
// package ships it. The core's SIMD operations compile through SIMDe (Debian: libsimde-dev).
//
//   node scripts/build-launcher.mjs              -> build/launcher/rsh-transport-launcher
//   node scripts/build-launcher.mjs --out=FILE   -> FILE (the prebuild)
//
// $CC is the compiler, else cc. Exits 1 with what is missing when it cannot build.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unknown = args.filter((a) => !a.startsWith('--out='));
if (unknown.length > 0) fail(`unknown option ${unknown[0]} (known: --out=FILE)`);
const out = path.resolve(root, args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? 'build/launcher/rsh-transport-launcher');

function fail(message) {
  console.error(`build-launcher: ${message}`);
  process.exit(1);
}

// The launcher reads the core's memory as the little-endian bytes it is (core-hosts/c/core-abi.h);
// where wasm2c keeps it otherwise, the command runs through Node.
if (os.endianness() !== 'LE') fail('this CPU is big-endian: the launcher reads the core as little-endian memory');

const translated = path.join(root, 'build/c-host');
const core = path.join(translated, 'core.c');
const wasm = path.join(root, 'build/core.wasm');
const wasm2c = path.join(root, 'node_modules/wabt/bin/wasm2c');
const stale = !existsSync(core) || (existsSync(wasm) && statSync(wasm).mtimeMs > statSync(core).mtimeMs);
if (stale && existsSync(wasm) && existsSync(wasm2c)) {
  mkdirSync(translated, { recursive: true });
  const made = spawnSync(process.execPath, [wasm2c, wasm, '-n', 'core', '-o', core], { encoding: 'utf8' });
  if (made.status !== 0) fail(`wasm2c failed: ${made.stderr || made.error?.message}`);
}
if (!existsSync(core)) fail('the core as C (build/c-host/core.c) is missing: run `npm run build:core`, then this again');

const runtime = path.join(root, 'third_party/wasm2c-runtime');
const sources = path.join(root, 'launcher');
const units = [
  ...readdirSync(sources)
    .filter((f) => f.endsWith('.c'))
    .map((f) => path.join(sources, f)),
  core,
  ...['wasm-rt-impl.c', 'wasm-rt-mem-impl.c', 'wasm-rt-exceptions-impl.c'].map((f) => path.join(runtime, f)),
];
const cc = process.env.CC || 'cc';
mkdirSync(path.dirname(out), { recursive: true });
// Built beside the target, then moved: a running launcher is never overwritten in place.
const partial = `${out}.partial-${process.pid}`;
// Explicit bounds checks, no guard pages: then no SIGSEGV handler of wasm2c's runtime takes a
// fault elsewhere in the program for a trap of the core.
const flags = [
  '-std=gnu11',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-DWASM_RT_USE_MMAP=0',
  '-DWASM_RT_MEMCHECK_BOUNDS_CHECK=1',
];
// wasm2c's output has many unused helpers.
const quietCore = ['-Wno-unused-function', '-Wno-unused-variable', '-Wno-unused-but-set-variable'];
const includes = ['-I', translated, '-I', path.join(root, 'core-hosts/c'), '-I', runtime];
// Linked statically where the C library allows it: no dynamic loading at each start (about a
// millisecond of the launcher's few), and a prebuild that runs on glibc and musl alike.
const link = (extra) =>
  spawnSync(cc, [...flags, ...quietCore, ...includes, ...extra, '-o', partial, ...units, '-lm'], { encoding: 'utf8' });
let result = link(['-static']);
if (result.error || result.status !== 0) result = link([]);
if (result.error || result.status !== 0) {
  rmSync(partial, { force: true });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) fail(`no C compiler (${cc}): ${result.error.message}`);
  if (/simde\//.test(output) && /not found|No such file/.test(output))
    fail(`the SIMDe headers are missing (Debian: libsimde-dev)\n${output}`);
  fail(`compiling failed\n${output}`);
}
renameSync(partial, out);
console.log(`build-launcher: ${path.relative(root, out)}`);
