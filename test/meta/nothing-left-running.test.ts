// The check `npm test` runs its suites under: a process the tests leave running fails the run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { posixOnly } from '../helpers/posix.js';
import { scaled } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';

const SCRIPT = path.join(ROOT, 'scripts/nothing-left-running.py');

function run(script: string, graceS = 1) {
  return spawnSync('python3', [SCRIPT, 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, NOTHING_LEFT_RUNNING_GRACE_S: String(graceS) },
    timeout: scaled(30_000),
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('nothing left running after the tests (POSIX)', function () {
  this.timeout(scaled(60_000));

  before(function () {
    posixOnly(this, 'the script runs POSIX shells');
    // Elsewhere it runs the command unchecked, as it says.
    if (process.platform !== 'linux') this.skip();
  });

  it("passes the command's status on when it leaves nothing: an exit, a signal", () => {
    assert.equal(run('exit 0').status, 0);
    assert.equal(run('exit 3').status, 3);
    assert.equal(run('kill -TERM $$').status, 143);
  });

  it('waits for an orphan that ends within the grace, without failing', () => {
    const r = run('(sleep 0.3 &); exit 0', 10);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('names, kills and fails on an orphan still running after the grace, even one in a session of its own', () => {
    const r = run('(setsid sleep 100 & echo $! >&2; sleep 100 & echo $! >&2); exit 0');
    assert.equal(r.status, 1);
    const pids = r.stderr
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
    assert.equal(pids.length, 2, r.stderr);
    assert.match(r.stderr, /still running 1 s after `sh -c .*` ended \(killed now\):\n/);
    for (const pid of pids) {
      assert.match(r.stderr, new RegExp(`\\n  ${pid} sleep 100\\n`));
      assert.equal(alive(pid), false, `${pid} was killed`);
    }
  });

  it("keeps a failing command's status when it also left something", () => {
    assert.equal(run('(sleep 100 &); exit 4').status, 4);
  });
});
