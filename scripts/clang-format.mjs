#!/usr/bin/env node
// clang-format over the project's own C and C++ (the addon, the C hosts, the launcher), not the vendored
// wasm2c runtime nor the generated ABI header.
//
//   node scripts/clang-format.mjs          formats them in place
//   node scripts/clang-format.mjs --check  exits 1 when one is not formatted

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GENERATED = new Set(['core-hosts/c/core-abi-constants.h']);
const files = ['native', 'core-hosts/c', 'launcher']
  .flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((name) => /\.(c|cc|h)$/.test(name))
      .map((name) => `${dir}/${name}`),
  )
  .filter((file) => !GENERATED.has(file));
const check = process.argv.includes('--check');
const result = spawnSync('clang-format', [...(check ? ['--dry-run', '-Werror'] : ['-i']), ...files], { cwd: root, stdio: 'inherit' });
if (result.error) {
  console.error('clang-format: not found: install it (Debian: apt-get install clang-format)');
  process.exit(2);
}
process.exit(result.status ?? 1);
