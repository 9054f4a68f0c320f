import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { fstatSync, openSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StderrCapture } from '../../host/core/index.js';
import { inspect } from '../../host/internal.js';
import { StderrChannel } from '../../host/stderr/channel.js';
import { DEFAULT_BINDING_PATH, loadBinding } from '../../host/native/binding.js';
import { BACKENDS, SOCKETPAIR_BINDING_PATH, type Backend } from '../helpers/backends.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { REMOTE_PROGRAMS } from '../helpers/stand-in.js';
import { childFds, execed, fdFlags, inheritedFds, O_CLOEXEC, O_NONBLOCK, openFds, threadpoolSize } from '../helpers/proc.js';
import { runWithChannel } from './channel-helpers.js';

const MiB = 1024 * 1024;
// Spawn-and-finish cycles of the leak check (fewer in npm run test:unit).
const CYCLES = Number(process.env.RSH_CHANNEL_CYCLES ?? 500);

describe('native builds', () => {
  it('the default build uses pipes and the feature build socketpairs', () => {
    assert.equal(
      loadBinding(DEFAULT_BINDING_PATH).features.socketpairStderr,
      false,
      'build/Release was built with --ssh-socketpair-stderr: rebuild it without (npm run build:native)',
    );
    assert.equal(loadBinding(SOCKETPAIR_BINDING_PATH).features.socketpairStderr, true);
  });
});

