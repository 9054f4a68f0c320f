// A remote shell whose start waits (for its shared connection, see multiplex): what is written
// meanwhile is held, and every way out while it waits ends it, bounded, without a child.

import assert from 'node:assert/strict';
import { DeferredStart } from '../../host/lifecycle/deferred-start.js';
import { RemoteShell } from '../../host/remote-shell.js';
import { internal } from '../../host/internal.js';
import { RemoteShellError } from '../../host/remote-shell-error.js';
import { quoteCommand } from '../../host/rsh/quote.js';
import { posixOnly } from '../helpers/posix.js';
import { openFds } from '../helpers/proc.js';
import { rejection, scaled, timeScale, turn, waitFor, wholeTurn } from '../helpers/promises.js';
import { remoteProgram, standIn } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';

function gate(): { promise: Promise<RemoteShellError | undefined>; open(refusal?: RemoteShellError): void } {
  let open!: (refusal?: RemoteShellError) => void;
  const promise = new Promise<RemoteShellError | undefined>((resolve) => (open = resolve));
  return { promise, open };
}

/** The remote shell's words for the stand-in running the remote programs with `steps`. */
const argv = (...steps: Array<string | number>): string[] => [...standIn(), 'local', quoteCommand(remoteProgram(...steps))];

const waiting = (startAfter: Promise<RemoteShellError | undefined>, extra: Record<string, unknown> = {}): RemoteShell =>
  new RemoteShell(argv('cat'), { stderr: 'capture', ...extra, [internal]: { startAfter } } as never);

