import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { internal } from '../../host/internal.js';
import { BACKENDS } from '../helpers/backends.js';
import { scaled, sleep } from '../helpers/promises.js';
import { useSshd } from './sshd.js';

// The first connection with ControlMaster=auto and ControlPersist leaves a master process that
// inherited the client's stderr (with -v: the master detaches to /dev/null otherwise). The
// transport must not wait for it; Node's own 'close' does.
describe('ssh ControlMaster / ControlPersist through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();

  const control = (name: string) => [
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${path.join(peer.sshd.dir, `cm-${name}`)}`,
    '-o',
    'ControlPersist=60',
  ];
  const ssh = (name: string, ...args: string[]) =>
    spawnSync('ssh', [...peer.sshd.sshOptions, ...control(name), ...args, '-l', peer.sshd.user, peer.sshd.host], { encoding: 'utf8' });
  const masterPid = (name: string): number => {
    const check = ssh(name, '-O', 'check');
    const pid = /pid=(\d+)/.exec(check.stderr)?.[1];
    assert.ok(pid, `a master runs: ${check.stderr}`);
    return Number(pid);
  };

  for (const backend of BACKENDS) {
    it(`finished resolves within 1 s of the ssh client's exit while the master holds stderr (${backend.name})`, async () => {
      const name = backend.name;
      // `ssh -v` through the ControlMaster of this backend's name, echoing `word`.
      const echo = (word: string) =>
        openRemoteShell({
          host: peer.sshd.host,
          user: peer.sshd.user,
          rsh: ['ssh', ...peer.sshd.sshOptions, ...control(name), '-v'],
          command: ['echo', word],
          stderr: 'capture',
          [internal]: { binding: backend.binding() },
        } as Parameters<typeof openRemoteShell>[0]);
      const shell = echo('first');
      let endedAt = 0;
      const out: Buffer[] = [];
      shell.stream.on('data', (chunk: Buffer) => out.push(chunk));
      shell.stream.on('end', () => (endedAt = performance.now()));
      try {
        await shell.finished;
        const waited = performance.now() - endedAt;
        assert.equal(Buffer.concat(out).toString(), 'first\n');
        assert.ok(waited < 1000, `finished ${waited.toFixed(0)} ms after the client's output ended`);
        assert.equal(shell.stderr.stats.backend, name);

        // The master is alive and holds what was the client's stderr: a pipe or a socket.
        const pid = masterPid(name);
        assert.match(readlinkSync(`/proc/${pid}/fd/2`), name === 'pipe' ? /^pipe:/ : /^socket:/);

        // A second connection multiplexes through it.
        const second = echo('second');
        const secondOut: Buffer[] = [];
        second.stream.on('data', (chunk: Buffer) => secondOut.push(chunk));
        await second.finished;
        assert.equal(Buffer.concat(secondOut).toString(), 'second\n');
        assert.match(second.stderr.snapshot().text, /mux_client_request_session/);
        assert.equal(masterPid(name), pid);
      } finally {
        ssh(name, '-O', 'exit');
      }
    });
  }

  it("plain child_process.spawn: 'close' waits for the master, which is why the transport exists", async () => {
    const child = spawn('ssh', [...peer.sshd.sshOptions, ...control('plain'), '-v', '-l', peer.sshd.user, peer.sshd.host, 'echo plain'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume();
    child.stderr.resume();
    let closed = false;
    child.on('close', () => (closed = true));
    await new Promise((resolve) => child.on('exit', resolve));
    await sleep(2000);
    try {
      assert.equal(closed, false, "two seconds after the client's exit, 'close' still waits for the master");
    } finally {
      ssh('plain', '-O', 'exit');
    }
    await new Promise((resolve) => (closed ? resolve(undefined) : child.on('close', resolve)));
  });
});