for (const backend of BACKENDS) {
  describe(`stderr channel (${backend.name})`, function () {
    this.timeout(scaled(60_000));

    it(`creates a ${backend.name} endpoint and reports its kernel buffer`, () => {
      const capture = new StderrCapture();
      const channel = new StderrChannel(capture, { binding: backend.binding() });
      try {
        assert.equal(channel.info.backend, backend.name);
        assert.equal(channel.info.fallbackReason, null);
        assert.ok(channel.info.kernelBufferSize >= 64 * 1024, `buffer ${channel.info.kernelBufferSize}`);
        const kind = backend.name === 'pipe' ? /^pipe:/ : /^socket:/;
        assert.match(readlinkSync(`/proc/self/fd/${channel.childFd}`), kind);
      } finally {
        channel.close();
        capture.close();
      }
    });

    it('keeps the read end non-blocking and close-on-exec', () => {
      const capture = new StderrCapture();
      const before = new Set(openFds());
      const channel = new StderrChannel(capture, { binding: backend.binding() });
      try {
        const added = openFds()
          .filter((fd) => !before.has(fd))
          .map(Number);
        const parentFd = added.find((fd) => fd !== channel.childFd)!;
        for (const fd of [parentFd, channel.childFd]) {
          const flags = fdFlags(fd);
          assert.ok(flags & O_CLOEXEC, `fd ${fd} is close-on-exec`);
          // Only our end is non-blocking: a child whose stderr returned EAGAIN would lose output.
          assert.equal(Boolean(flags & O_NONBLOCK), fd === parentFd, `fd ${fd} O_NONBLOCK`);
        }
      } finally {
        channel.close();
        capture.close();
      }
    });

    it("gives the child the endpoint as fd 2 and nothing else, and closes the parent's copy", async () => {
      const capture = new StderrCapture();
      const channel = new StderrChannel(capture, { binding: backend.binding() });
      const target = readlinkSync(`/proc/self/fd/${channel.childFd}`);
      const child = spawn('sleep', ['5'], { stdio: ['ignore', 'ignore', channel.childFd] });
      channel.spawned();
      try {
        await execed(child.pid!, 'sleep');
        const expected = ['0', '1', '2', ...inheritedFds()];
        assert.deepEqual(await childFds(child.pid!, expected), expected);
        assert.equal(readlinkSync(`/proc/${child.pid}/fd/2`), target);
        const ours = (() => {
          try {
            return readlinkSync(`/proc/self/fd/${channel.childFd}`);
          } catch {
            return null;
          }
        })();
        assert.notEqual(ours, target, "the parent's copy of the child's end is closed");
      } finally {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.on('exit', resolve));
        channel.finish(0);
        await channel.ended;
        capture.close();
      }
    });

    it('drains 256 MiB of stderr while nobody reads stdout for 2 s, counting every byte', async function () {
      // The child floods stderr and, at the same time, writes 4 MiB to a stdout nobody reads.
      const total = 256 * MiB;
      const run = runWithChannel(backend, 'sh', ['-c', `head -c ${total} /dev/zero >&2 & head -c ${4 * MiB} /dev/zero; wait`], {
        stdout: 'pipe',
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      let stdout = 0;
      run.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.length));
      const { code, end } = await run.done;
      assert.equal(code, 0);
      assert.equal(end.reason, 'eof');
      assert.equal(stdout, 4 * MiB);
      assert.equal(run.capture.stats.bytesSeen, total);
      assert.equal(run.channel[inspect]().pumpStats!.bytes, total);
      run.capture.close();
    });

    it('never loses the bytes still in the kernel buffer when the child exits', async () => {
      for (const size of [1, 4095, 65536, 200_000]) {
        const run = runWithChannel(backend, 'sh', ['-c', `head -c ${size} /dev/urandom >&2`]);
        const { end } = await run.done;
        assert.equal(end.reason, 'eof');
        assert.equal(run.capture.stats.bytesSeen, size);
        run.capture.close();
      }
    });

    it('stops reading when the child exits even though a grandchild holds stderr, leaving the grandchild alone', async () => {
      const run = runWithChannel(backend, 'sh', ['-c', 'echo before >&2; sleep 30 >&2 & echo $! >&2; exit 0'], { drainTimeoutMs: 300 });
      const { end, exitedAt, endedAt } = await run.done;
      const lines = run.capture.snapshot().text.trim().split('\n');
      const grandchild = Number(lines[1]);
      try {
        assert.equal(lines[0], 'before');
        // socketpair: shutdown(SHUT_RD) ends it with EOF; pipe: the drain deadline does.
        assert.equal(end.reason, backend.name === 'socketpair' ? 'eof' : 'deadline');
        assert.ok(endedAt - exitedAt < 10_000, 'ended long before the grandchild would have');
        assert.equal(spawnSync('kill', ['-0', String(grandchild)]).status, 0, 'grandchild still running');
      } finally {
        process.kill(grandchild, 'SIGKILL');
        run.capture.close();
      }
    });

    it(`leaks no fd and leaves no zombie over ${CYCLES} spawn-and-finish cycles`, async function () {
      this.timeout(scaled(180_000));
      const baseline = openFds().length;
      for (let i = 0; i < CYCLES; i++) {
        const run = runWithChannel(backend, 'sh', ['-c', 'echo cycle >&2']);
        const { end } = await run.done;
        assert.equal(end.reason, 'eof');
        assert.equal(run.capture.stats.bytesSeen, 6);
        run.capture.close();
      }
      assert.equal(openFds().length, baseline);
      const children = spawnSync('ps', ['-o', 'pid=,stat=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout;
      assert.ok(!/\sZ/.test(children), `zombies:\n${children}`);
    });
  });
}

// Windows has no pump (libuv cannot poll a pipe there): the channel reads from JavaScript. The
// same path is run here with the pump taken out of each build.
for (const backend of BACKENDS) {
  describe(`stderr channel read from JavaScript, as on Windows (${backend.name})`, function () {
    this.timeout(scaled(60_000));
    const withoutPump = (): Backend => ({ ...backend, binding: () => ({ ...backend.binding(), Pump: undefined }) });

    it('every byte, then the end', async () => {
      const run = runWithChannel(withoutPump(), 'sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" x >&2; echo end >&2']);
      const { end, code } = await run.done;
      assert.equal(code, 0);
      assert.equal(end.reason, 'eof');
      assert.equal(run.capture.stats.bytesSeen, 300_004);
      run.capture.close();
    });

    it('an fd libuv cannot read as a pipe: the end says why, the fd is closed, and nothing throws at the spawn', async () => {
      const capture = new StderrCapture();
      const file = openSync(REMOTE_PROGRAMS, 'r');
      const real = withoutPump().binding();
      const binding = {
        ...real,
        createEndpoint: () => {
          const endpoint = real.createEndpoint!();
          real.closeFd(endpoint.parentFd);
          return { ...endpoint, parentFd: file };
        },
      };
      const channel = new StderrChannel(capture, { binding });
      const child = spawn('true', [], { stdio: ['ignore', 'ignore', channel.childFd] });
      channel.spawned();
      await new Promise((resolve) => child.on('exit', resolve));
      assert.deepEqual(await channel.ended, { reason: 'error', errno: 'ERR_INVALID_FD_TYPE' });
      assert.throws(() => fstatSync(file), { code: 'EBADF' });
      capture.close();
    });

    it("more children at once than Node's threadpool has threads leave it free: a file read completes while they run", async () => {
      // A read that holds a threadpool thread for the child's life (fs.read on the pipe) would
      // stall every fs call of the process once the pool's threads are all taken.
      const children = Array.from({ length: threadpoolSize() + 1 }, () => {
        const capture = new StderrCapture();
        const channel = new StderrChannel(capture, { binding: withoutPump().binding() });
        const child = spawn('sh', ['-c', 'echo up >&2; exec cat >/dev/null'], { stdio: ['pipe', 'ignore', channel.childFd] });
        channel.spawned();
        child.on('exit', () => channel.finish(100));
        return { capture, channel, child };
      });
      await waitFor(() => children.every(({ capture }) => capture.snapshot().text === 'up\n'), 'every child has written');
      assert.ok((await readFile('/proc/self/status', 'utf8')).length > 0);
      assert.ok(
        children.every(({ child }) => child.exitCode === null),
        'the read completed while every child ran',
      );
      for (const { child } of children) child.stdin!.end();
      for (const { channel, capture } of children) {
        assert.equal((await channel.ended).reason, 'eof');
        capture.close();
      }
    });
  });
}

