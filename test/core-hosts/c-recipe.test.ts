// assembly/README.md's recipe for a C host, run as written (in a scratch directory instead of
// out/), with gcc and with clang: the program it builds prints what the JavaScript example does.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/root.js';
import { scaled } from '../helpers/promises.js';

const readme = readFileSync(path.join(ROOT, 'assembly/README.md'), 'utf8');
const recipe = /<!-- c-host-recipe -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];

describe("assembly/README.md's recipe for a C host", function () {
  this.timeout(scaled(300_000));

  for (const compiler of ['gcc', 'clang']) {
    it(`builds and runs with ${compiler}`, () => {
      assert.ok(recipe, 'the README has the recipe');
      const scratch = mkdtempSync(path.join(tmpdir(), 'rsh-recipe-'));
      try {
        const script = recipe
          .replace(/\bout\//g, `${scratch}/`)
          .replace(/\bout\b/g, scratch)
          .replace(/^cc /m, `${compiler} `);
        const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.split('\n').slice(0, 4).join('\n'), '1 "debug1: Connecting"\n3 " 50%"\n1 "100%"\n1 "Permission denied"');
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }
});
