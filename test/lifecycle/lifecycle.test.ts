// The stream contract of RemoteShell, case by case: the two sides of the stream fail
// independently, every way out settles within its bound whatever the consumer does, and
// `finished` comes only after the consumer has the bytes. Each case runs with both stderr
// backends, since the pipe's drain deadline and the socketpair's shutdown end stderr differently.

import assert from 'node:assert/strict';
import { finished as finishedStream } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { openRemoteShell, RemoteShellError, type RemoteShell } from '../../host/index.js';
import { internal } from '../../host/internal.js';
import { BACKENDS } from '../helpers/backends.js';
import { posixOnly } from '../helpers/posix.js';
import { openFds } from '../helpers/proc.js';
import { rejection, scaled, sleep, timeScale, turn, waitFor, wholeTurn } from '../helpers/promises.js';
import { openOnStandIn, programAsRsh, remoteProgram } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';

const MiB = 1024 * 1024;

/** Resolves with how long `promise` took to settle, or rejects when it takes longer than `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number, what: string): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([
      promise.then(
        () => {},
        () => {},
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - started;
}

function write(shell: RemoteShell, chunk: Buffer | string): Promise<Error | null> {
  return new Promise((resolve) => shell.stream.write(chunk, (err) => resolve(err ?? null)));
}

/** Waits until the process `pid` is gone (reaped by its parent). */
async function gone(pid: number): Promise<void> {
  const running = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(() => !running(), `process ${pid} is gone`, 2000);
}

