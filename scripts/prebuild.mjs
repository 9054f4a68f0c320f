#!/usr/bin/env node
// Builds the prebuilt addon that the package ships (run by `npm pack` through prepack): the
// default build (pipe endpoint), stripped, in the layout node-gyp-build and prebuildify use:
//
//   prebuilds/<platform>-<arch>/node.napi[.glibc|.musl].node
//
// It is an N-API addon (NAPI_VERSION 8): one build serves every Node from 20.19 on. The
// ssh-socketpair-stderr feature is never prebuilt: asking for it builds from source.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = 'build/variants/prebuild';
const env = { ...process.env };
delete env.npm_config_ssh_socketpair_stderr;
const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs'), `--out=${out}`], {
  cwd: root,
  stdio: 'inherit',
  env,
});
if (built.status !== 0) {
  console.error('prebuild: the addon did not build');
  process.exit(1);
}
// glibc says its version in Node's report; musl does not.
const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
// Only what this run built is shipped: nothing left from another platform goes unchecked.
rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const target = path.join(dir, `node.napi${libc}.node`);
copyFileSync(path.join(root, out, 'build/Release/rsh_transport.node'), target);
// Symbols only a debugger wants: about two thirds of the file.
const strip = spawnSync('strip', [process.platform === 'darwin' ? '-x' : '--strip-unneeded', target], { stdio: 'inherit' });
if (strip.error || strip.status !== 0) console.error('prebuild: strip is not available; the addon is shipped unstripped');
console.log(`prebuild: ${path.relative(root, target)} (${statSync(target).size} bytes)`);
