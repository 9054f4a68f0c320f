#!/usr/bin/env node
// Builds the C hosts of the core: build/core.wasm translated to C by wasm2c, compiled with
// the wasm2c runtime into
//
//   build/c-host/vector-host   runs a test vector (core-hosts/c/vector-host.c)
//   build/c-host/example       the example of assembly/README.md (core-hosts/c/example.c)
//   build/c-host/fuzz          libFuzzer harness, ASan + UBSan (core-hosts/c/fuzz.c; with --fuzz)
//   build/c-host/fuzz-replay   turns a fuzzer input into vectors (the same file; with --fuzz)
//
//   node scripts/build-c-host.mjs [--fuzz] [--force]
//
// wasm2c comes from the npm package `wabt` (a devDependency, pinned): Debian 12's wabt 1.0.32
// has a wasm2c without SIMD, which aborts on the core's v128 code. The runtime it needs is the
// one of the same wabt version, kept in third_party/wasm2c-runtime/. The SIMD operations compile
// through SIMDe (Debian package libsimde-dev). Nothing is rebuilt that is newer than its inputs.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'build/c-host');
const sources = path.join(root, 'core-hosts/c');
const runtime = path.join(root, 'third_party/wasm2c-runtime');
const wasm = path.join(root, 'build/core.wasm');
const wasm2c = path.join(root, 'node_modules/wabt/bin/wasm2c');
const WABT_VERSION = '1.0.36';
const APT_PACKAGES = 'clang libclang-rt-14-dev libsimde-dev';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--fuzz' && a !== '--force');
if (unknown.length > 0) fail(`unknown option ${unknown[0]} (known: --fuzz, --force)`);
const fuzz = args.includes('--fuzz');
const force = args.includes('--force');

function fail(message) {
  console.error(`build-c-host: ${message}`);
  process.exit(1);
}

function run(command, commandArgs, what) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    if (/simde\/wasm\/simd128\.h/.test(output) && /not found|No such file/.test(output)) {
      fail(`${what} failed: the SIMDe headers are missing: install the Debian package libsimde-dev\n${output}`);
    }
    if (/libclang_rt\.|clang_rt/.test(output)) {
      fail(`${what} failed: the sanitizer and libFuzzer runtimes are missing: install the Debian package libclang-rt-14-dev\n${output}`);
    }
    fail(`${what} failed (${result.error?.message ?? `exit ${result.status}`})\n${output}`);
  }
  return result.stdout;
}

function has(command) {
  return spawnSync(command, ['--version'], { encoding: 'utf8' }).status === 0;
}

const mtime = (file) => statSync(file).mtimeMs;

/** Whether target is missing or older than one of its inputs. */
function stale(target, inputs) {
  if (force || !existsSync(target)) return true;
  const built = mtime(target);
  return inputs.some((input) => mtime(input) > built);
}

if (!existsSync(wasm)) fail('build/core.wasm is missing: run `npm run build:core` first');
if (!existsSync(wasm2c)) fail(`wasm2c is missing: run \`npm install\` (devDependency wabt@${WABT_VERSION})`);
const cc = process.env.CC || (has('clang') ? 'clang' : has('cc') ? 'cc' : undefined);
if (!cc || !has(cc)) fail(`no C compiler${cc ? ` (${cc})` : ''}: install the Debian packages ${APT_PACKAGES}`);
if (fuzz && !has('clang')) fail(`the fuzzer needs clang: install the Debian packages ${APT_PACKAGES}`);
mkdirSync(out, { recursive: true });

// The translation: core.c and core.h, the module's exports as w2c_core_* functions.
const core = path.join(out, 'core.c');
if (stale(core, [wasm, wasm2c])) {
  const version = run(process.execPath, [wasm2c, '--version'], 'wasm2c --version').trim();
  if (version !== WABT_VERSION)
    fail(`wasm2c ${version} found, ${WABT_VERSION} needed to match third_party/wasm2c-runtime: run \`npm install\``);
  run(process.execPath, [wasm2c, wasm, '-n', 'core', '-o', core], 'wasm2c');
}

const hostSources = readdirSync(sources)
  .filter((f) => /\.[ch]$/.test(f))
  .map((f) => path.join(sources, f));
const runtimeSources = readdirSync(runtime)
  .filter((f) => /\.(c|h|inc)$/.test(f))
  .map((f) => path.join(runtime, f));
const inputs = [core, ...hostSources, ...runtimeSources, fileURLToPath(import.meta.url)];
const runtimeUnits = ['wasm-rt-impl.c', 'wasm-rt-mem-impl.c', 'wasm-rt-exceptions-impl.c'].map((f) => path.join(runtime, f));
const includes = ['-I', out, '-I', sources, '-I', runtime];
// wasm2c's output has many unused helpers.
const common = ['-std=gnu11', '-Wno-unused-function', '-Wno-unused-variable', ...includes];

function link(target, compiler, flags, units) {
  if (!stale(target, inputs)) return false;
  run(compiler, [...common, ...flags, '-o', target, ...units, ...runtimeUnits, '-lm'], `compiling ${path.basename(target)}`);
  return true;
}

const built = [];
for (const program of ['vector-host', 'example']) {
  if (link(path.join(out, program), cc, ['-O2'], [core, path.join(sources, `${program}.c`)])) built.push(program);
}
if (fuzz) {
  // Explicit bounds checks instead of guard pages: no SIGSEGV handler to fight ASan, and an
  // out-of-bounds access is a wasm trap, which the harness reports as a finding.
  const checked = ['-DWASM_RT_USE_MMAP=0', '-DWASM_RT_MEMCHECK_BOUNDS_CHECK=1'];
  const fuzzUnits = [core, path.join(sources, 'fuzz.c'), path.join(sources, 'model.c')];
  if (
    link(
      path.join(out, 'fuzz'),
      'clang',
      ['-O1', '-g', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined', ...checked],
      fuzzUnits,
    )
  )
    built.push('fuzz');
  if (link(path.join(out, 'fuzz-replay'), 'clang', ['-O1', '-g', '-DFUZZ_REPLAY_MAIN', ...checked], fuzzUnits)) built.push('fuzz-replay');
}
console.log(`build-c-host: ${built.length > 0 ? `built ${built.join(', ')}` : 'up to date'} in ${path.relative(root, out)}`);
