// native/README.md's example is a program: it runs against the addon this repository builds and
// prints what its comments show.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/root.js';

describe("native/README.md's example", () => {
  it("drains a child's stderr through the pump and prints what its comments show", () => {
    const readme = readFileSync(path.join(ROOT, 'native/README.md'), 'utf8');
    const [, program] = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)!;
    const promised = [...program.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]);
    assert.equal(promised.length, 3);
    const source = program.replace(
      "'./build/Release/rsh_transport.node'",
      JSON.stringify(path.join(ROOT, 'build/Release/rsh_transport.node')),
    );
    assert.notEqual(source, program, 'the example loads the addon by its path in the repository');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', cwd: ROOT });
    assert.deepEqual(out.trimEnd().split('\n'), promised);
  });
});