describe('a remote shell whose start waits', () => {
  it('holds what is written, in order, and sends it once started', async () => {
    const g = gate();
    const shell = waiting(g.promise);
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(10_000, i));
    const callbacks = chunks.map((chunk) => new Promise((resolve) => shell.stream.write(chunk, resolve)));
    shell.stream.end();
    await turn();
    assert.equal(shell.pid, undefined);
    assert.equal(shell.stream.writableLength, 400_000, 'every byte is held');
    g.open();
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.ok(out.equals(Buffer.concat(chunks)));
    assert.deepEqual(
      await Promise.all(callbacks),
      chunks.map(() => null),
    );
  });

  it("a refusal fails every held write and the run with the master's reason, and spawns nothing", async () => {
    const g = gate();
    const shell = waiting(g.promise);
    const written = new Promise<Error | null | undefined>((resolve) => shell.stream.write('held', resolve));
    g.open(new RemoteShellError('ERR_REMOTE_SHELL_EXIT', 'ssh could not authenticate', { reason: 'auth-failed', argv: ['ssh', '-N'] }));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.equal(err.shortMessage, 'the shared connection could not be made: ssh could not authenticate');
    assert.equal(err.bytesNotSent, 4);
    assert.ok((await written) instanceof RemoteShellError);
    assert.equal(shell.pid, undefined);
  });

  it('destroyed in the same turn as the start: no child, no unhandled rejection (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const before = openFds().length;
      for (let i = 0; i < 20; i++) {
        const g = gate();
        const shell = waiting(g.promise);
        g.open();
        shell.stream.destroy();
        const err = await rejection(shell.finished);
        assert.equal(err.code, 'ERR_ABORTED');
        assert.equal(shell.pid, undefined, 'no child was started');
      }
      await waitFor(() => openFds().length === before, 'every fd is closed');
      await turn(); // an unhandled rejection is reported once the microtasks of a turn are done
      assert.deepEqual(unhandled, []);
    } finally {
      process.removeListener('unhandledRejection', onUnhandled);
    }
  });

  it('close() while it waits keeps its bound, and a child that starts late is ended on schedule', async () => {
    // Scaled on a slow machine: under Wine, a child that TerminateProcess ended is seen to exit
    // only later, and SIGKILL (which Windows then reports) must not come first.
    const grace = 300 * timeScale();
    const g = gate();
    const shell = waiting(g.promise, { killGraceMs: grace });
    // A child that ignores its stdin's end: only SIGTERM ends it.
    const late = new RemoteShell(argv('ignore', 'SIGHUP', 'sleep', 30_000), {
      stderr: 'capture',
      killGraceMs: grace,
      [internal]: { startAfter: g.promise },
    } as never);
    const started = performance.now();
    const closing = Promise.all([shell.close(), late.close()]);
    // Both start only once close() is under way.
    await waitFor(() => shell.stream.writableEnded && late.stream.writableEnded, 'close() has ended both inputs');
    g.open();
    await closing;
    const took = performance.now() - started;
    assert.ok(took < grace * 2 + 100 + 500 * timeScale(), `close() took ${took.toFixed(0)} ms`);
    // cat ends at the end of its stdin, unless its stand-in is still starting when the grace
    // ends (a loaded machine): then SIGTERM, which is the bound being kept.
    const outcome = await shell.finished.then(
      () => 'exited',
      (e: RemoteShellError) => e.signal ?? e.message,
    );
    assert.ok(outcome === 'exited' || outcome === 'SIGTERM', String(outcome));
    // As close() does to a running child that ignores the end of its stdin.
    const err = await rejection(late.finished);
    assert.equal(err.signal, 'SIGTERM', err.message);
  });

  // Within what the kernel holds: a child that writes more waits for a reader, as with Node's own stdio.
  it('a consumer that never reads: once started late, the output is drained and discarded, and finished settles', async () => {
    const g = gate();
    const shell = new RemoteShell(argv('out-bytes', 20_000, 0), {
      stderr: 'capture',
      [internal]: { startAfter: g.promise },
    } as never);
    await turn();
    g.open();
    const result = await shell.finished;
    assert.equal(result.bytesReceived, 20_000);
    assert.equal(result.bytesDiscarded, 20_000);
  });

  it('after the exit of a late start: kill() is false, a write fails and is counted, nothing is left open (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    const before = openFds().length;
    const g = gate();
    const shell = new RemoteShell(argv(), { stderr: 'capture', [internal]: { startAfter: g.promise } } as never);
    g.open();
    shell.stream.resume();
    await shell.finished;
    assert.equal(shell.kill('SIGTERM'), false);
    assert.equal(shell.kill('SIGKILL'), false);
    const err = await new Promise<Error | null | undefined>((resolve) => shell.stream.write('late', resolve));
    assert.ok(err instanceof Error, 'a write after the end fails through its callback');
    await waitFor(() => openFds().length === before, 'every fd is closed');
  });

  it('close() waits for a start as long as the longest grace allows, never a timer overflowed to 1 ms', async () => {
    const g = gate();
    const shell = waiting(g.promise, { killGraceMs: 2 ** 31 - 1 });
    shell.stream.resume();
    let settled = false;
    const closed = shell.close().then(() => (settled = true));
    // What is tested is that nothing happens: a timer of 2 ** 32 ms would fire after 1 ms. Node
    // runs timers of one delay in the order they were set, so a 1 ms timer set now fires after
    // that one would have; then two turns of the loop let what it set going settle.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await wholeTurn();
    assert.equal(settled, false, 'close() still waits for the start');
    g.open();
    await closed;
    assert.equal((await shell.finished).code, 0, 'the start came, and cat saw the end of its input');
  });

  it('close() gives up on a start that does not come within killGraceMs * 2', async () => {
    const shell = waiting(new Promise(() => {}), { killGraceMs: 100 });
    const started = performance.now();
    await shell.close();
    assert.ok(performance.now() - started < scaled(1000));
    assert.equal((await rejection(shell.finished)).code, 'ERR_ABORTED');
  });
});

