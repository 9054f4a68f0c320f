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
// A decorator (`@inline`, `@external("env", "f")`) at the start of a line, before a declaration
// or another decorator. Each is hidden as a comment no person writes, and only those come back.
const DECORATOR =
  /^([ \t]*(?:\/\*@asc-decorator [^\n]*? \*\/[ \t]+)*)@([a-z]+(?:\([^)\n]*\))?)([ \t]+)(?=@|(?:export\s+)?(?:declare\s+)?(?:function|const|let|var|class|namespace)\b)/gm;
const MARK = '/*@asc-decorator ';
const HIDDEN = /\/\*@asc-decorator ((?:[^*]|\*(?!\/))*) \*\/([ \t]+)/g;

function hide(text, file) {
  if (text.includes(MARK)) throw new Error(`${file}: holds the marker ${MARK}, which this script keeps for itself`);
  let hidden = text;
  // Stacked decorators: each pass hides the next of each line's stack.
  for (let previous; previous !== hidden;) {
    previous = hidden;
    hidden = hidden.replace(DECORATOR, (_, indent, decorator, space) => `${indent}${MARK}${decorator.replaceAll('*/', '* /')} */${space}`);
  }
  return hidden;
}
const unhide = (text) => text.replace(HIDDEN, (_, decorator, space) => `@${decorator}${space}`);

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
  let hidden;
  try {
    hidden = hide(source, path.relative(root, file));
  } catch (err) {
    console.error(err.message);
    failed = true;
    continue;
  }
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  let formatted;
  try {
    formatted = unhide(await prettier.format(hidden, options));
  } catch (err) {
    console.error(`${path.relative(root, file)}: ${String(err.message).split('\n')[0]}`);
    failed = true;
    continue;
  }
  const relative = path.relative(root, file);
  if (formatted !== source) {
    if (check) {
      console.error(`[warn] ${relative}: not formatted (node scripts/lint-assembly.mjs formats it)`);
      failed = true;
    } else {
      writeFileSync(file, formatted);
    }
  }
  const [result] = await eslint.lintText(hide(check ? source : formatted, file), { filePath: file });
  for (const m of result.messages) {
    console.error(`${relative}:${m.line}:${m.column}: ${m.message} (${m.ruleId ?? 'parse'})`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`${files.length} AssemblyScript files formatted and linted`);
