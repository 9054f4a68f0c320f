#!/usr/bin/env node
// Builds the prebuilt addons that the package ships (run by `npm pack` through prepack): the
// default build (pipe endpoint), stripped, in the layout node-gyp-build and prebuildify use:
//
//   prebuilds/<platform>-<arch>/node.napi[.glibc|.musl].node   this machine's, by node-gyp
//   prebuilds/win32-x64/node.napi.node                          Windows', cross-built by
//                                                               scripts/build-win32.mjs (MinGW-w64)
//   prebuilds/<platform>-<arch>/rsh-transport-launcher
//                                                               the command's native launcher
//                                                               (launcher/README.md), this machine's
//
// They are N-API addons (NAPI_VERSION 8): one build serves every Node from 20.19 on. The
// ssh-socketpair-stderr feature is never prebuilt: asking for it builds from source.
//
// The Windows build needs MinGW-w64 and node.exe from npm, which build-win32.mjs installs and
// downloads on demand (as root: a clean CI machine has what it takes). Where it cannot run, a
// win32 prebuild made before from the same sources (newer than every file of native/) is
// shipped as it is; without one the pack fails, since the package would then have no addon for
// Windows. RSH_PREBUILD_NO_WIN32=1 packs without it, and says so.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The command ships as the POSIX launcher; a Windows install makes it Node's (windows-bin.mjs).
// A file changed so here would ship without the launcher's guard against SIGUSR1.
if (!readFileSync(path.join(root, 'bin/rsh-transport.js'), 'utf8').startsWith('#!/bin/sh\n')) {
  console.error('prebuild: bin/rsh-transport.js must begin with #!/bin/sh and LF (git checkout bin/rsh-transport.js)');
  process.exit(1);
}
const out = 'build/variants/prebuild';
const env = { ...process.env };
delete env.npm_config_ssh_socketpair_stderr;

/** Runs one of the build scripts; the prebuild stops when it fails. */
function build(script, scriptArgs, what) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', script), ...scriptArgs], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`prebuild: the ${what} did not build`);
    process.exit(1);
  }
}

/** Strips what only a debugger wants (about two thirds of the addon), and says the file's size. */
function strip(file, what) {
  const stripped = spawnSync('strip', [process.platform === 'darwin' ? '-x' : '--strip-unneeded', file], { stdio: 'inherit' });
  if (stripped.error || stripped.status !== 0) console.error(`prebuild: strip is not available; the ${what} is shipped unstripped`);
  console.log(`prebuild: ${path.relative(root, file)} (${statSync(file).size} bytes)`);
}

build('build-native.mjs', [`--out=${out}`], 'addon');
// glibc says its version in Node's report; musl does not.
const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
const here = `${process.platform}-${process.arch}`;
const WIN32 = 'win32-x64';
const prebuilds = path.join(root, 'prebuilds');
// Only what this run builds is shipped: nothing left from another platform goes unchecked. The
// win32 build is kept until this run has made a new one, or found it cannot.
for (const name of existsSync(prebuilds) ? readdirSync(prebuilds) : []) {
  if (name !== WIN32 || here === WIN32) rmSync(path.join(prebuilds, name), { recursive: true, force: true });
}
const dir = path.join(prebuilds, here);
mkdirSync(dir, { recursive: true });
const target = path.join(dir, `node.napi${libc}.node`);
copyFileSync(path.join(root, out, 'build/Release/rsh_transport.node'), target);
strip(target, 'addon');

// The launcher is linked statically where the C library allows it; the install runs it
// (--probe) before using it all the same.
const launcher = path.join(dir, 'rsh-transport-launcher');
build('build-launcher.mjs', [`--out=${launcher}`], 'launcher');
strip(launcher, 'launcher');

if (here !== WIN32) prebuildWin32();

function prebuildWin32() {
  const target = path.join(prebuilds, WIN32, 'node.napi.node');
  if (/^(1|true|yes|on)$/i.test(process.env.RSH_PREBUILD_NO_WIN32 ?? '')) {
    rmSync(path.dirname(target), { recursive: true, force: true });
    console.error(`prebuild: RSH_PREBUILD_NO_WIN32 is set: the package has no ${WIN32} addon`);
    return;
  }
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-win32.mjs'), `--out=${target}`], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  if (built.status === 0) {
    console.log(`prebuild: ${path.relative(root, target)} (${statSync(target).size} bytes)`);
    return;
  }
  // build-win32.mjs replaces the file only once a build succeeded: what is there is older.
  const sources = readdirSync(path.join(root, 'native')).map((name) => statSync(path.join(root, 'native', name)).mtimeMs);
  if (existsSync(target) && statSync(target).mtimeMs > Math.max(...sources)) {
    console.error(
      `prebuild: the ${WIN32} addon could not be built here; ${path.relative(root, target)}, built since native/ last changed, is shipped`,
    );
    return;
  }
  console.error(
    `prebuild: the ${WIN32} addon could not be built, and no build of the current native/ is in ${path.relative(root, path.dirname(target))}/: ` +
      'run `npm run build:win32` where it can (Debian, as root), or set RSH_PREBUILD_NO_WIN32=1 to pack without it',
  );
  process.exit(1);
}
