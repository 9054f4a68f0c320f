// build/core.wasm translated to C by wasm2c (core-hosts/c/vector-host.c): every vector must give
// byte for byte what the same module gives in Node.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseVector } from '../vectors/format.js';
import { runOnWasm } from '../vectors/run-wasm.js';
import { corpus, firstDifference } from './corpus.js';
import { buildCHost, C_HOST_DIR, ROOT } from './native-build.js';
import { scaled } from '../helpers/promises.js';

describe('the core in C (wasm2c)', function () {
  this.timeout(scaled(300_000));
  const host = path.join(C_HOST_DIR, 'vector-host');

  before(() => buildCHost());

  it('gives every vector byte for byte as Node does', () => {
    const entries = corpus();
    assert.ok(entries.length > 0);
    for (const { name, vecPath, vec, expected } of entries) {
      const result = spawnSync(host, [vecPath], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(result.status, 0, `${name}: vector-host exited ${result.status ?? result.signal}: ${result.stderr}`);
      const node = runOnWasm(parseVector(vec));
      assert.ok(node === expected, `${name}: Node differs from ${name}.out: ${firstDifference(node, expected)}`);
      assert.ok(result.stdout === node, `${name}: C differs from Node: ${firstDifference(result.stdout, node)}`);
    }
  });

  it('runs the example of assembly/README.md, which shows core-hosts/c/example.c as it is', () => {
    const result = spawnSync(path.join(C_HOST_DIR, 'example'), { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      '1 "debug1: Connecting"\n3 " 50%"\n1 "100%"\n1 "Permission denied"\n' +
        'snapshot: "debug1: Connecting\n100%\nPermission denied\n"\n' +
        'safe: "denied^[]0;all good^G^[[2J"\n',
    );
    const source = readFileSync(path.join(ROOT, 'core-hosts/c/example.c'), 'utf8');
    const readme = readFileSync(path.join(ROOT, 'assembly/README.md'), 'utf8');
    const shown = readme.slice(readme.indexOf('## A host in C')).match(/```c\n([\s\S]*?)```/)?.[1];
    assert.ok(shown && source.endsWith(shown), 'the README shows another program than core-hosts/c/example.c');
  });

  it('reports an export error by its exit status, not by output', () => {
    const result = spawnSync(host, ['-'], { input: 'geometry 3 0 16 8 1\n', encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /init \(-8\)/);
  });
});
