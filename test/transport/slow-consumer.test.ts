// A consumer slower than the child: every byte the child wrote before its exit is delivered,
// however long the consumer takes, in both runs of the transport suite (with the addon, the
// kernel says how much is left at the exit; without it, the stream waits until the consumer
// has wanted more and nothing came).

import assert from 'node:assert/strict';
import { openRemoteShell } from '../../host/index.js';
import { scaled, sleep } from '../helpers/promises.js';
import { remoteProgram, standIn } from '../helpers/stand-in.js';

describe('a consumer slower than the child', function () {
  this.timeout(scaled(60_000));

  it('reading slowly, gets all 2,000,000 bytes', async () => {
    const shell = openRemoteShell({ host: 'local', rsh: standIn(), command: remoteProgram('out-bytes', 2_000_000, 0), stderr: 'capture' });
    let bytes = 0;
    for await (const chunk of shell.stream) {
      bytes += (chunk as Buffer).length;
      await sleep(60);
    }
    await shell.finished;
    assert.equal(bytes, 2_000_000);
  });

  it('paused for a second after the exit, then reading, gets every byte', async () => {
    const drainTimeoutMs = 100;
    const shell = openRemoteShell({
      host: 'local',
      rsh: standIn(),
      command: remoteProgram('out-bytes', 100_000, 0),
      stderr: 'capture',
      drainTimeoutMs,
    });
    shell.stream.pause();
    await shell.exited;
    // Not a wait for something to happen: this consumer stays away, for ten drain timeouts, while
    // the transport looks again and again for a reason to give up on the unread bytes.
    await sleep(10 * drainTimeoutMs);
    let bytes = 0;
    shell.stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    shell.stream.resume();
    await shell.finished;
    assert.equal(bytes, 100_000);
  });
});
