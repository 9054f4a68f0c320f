// The command in ssh's place, against a real sshd: plain ssh in the same situation is the
// expectation.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { checkPipelined, CLI, cliEnv, startCli } from '../helpers/cli.js';
import { useSshd } from './sshd.js';
import { checksums, makeTree } from './tree.js';
import { scaled } from '../helpers/promises.js';

describe('the command in place of ssh, through a real sshd', function () {
  this.timeout(scaled(120_000));
  const peer = useSshd();
  const target = () => ['-l', peer.sshd.user, peer.sshd.host];

  it('delivers all 1,000,000 bytes while the caller writes a byte every 5 ms and reads slowly', async () => {
    await checkPipelined(startCli([`--rsh=${peer.sshd.rsh}`, ...target(), 'head -c 1000000 /dev/zero | tr "\\0" x']));
  });

  it('| head -c 10 ends promptly, with the status plain ssh has', () => {
    const run = (command: string) => {
      const started = performance.now();
      const r = spawnSync('bash', ['-c', `${command} ${target().join(' ')} yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`], {
        encoding: 'utf8',
        env: cliEnv(),
        timeout: 20_000,
      });
      return { status: r.stdout.trim(), ms: performance.now() - started };
    };
    const ssh = run(peer.sshd.rsh);
    const ours = run(`${CLI} '--rsh=${peer.sshd.rsh}'`);
    assert.equal(ours.status, ssh.status);
    assert.ok(ours.ms < ssh.ms + 3000, `${Math.round(ours.ms)} ms against ssh's ${Math.round(ssh.ms)} ms`);
  });

  it('rsync with RSYNC_RSH=rsh-transport (no -e) pushes a tree; the command reaches ssh through its own variable', () => {
    const src = path.join(peer.scratch, 'rsync-rsh-src');
    makeTree(src, 50, 2 * 1024 * 1024);
    const r = spawnSync('rsync', ['-a', `${src}/`, `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/rsync-rsh-dst/`], {
      encoding: 'utf8',
      timeout: 60_000,
      env: cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: peer.sshd.rsh }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(checksums(`${peer.scratch}/rsync-rsh-dst`), checksums(src));
  });
});
