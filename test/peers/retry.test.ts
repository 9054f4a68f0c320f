// Trying the connection again, against the suite's sshd with the real ssh: only for a connection
// that was never established, only while nothing crossed the stream, and every way out of the
// waiting still bounded.
//
// Seeded: fast-check prints the seed and the counterexample on failure. Replay with
// RSH_RETRY_SEED=<seed>; more runs with RSH_RETRY_RUNS=<n>.

import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell, type OpenRemoteShellOptions } from '../../host/index.js';
import { openFds } from '../helpers/proc.js';
import { rejection, scaled, sleep } from '../helpers/promises.js';
import { standIn } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { relay } from './relay.js';
import { freePort, useSshd } from './sshd.js';

describe('retry of the connection through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  const target = (port: number, extra: Partial<OpenRemoteShellOptions> = {}): OpenRemoteShellOptions => ({
    host: peer.sshd.host,
    user: peer.sshd.user,
    rsh: ['ssh', ...peer.sshd.sshOptionsWith({ port })],
    stderr: 'capture',
    ...extra,
  });

  it('succeeds once the port starts listening, the reader attached from the start', async () => {
    const port = await freePort();
    // The relay's port is another name for the server: its key is known under that one too.
    const knownHosts = path.join(peer.sshd.dir, 'relay_known_hosts');
    writeFileSync(knownHosts, readFileSync(peer.sshd.knownHosts, 'utf8').replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${port}`));
    const shell = openRemoteShell({
      ...target(port, { command: ['echo', 'reached'], retry: { attempts: 20, delayMs: 200 } }),
      rsh: ['ssh', ...peer.sshd.sshOptionsWith({ port, knownHosts })],
    });
    const output = collect(shell.stream);
    await sleep(700);
    const server = await relay(port, peer.sshd.port);
    try {
      assert.equal((await output).toString(), 'reached\n');
      await shell.finished;
      assert.ok(shell.attempts > 1, `${shell.attempts} attempts`);
    } finally {
      server.close();
    }
  });

  it('gives up after the last attempt and says how many were made', async () => {
    const port = await freePort();
    const shell = openRemoteShell(target(port, { command: ['true'], retry: { attempts: 2, delayMs: 50 } }));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'connect-refused');
    assert.equal(err.attempts, 3);
    assert.match(err.shortMessage, /^ssh could not connect to 127\.0\.0\.1 port \d+: connection refused \(after 3 attempts\)$/);
    assert.equal(shell.attempts, 3);
  });

  it('never retries once the caller wrote: the byte went to a remote shell that could not take it', async () => {
    const port = await freePort();
    const shell = openRemoteShell(target(port, { command: ['cat'], retry: { attempts: 5, delayMs: 50 } }));
    shell.stream.write('x', () => {});
    const err = await rejection(shell.finished);
    assert.equal(err.attempts, 1);
    assert.equal(err.reason, 'connect-refused');
  });

  it('never retries a failure that reached the server or the remote command', async () => {
    const denied = openRemoteShell({
      ...target(peer.sshd.port, { command: ['true'], retry: 3 }),
      rsh: ['ssh', ...peer.sshd.sshOptionsWith({ key: peer.sshd.strangerKey })],
    });
    const auth = await rejection(denied.finished);
    assert.equal(auth.reason, 'auth-failed');
    assert.equal(auth.attempts, 1);
    const ran = openRemoteShell({ ...target(peer.sshd.port, { remoteCommand: 'echo partial; exit 255', retry: 3 }) });
    ran.stream.resume();
    const failed = await rejection(ran.finished);
    assert.equal(failed.attempts, 1);
    assert.equal(failed.bytesReceived, 8);
  });

  it('never retries when output came back unread: a paused consumer still gets it, and the command ran once', async () => {
    const log = path.join(peer.scratch, `ran-${Date.now()}`);
    const shell = openRemoteShell({
      host: 'h',
      rsh: standIn(),
      stderr: 'capture',
      retry: { attempts: 2, delayMs: 10 },
      remoteCommand: `echo ran >> ${log}; printf RESULT; echo "ssh: connect to host 127.0.0.1 port 9: Connection refused" >&2; exit 255`,
    });
    shell.stream.pause(); // a reader, not reading yet: the bytes wait in the socket and the kernel
    await shell.exited;
    await sleep(200);
    assert.equal((await collect(shell.stream)).toString(), 'RESULT');
    const err = await rejection(shell.finished);
    assert.equal(err.attempts, 1);
    assert.equal(readFileSync(log, 'utf8'), 'ran\n');
  });

  it("never takes a remote command's own ssh failure for its own: ssh says when it authenticated", async () => {
    const log = path.join(peer.scratch, `nested-${Date.now()}`);
    const shell = openRemoteShell(
      target(peer.sshd.port, {
        retry: { attempts: 3, delayMs: 10 },
        remoteCommand: `echo ran >> ${log}; ssh -F /dev/null -o BatchMode=yes -p ${await freePort()} 127.0.0.1 true`,
      }),
    );
    assert.ok(shell.argv.includes('LogLevel=VERBOSE'));
    const err = await rejection(shell.finished);
    assert.equal(err.attempts, 1);
    assert.equal(err.reason, 'remote-command-failed');
    assert.equal(readFileSync(log, 'utf8'), 'ran\n');
  });

  it('holds no end back once output came: a half-closing protocol finishes as without retry', async () => {
    for (const retry of [undefined, 1]) {
      const shell = openRemoteShell({
        host: 'h',
        rsh: ['sh', '-c', 'printf answer; exec 1>&-; cat >/dev/null', 'sh'],
        stderr: 'capture',
        retry,
      });
      shell.stream.on('end', () => shell.stream.end());
      assert.equal((await collect(shell.stream)).toString(), 'answer');
      await shell.finished;
    }
  });

  it('a write, end() or destroy() during the wait ends it at once, and a failed write says why', async () => {
    for (const action of ['write', 'end', 'destroy'] as const) {
      const port = await freePort();
      const shell = openRemoteShell(target(port, { command: ['cat'], retry: { attempts: 3, delayMs: 5000 } }));
      await sleep(500);
      const started = Date.now();
      let written: Promise<Error | null | undefined> | undefined;
      if (action === 'write') written = new Promise((resolve) => shell.stream.write('x', resolve));
      if (action === 'end') shell.stream.end();
      if (action === 'destroy') shell.stream.destroy();
      const err = await rejection(shell.finished);
      assert.ok(Date.now() - started < 3000, `${action}: settled after ${Date.now() - started} ms`);
      assert.equal(err.attempts, 1);
      assert.equal(err.reason, 'connect-refused');
      if (written) assert.equal(((await written) as typeof err).reason, 'connect-refused');
    }
  });

  it("a new attempt that cannot start ends the run with why, keeping the last attempt's stderr and exit", async () => {
    const port = await freePort();
    const wrapper = path.join(peer.scratch, `ssh-wrapper-${Date.now()}`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ssh "$@"\n`, { mode: 0o755 });
    const shell = openRemoteShell({
      ...target(port, { command: ['true'], retry: { attempts: 3, delayMs: 500 } }),
      rsh: [wrapper, ...peer.sshd.sshOptionsWith({ port })],
    });
    await sleep(200);
    rmSync(wrapper);
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'spawn-failed');
    assert.equal(err.attempts, 2);
    assert.deepEqual(await shell.exited, { code: 255, signal: null });
    assert.match(shell.stderr.snapshot().text, /Connection refused/);
  });

  it('refuses retry with a handed-over fd, and a wrong value, before anything runs', () => {
    assert.throws(
      () => openRemoteShell(target(1, { command: ['true'], retry: 1, stdin: 0 })),
      /^TypeError: retry needs stdin and stdout as 'pipe'/,
    );
    assert.throws(
      () => openRemoteShell(target(1, { command: ['true'], retry: -1 })),
      /^RangeError: retry must be a whole number from 0 to 100, got -1$/,
    );
    assert.throws(
      () => openRemoteShell(target(1, { command: ['true'], retry: { attempts: 1, delay: 5 } as never })),
      /^TypeError: retry has no option "delay"/,
    );
  });

  const SEED = Number(process.env.RSH_RETRY_SEED ?? Date.now() % 2 ** 31);
  const RUNS = Number(process.env.RSH_RETRY_RUNS ?? 12);
  it(`every way out of the waiting settles within its bound and leaves no fd (fast-check, seed ${SEED})`, async () => {
    const port = await freePort();
    const before = openFds().length;
    const scenario = fc.record({
      attempts: fc.integer({ min: 0, max: 3 }),
      delayMs: fc.integer({ min: 0, max: 150 }),
      action: fc.constantFrom('none', 'abort', 'close', 'kill', 'write', 'end'),
      atMs: fc.integer({ min: 0, max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ attempts, delayMs, action, atMs }) => {
        const controller = new AbortController();
        const started = Date.now();
        const shell = openRemoteShell(
          target(port, {
            command: ['true'],
            retry: { attempts, delayMs },
            signal: controller.signal,
            killGraceMs: 100,
            drainTimeoutMs: 50,
          }),
        );
        let actedAt = Infinity;
        const act = sleep(atMs).then(() => {
          actedAt = Date.now();
          if (action === 'abort') controller.abort();
          if (action === 'close') void shell.close();
          if (action === 'kill') shell.kill();
          if (action === 'write') shell.stream.write('x', () => {});
          if (action === 'end') shell.stream.end();
        });
        const err = await rejection(shell.finished);
        const took = Date.now() - started;
        await act;
        assert.ok(err.attempts >= 1 && err.attempts <= attempts + 1, `${err.attempts} attempts of ${attempts + 1}`);
        assert.equal(err.attempts, shell.attempts);
        const before = actedAt < started + took;
        // An abort after the last attempt failed, while the error is being completed, changes
        // nothing: the refusal stands.
        if (action === 'abort' && before && err.attempts <= attempts) assert.equal(err.reason, 'aborted');
        else if (action === 'abort' && before) assert.ok(['connect-refused', 'aborted'].includes(err.reason), err.reason);
        // A signal may reach ssh before it has failed on its own.
        else if ((action === 'kill' || action === 'close') && before)
          assert.ok(['connect-refused', 'killed'].includes(err.reason), err.reason);
        else assert.equal(err.reason, 'connect-refused');
        // Once the caller acted, no new attempt starts.
        if (action !== 'none' && before)
          assert.ok(
            err.attempts <= Math.ceil((actedAt - started) / Math.max(delayMs, 1)) + 1,
            `${err.attempts} attempts after acting at ${actedAt - started} ms`,
          );
        // Each attempt: ssh's refused connect, the stderr drain, the delay; plus scheduling.
        const bound = (attempts + 1) * (delayMs + 50 + 1500) + 2000;
        assert.ok(took < bound, `settled after ${took} ms, bound ${bound}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    await sleep(100);
    assert.equal(openFds().length, before, 'no fd left');
  });
});
