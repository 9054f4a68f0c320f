// What happens to stdout after the child's exit (StdoutAfterExit): as a unit against a plain
// readable side, then a consumer slower than a real child: every byte the child wrote before its exit is delivered,
// however long the consumer takes, in both runs of the transport suite (with the addon, the
// kernel says how much is left at the exit; without it, the stream waits until the consumer
// has wanted more and nothing came).

import assert from 'node:assert/strict';
import { StdoutAfterExit, type ExitedOutput } from '../../host/lifecycle/stdout-after-exit.js';
import { Timers } from '../../host/timers.js';
import { scaled, sleep, turn, waitFor } from '../helpers/promises.js';
import { openOnStandIn, remoteProgram } from '../helpers/stand-in.js';

describe('a consumer slower than the child', function () {
  this.timeout(scaled(60_000));

  it('reading slowly, gets all 2,000,000 bytes', async () => {
    const shell = openOnStandIn(remoteProgram('out-bytes', 2_000_000, 0));
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
    const shell = openOnStandIn(remoteProgram('out-bytes', 100_000, 0), { drainTimeoutMs });
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

describe('StdoutAfterExit, the policy itself', () => {
  const DRAIN_MS = 30;

  /** A readable side as plain state, recording what the policy asks of it. */
  function harness({ hasReader = false, childOutputIn = true } = {}) {
    const state = { hasReader, childOutputIn, outputEnded: false, discarding: false, done: false };
    const calls: string[] = [];
    const output: ExitedOutput = {
      get hasReader() {
        return state.hasReader;
      },
      get outputEnded() {
        return state.outputEnded;
      },
      get discarding() {
        return state.discarding;
      },
      childExited: () => calls.push('childExited'),
      childOutputIn: () => state.childOutputIn,
      discardOutput: () => {
        calls.push('discard');
        state.discarding = true;
      },
      endOutput: () => {
        calls.push('end');
        state.outputEnded = true;
      },
      abandonOutput: () => calls.push('abandon'),
    };
    const timers = new Timers();
    const policy = new StdoutAfterExit(output, timers, DRAIN_MS, () => state.done);
    return { policy, state, calls, timers };
  }

  it('a consumer that never attached a reader: discarded after the exit handlers had their turn, then ended', async () => {
    const { policy, calls } = harness();
    policy.childExited(false);
    assert.deepEqual(calls, ['childExited'], 'not in the same turn: an exit handler may still attach');
    await turn();
    assert.deepEqual(calls, ['childExited', 'discard']);
    await waitFor(() => calls.includes('end'), 'the end after the drain time');
    assert.deepEqual(calls, ['childExited', 'discard', 'end']);
  });

  it("a reader attached in the exit handlers: nothing discarded; stdout ends once the child's output is in", async () => {
    const { policy, state, calls } = harness({ childOutputIn: false });
    policy.childExited(false);
    state.hasReader = true;
    await turn();
    assert.deepEqual(calls, ['childExited']);
    // The policy looks again and again while the consumer has not taken in what the child wrote.
    await sleep(DRAIN_MS * 3);
    assert.deepEqual(calls, ['childExited'], 'a slow consumer is waited for');
    state.childOutputIn = true;
    await waitFor(() => calls.includes('end'), 'the end of a lingering writer');
  });

  it('abandoned (close, abort, kill): the consumer has the drain time, then the stream goes', async () => {
    const { policy, calls } = harness({ hasReader: true });
    policy.childExited(true);
    policy.abandoned(); // a second way out does not arm it again
    await waitFor(() => calls.includes('abandon'), 'the stream given up');
    await sleep(DRAIN_MS * 2);
    assert.deepEqual(calls, ['childExited', 'abandon']);
  });

  it('stdout done in time: nothing is given up or discarded', async () => {
    const { policy, state, calls, timers } = harness();
    policy.childExited(false);
    state.done = true;
    policy.abandoned();
    await turn();
    await sleep(DRAIN_MS * 2);
    assert.deepEqual(calls, ['childExited']);
    timers.clear();
    const done = harness();
    done.state.done = true;
    done.policy.childExited(false);
    assert.deepEqual(done.calls, []);
  });
});
