// retry against a local stand-in that fails as ssh does when the port refuses (status 255 and
// ssh's message), in both runs of the transport suite: with the addon (the kernel says whether
// anything waits in stdout) and without it (stdout's end says so).

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../host/options.js';
import { sleep } from '../helpers/promises.js';
import { programAsRsh } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';

// Fails as a refused ssh connection for its first `failures` runs, counted in a file; `before`
// runs before each failure.
const flaky = (counter: string, failures: number, before: Array<string | number> = []): string[] =>
  programAsRsh(
    'first-runs',
    counter,
    failures,
    '[',
    ...before,
    'err',
    'ssh: connect to host local port 22: Connection refused\n',
    'exit',
    255,
    ']',
    'out',
    'reached\n',
  );

describe('retry with a local stand-in', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir('rsh-retry-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A remote shell that fails `failures` times before it reaches the command.
  const flakyShell = (failures: number, before: Array<string | number>, attempts: number) =>
    openRemoteShell({
      host: 'local',
      rsh: flaky(path.join(dir, 'count'), failures, before),
      stderr: 'capture',
      retry: { attempts, delayMs: 10 },
    });

  it('tries again after refused connections, and the same stream carries on', async () => {
    const shell = flakyShell(2, [], 3);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'reached\n');
    assert.equal(shell.attempts, 3);
    assert.equal(readFileSync(path.join(dir, 'count'), 'utf8').trim(), '3');
  });

  it('tries again when a grandchild still holds stdout after the refusal', async () => {
    const shell = flakyShell(1, ['background', '[', 'close', 'stderr', 'sleep', 300, ']'], 2);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'reached\n');
    assert.equal(shell.attempts, 2);
  });

  it('never after a byte came back, even unread: the byte is delivered', async () => {
    const shell = flakyShell(1, ['out', 'X'], 3);
    // A reader, paused: the byte waits unread in the socket or the kernel.
    shell.stream.pause();
    await shell.exited;
    // Not a wait for something to happen: the consumer stays away for twice the drain time, while
    // the transport looks for a reason to give up on the unread byte.
    await sleep(2 * DEFAULT_DRAIN_TIMEOUT_MS);
    const out = collect(shell.stream);
    const err = await shell.finished.then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, 'the run failed');
    assert.equal((await out).toString(), 'X');
    assert.equal(shell.attempts, 1);
  });
});
