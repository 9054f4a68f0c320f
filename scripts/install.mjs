#!/usr/bin/env node
// `npm install` of rsh-transport: nothing to compile when a prebuilt addon fits this platform;
// otherwise the addon is built from source. A build that fails does not fail the install: the
// library then reads stderr from JavaScript (stats.backend 'js'), and says so. Only a build that
// was asked for (`npm install --ssh-socketpair-stderr`, `npm rebuild --ssh-socketpair-stderr`)
// must succeed, since nothing else gives what it asks.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
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
if (prebuilt) {
  // A source build from an earlier `npm rebuild --ssh-socketpair-stderr` would be loaded first:
  // this install asked for the default, which the prebuild is.
  rmSync(path.join(root, 'build', 'Release', 'rsh_transport.node'), { force: true });
  console.log(`rsh-transport: using the prebuilt addon ${path.relative(root, prebuilt)}`);
  process.exit(0);
}
const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], { cwd: root, stdio: 'inherit' });
if (built.status === 0) process.exit(0);
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
