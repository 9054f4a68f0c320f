import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { useSshd } from './sshd.js';
import { checksums, makeTree } from './tree.js';
import { scaled } from '../helpers/promises.js';

describe('rsync through a real sshd', function () {
  this.timeout(scaled(180_000));
  const peer = useSshd();

  it("speaks rsync's protocol greeting with rsync --server over openRemoteShell", async () => {
    const local = /protocol version (\d+)/.exec(spawnSync('rsync', ['--version'], { encoding: 'utf8' }).stdout)![1];
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      stderr: 'capture',
      command: ['rsync', '--server', '--sender', '-logDtpre.iLsfxCIvu', '.', peer.scratch],
    });
    const version = Buffer.alloc(4);
    version.writeUInt32LE(Number(local));
    shell.stream.write(version);
    const reply = await new Promise<Buffer>((resolve) => {
      let got = Buffer.alloc(0);
      shell.stream.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 4) resolve(got);
      });
    });
    assert.equal(reply.readUInt32LE(0), Number(local));
    await shell.close();
    assert.ok(shell.stderr.stats.bytesSeen >= 0);
  });

  it('pushes and pulls a 50 MB tree of 3,000 files with names holding spaces, rsync -e rsh-transport', () => {
    const src = path.join(peer.scratch, 'src');
    makeTree(src, 3000, 50 * 1024 * 1024);
    const rsh = `${CLI} --rsh="${peer.sshd.rsh}"`;
    const remote = `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/pushed/`;
    const push = spawnSync('rsync', ['-a', '-e', rsh, `${src}/`, remote], { encoding: 'utf8', env: cliEnv() });
    assert.equal(push.status, 0, push.stderr);
    const pull = spawnSync('rsync', ['-a', '-e', rsh, remote, `${peer.scratch}/pulled/`], { encoding: 'utf8', env: cliEnv() });
    assert.equal(pull.status, 0, pull.stderr);
    const expected = checksums(src);
    assert.equal(expected.size, 3000);
    assert.deepEqual(checksums(`${peer.scratch}/pushed`), expected);
    assert.deepEqual(checksums(`${peer.scratch}/pulled`), expected);
  });

  it('keeps the ring bounded through hundreds of KB of ssh -vvv and remote chatter, the transfer unaffected', async () => {
    // ssh -vvv alone says some 60 KB per 200 MB; the remote command adds 588 KB of its own.
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: `${peer.sshd.rsh} -vvv`,
      stderr: 'capture',
      command: ['sh', '-c', `seq 1 100000 >&2 & head -c ${20 * 1024 * 1024} /dev/zero; wait`],
    });
    let bytes = 0;
    shell.stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await shell.finished;
    assert.equal(bytes, 20 * 1024 * 1024);
    const { bytesSeen, bytesDropped } = shell.stderr.stats;
    assert.ok(bytesSeen > 500 * 1024, `stderr carried ${bytesSeen} bytes`);
    assert.equal(bytesDropped, bytesSeen - 64 * 1024 - 4 * 1024);
    const snapshot = shell.stderr.snapshot();
    assert.ok(snapshot.tailBytes.length <= 64 * 1024 && snapshot.headBytes.length <= 4 * 1024);
    assert.match(snapshot.head, /^OpenSSH_/);
    assert.match(snapshot.tail, /debug1: Exit status 0\n/);
    assert.ok(snapshot.omittedBytes > 0);
  });
});
