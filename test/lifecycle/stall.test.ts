// The stall watchdog (stallTimeoutMs): a remote shell through which no protocol byte moves while
// the caller waits on it is ended, with reason 'stalled'; one that moves slowly, one the caller
// does not wait on, and one that only talks on stderr are told apart.

import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';
import { RemoteShellError } from '../../host/index.js';
import { StallWatchdog } from '../../host/lifecycle/stall-watchdog.js';
import { Timers } from '../../host/timers.js';
import { rejection, scaled, sleep, waitFor } from '../helpers/promises.js';
import { NO_ADDON } from '../helpers/backends.js';
import { openOnStandIn, remoteProgram } from '../helpers/stand-in.js';

const every = (times: number, ...steps: Array<string | number>) => Array.from({ length: times }, () => steps).flat();

describe('the stall watchdog', function () {
  this.timeout(scaled(60_000));

  it('ends a remote command that stops sending while the caller reads: SIGTERM, reason stalled, the bytes so far', async () => {
    const shell = openOnStandIn(remoteProgram('out', 'hi\n', 'sleep', 60_000), { stallTimeoutMs: 300 });
    let received = 0;
    shell.stream.on('data', (chunk: Buffer) => (received += chunk.length));
    const err = await rejection(shell.finished);
    assert.ok(err instanceof RemoteShellError);
    assert.equal(err.reason, 'stalled');
    assert.equal(err.code, 'ERR_STALLED');
    // The clock runs from the start: on a loaded machine the child may not have said hi yet.
    assert.equal(
      err.shortMessage,
      `no protocol byte moved for 300 ms while the stream was waited on (0 bytes sent and ${received} received so far): stand-in-ssh.mjs was stopped`,
    );
    assert.equal(err.bytesReceived, received);
    assert.match(err.hint!, /stallTimeoutMs/);
    assert.equal((await shell.exited).signal, 'SIGTERM');
  });

  it('never ends one that is slow but moves: a byte every 100 ms for 1.5 s, with a 3 s bound (its start counts too)', async () => {
    const shell = openOnStandIn(remoteProgram(...every(15, 'out', 'x', 'sleep', 100)), { stallTimeoutMs: scaled(3000) });
    let received = '';
    shell.stream.on('data', (chunk: Buffer) => (received += chunk));
    await shell.finished;
    assert.equal(received, 'x'.repeat(15));
  });

  it('does not count stderr as progress', async () => {
    // One protocol byte first, so that the child's start is behind it; then only stderr.
    const lines: number[] = [];
    let go = 0;
    // stderr every 100 ms for three times the bound: the stall must come while it still talks.
    const talking = every(Math.ceil(scaled(3000) / 100), 'err', 'still here\n', 'sleep', 100);
    const shell = openOnStandIn(remoteProgram('out', 'go', ...talking), {
      stallTimeoutMs: scaled(1000),
      stderr: () => lines.push(performance.now()),
    });
    shell.stream.once('data', () => (go = performance.now()));
    shell.stream.resume();
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'stalled');
    assert.ok(go > 0, 'the protocol byte came');
    assert.ok(lines.filter((at) => at > go).length >= 2, `${lines.length} stderr lines, the stall came all the same`);
  });

  it('does not count the time the caller does not wait: paused, with nothing to send', async () => {
    const shell = openOnStandIn(remoteProgram('sleep', 800, 'out', 'done\n'), { stallTimeoutMs: 100 });
    shell.stream.pause();
    await shell.exited;
    let received = '';
    shell.stream.on('data', (chunk: Buffer) => (received += chunk));
    shell.stream.resume();
    await shell.finished;
    assert.equal(received, 'done\n');
  });

  it('counts writes the child does not take as waiting on it', async () => {
    // The child never reads: 4 MiB cannot all go into the kernel's buffers.
    const shell = openOnStandIn(remoteProgram('sleep', 60_000), { stallTimeoutMs: 300 });
    shell.stream.pause();
    const failed: Array<Error | null | undefined> = [];
    for (let i = 0; i < 64; i++) shell.stream.write(Buffer.alloc(64 * 1024), (err) => failed.push(err));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'stalled');
    assert.ok(err.bytesSent < 4 * 1024 * 1024, `${err.bytesSent} bytes sent`);
    await waitFor(() => failed.length === 64, 'every write called back');
    assert.ok(failed.some((e) => e instanceof Error));
  });

  it('never ends one large write that the child takes slowly: its pieces are progress', async () => {
    // One 4 MiB write; the child reads 64 KiB every 50 ms, for over 3 s in all.
    const shell = openOnStandIn(remoteProgram(...every(64, 'read', 65536, 'sleep', 50), 'out', 'all read\n'), {
      stallTimeoutMs: scaled(1500),
    });
    let received = '';
    shell.stream.on('data', (chunk: Buffer) => (received += chunk));
    shell.stream.end(Buffer.alloc(4 * 1024 * 1024));
    const result = await shell.finished;
    assert.equal(received, 'all read\n');
    assert.equal(result.bytesSent, 4 * 1024 * 1024);
  });

  it('does not count a caller that leaves the output unread: the child, blocked writing it, stops reading', async () => {
    // cat echoes; the caller writes 4 MiB and reads nothing for three times the bound. Its writes
    // wait on the child, and the child waits on the caller's reading. Seeing that takes the
    // kernel's word on what waits unread (FIONREAD, through the addon; not on Windows): without
    // it, pending writes count as waited on, as the README says, and the run is ended.
    const kernelSays = !NO_ADDON && process.platform !== 'win32';
    const size = 4 * 1024 * 1024;
    const shell = openOnStandIn(remoteProgram('cat'), { stallTimeoutMs: scaled(500) });
    shell.stream.pause();
    shell.stream.end(Buffer.alloc(size));
    if (!kernelSays) {
      const err = await rejection(shell.finished);
      assert.equal(err.reason, 'stalled');
      return;
    }
    let settled = false;
    shell.finished.then(
      () => (settled = true),
      () => (settled = true),
    );
    await sleep(scaled(1500)); // how long nothing must happen
    assert.equal(settled, false, 'the watchdog ended a run the caller held up');
    let received = 0;
    shell.stream.on('data', (chunk: Buffer) => (received += chunk.length));
    shell.stream.resume();
    await shell.finished;
    assert.equal(received, size);
  });

  it('a large write that fails between its pieces (the child exits) fails through its callback, and the run settles', async () => {
    const shell = openOnStandIn(remoteProgram('read', 200_000, 'exit', 3), { stallTimeoutMs: scaled(5000) });
    shell.stream.resume();
    const written = new Promise<Error | null | undefined>((resolve) => shell.stream.write(Buffer.alloc(4 * 1024 * 1024), resolve));
    const err = await rejection(shell.finished);
    assert.equal(err.exitCode, 3);
    assert.ok((await written) instanceof Error, 'the write failed');
    assert.equal(err.bytesSent, 0, 'a chunk counts as sent only once whole');
    assert.equal(err.bytesNotSent, 4 * 1024 * 1024);
  });

  it('ends a run whose stream was destroyed no sooner than before: not waited on', async () => {
    const shell = openOnStandIn(remoteProgram('sleep', 1500), { stallTimeoutMs: 200 });
    shell.stream.on('data', () => {});
    shell.stream.destroy();
    const outcome = await shell.finished.then(
      () => 'resolved',
      (err: RemoteShellError) => err.reason,
    );
    assert.notEqual(outcome, 'stalled');
  });

  it('is refused with a handed-over fd, whose bytes it cannot see', () => {
    const fd = openSync(devNull, 'w');
    try {
      assert.throws(() => openOnStandIn(['true'], { stallTimeoutMs: 1000, stdout: fd }), /stallTimeoutMs needs stdin and stdout as 'pipe'/);
    } finally {
      closeSync(fd);
    }
  });

  it('as a unit: the quiet time counts only while the caller waits, and restarts when bytes move', async () => {
    const timers = new Timers();
    let moved = 0;
    let waiting = false;
    let stalled = 0;
    const watchdog = new StallWatchdog(1000, timers, { moved: () => moved, waiting: () => waiting }, () => stalled++);
    watchdog.start();
    try {
      // Not waited on: never a stall, however long.
      await sleep(1500);
      assert.equal(stalled, 0);
      // Waited on and moving every 50 ms: never a stall.
      waiting = true;
      for (let i = 0; i < 30; i++) {
        moved++;
        await sleep(50);
      }
      assert.equal(stalled, 0);
      // Waited on, nothing moving: a stall, once.
      await waitFor(() => stalled === 1, 'the stall');
      await sleep(100);
      assert.equal(stalled, 1);
    } finally {
      watchdog.stop();
      timers.clear();
    }
  });
});
