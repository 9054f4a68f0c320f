// The stream contract through a real ssh and sshd: ssh's own behaviour (it keeps its stdin and
// stdout channels apart, holds output until the remote side closes, reads options after the
// host) must not break it.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openRemoteShell, type RemoteShellError } from '../../host/index.js';
import { internal } from '../../host/internal.js';
import { BACKENDS } from '../helpers/backends.js';
import { rejection, scaled, sleep } from '../helpers/promises.js';
import { collect } from '../helpers/streams.js';
import { useSshd } from './sshd.js';
import { scratchDir } from '../helpers/scratch.js';

describe('the stream contract through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  const target = () => ({ host: peer.sshd.host, user: peer.sshd.user, rsh: peer.sshd.rsh, stderr: 'capture' as const });

  it('a reply sent before the server exits without reading is delivered after the write failed', async () => {
    const shell = openRemoteShell({ ...target(), remoteCommand: 'echo "error: unknown request"; exit 3' });
    await shell.exited;
    const err = await new Promise<Error | null | undefined>((resolve) => shell.stream.write('REQUEST\n', resolve));
    assert.equal((err as RemoteShellError).code, 'ERR_STREAM_CLOSED');
    assert.equal((await collect(shell.stream)).toString(), 'error: unknown request\n');
    const failure = await rejection(shell.finished);
    assert.equal(failure.exitCode, 3);
    assert.equal(failure.bytesReceived, 23);
  });

  it('1,000,000 bytes and an exit while the caller writes a byte every 5 ms and reads slowly: every byte arrives', async () => {
    const shell = openRemoteShell({ ...target(), remoteCommand: 'head -c 1000000 /dev/zero | tr "\\0" x' });
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await new Promise((resolve) => shell.stream.write('k', resolve));
        await sleep(5);
      }
    })();
    let received = 0;
    shell.stream.pipe(
      new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          received += chunk.filter((b) => b === 0x78).length;
          setTimeout(callback, 20);
        },
      }),
    );
    const result = await shell.finished;
    writing = false;
    await writer;
    assert.equal(received, 1_000_000);
    assert.equal(result.bytesReceived, 1_000_000);
  });

  for (const backend of BACKENDS) {
    const use = { [internal]: { binding: backend.binding() } };

    // (Output larger than the buffers on the way keeps ssh itself from exiting until someone
    // reads it, as with child_process; close() is the way out then, tested below.)
    it(`a consumer that never reads: finished settles once ssh exits (${backend.name} stderr)`, async () => {
      const shell = openRemoteShell({ ...target(), ...use, remoteCommand: 'head -c 30000 /dev/zero' });
      const result = await shell.finished;
      assert.equal(result.bytesReceived, 30_000);
      assert.equal(result.bytesDiscarded, 30_000);
    });

    it(`close() with ssh blocked on unread output settles within the bound (${backend.name} stderr)`, async () => {
      const shell = openRemoteShell({ ...target(), ...use, remoteCommand: 'exec yes', killGraceMs: 300, drainTimeoutMs: 100 });
      await sleep(500);
      const started = performance.now();
      await shell.close();
      const took = performance.now() - started;
      assert.ok(took < 300 * 2 + 100 + 1500, `close() took ${Math.round(took)} ms`);
      assert.ok(shell.stream.destroyed);
      await shell.finished.catch(() => {});
    });
  }

  it('a first command word that starts with - reaches the remote shell as a word, never ssh as an option', async () => {
    const dir = scratchDir('rsh-dash-');
    const marker = path.join(dir, 'ran-locally');
    for (const command of [[`-oProxyCommand=touch ${marker}`, 'x'], ['-V'], ['-G']]) {
      const shell = openRemoteShell({ ...target(), command });
      const out = collect(shell.stream);
      const failure = await rejection(shell.finished);
      // The remote shell looked for a command of that name: ssh ran it as the remote command.
      assert.equal(failure.exitCode, 127, `${command[0]}: ${failure.stderrTail}`);
      assert.match(
        failure.stderrTail,
        new RegExp(`${command[0].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ((command )?not found|No such file or directory)`),
      );
      assert.doesNotMatch(failure.stderrTail, /OpenSSH_/, 'not ssh -V');
      assert.equal((await out).length, 0, 'not ssh -G printing its configuration');
    }
    assert.equal(existsSync(marker), false, 'ProxyCommand never ran');
  });
});
