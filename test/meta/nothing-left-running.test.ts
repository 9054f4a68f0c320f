// The check `npm test` runs its suites under: a process the tests leave running fails the run.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { alive, childrenOf } from '../cli/procs.js';
import { posixOnly } from '../helpers/posix.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';

const SCRIPT = path.join(ROOT, 'scripts/nothing-left-running.py');

function run(script: string, graceS = 1) {
  return spawnSync('python3', [SCRIPT, 'sh', '-c', script], {
    encoding: 'utf8',
    env: { ...process.env, NOTHING_LEFT_RUNNING_GRACE_S: String(graceS) },
    timeout: scaled(30_000),
  });
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
    assert.match(r.stderr, /`sh -c .*` ended, and 1 s later these still ran \(killed now\):\n/);
    for (const pid of pids) {
      assert.match(r.stderr, new RegExp(`\\n  ${pid} sleep 100\\n`));
      assert.equal(alive(pid), false, `${pid} was killed`);
    }
  });

  it('passes a SIGTERM on to the command while it runs; after it, a SIGTERM ends the wait at once', async () => {
    const forwarded = spawn('python3', [SCRIPT, 'sh', '-c', 'trap "kill \\$!; exit 5" TERM; sleep 100 & echo ready; wait'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await once(forwarded.stdout, 'data');
    forwarded.kill('SIGTERM');
    assert.deepEqual(await once(forwarded, 'exit'), [5, null]);
    // An orphan that would hold the wait for 60 s; the signal comes once the command has ended.
    const cut = spawn('python3', [SCRIPT, 'sh', '-c', '(sleep 100 & echo $! >&2); exit 0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NOTHING_LEFT_RUNNING_GRACE_S: '60' },
    });
    let stderr = '';
    cut.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    await waitFor(() => /^\d+\n/.test(stderr), 'the orphan to start');
    const orphan = Number(stderr.split('\n')[0]);
    // The command has ended once the orphan is the script's child.
    await waitFor(() => childrenOf(cut.pid!).includes(orphan), "the orphan to be the script's");
    const started = performance.now();
    cut.kill('SIGTERM');
    assert.deepEqual(await once(cut, 'exit'), [1, null]);
    assert.ok(performance.now() - started < scaled(10_000), 'the wait was cut short');
    assert.match(stderr, /when a signal cut the wait short these still ran \(killed now\):\n/);
    assert.equal(alive(orphan), false);
  });

  it('a command that cannot run: 127, named, and nothing started', () => {
    const r = spawnSync('python3', [SCRIPT, '/no/such/program-here'], { encoding: 'utf8', timeout: scaled(30_000) });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /^nothing-left-running: cannot run \/no\/such\/program-here: No such file or directory\n$/);
  });

  it("keeps a failing command's status when it also left something", () => {
    assert.equal(run('(sleep 100 &); exit 4').status, 4);
  });
});
