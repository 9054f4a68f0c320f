// The core's ABI is written once: constants in assembly/layout.ts, signatures in
// assembly/index.ts, what each export does in assembly/README.md. The TypeScript and C copies
// are generated from them, and what stays hand-written (the README's tables) is held to them
// here; the exports' type is also held to the declarations the AssemblyScript compiler emits.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ERROR_CODES, FRAME_KINDS, SNAP_INFO } from '../../host/core/abi-constants.js';
import { ROOT } from '../helpers/root.js';
// @ts-expect-error: a plain script, without declarations
import { generated, readExports, readLayout } from '../../scripts/gen-abi.mjs';

const layout = readFileSync(path.join(ROOT, 'assembly/layout.ts'), 'utf8');
const index = readFileSync(path.join(ROOT, 'assembly/index.ts'), 'utf8');
const readme = readFileSync(path.join(ROOT, 'assembly/README.md'), 'utf8');
const EXPORTS_FILE = 'host/core/abi-exports.ts';

/** `name(params): type` of every function in a TypeScript declaration text, in order. */
const signatures = (text: string): string[] => [...text.matchAll(/^\s*(?:export function )?([a-z_]+\([^)]*\): \w+);$/gm)].map((m) => m[1]);

describe('the ABI constants, written once', () => {
  it('the generated files are what assembly/layout.ts gives (npm run gen:abi)', () => {
    const check = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-abi.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('a change to layout.ts changes both generated files of constants', () => {
    const changed = layout.replace('export const KIND_CR: u32 = 3;', 'export const KIND_CR: u32 = 9;');
    assert.notEqual(changed, layout);
    const before = generated(layout, index, readme) as Record<string, string>;
    const after = generated(changed, index, readme) as Record<string, string>;
    for (const file of Object.keys(before).filter((f) => f !== EXPORTS_FILE)) assert.notEqual(after[file], before[file], file);
    assert.match(after['host/core/abi-constants.ts'], /CR: 9,/);
    assert.match(after['core-hosts/c/core-abi-constants.h'], /CORE_CR = 9,/);
  });

  it("a change to an export's signature or its README row changes the exports' type", () => {
    const before = generated(layout, index, readme)[EXPORTS_FILE] as string;
    const retyped = generated(
      layout,
      index.replace('export function resume(handle: i32): i32 {', 'export function resume(handle: i32): i64 {'),
      readme,
    );
    assert.match(retyped[EXPORTS_FILE], /^ {2}resume\(handle: number\): bigint;$/m);
    const redescribed = generated(layout, index, readme.replace('| `capture_open()` | a handle,', '| `capture_open()` | one handle,'));
    assert.match(redescribed[EXPORTS_FILE], /\/\*\* one handle, or `ERR_NO_SLOT`/);
    assert.notEqual(retyped[EXPORTS_FILE], before);
  });

  it('an export the README does not describe, or a row for no export, is refused by name', () => {
    const added = `${index}\nexport function frames_left(handle: i32): i32 {\n  return handle;\n}\n`;
    assert.throws(() => generated(layout, added, readme), /the Exports table does not describe frames_left/);
    const extra = readme.replace('| `capture_open()` |', '| `capture_reopen(h)` | again |\n| `capture_open()` |');
    assert.throws(() => generated(layout, index, extra), /describes capture_reopen, which assembly\/index.ts does not export/);
    assert.throws(
      () => readExports('export function f(x: string): i32 {'),
      /f\(\): x is of type string, which no export may take or return/,
    );
    // An export the reader cannot take apart is refused, not left out of the type.
    for (const unread of ['@inline export function d(): i32 {', 'export function fooBar(): i32 {', 'export { x } from "./y";']) {
      assert.throws(() => readExports(unread), /cannot read this export/, unread);
    }
    assert.throws(() => readExports('export function h(y: i32 = 0): i32 {'), /cannot read the parameter `y: i32 = 0`/);
  });

  it("the exports' type has the signatures the AssemblyScript compiler declares, and build/core.wasm's exports", () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'core-bindings-'));
    try {
      const asc = spawnSync(
        process.execPath,
        [
          'node_modules/assemblyscript/bin/asc.js',
          'assembly/index.ts',
          '--target',
          'release',
          '-o',
          path.join(scratch, 'core.wasm'),
          '--bindings',
          'raw',
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(asc.status, 0, asc.stderr);
      const declared = signatures(readFileSync(path.join(scratch, 'core.d.ts'), 'utf8'));
      const ours = signatures(readFileSync(path.join(ROOT, EXPORTS_FILE), 'utf8'));
      assert.ok(ours.length >= 18, ours.join('\n'));
      assert.deepEqual(ours, declared);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const wasm = new WebAssembly.Module(readFileSync(path.join(ROOT, 'build/core.wasm')));
    const functions = WebAssembly.Module.exports(wasm)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
    assert.deepEqual(
      functions,
      (readExports(index) as Array<{ name: string }>).map((e) => e.name),
    );
  });

  it('every constant of layout.ts reaches the TypeScript host with its value', () => {
    const constants = readLayout(layout) as Array<{ name: string; value: number }>;
    const byName = Object.fromEntries(constants.map((c) => [c.name, c.value]));
    for (const [name, code] of Object.entries(ERROR_CODES)) assert.equal(code, byName[name], name);
    for (const [name, kind] of Object.entries(FRAME_KINDS)) assert.equal(kind, byName[`KIND_${name}`], name);
    for (const [name, offset] of Object.entries(SNAP_INFO)) assert.equal(offset, byName[`SNAP_${name}`], name);
    assert.equal(Object.keys(ERROR_CODES).length, constants.filter((c) => c.name.startsWith('ERR_')).length);
  });

  it("assembly/README.md's tables of error codes and frame kinds hold the same numbers", () => {
    const readme = readFileSync(path.join(ROOT, 'assembly/README.md'), 'utf8');
    const errors = Object.fromEntries([...readme.matchAll(/^\| (-\d+) \| `(ERR_[A-Z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]));
    assert.deepEqual(errors, { ...ERROR_CODES });
    const kinds = Object.fromEntries([...readme.matchAll(/^\| (\d) \| `([A-Z]+)` \|/gm)].map((m) => [m[2], Number(m[1])]));
    assert.deepEqual(kinds, { ...FRAME_KINDS });
  });
});
