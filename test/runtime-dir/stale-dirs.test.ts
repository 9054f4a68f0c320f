// Directories left by a process whose exit hook and watchdog were both killed: the next process
// that makes its own directory beside them stops the masters they name and removes them. Only a
// directory certainly another ended process's of this user is touched.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { claimDir, staleDirs, sweepStaleDirs } from '../../host/stale-dirs.js';
import { running } from '../peers/masters.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { killGroup } from '../helpers/proc.js';
import { ROOT } from '../helpers/root.js';

const uid = process.getuid?.() ?? 0;
const namespace = ((): string => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '-';
  }
})();

// A pid that was a process of this user and is no more.
function deadPid(): number {
  const run = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(run.stdout).trim());
}

describe('stale private directories', function () {
  this.timeout(scaled(30_000));
  let base: string;
  const fakes: ChildProcess[] = [];

  // A directory as a process of `pid` would have left it.
  const leftBy = (name: string, owner: string | undefined, mode = 0o700): string => {
    const dir = path.join(base, name);
    mkdirSync(dir);
    chmodSync(dir, mode);
    if (owner !== undefined) writeFileSync(path.join(dir, 'owner'), owner);
    return dir;
  };
  // A process whose command line is that of the master of `socket` (see master-processes.ts).
  const fakeMaster = (socket: string): ChildProcess => {
    const child = spawn('bash', ['-c', `exec -a ssh bash -c 'sleep 60; :' -o ControlMaster=yes -o ControlPath=${socket} -N host`], {
      stdio: 'ignore',
      // Its own process group, so that its sleep is killed with it.
      detached: true,
    });
    fakes.push(child);
    return child;
  };

  beforeEach(() => {
    base = mkdtempSync('/tmp/rsh-sw-');
  });
  afterEach(() => {
    for (const child of fakes.splice(0)) killGroup(child);
    rmSync(base, { recursive: true, force: true });
  });

  it("only another ended process's directory of this user, in the same pid namespace, is stale", () => {
    const own = leftBy('rsh-OWNOWN', `${process.pid} ${namespace}`);
    const stale = leftBy('rsh-DEAD01', `${deadPid()} ${namespace}`);
    leftBy('rsh-ALIVE1', `${process.pid} ${namespace}`);
    leftBy('rsh-NOOWNR', undefined);
    leftBy('rsh-OTHRNS', `${deadPid()} pid:[1]`);
    leftBy('rsh-OPEN01', `${deadPid()} ${namespace}`, 0o755);
    leftBy('other-DEAD', `${deadPid()} ${namespace}`);
    leftBy('rsh-JUNK01', `not a pid ${namespace}`);
    assert.deepEqual(staleDirs(base, own, uid), [stale]);
    assert.deepEqual(staleDirs(base, own, uid + 1), [], "another user's directories are never judged");
  });

  it('a stale directory: its masters are stopped, then it is removed', async () => {
    const stale = leftBy('rsh-DEAD02', `${deadPid()} ${namespace}`);
    const socket = path.join(stale, '0123456789abcdef');
    writeFileSync(socket, '');
    const master = fakeMaster(socket);
    const other = fakeMaster(path.join(base, 'rsh-ELSEWH', '0123456789abcdef'));
    await waitFor(() => spawnSync('pgrep', ['-f', `ControlPath=${socket}`]).status === 0, 'the fake master runs');
    await sweepStaleDirs(base, path.join(base, 'rsh-MINE01'), uid);
    assert.equal(existsSync(stale), false);
    await waitFor(() => !running(master.pid!), 'the master of the stale directory is stopped');
    assert.ok(running(other.pid!), "another directory's master is not");
  });

  it('runtimeDir() sweeps beside the directory it makes, and claims its own', () => {
    const stale = leftBy('rsh-DEAD03', `${deadPid()} ${namespace}`);
    const code = `
      const { runtimeDir } = await import(${JSON.stringify(path.join(ROOT, 'host/runtime-dir.ts'))});
      process.env.TMPDIR = ${JSON.stringify(base)};
      const dir = runtimeDir();
      const { readFileSync } = await import('node:fs');
      process.stdout.write(JSON.stringify({ dir, owner: readFileSync(dir + '/owner', 'utf8') }));
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { dir, owner } = JSON.parse(run.stdout) as { dir: string; owner: string };
    assert.equal(path.dirname(dir), base);
    assert.match(owner, new RegExp(`^\\d+ ${namespace.replace(/[[\]]/g, '\\$&')}\\n$`));
    assert.equal(existsSync(stale), false, 'the stale directory was swept');
    assert.equal(existsSync(dir), false, 'and its own removed at its exit');
  });

  it('claimDir never overwrites an owner file', () => {
    const dir = leftBy('rsh-CLAIMD', '1 x');
    assert.throws(() => claimDir(dir), /EEXIST/);
  });
});