describe('DeferredStart, the wait itself', () => {
  const refusal = new RemoteShellError('ERR_REMOTE_SHELL_EXIT', 'refused', { reason: 'auth-failed', argv: ['ssh'] });
  const error = (message: string): RemoteShellError => new RemoteShellError('ERR_ABORTED', message, { reason: 'aborted', argv: ['ssh'] });

  /** A run as plain state: what the wait asks of it, recorded in order. */
  function watched(gated: Promise<RemoteShellError | undefined>, run: { destroyed?: boolean; spawnFails?: boolean; grace?: number } = {}) {
    const calls: string[] = [];
    const start = new DeferredStart(
      gated,
      {
        streamDestroyed: () => run.destroyed ?? false,
        startChild: () => {
          calls.push('startChild');
          return run.spawnFails ? Promise.resolve(new Error('spawn ENOENT')) : undefined;
        },
        endUnstarted: (made) => calls.push(`endUnstarted: ${made().message}`),
        terminate: (delayMs) => calls.push(`terminate ${delayMs}`),
        abortError: (why) => error(`aborted: ${String((why as Error).message)}`),
        refusedError: (r) => error(`refused: ${r.message}`),
        spawnError: (cause) => error(`spawn: ${String((cause as Error).message)}`),
        gaveUpWaiting: () => calls.push('gaveUpWaiting'),
      },
      run.grace ?? 100,
    );
    return { start, calls };
  }

  it('ready: the child starts, once, and the wait is over', async () => {
    const { start, calls } = watched(Promise.resolve(undefined));
    assert.equal(start.waiting, true);
    await turn();
    assert.deepEqual(calls, ['startChild']);
    assert.equal(start.waiting, false);
    start.giveUp(new Error('late'));
    assert.deepEqual(calls, ['startChild'], 'giving up after the start is nothing');
  });

  it('refused, or the gate broken: no child, the run ends with the reason', async () => {
    const refused = watched(Promise.resolve(refusal));
    const broken = watched(Promise.reject(new Error('gate broke')));
    await turn();
    assert.deepEqual(refused.calls, ['endUnstarted: refused: refused']);
    assert.deepEqual(broken.calls, ['endUnstarted: refused: spawn: gate broke']);
  });

  it('a spawn that fails: still waiting until why is known, then the run ends with it', async () => {
    const { start, calls } = watched(Promise.resolve(undefined), { spawnFails: true });
    await turn();
    assert.deepEqual(calls, ['startChild', 'endUnstarted: spawn: spawn ENOENT']);
    assert.equal(start.waiting, false);
  });

  it('the stream destroyed when the gate opens: no child, an abort', async () => {
    const { calls } = watched(Promise.resolve(undefined), { destroyed: true });
    await turn();
    assert.deepEqual(calls, ['gaveUpWaiting', 'endUnstarted: aborted: the stream was destroyed before the remote shell started']);
  });

  it('given up while waiting: one way out, whoever comes first; the gate is not heard after', async () => {
    const g = gate();
    const { start, calls } = watched(g.promise);
    start.giveUp(new Error('killed'));
    start.giveUp(new Error('closed'));
    g.open();
    await turn();
    assert.deepEqual(calls, ['gaveUpWaiting', 'endUnstarted: aborted: killed']);
  });

  it("a child that starts after close() is ended on close()'s schedule", async () => {
    const { start } = watched(new Promise(() => {}));
    assert.equal(start.termDelay(0), undefined, 'no close(), no delay');
    start.closed(1000);
    start.closed(1050); // the first close() counts
    assert.equal(start.termDelay(1040), 60);
    assert.equal(start.termDelay(1100.5), 0);
    const g = gate();
    const late = watched(g.promise, { grace: 60_000 });
    late.start.closed();
    g.open();
    await turn();
    assert.equal(late.calls[0], 'startChild');
    assert.match(late.calls[1], /^terminate \d+$/);
    assert.ok(Number(late.calls[1].split(' ')[1]) > 50_000, late.calls[1]);
  });
});
