#!/usr/bin/env node
// `npm install` of rsh-transport: nothing to compile when a prebuilt addon fits this platform;
// otherwise the addon is built from source. A build that fails does not fail the install: the
// library then reads stderr from JavaScript (stats.backend 'js'), and says so. Only a build that
// was asked for (`npm install --ssh-socketpair-stderr`, `npm rebuild --ssh-socketpair-stderr`)
// must succeed, since nothing else gives what it asks.
//
// Then the command's native launcher (launcher/README.md), outside Windows: the prebuilt one
// when it runs here, else one built from source; where neither can be had, the command runs
// through Node, as it does on Windows, and the install says so.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const asked = /^(1|true|yes|on)$/i.test(process.env.npm_config_ssh_socketpair_stderr ?? '');

function prebuildLoads() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.node'))) {
    try {
      process.dlopen({ exports: {} }, path.join(dir, name));
      return path.join(dir, name);
    } catch {
      // another C library, or an older system: try the next, then build
    }
  }
  return undefined;
}

// `npm install` in this repository itself (`npm ci` here) always builds: the tests load the
// source build, and a prebuild left by `npm pack` must not stand in for it.
const ownInstall = process.env.INIT_CWD !== undefined && path.resolve(process.env.INIT_CWD) === root;
const prebuilt = asked || ownInstall ? undefined : prebuildLoads();
installAddon();
// In this repository the tests' build makes it (scripts/build-for-tests.mjs), from a core that
// `npm ci` has not built yet when this runs.
if (process.platform !== 'win32' && !ownInstall) installLauncher();

function installAddon() {
  if (prebuilt) {
    // A source build from an earlier `npm rebuild --ssh-socketpair-stderr` would be loaded first:
    // this install asked for the default, which the prebuild is.
    rmSync(path.join(root, 'build', 'Release', 'rsh_transport.node'), { force: true });
    console.log(`rsh-transport: using the prebuilt addon ${path.relative(root, prebuilt)}`);
    return;
  }
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status === 0) return;
  if (asked) {
    console.error('rsh-transport: the ssh-socketpair-stderr build failed (it needs python3, make and a C++17 compiler)');
    process.exit(1);
  }
  console.warn(
    [
      `rsh-transport: no prebuilt addon fits ${process.platform}-${process.arch}, and it could not be built here.`,
      "rsh-transport works without it: stderr is read from JavaScript (stderr.stats.backend is 'js').",
      'For the native path, install python3, make and a C++17 compiler, then run `npm rebuild rsh-transport`.',
    ].join('\n'),
  );
}

function installLauncher() {
  const target = path.join(root, 'build', 'launcher', 'rsh-transport-launcher');
  const runs = (file) => spawnSync(file, ['--probe'], { stdio: 'ignore' }).status === 0;
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const candidates = !existsSync(dir) ? [] : readdirSync(dir).filter((name) => name.startsWith('rsh-transport-launcher'));
  for (const name of candidates) {
    if (!runs(path.join(dir, name))) continue; // another C library: try the next, then build
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    copyFileSync(path.join(dir, name), partial);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
    console.log(`rsh-transport: the command runs through the prebuilt launcher ${path.relative(root, path.join(dir, name))}`);
    return;
  }
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-launcher.mjs')], { cwd: root, encoding: 'utf8' });
  if (built.status === 0 && runs(target)) return;
  rmSync(target, { force: true });
  console.warn(
    [
      `rsh-transport: no prebuilt launcher runs on ${process.platform}-${process.arch}, and it could not be built here:`,
      (built.stderr || built.stdout || '').trim().split('\n').slice(0, 3).join('\n'),
      'The rsh-transport command works without it, through Node: some 50 ms of CPU and 40 MiB more per connection.',
      'For the launcher, install a C compiler and the SIMDe headers (Debian: libsimde-dev), then run `npm rebuild rsh-transport`.',
    ].join('\n'),
  );
}