for (const backend of BACKENDS) {
  describe(`RemoteShell lifecycle (${backend.name} stderr)`, function () {
    this.timeout(scaled(30_000));
    const use = { [internal]: { binding: backend.binding() } };
    const grace = 300;
    const drain = 100;
    // Scheduling slack on a shared, noisy machine: the bound is about correctness, not speed.
    // An emulated CPU runs slower still (RSH_TEST_TIME_SCALE).
    const bound = (grace * 2 + drain + 1500) * timeScale();

    describe('a failed write leaves the readable side alone', () => {
      it('delivers the reply of a child that answers and exits without reading, and settles', async () => {
        const shell = openOnStandIn(remoteProgram('out', 'error: bad request\n', 'err', 'why\n', 'exit', 3), use);
        await shell.exited;
        const err = await write(shell, 'REQUEST\n');
        assert.equal((err as RemoteShellError | null)?.code, 'ERR_STREAM_CLOSED');
        // Read only now, after the failed write, as a request/reply protocol does.
        assert.equal((await collect(shell.stream)).toString(), 'error: bad request\n');
        const failure = await rejection(shell.finished);
        assert.equal(failure.exitCode, 3);
        assert.equal(failure.bytesReceived, 19);
      });

      it('delivers every byte of a child that sends 1,000,000 bytes and exits while the caller keeps writing and reads slowly', async () => {
        const shell = openOnStandIn(remoteProgram('out-bytes', 1_000_000, 'x'.charCodeAt(0)), use);
        let writing = true;
        const failures: string[] = [];
        const writer = (async () => {
          while (writing) {
            const err = await write(shell, 'k');
            if (err) failures.push((err as RemoteShellError).code);
            await sleep(5);
          }
        })();
        let received = 0;
        let bad = 0;
        const slow = new Writable({
          highWaterMark: 16 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            received += chunk.length;
            bad += chunk.filter((b) => b !== 0x78).length;
            setTimeout(callback, 20);
          },
        });
        shell.stream.pipe(slow);
        const result = await shell.finished;
        writing = false;
        await writer;
        // A slow machine (Wine) may settle the run between two writes, none of them failed: a
        // write after the end fails as they do.
        failures.push(((await write(shell, 'k')) as RemoteShellError).code);
        // `finished` waits until the stream has handed every byte over; what the consumer does
        // with them is its own: a slow Writable may still hold the last ones in its buffer
        // (seen with Node 26), and pipe() ends it once they are through.
        await finishedStream(slow);
        assert.equal(received, 1_000_000);
        assert.equal(bad, 0);
        assert.equal(result.bytesReceived, 1_000_000);
        assert.ok(failures.length > 0 && failures.every((code) => code === 'ERR_STREAM_CLOSED'), failures.join());
        // Counted are the writes that failed before the run settled: on a slow machine (Wine) the
        // first may fail only after it, once the caller writes again.
        assert.ok(result.bytesNotSent <= failures.length, `${result.bytesNotSent} bytes not sent, ${failures.length} writes failed`);
      });

      it('calls a write back with success only once the kernel has its bytes; what a child never read fails', async () => {
        const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('sleep', 500), stderr: 'capture', ...use });
        shell.stream.resume();
        const outcomes: Array<string | null> = [];
        // Chunks small enough for the socket to take into its own buffer while the kernel's is
        // full: taken is not yet sent.
        const block = Buffer.alloc(8 * 1024, 0x61);
        const count = 128;
        const writes = Array.from({ length: count }, () =>
          write(shell, block).then((err) => outcomes.push(err ? (err as RemoteShellError).code : null)),
        );
        await waitFor(() => outcomes.length > 0, 'the kernel has taken the first writes');
        // The child reads nothing: what the kernel holds is confirmed, nothing more.
        assert.ok(outcomes.length < count, `${outcomes.length} of ${count} writes confirmed before anyone read them`);
        await Promise.all(writes);
        const result = await shell.finished;
        const ok = outcomes.filter((o) => o === null).length;
        assert.deepEqual(
          outcomes,
          [...Array(ok).fill(null), ...Array(count - ok).fill('ERR_STREAM_CLOSED')],
          'successes, then failures, in order',
        );
        assert.equal(result.bytesSent + result.bytesNotSent, count * block.length);
        assert.equal(result.bytesSent, ok * block.length, 'a success is a chunk the kernel took');
      });

      it('counts as not sent the writes still buffered when the stream is destroyed', async () => {
        const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('sleep', 1000), stderr: 'capture', ...use });
        const block = Buffer.alloc(64 * 1024, 0x61);
        let answered = 0;
        const outcomes = Promise.all(Array.from({ length: 40 }, () => write(shell, block).finally(() => answered++)));
        await waitFor(() => answered > 0, 'the kernel has taken the first writes');
        shell.stream.destroy();
        const errors = await outcomes;
        const result = await shell.finished;
        assert.equal(result.bytesSent + result.bytesNotSent, 40 * block.length);
        assert.equal(result.bytesSent, errors.filter((e) => e === null).length * block.length);
      });

      it('counts as not sent the writes to a remote shell that could not start', async () => {
        const shell = openRemoteShell({ host: 'local', rsh: ['/nonexistent/ssh'], stderr: 'capture', ...use });
        shell.stream.write('hello');
        shell.stream.end('world');
        const failure = await rejection(shell.finished);
        assert.equal(failure.code, 'ERR_SPAWN');
        assert.equal(failure.bytesNotSent, 10);
      });

      it('fails later writes the same way, and end() still finishes the writable side', async () => {
        const shell = openOnStandIn(remoteProgram(), use);
        shell.stream.resume();
        await shell.exited;
        for (let i = 0; i < 3; i++) assert.equal(((await write(shell, 'x')) as RemoteShellError).code, 'ERR_STREAM_CLOSED');
        await new Promise<void>((resolve) => shell.stream.end(resolve));
        await shell.finished;
        await turn();
        assert.ok(shell.stream.destroyed, 'closed once both sides are done');
      });
    });

    describe('every way out settles, whatever the consumer does', () => {
      it('a consumer that never reads: finished settles after the exit, the output drained and discarded', async () => {
        const shell = openOnStandIn(remoteProgram('out', 'sixbytes'), use);
        await settlesWithin(shell.finished, scaled(5000), 'finished');
        const result = await shell.finished;
        assert.equal(result.bytesReceived, 8);
        assert.equal(result.bytesDiscarded, 8);
      });

      it('close() with six unread bytes settles', async () => {
        const shell = openOnStandIn(remoteProgram('out', 'sixbyt', 'err', 'reading\n', 'drain'), {
          killGraceMs: grace,
          drainTimeoutMs: drain,
          ...use,
        });
        await waitFor(() => shell.stderr.snapshot().text === 'reading\n', 'the six bytes are written');
        await settlesWithin(shell.close(), bound, 'close()');
      });

      for (const how of ['close', 'abort', 'kill'] as const) {
        it(`${how}() with a child blocked on unread stdout settles within killGraceMs * 2 + drainTimeoutMs, leaking nothing (POSIX)`, async function () {
          posixOnly(this, 'the child ignores SIGTERM, which Windows cannot deliver, and fds are counted in /proc');
          await openOnStandIn(remoteProgram(), use).finished;
          await wholeTurn();
          const fds = openFds().length;
          const controller = new AbortController();
          const shell = openRemoteShell({
            host: 'local',
            rsh: programAsRsh('ignore', 'SIGTERM', 'err', 'writing\n', 'out-bytes', 'forever', 'y'.charCodeAt(0)),
            stderr: 'capture',
            killGraceMs: grace,
            drainTimeoutMs: drain,
            signal: controller.signal,
            ...use,
          });
          await waitFor(() => shell.stderr.snapshot().text === 'writing\n', 'the child writes');
          const way = how === 'close' ? shell.close() : how === 'abort' ? controller.abort() : shell.kill('SIGKILL');
          void way;
          await settlesWithin(shell.finished, bound, 'finished');
          await gone(shell.pid!);
          await waitFor(() => openFds().length === fds, 'every fd is closed');
        });
      }

      it('close() on a consumer that paused with 64 KiB or more waiting settles in bound', async () => {
        const shell = openRemoteShell({
          host: 'local',
          // More than the pipe holds, then no end of its own: blocked on its stdout, or (where the
          // system buffers all of it, as Wine does) asleep after it, the child never sees EOF. It
          // is the remote shell itself, so that SIGTERM (TerminateProcess on Windows) ends it.
          rsh: programAsRsh('out-bytes', 300_000, 0, 'sleep', 600_000),
          stderr: 'capture',
          killGraceMs: grace,
          drainTimeoutMs: drain,
          ...use,
        });
        let delivered = 0;
        shell.stream.on('data', (chunk: Buffer) => (delivered += chunk.length));
        shell.stream.pause();
        await waitFor(() => shell.stream.readableLength >= 64 * 1024, 'the stand-in has 64 KiB waiting in the paused stream');
        await settlesWithin(shell.close(), bound, 'close()');
        // The child ends only by SIGTERM.
        const failure = await rejection(shell.finished);
        assert.equal(failure.signal, 'SIGTERM');
        assert.ok(failure.bytesDiscarded >= 64 * 1024);
        assert.equal(delivered + failure.bytesDiscarded, failure.bytesReceived);
        assert.ok(shell.stream.destroyed);
      });

      it('an abort after the exit settles even though the consumer paused', async () => {
        const controller = new AbortController();
        const shell = openOnStandIn(remoteProgram('out-bytes', 100_000, 0), {
          signal: controller.signal,
          killGraceMs: grace,
          drainTimeoutMs: drain,
          ...use,
        });
        shell.stream.on('data', () => {});
        shell.stream.pause();
        await shell.exited;
        controller.abort();
        await settlesWithin(shell.finished, bound, 'finished');
        assert.equal((await rejection(shell.finished)).code, 'ERR_ABORTED');
      });

      it('kill() after the exit settles even though the consumer paused, and says the child is gone', async () => {
        const shell = openOnStandIn(remoteProgram('out-bytes', 100_000, 0), { killGraceMs: grace, drainTimeoutMs: drain, ...use });
        let delivered = 0;
        shell.stream.on('data', (chunk: Buffer) => (delivered += chunk.length));
        shell.stream.pause();
        await shell.exited;
        assert.equal(shell.kill('SIGTERM'), false, 'nothing runs to signal');
        await settlesWithin(shell.finished, bound, 'finished');
        const result = await shell.finished;
        assert.ok(result.bytesDiscarded > 0);
        assert.equal(delivered + result.bytesDiscarded, result.bytesReceived);
      });

      it('await using, left by a throw, closes a shell nobody read', async () => {
        let pid: number | undefined;
        let started = performance.now();
        await assert.rejects(async () => {
          await using shell = openOnStandIn(remoteProgram('out', 'unread', 'err', 'copying\n', 'cat'), {
            killGraceMs: grace,
            drainTimeoutMs: drain,
            ...use,
          });
          pid = shell.pid;
          await waitFor(() => shell.stderr.snapshot().text === 'copying\n', 'the child has written and reads its stdin');
          started = performance.now();
          throw new Error('the block failed');
        }, /the block failed/);
        assert.ok(performance.now() - started < bound);
        await gone(pid!);
      });

      for (const reader of ['never reads', 'reads everything'] as const) {
        it(`a consumer that ${reader}: grandchildren that write to stdout for ever do not hold finished`, async () => {
          const shell = openRemoteShell({
            host: 'local',
            rsh: programAsRsh(
              'out',
              'mine',
              ...Array.from({ length: 8 }, () => ['background', '[', 'out-bytes', 'forever', 0, ']']).flat(),
              'exit',
              0,
            ),
            stderr: 'capture',
            drainTimeoutMs: drain,
            ...use,
          });
          let delivered = Buffer.alloc(0);
          if (reader === 'reads everything')
            shell.stream.on('data', (chunk: Buffer) => (delivered = delivered.length < 16 ? Buffer.concat([delivered, chunk]) : delivered));
          await shell.exited;
          // Once the child's own bytes are in, stdout ends, and the writers lose their reader.
          await settlesWithin(shell.finished, scaled(drain + 1500), 'finished');
          if (reader === 'reads everything') assert.equal(delivered.subarray(0, 4).toString(), 'mine');
        });
      }

      it('100 aborted shells that nobody read leave no fd behind (POSIX)', async function () {
        posixOnly(this, 'fds are counted in /proc');
        await openOnStandIn(remoteProgram(), use).finished;
        await wholeTurn();
        const fds = openFds().length;
        const shells = Array.from({ length: 100 }, () => {
          const controller = new AbortController();
          // sh rather than the remote programs: a hundred Node processes at once are a heavy load.
          const shell = openRemoteShell({
            host: 'local',
            rsh: ['sh', '-c', 'printf x; echo started >&2; exec sleep 30', 'sh'],
            stderr: 'capture',
            signal: controller.signal,
            killGraceMs: grace,
            drainTimeoutMs: drain,
            ...use,
          });
          return { shell, controller };
        });
        await waitFor(() => shells.every(({ shell }) => shell.stderr.snapshot().text === 'started\n'), 'every child has written');
        for (const { controller } of shells) controller.abort();
        await settlesWithin(Promise.all(shells.map(({ shell }) => shell.finished.catch(() => {}))), bound * 3, 'finished');
        await waitFor(() => openFds().length === fds, 'every fd is closed');
      });
    });

    describe('finished comes after the consumer has the bytes', () => {
      it('piped into a slow Writable, nothing is still buffered when finished resolves', async () => {
        const total = 2 * MiB;
        const shell = openOnStandIn(remoteProgram('out-bytes', total, 0), use);
        let written = 0;
        const slow = new Writable({
          highWaterMark: 1024,
          write(chunk: Buffer, _encoding, callback) {
            setTimeout(() => {
              written += chunk.length;
              callback();
            }, 1);
          },
        });
        shell.stream.pipe(slow);
        const result = await shell.finished;
        assert.equal(shell.stream.readableLength, 0);
        assert.ok(shell.stream.readableEnded);
        // Every byte is in the consumer's hands: written, or queued in the Writable it piped to.
        assert.equal(written + slow.writableLength, total);
        assert.equal(result.bytesReceived, total);
        assert.equal(result.bytesDiscarded, 0);
      });

      it('with an async iterator, every byte is in hand when finished resolves', async () => {
        const shell = openOnStandIn(remoteProgram('out-bytes', 1_000_000, 0), use);
        let collected = 0;
        const reading = (async () => {
          for await (const chunk of shell.stream) {
            collected += (chunk as Buffer).length;
            await sleep(1);
          }
        })();
        await shell.finished;
        assert.equal(collected, 1_000_000);
        await reading;
      });
    });
  });
}
