#!/usr/bin/env node
// eslint and prettier over the AssemblyScript sources: the core (assembly/) and the tests'
// WASI vector interpreter. AssemblyScript puts decorators on functions (`@inline function`),
// which TypeScript's grammar has only for classes, so both tools would stop at a parse error;
// each such decorator is hidden in a comment for them and put back after formatting.
//
//   node scripts/lint-assembly.mjs          formats them in place, then lints
//   node scripts/lint-assembly.mjs --check  exits 1 when one is not formatted or has a finding

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['assembly', 'test/core-hosts/wasi-vector'];
const FUNCTION_DECORATOR = /^(\s*)@(inline|global|lazy|unsafe|external\([^)]*\))(\s+)(?=(export\s+)?function\b)/gm;
const HIDDEN = /^(\s*)\/\*@(inline|global|lazy|unsafe|external\([^)]*\))\*\/(\s+)/gm;

const hide = (text) => text.replace(FUNCTION_DECORATOR, '$1/*@$2*/$3');
const unhide = (text) => text.replace(HIDDEN, '$1@$2$3');

const check = process.argv.includes('--check');
const files = DIRS.flatMap((dir) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(root, dir, name)),
).sort();

const eslint = new ESLint({ cwd: root, ignore: false });
let failed = false;
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const hidden = hide(source);
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  const formatted = unhide(await prettier.format(hidden, options));
  const relative = path.relative(root, file);
  if (formatted !== source) {
    if (check) {
      console.error(`[warn] ${relative}: not formatted (node scripts/lint-assembly.mjs formats it)`);
      failed = true;
    } else {
      writeFileSync(file, formatted);
    }
  }
  const [result] = await eslint.lintText(hide(check ? source : formatted), { filePath: file });
  for (const m of result.messages) {
    console.error(`${relative}:${m.line}:${m.column}: ${m.message} (${m.ruleId ?? 'parse'})`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`${files.length} AssemblyScript files formatted and linted`);
