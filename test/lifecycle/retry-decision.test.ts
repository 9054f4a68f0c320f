// retry against a local stand-in that fails as ssh does when the port refuses (status 255 and
// ssh's message), in both runs of the transport suite: with the addon (the kernel says whether
// anything waits in stdout) and without it (stdout's end says so).

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Snapshot } from '../../host/core/snapshot.js';
import { NO_BYTES, type Exit, type ShellFacts } from '../../host/errors.js';
import { openRemoteShell } from '../../host/index.js';
import { RetryDecision, type RetryRun, type RetryView } from '../../host/lifecycle/retry-decision.js';
import { Timers } from '../../host/timers.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../host/options.js';
import { sleep, turn, waitFor } from '../helpers/promises.js';
import { refusedAtFirst } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';

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
      rsh: refusedAtFirst(path.join(dir, 'count'), failures, before),
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

describe('RetryDecision, the decision itself', () => {
  const REFUSED = 'ssh: connect to host h port 22: Connection refused\n';
  const DENIED = 'alice@h: Permission denied (publickey).\n';
  const SSH_FAILED: Exit = { code: 255, signal: null };

  function factsSaying(stderr: string, exit: Exit): ShellFacts {
    const bytes = new Uint8Array(Buffer.from(stderr));
    const snapshot: Snapshot = {
      text: stderr,
      head: '',
      tail: stderr,
      omittedBytes: 0,
      bytesSeen: bytes.length,
      headBytes: new Uint8Array(),
      tailBytes: bytes,
    };
    return {
      argv: ['ssh', 'h'],
      exit,
      counts: NO_BYTES,
      stderr: { snapshot: () => snapshot, overwritten: [] },
      live: false,
      stdoutHandedOver: false,
    };
  }

  /** A run and a stdout side as plain state: what the decision reads and what it calls. */
  function harness({ stderr = REFUSED, attempts = 2, delayMs = 5, untouched = 'yes' as RetryView['untouchedState'] } = {}) {
    const state = { attempts: 1, gaveUp: false, untouched, stderr };
    const calls: string[] = [];
    let drained!: () => void;
    const stderrEnded = new Promise<void>((resolve) => (drained = resolve));
    const timers = new Timers();
    const stdout: RetryView = {
      get untouchedState() {
        return state.untouched;
      },
      readToEnd: () => Promise.resolve(),
    };
    const run: RetryRun = {
      attempts: () => state.attempts,
      gaveUp: () => state.gaveUp,
      drainStderr: () => {
        calls.push('drain');
        return stderrEnded;
      },
      facts: (exit) => factsSaying(state.stderr, exit),
      final: (exit) => calls.push(`final ${exit.code}`),
      startAgain: (exit) => calls.push(`again ${exit.code}`),
    };
    const decision = new RetryDecision({ attempts, delayMs, hostNotFound: false }, 50, timers, stdout, run);
    return { decision, state, calls, drained, timers };
  }

  it('an exit other than ssh failing ends the run at once', () => {
    const { decision, calls } = harness();
    for (const exit of [
      { code: 0, signal: null },
      { code: 1, signal: null },
      { code: null, signal: 'SIGTERM' as const },
    ])
      assert.equal(decision.exitWaits(1, exit), false);
    assert.deepEqual(calls, []);
  });

  it('a refused connection nothing crossed: drained, then a new child after the delay', async () => {
    const { decision, calls, drained } = harness();
    assert.equal(decision.exitWaits(1, SSH_FAILED), true);
    assert.equal(decision.pending, true);
    assert.deepEqual(calls, ['drain']);
    await turn();
    assert.deepEqual(calls, ['drain'], 'nothing is decided before stderr is drained');
    drained();
    await waitFor(() => calls.length === 2, 'the new child');
    assert.deepEqual(calls, ['drain', 'again 255']);
    assert.equal(decision.pending, false);
  });

  it('a failure that is not a refusal (authentication) ends the run', async () => {
    const { decision, calls, drained } = harness({ stderr: DENIED });
    assert.equal(decision.exitWaits(1, SSH_FAILED), true);
    drained();
    await waitFor(() => calls.length === 2, 'the decision');
    assert.deepEqual(calls, ['drain', 'final 255']);
  });

  it('no retry left, or a byte crossed: the exit is the end at once', () => {
    assert.equal(harness({ attempts: 0 }).decision.exitWaits(1, SSH_FAILED), false);
    assert.equal(harness({ untouched: 'no' }).decision.exitWaits(1, SSH_FAILED), false);
  });

  it("'unknown' is enough to wait, not to try again", async () => {
    const { decision, state, calls, drained } = harness({ untouched: 'unknown' });
    assert.equal(decision.exitWaits(1, SSH_FAILED), true);
    drained();
    await waitFor(() => calls.length === 2, 'the decision');
    assert.deepEqual(calls, ['drain', 'final 255']);
    assert.equal(state.untouched, 'unknown');
  });

  it('the stream used, or the run given up, while it waits: the last exit is the end, once', async () => {
    for (const how of ['endWaiting', 'gaveUp during the delay'] as const) {
      const { decision, state, calls, drained, timers } = harness({ delayMs: 10_000 });
      decision.exitWaits(1, SSH_FAILED);
      if (how === 'endWaiting') decision.endWaiting();
      drained();
      if (how === 'gaveUp during the delay') {
        await turn();
        state.gaveUp = true;
        decision.endWaiting();
      }
      await turn();
      assert.deepEqual(calls, ['drain', 'final 255'], how);
      decision.endWaiting();
      assert.deepEqual(calls, ['drain', 'final 255'], `${how}: once`);
      timers.clear();
    }
  });

  it('a decision about an attempt that is no longer the last is dropped', async () => {
    const { decision, state, calls, drained } = harness();
    decision.exitWaits(1, SSH_FAILED);
    state.attempts = 2;
    drained();
    await turn();
    assert.deepEqual(calls, ['drain']);
  });
});
