// What a remote shell leaves behind once it has finished and nobody holds it: nothing. The
// pump's references to its callbacks are roots for the collector, and the callbacks reach the
// channel and its capture; kept after the end, they kept every finished shell's capture (and
// its snapshot) alive for the life of the process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StderrCapture } from '../../host/core/index.js';
import { StderrChannel } from '../../host/stderr/channel.js';
import { BACKENDS } from '../helpers/backends.js';
import { sleep, waitFor } from '../helpers/promises.js';
import { openOnStandIn, REMOTE_PROGRAMS, remoteProgram } from '../helpers/stand-in.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Whether every referent is collected within a few collections (finalizers may run later). */
async function collected(refs: WeakRef<object>[]): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    gc();
    if (refs.every((ref) => ref.deref() === undefined)) return true;
    await sleep(10);
  }
  return false;
}

describe('a finished remote shell is collected', () => {
  for (const backend of BACKENDS) {
    it(`${backend.name}: a channel that has ended lets go of its capture`, async () => {
      const refs: WeakRef<object>[] = [];
      await (async () => {
        const capture = new StderrCapture();
        capture.setFrameConsumer({ consume() {} });
        const channel = new StderrChannel(capture, { binding: backend.binding() });
        const child = spawn(process.execPath, [REMOTE_PROGRAMS, 'err-bytes', '300000', '0'], {
          stdio: ['ignore', 'ignore', channel.childFd],
        });
        channel.spawned(child);
        child.on('exit', () => channel.finish(100));
        await channel.ended;
        assert.equal(capture.stats.bytesSeen, 300_000);
        capture.close();
        refs.push(new WeakRef(capture), new WeakRef(channel), new WeakRef(capture.snapshot()));
      })();
      assert.ok(await collected(refs), 'the capture, the channel and the snapshot are still reachable');
    });

    it(`${backend.name}: a channel closed before its end lets go of its capture`, async () => {
      const refs: WeakRef<object>[] = [];
      await (async () => {
        const capture = new StderrCapture();
        const channel = new StderrChannel(capture, { binding: backend.binding() });
        const child = spawn(process.execPath, [REMOTE_PROGRAMS, 'err', 'started\n', 'sleep', '5000'], {
          stdio: ['ignore', 'ignore', channel.childFd],
        });
        channel.spawned(child);
        await waitFor(() => capture.stats.bytesSeen === 8, "the channel has read the child's line");
        channel.close();
        child.kill('SIGKILL');
        await new Promise((resolve) => child.on('exit', resolve));
        capture.close();
        refs.push(new WeakRef(capture), new WeakRef(channel));
      })();
      assert.ok(await collected(refs));
    });
  }

  it('openRemoteShell: a shell that has finished, and its stderr, are collected', async () => {
    const refs: WeakRef<object>[] = [];
    await (async () => {
      const shell = openOnStandIn(remoteProgram('err-bytes', 200_000, 0, 'out', 'out\n'));
      shell.stream.resume();
      await shell.finished;
      refs.push(new WeakRef(shell), new WeakRef(shell.stderr));
    })();
    assert.ok(await collected(refs));
  });
});
