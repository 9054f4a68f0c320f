// The events a run publishes on node:diagnostics_channel: each payload for a success, a failure
// and a retry; and nothing is built when no one listens.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CHANNELS, openRemoteShell, type ConnectedEvent, type ExitEvent, type SpawnEvent } from '../../host/index.js';
import { rejection, scaled } from '../helpers/promises.js';
import { scratchDir } from '../helpers/scratch.js';
import { openOnStandIn, refusedAtFirst, remoteProgram } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';

type Seen = { spawn: SpawnEvent[]; connected: ConnectedEvent[]; exit: ExitEvent[] };

/** Runs `body` with every event of the channels recorded, for the runs whose argv `mine` accepts. */
async function recording(mine: (argv: readonly string[]) => boolean, body: () => Promise<void>): Promise<Seen> {
  const seen: Seen = { spawn: [], connected: [], exit: [] };
  const listeners = Object.fromEntries(
    (Object.keys(CHANNELS) as Array<keyof typeof CHANNELS>).map((key) => [
      key,
      (message: unknown) => {
        if (mine((message as { argv: readonly string[] }).argv)) (seen[key] as unknown[]).push(message);
      },
    ]),
  ) as Record<keyof typeof CHANNELS, (message: unknown) => void>;
  for (const key of Object.keys(CHANNELS) as Array<keyof typeof CHANNELS>) subscribe(CHANNELS[key], listeners[key]);
  try {
    await body();
  } finally {
    for (const key of Object.keys(CHANNELS) as Array<keyof typeof CHANNELS>) unsubscribe(CHANNELS[key], listeners[key]);
  }
  return seen;
}

describe('events on diagnostics_channel', function () {
  this.timeout(scaled(60_000));

  it('a success: spawn with the pid, connected at the first byte, exit with the counts', async () => {
    const marker = `events-success-${process.pid}`;
    let pid: number | undefined;
    const seen = await recording(
      (argv) => argv.some((word) => word.includes(marker)),
      async () => {
        const shell = openOnStandIn(remoteProgram('cat', 'out', marker));
        pid = shell.pid;
        shell.stream.end('ping\n');
        const [out] = await Promise.all([collect(shell.stream), shell.finished]);
        assert.equal(out.toString(), `ping\n${marker}`);
      },
    );
    assert.equal(seen.spawn.length, 1);
    assert.deepEqual({ ...seen.spawn[0], argv: undefined }, { run: seen.spawn[0].run, argv: undefined, master: false, attempt: 1, pid });
    assert.equal(seen.connected.length, 1);
    assert.equal(seen.connected[0].run, seen.spawn[0].run);
    assert.equal(seen.connected[0].attempt, 1);
    assert.ok(seen.connected[0].ms > 0);
    assert.equal(seen.exit.length, 1);
    const exit = seen.exit[0];
    assert.equal(exit.run, seen.spawn[0].run);
    assert.deepEqual(
      {
        code: exit.code,
        signal: exit.signal,
        reason: exit.reason,
        sent: exit.bytesSent,
        received: exit.bytesReceived,
        attempts: exit.attempts,
      },
      { code: 0, signal: null, reason: null, sent: 5, received: 5 + marker.length, attempts: 1 },
    );
    assert.equal(exit.sharedConnection, false);
    assert.ok(exit.durationMs >= seen.connected[0].ms);
  });

  it('a failure: exit with the reason and the status; no connected event', async () => {
    const marker = `events-failure-${process.pid}`;
    const seen = await recording(
      (argv) => argv.some((word) => word.includes(marker)),
      async () => {
        const shell = openOnStandIn(remoteProgram('err', 'Permission denied (publickey).\n', 'exit', 255, 'out', marker));
        shell.stream.resume();
        const err = await rejection(shell.finished);
        assert.equal(err.reason, 'auth-failed');
      },
    );
    assert.equal(seen.spawn.length, 1);
    assert.equal(seen.connected.length, 0);
    assert.deepEqual(
      { code: seen.exit[0].code, reason: seen.exit[0].reason, received: seen.exit[0].bytesReceived },
      { code: 255, reason: 'auth-failed', received: 0 },
    );
  });

  it('a retry: one spawn per attempt, one connected and one exit, which counts the attempts', async () => {
    const dir = scratchDir('rsh-events-');
    try {
      const counter = path.join(dir, 'count');
      const seen = await recording(
        (argv) => argv.includes(counter),
        async () => {
          const shell = openRemoteShell({
            host: 'local',
            rsh: refusedAtFirst(counter, 2),
            stderr: 'capture',
            retry: { attempts: 3, delayMs: 10 },
          });
          const [out] = await Promise.all([collect(shell.stream), shell.finished]);
          assert.equal(out.toString(), 'reached\n');
        },
      );
      assert.deepEqual(
        seen.spawn.map((e) => e.attempt),
        [1, 2, 3],
      );
      assert.ok(seen.spawn.every((e) => e.run === seen.spawn[0].run && typeof e.pid === 'number'));
      assert.deepEqual(
        seen.connected.map((e) => e.attempt),
        [3],
      );
      assert.deepEqual(
        seen.exit.map((e) => [e.code, e.reason, e.attempts]),
        [[0, null, 3]],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a remote shell that cannot start: spawn without a pid, exit with spawn-failed', async () => {
    const seen = await recording(
      (argv) => argv[0] === 'no-such-remote-shell-for-events',
      async () => {
        const shell = openRemoteShell({ host: 'h', rsh: 'no-such-remote-shell-for-events', stderr: 'capture' });
        const err = await rejection(shell.finished);
        assert.equal(err.reason, 'spawn-failed');
      },
    );
    assert.deepEqual(
      seen.spawn.map((e) => [e.attempt, e.pid]),
      [[1, undefined]],
    );
    assert.deepEqual(
      seen.exit.map((e) => [e.code, e.reason]),
      [[null, 'spawn-failed']],
    );
  });
});
