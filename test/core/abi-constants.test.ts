// The core's ABI constants are written once (assembly/layout.ts); the TypeScript and C copies are
// generated from it, and the copies that stay hand-written (the tables of assembly/README.md)
// are held to it here.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, FRAME_KINDS, SNAP_INFO } from '../../host/core/abi-constants.js';
import { ROOT } from '../transport/helpers.js';
// @ts-expect-error: a plain script, without declarations
import { generated, readLayout } from '../../scripts/gen-abi.mjs';

const layout = readFileSync(path.join(ROOT, 'assembly/layout.ts'), 'utf8');

describe('the ABI constants, written once', () => {
  it('the generated files are what assembly/layout.ts gives (npm run gen:abi)', () => {
    const check = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-abi.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('a change to layout.ts changes both generated files', () => {
    const changed = layout.replace('export const KIND_CR: u32 = 3;', 'export const KIND_CR: u32 = 9;');
    assert.notEqual(changed, layout);
    const before = generated(layout) as Record<string, string>;
    const after = generated(changed) as Record<string, string>;
    for (const file of Object.keys(before)) assert.notEqual(after[file], before[file], file);
    assert.match(after['host/core/abi-constants.ts'], /CR: 9,/);
    assert.match(after['core-hosts/c/core-abi-constants.h'], /CORE_CR = 9,/);
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
