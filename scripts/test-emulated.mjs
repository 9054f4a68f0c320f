#!/usr/bin/env node
// Runs the core and transport suites on another CPU under qemu-user: s390x (big-endian, the
// only one this project can reach) or arm64. Everything the emulated Node runs is made here,
// on x64, first:
// - the addon, cross-built with Debian's cross g++ against that Node's headers (default and
//   ssh-socketpair-stderr builds, as the suites load both);
// - the TypeScript of host/ and test/, transpiled to JavaScript by esbuild (its binary is an
//   x64 one; tsx cannot run under the emulated Node), file by file, in a tree of its own under
//   build/emulated/ARCH/, beside copies of what the tests read (build/core.wasm, examples/);
// - build/core.wasm itself (the AssemblyScript compiler crashes on s390x).
// The emulated Node comes from npm (node-linux-s390x's newest is 20.11.0). Children the tests
// spawn with process.execPath run under qemu too, through binfmt_misc (registered here when the
// kernel has none for the CPU); native ones (sh, head) run as they are.
//
//   node scripts/test-emulated.mjs --arch=s390x   (root: apt packages, binfmt_misc)
//
// Emulation is 10 to 30 times slower: time bounds are scaled (RSH_TEST_TIME_SCALE) and the
// core's fuzz test runs fewer cases (RSH_FUZZ_RUNS). The closing line is mocha's.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileTree } from './transpile-tree.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARCHES = {
  s390x: { triple: 's390x-linux-gnu', node: '20.11.0', qemu: 's390x', gxx: 'g++-s390x-linux-gnu' },
  arm64: { triple: 'aarch64-linux-gnu', node: '24.22.3', qemu: 'aarch64', gxx: 'g++-aarch64-linux-gnu' },
};
const archArg = process.argv.find((arg) => arg.startsWith('--arch='))?.slice('--arch='.length) ?? 's390x';
const arch = ARCHES[archArg];
if (!arch) {
  console.error(`test-emulated: unknown --arch=${archArg} (known: ${Object.keys(ARCHES).join(', ')})`);
  process.exit(2);
}
const SUITES = (process.env.RSH_EMULATED_SUITES ?? 'test/core,test/transport,test/lifecycle').split(',');

function run(program, args, options = {}) {
  const result = spawnSync(program, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  return result;
}

// Debian's packages, installed when missing.
function ensurePackages() {
  const missing = [];
  if (!existsSync(`/usr/bin/qemu-${arch.qemu}-static`)) missing.push('qemu-user-static');
  if (!existsSync(`/usr/bin/${arch.triple}-g++`)) missing.push(arch.gxx);
  if (missing.length === 0) return;
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

// The kernel runs the emulated Node's children through qemu only with a binfmt_misc entry; they
// find the CPU's C library through Debian's qemu-binfmt prefix (a test that gives its child an
// environment of its own drops QEMU_LD_PREFIX).
function ensureBinfmt() {
  mkdirSync('/etc/qemu-binfmt', { recursive: true });
  const prefix = `/etc/qemu-binfmt/${arch.qemu}`;
  if (!existsSync(prefix)) symlinkSync(`/usr/${arch.triple}`, prefix);
  const dir = '/proc/sys/fs/binfmt_misc';
  // .ci/run starts two of these at once: the other may mount it first.
  if (!existsSync(path.join(dir, 'register'))) {
    const mounted = spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir], { stdio: 'inherit' });
    if (!existsSync(path.join(dir, 'register'))) throw new Error(`mounting binfmt_misc failed (exit ${mounted.status ?? mounted.signal})`);
  }
  if (existsSync(path.join(dir, `qemu-${arch.qemu}`))) return;
  writeFileSync(path.join(dir, 'register'), readFileSync(`/usr/lib/binfmt.d/qemu-${arch.qemu}.conf`, 'utf8').trim());
}

function ensureNode() {
  const dir = path.join(root, 'build/node-versions', `${archArg}-${arch.node}`);
  if (!existsSync(path.join(dir, 'bin/node'))) {
    mkdirSync(dir, { recursive: true });
    const packed = spawnSync('npm', ['pack', '--silent', `node-linux-${archArg}@${arch.node}`], { cwd: dir, encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`npm pack node-linux-${archArg}@${arch.node} failed: ${packed.stderr}`);
    const tarball = path.join(dir, packed.stdout.trim().split('\n').pop());
    run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
    rmSync(tarball);
  }
  return dir;
}

function crossBuild(nodeDir, variant, out) {
  const env = {
    ...process.env,
    CC: `${arch.triple}-gcc`,
    CXX: `${arch.triple}-g++`,
    npm_config_nodedir: nodeDir,
    npm_config_arch: archArg,
  };
  const flags = variant === 'socketpair' ? ['--ssh-socketpair-stderr'] : [];
  run(process.execPath, [path.join(root, 'scripts/build-native.mjs'), ...flags, `--out=${out}`], { cwd: root, env });
}

ensurePackages();
ensureBinfmt();
const nodeDir = ensureNode();
const tree = path.join(root, 'build/emulated', archArg);
rmSync(tree, { recursive: true, force: true });
mkdirSync(tree, { recursive: true });
if (!existsSync(path.join(root, 'build/core.wasm'))) run('npm', ['run', 'build:core'], { cwd: root });
for (const dir of ['host', 'test']) transpileTree(path.join(root, dir), path.join(tree, dir));
// The command's tests run bin/ and its bundle in dist/.
if (!existsSync(path.join(root, 'dist/cli/bundle.js'))) run('npm', ['run', 'build:ts'], { cwd: root });
for (const item of [
  'examples',
  'assembly',
  'scripts',
  'bin',
  'dist',
  'package.json',
  'asconfig.json',
  'build/core.wasm',
  'build/core-wasi.wasm',
]) {
  if (existsSync(path.join(root, item))) cpSync(path.join(root, item), path.join(tree, item), { recursive: true });
}
symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
crossBuild(nodeDir, 'default', path.relative(root, path.join(tree, 'build/variants/default')));
crossBuild(nodeDir, 'socketpair', path.relative(root, path.join(tree, 'build/variants/socketpair')));
// The suites load the default build from build/Release.
cpSync(path.join(tree, 'build/variants/default/build/Release'), path.join(tree, 'build/Release'), { recursive: true });

const env = {
  ...process.env,
  QEMU_LD_PREFIX: `/usr/${arch.triple}`,
  RSH_TEST_TIME_SCALE: process.env.RSH_TEST_TIME_SCALE ?? '20',
  RSH_FUZZ_RUNS: process.env.RSH_FUZZ_RUNS ?? '300',
};
const specs = SUITES.map((suite) => `${suite}/**/*.test.js`);
// What checks the build scripts, not the run: the generators read the TypeScript sources, and
// the AssemblyScript compiler is among them (it crashes on s390x); x64 runs it.
const BUILD_TIME = ['test/core/abi-constants.test.js'];
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const result = spawnSync(
  path.join(nodeDir, 'bin/node'),
  [mocha, '--no-config', '--timeout', '600000', '--exit', ...BUILD_TIME.flatMap((file) => ['--ignore', file]), ...specs],
  { cwd: tree, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