describe('stderr endpoint fallback', () => {
  const socketpair = BACKENDS[1];

  it('falls back to a pipe when the socketpair fails, says why, and still captures', async () => {
    const run = runWithChannel(socketpair, 'sh', ['-c', 'echo via fallback >&2'], {
      channel: { injectFailure: { socketpair: constants.errno.EMFILE } },
    });
    assert.equal(run.channel.info.backend, 'pipe');
    assert.match(run.channel.info.fallbackReason!, /^socketpair\(AF_UNIX, SOCK_STREAM\) failed: EMFILE \(too many open files\)$/);
    const { end } = await run.done;
    assert.equal(end.reason, 'eof');
    assert.equal(run.capture.snapshot().text, 'via fallback\n');
    run.capture.close();
  });

  for (const backend of BACKENDS) {
    it(`names the errno when no endpoint can be made, leaking no fd (${backend.name} build)`, () => {
      const capture = new StderrCapture();
      const before = openFds().length;
      assert.throws(
        () =>
          new StderrChannel(capture, {
            binding: backend.binding(),
            injectFailure: { socketpair: constants.errno.ENOBUFS, pipe: constants.errno.ENFILE },
          }),
        (err: NodeJS.ErrnoException & { fallbackReason?: string }) => {
          assert.equal(err.message, 'cannot create the stderr endpoint: pipe2 failed: ENFILE (file table overflow)');
          assert.equal(err.code, 'ENFILE');
          assert.equal(err.syscall, 'pipe2');
          if (backend.name === 'socketpair') assert.match(err.fallbackReason!, /ENOBUFS/);
          return true;
        },
      );
      assert.equal(openFds().length, before);
      capture.close();
    });
  }
});
