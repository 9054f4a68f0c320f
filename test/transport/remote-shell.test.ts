import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, createWriteStream, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openRemoteShell, quoteCommand, RemoteShellError } from '../../host/index.js';
import { NO_ADDON } from '../helpers/backends.js';
import { posixOnly } from '../helpers/posix.js';
import { childFds, execed, fdFlags, inheritedFds, O_NONBLOCK, openFds, resources, threadpoolSize } from '../helpers/proc.js';
import { rejection, scaled, waitFor, wholeTurn } from '../helpers/promises.js';
import { openOnStandIn, programAsRsh, REMOTE_PROGRAMS, remoteProgram, standIn } from '../helpers/stand-in.js';
import { collect, sha256 } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';

const MiB = 1024 * 1024;

describe('openRemoteShell: the tunnel', function () {
  this.timeout(scaled(60_000));

  it('carries 100 MiB to a local child and back, byte for byte (sha256)', async () => {
    const shell = openOnStandIn(remoteProgram('cat'));
    const received = sha256(shell.stream);
    const sent = createHash('sha256');
    const block = randomBytes(MiB);
    for (let i = 0; i < 100; i++) {
      block[i % block.length] ^= i + 1; // every MiB differs
      sent.update(block);
      if (!shell.stream.write(Buffer.from(block))) await new Promise((resolve) => shell.stream.once('drain', resolve));
    }
    shell.stream.end();
    const [result, back] = await Promise.all([shell.finished, received]);
    assert.equal(back.bytes, 100 * MiB);
    assert.equal(back.digest, sent.digest('hex'));
    assert.deepEqual(result, { code: 0, signal: null, bytesReceived: 100 * MiB, bytesSent: 100 * MiB, bytesDiscarded: 0, bytesNotSent: 0 });
  });

  it('delivers the last stdout bytes before end when the child exits at once', async () => {
    const shell = openOnStandIn(remoteProgram('out-bytes', 3_000_000, 0));
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.length, 3_000_000);
  });

  it('resolves once the child exits even though a grandchild keeps its stdout open', async () => {
    const shell = openOnStandIn(remoteProgram('out', 'started\n', 'background', '[', 'sleep', 30_000, ']', 'err-pids'), {
      drainTimeoutMs: 200,
    });
    const out = collect(shell.stream);
    await shell.finished;
    assert.equal((await out).toString(), 'started\n');
    process.kill(Number(shell.stderr.snapshot().text.trim()), 'SIGKILL');
  });

  it("more remote shells at once than Node's threadpool has threads leave it free: a file read completes while they all run", async () => {
    // A stderr read that blocks a threadpool thread for the child's life (fs.read on a pipe, as
    // on Windows before) stalls every fs call, dns.lookup and zlib job of the process once as
    // many shells run as the pool has threads: this file read would wait for a shell to end.
    const shells = Array.from({ length: threadpoolSize() + 1 }, () => openOnStandIn(remoteProgram('err', 'up\n', 'drain')));
    await waitFor(() => shells.every((shell) => shell.stderr.snapshot().text === 'up\n'), 'every shell has written to its stderr');
    const running = shells.map(() => true);
    shells.forEach((shell, i) => shell.exited.then(() => (running[i] = false)));
    assert.equal((await readFile(REMOTE_PROGRAMS)).length > 0, true);
    assert.deepEqual(
      running,
      shells.map(() => true),
      'the read completed while every shell ran',
    );
    await Promise.all(shells.map((shell) => shell.close()));
    for (const shell of shells) assert.equal((await shell.finished).code, 0);
  });

  it('releases every fd, timer and child by the time finished settles (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    // The first spawn of a process sets up libuv's SIGCHLD pipe for good: not ours to count.
    await openOnStandIn(remoteProgram()).finished;
    await wholeTurn(); // handles closed in one tick leave the list in the next
    const fds = openFds().length;
    const before = resources();
    for (const command of [remoteProgram('out', 'ok\n'), remoteProgram('err', 'no\n', 'exit', 3)]) {
      const shell = openOnStandIn(command);
      shell.stream.resume();
      await shell.finished.catch(() => {});
    }
    await wholeTurn();
    assert.equal(openFds().length, fds);
    const after = resources();
    for (const type of ['ProcessWrap', 'PipeWrap', 'Timeout', 'TTYWrap']) assert.equal(after[type] ?? 0, before[type] ?? 0, type);
  });

  it('gives the remote shell sockets as stdin and stdout, the stderr endpoint as fd 2, and nothing else (POSIX)', async function () {
    posixOnly(this, "the child's fds are read in /proc");
    const shell = openRemoteShell({ host: 'local', rsh: ['sh', '-c', 'read line; echo "$line"', 'sh'], stderr: 'capture' });
    const pid = shell.pid!;
    await execed(pid, 'sh');
    const target = (fd: string): string => readlinkSync(`/proc/${pid}/fd/${fd}`);
    const expected = ['0', '1', '2', ...inheritedFds()];
    assert.deepEqual(await childFds(pid, expected), expected);
    assert.match(target('0'), /^socket:/);
    assert.match(target('1'), /^socket:/);
    // Without the addon, stderr is Node's own pipe: a socketpair, as for stdin and stdout.
    assert.match(target('2'), NO_ADDON ? /^socket:/ : /^pipe:/);
    // Blocking on the child's side, as a shell expects of its stdio.
    for (const fd of ['0', '1', '2']) assert.equal(fdFlags(fd, pid) & O_NONBLOCK, 0, `fd ${fd} O_NONBLOCK`);
    shell.stream.end('hello\n');
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'hello\n');
  });

  it('reports pid, argv and the stderr backend', async () => {
    const shell = openRemoteShell({ host: 'local', user: 'alice', rsh: standIn('-q'), command: remoteProgram() });
    assert.ok(Number.isInteger(shell.pid));
    assert.deepEqual(shell.argv.slice(-4), ['-l', 'alice', 'local', quoteCommand(remoteProgram())]);
    await shell.finished;
    if (NO_ADDON) {
      assert.equal(shell.stderr.stats.backend, 'js');
      assert.match(shell.stderr.stats.fallbackReason!, /RSH_TRANSPORT_NO_ADDON is set/);
      assert.equal(shell.stderr.stats.kernelBufferSize, 0);
    } else {
      assert.equal(shell.stderr.stats.backend, 'pipe');
      assert.ok(shell.stderr.stats.kernelBufferSize > 0);
    }
  });

  it('hides DISPLAY from the remote shell unless SSH_ASKPASS is set, as rsync does', async () => {
    const run = async (env: NodeJS.ProcessEnv) => {
      const shell = openOnStandIn(remoteProgram('out-env', 'DISPLAY'), { env: { PATH: process.env.PATH, ...env } });
      const [out] = await Promise.all([collect(shell.stream), shell.finished]);
      return out.toString();
    };
    assert.equal(await run({ DISPLAY: ':0' }), '\n');
    assert.equal(await run({ DISPLAY: ':0', SSH_ASKPASS: '/usr/bin/askpass' }), ':0\n');
  });
});

describe('openRemoteShell: errors', function () {
  this.timeout(scaled(30_000));

  it('ERR_REMOTE_SHELL_EXIT: says why in the first line, then only the telling line when forwarded', async () => {
    const forwarded: string[] = [];
    const shell = openOnStandIn(remoteProgram('err', 'first\n', 'err', 'Permission denied (publickey).\n', 'exit', 255), {
      stderr: (line) => forwarded.push(line),
    });
    shell.stream.resume();
    const err = await rejection(shell.finished);
    assert.equal(err.code, 'ERR_REMOTE_SHELL_EXIT');
    assert.equal(err.message, 'stand-in-ssh.mjs could not authenticate: Permission denied (publickey)');
    assert.equal(err.reason, 'auth-failed');
    assert.deepEqual(err.tellingLines, ['Permission denied (publickey).']);
    assert.match(err.hint!, /authorized_keys/);
    assert.equal(err.exitCode, 255);
    assert.equal(err.signal, null);
    assert.equal(err.bytesReceived, 0);
    assert.equal(err.stderrTail, 'first\nPermission denied (publickey).\n');
    assert.deepEqual(forwarded, ['first', 'Permission denied (publickey).']);
    assert.equal(err.argv[0], process.execPath);
  });

  it('ERR_REMOTE_SHELL_EXIT: once protocol bytes came back, an ssh-like line from the remote side is not taken for a refused connection', async () => {
    const shell = openOnStandIn(remoteProgram('out', '12345', 'err', 'Permission denied (publickey).\n', 'exit', 255));
    shell.stream.resume();
    const err = await rejection(shell.finished);
    assert.equal(err.bytesReceived, 5);
    assert.equal(err.reason, 'remote-command-failed');
    assert.equal(err.neverConnected, false);
  });

  it("ERR_REMOTE_SHELL_EXIT with 'capture': the message carries the bounded tail with one marker", async () => {
    const shell = openOnStandIn(remoteProgram('err-lines', 1, 500, 'exit', 1));
    const err = await rejection(shell.finished);
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'the remote command failed with exit code 1: 500');
    assert.equal(err.reason, 'remote-command-failed');
    assert.equal(lines[1], '[... 480 earlier lines of stderr not shown ...]');
    assert.deepEqual(
      lines.slice(2),
      Array.from({ length: 20 }, (_, i) => String(481 + i)),
    );
    assert.ok(err.stderrTail.startsWith('1\n2\n3\n') && err.stderrTail.endsWith('499\n500\n'));
  });

  it('ERR_REMOTE_SHELL_SIGNAL: names the signal (POSIX)', async function () {
    posixOnly(this, 'sh kills itself with SIGKILL: a death by signal, which Windows does not have');
    const shell = openRemoteShell({ host: 'local', rsh: ['sh', '-c', 'echo dying >&2; kill -KILL $$', 'sh'], stderr: 'capture' });
    const err = await rejection(shell.finished);
    assert.equal(err.code, 'ERR_REMOTE_SHELL_SIGNAL');
    assert.equal(err.signal, 'SIGKILL');
    assert.equal(err.exitCode, null);
    assert.equal(err.message, 'sh was killed by SIGKILL\ndying');
    assert.equal(err.reason, 'killed');
  });

  it('ERR_SPAWN: a missing program is named as not found on PATH, and nothing leaks (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    const fds = openFds().length;
    const shell = openRemoteShell({ host: 'h', rsh: 'no-such-remote-shell -v', stderr: 'capture' });
    const err = await rejection(shell.finished);
    assert.equal(err.code, 'ERR_SPAWN');
    assert.equal(err.message, 'cannot start the remote shell: "no-such-remote-shell" was not found on PATH');
    assert.equal(err.reason, 'spawn-failed');
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
    assert.equal(shell.pid, undefined);
    await waitFor(() => openFds().length === fds, 'every fd is closed');
  });

  it('ERR_SPAWN: a file that is not executable (POSIX)', async function () {
    posixOnly(this, 'a file mode without the execute bits');
    const dir = scratchDir('rsh-test-');
    const file = path.join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    const err = await rejection(openRemoteShell({ host: 'h', rsh: [file] }).finished);
    assert.equal(err.code, 'ERR_SPAWN');
    assert.equal(err.message, `cannot start the remote shell: ${JSON.stringify(file)} is not executable (EACCES)`);
  });

  it('ERR_INVALID_RSH and ERR_INVALID_HOST are thrown before anything is spawned', () => {
    assert.throws(
      () => openRemoteShell({ host: 'h', rsh: `ssh -o 'x` }),
      (err: RemoteShellError) => err.code === 'ERR_INVALID_RSH' && err.reason === 'invalid-input',
    );
    assert.throws(
      () => openRemoteShell({ host: '-oProxyCommand=touch /tmp/pwned', rsh: standIn() }),
      (err: RemoteShellError) => err.code === 'ERR_INVALID_HOST' && err.reason === 'invalid-input',
    );
  });

  it('ERR_ABORTED: the AbortSignal sends SIGTERM and rejects with the reason as cause', async () => {
    const controller = new AbortController();
    const shell = openOnStandIn(remoteProgram('err', 'waiting\n', 'sleep', 30_000), { signal: controller.signal });
    await waitFor(() => shell.stderr.snapshot().text.includes('waiting'), 'the remote command runs');
    controller.abort(new Error('user gave up'));
    const err = await rejection(shell.finished);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal((err.cause as Error).message, 'user gave up');
    assert.match(err.message, /^remote shell aborted \(0 bytes received so far\): stand-in-ssh\.mjs was stopped by SIGTERM\nwaiting/);
    assert.equal(err.reason, 'aborted');
  });

  it('ERR_ABORTED: SIGKILL follows after the grace when SIGTERM is ignored (POSIX)', async function () {
    posixOnly(this, 'a child ignores SIGTERM, which Windows cannot deliver');
    const controller = new AbortController();
    const shell = openRemoteShell({
      host: 'local',
      rsh: programAsRsh('ignore', 'SIGTERM', 'err', 'ignoring\n', 'sleep', 30_000),
      stderr: 'capture',
      signal: controller.signal,
      killGraceMs: 300,
    });
    await waitFor(() => shell.stderr.snapshot().text.includes('ignoring'), 'the shell ignores SIGTERM');
    controller.abort();
    const err = await rejection(shell.finished);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal(err.signal, 'SIGKILL');
  });

  it('ERR_ABORTED at once when the signal is already aborted, spawning nothing', async () => {
    const shell = openRemoteShell({ host: 'h', rsh: standIn(), command: ['true'], signal: AbortSignal.abort() });
    assert.equal(shell.pid, undefined);
    assert.equal((await rejection(shell.finished)).code, 'ERR_ABORTED');
  });

  it('ERR_STREAM_CLOSED: writing to a child that exited is a clean error, not an EPIPE crash', async () => {
    const shell = openOnStandIn(remoteProgram());
    assert.deepEqual(await shell.finished, { code: 0, signal: null, bytesReceived: 0, bytesSent: 0, bytesDiscarded: 0, bytesNotSent: 0 });
    const err = await new Promise<Error | null | undefined>((resolve) => shell.stream.write(Buffer.alloc(MiB), resolve));
    assert.ok(err instanceof RemoteShellError);
    assert.equal(err.code, 'ERR_STREAM_CLOSED');
    assert.match(err.message, /^cannot write to the remote shell: its stdin is closed; stand-in-ssh\.mjs exited with code 0$/);
  });

  it('ERR_STREAM_CLOSED while writing: the child closes its stdin mid-stream and exits', async () => {
    const shell = openOnStandIn(remoteProgram('read', 1000, 'out', 'done\n'));
    const out = collect(shell.stream);
    let failure: Error | undefined;
    for (let i = 0; i < 64 && !failure; i++) {
      const ok = await new Promise<boolean>((resolve) =>
        shell.stream.write(Buffer.alloc(64 * 1024), (err) => {
          failure = err ?? undefined;
          resolve(!err);
        }),
      );
      if (!ok) break;
    }
    assert.equal((failure as RemoteShellError | undefined)?.code, 'ERR_STREAM_CLOSED');
    assert.equal((await out).toString(), 'done\n', 'the last stdout bytes still arrive');
    await shell.finished;
  });
});

describe('openRemoteShell: lifecycle', function () {
  this.timeout(scaled(30_000));

  it('close() ends stdin and waits for the child to exit', async () => {
    // The grace is not what this tests: a long one, so a slow machine (emulation) never reaches it.
    const shell = openOnStandIn(remoteProgram('cat'), { killGraceMs: 600_000 });
    shell.stream.resume();
    await shell.close();
    assert.deepEqual((await shell.finished).code, 0);
  });

  it('close() terminates a child that ignores EOF, after the grace', async () => {
    const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('sleep', 30_000), stderr: 'capture', killGraceMs: 200 });
    await shell.close();
    assert.equal((await rejection(shell.finished)).signal, 'SIGTERM');
  });

  it('await using closes the shell at the end of the scope', async () => {
    let pid: number | undefined;
    {
      await using shell = openOnStandIn(remoteProgram('cat'));
      pid = shell.pid;
      shell.stream.resume();
    }
    assert.throws(() => process.kill(pid!, 0), /ESRCH/);
  });

  it('kill() signals the remote shell, and says false once it is gone', async () => {
    const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('sleep', 30_000), stderr: 'capture' });
    assert.equal(shell.kill('SIGINT'), true);
    assert.equal((await rejection(shell.finished)).signal, 'SIGINT');
    assert.equal(shell.kill(), false);
  });
});

describe('openRemoteShell: stderr forwarding', function () {
  this.timeout(scaled(60_000));

  it('forwards whole lines in order to a stuck Writable, never holding the drain back, counting what it skipped', async () => {
    const received: Buffer[] = [];
    const held: Array<() => void> = [];
    const stuck = new Writable({
      highWaterMark: 1024,
      write(chunk, _encoding, callback) {
        received.push(chunk);
        held.push(callback); // nothing is acknowledged until the test lets go
      },
    });
    const shell = openOnStandIn(remoteProgram('err-lines', 1, 400_000), { stderr: stuck });
    await shell.finished;
    // The child finished although the sink took nothing: the drain did not wait for it.
    assert.ok(stuck.writableLength > 0);
    const stats = shell.stderr.stats;
    assert.equal(stats.bytesSeen, 2_688_895);
    assert.ok(stats.bytesNotForwarded > 0, 'past 1 MiB unwritten, lines are skipped');
    assert.equal(stats.bytesForwarded + stats.bytesNotForwarded, stats.bytesSeen);
    while (held.length > 0) held.shift()!();
    await new Promise((resolve) => stuck.end(resolve));
    const lines = Buffer.concat(received).toString().split('\n');
    assert.equal(lines.pop(), '', 'only whole lines');
    assert.equal(lines.pop(), `[rsh-transport: ${stats.bytesNotForwarded} bytes of stderr not forwarded: the output was too slow]`);
    lines.forEach((line, i) => assert.equal(line, String(i + 1)));
  });

  it('forwards a flood byte for byte to an fs.WriteStream and to a socket, whose buffers it reuses', async () => {
    const dir = scratchDir('rsh-forward-');
    const expected = createHash('sha256')
      .update(Array.from({ length: 500_000 }, (_, i) => `${i + 1}\n`).join(''))
      .digest('hex');
    // Bursts of about 600 KB, several full batches each (so that buffers are in flight when
    // the next batch comes), each given time to be written: the drain never waits for a sink,
    // and one that falls 1 MiB behind loses lines.
    const bursts = [0, 1, 2, 3, 4].flatMap((i) => ['err-lines', i * 100_000 + 1, i * 100_000 + 100_000, 'sleep', 200]);
    const file = createWriteStream(path.join(dir, 'to-file'));
    // A child that copies what comes through its stdin, a socket, to the file 'to-socket'.
    const copy = openSync(path.join(dir, 'to-socket'), 'w');
    const counter = spawn(process.execPath, [REMOTE_PROGRAMS, 'cat'], { stdio: ['pipe', copy, 'inherit'] });
    closeSync(copy);
    const socket = counter.stdin!;
    for (const sink of [file, socket]) {
      const shell = openRemoteShell({ host: 'local', rsh: programAsRsh(...bursts), stderr: sink });
      await shell.finished;
      assert.equal(shell.stderr.stats.bytesNotForwarded, 0);
    }
    await new Promise((resolve) => file.end(resolve));
    socket.end();
    await new Promise((resolve) => counter.on('close', resolve));
    for (const name of ['to-file', 'to-socket']) {
      assert.equal(
        createHash('sha256')
          .update(readFileSync(path.join(dir, name)))
          .digest('hex'),
        expected,
        name,
      );
    }
  });

  it('calls a line callback for every line, in order, with the partial last line at the end', async () => {
    const lines: Array<[string, string]> = [];
    const shell = openOnStandIn(remoteProgram('err-lines', 1, 5000, 'err', '10%\r20%\rdone'), {
      stderr: (line, { kind }) => lines.push([kind, line]),
    });
    await shell.finished;
    assert.equal(lines.length, 5003);
    assert.deepEqual(lines.slice(0, 2), [
      ['line', '1'],
      ['line', '2'],
    ]);
    assert.deepEqual(lines.slice(-3), [
      ['progress', '10%'],
      ['progress', '20%'],
      ['partial', 'done'],
    ]);
    assert.ok(lines.slice(0, 5000).every(([, line], i) => line === String(i + 1)));
  });

  it('forwards an unfinished line (a prompt) after a short quiet, before the child goes on', async () => {
    const seen: Array<[string, number]> = [];
    const started = Date.now();
    const shell = openOnStandIn(remoteProgram('err', 'Password: ', 'sleep', 1000, 'err', '\n'), {
      stderr: (line, { kind }) => seen.push([`${kind}:${line}`, Date.now() - started]),
    });
    await shell.finished;
    assert.equal(seen[0][0], 'partial:Password: ');
    assert.ok(seen[0][1] < seen[1][1] - 500, `the prompt came ${seen[1][1] - seen[0][1]} ms before the rest`);
    assert.equal(seen[1][0], 'line:');
  });

  it('lets many transports share one sink without piling listeners on it', async () => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const shells = Array.from({ length: 30 }, (_, i) =>
        openRemoteShell({ host: 'local', rsh: programAsRsh('err', `shell ${i}\n`), stderr: sink }),
      );
      assert.equal(sink.listenerCount('error'), 1);
      await Promise.all(shells.map((s) => s.finished));
      await wholeTurn(); // a warning is emitted on the next tick
      assert.deepEqual(warnings, []);
      assert.deepEqual(
        Buffer.concat(chunks).toString().split('\n').slice(0, -1).sort(),
        Array.from({ length: 30 }, (_, i) => `shell ${i}`).sort(),
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('stops forwarding to a sink that failed, and the transfer goes on', async () => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const shell = openOnStandIn(remoteProgram('err', 'one\n', 'sleep', 200, 'err', 'two\n', 'out', 'out\n'), { stderr: sink });
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'out\n');
    assert.equal(shell.stderr.stats.bytesForwarded, 4);
    assert.equal(shell.stderr.stats.bytesNotForwarded, 4);
    assert.equal(shell.stderr.snapshot().text, 'one\ntwo\n');
  });

  it("keeps stderr out of sight with 'capture', and in the snapshot", async () => {
    const shell = openRemoteShell({ host: 'local', rsh: standIn('-v'), command: remoteProgram(), stderr: 'capture' });
    await shell.finished;
    assert.equal(shell.stderr.stats.bytesForwarded, 0);
    assert.match(shell.stderr.snapshot().text, /^debug1: Reading configuration data/);
  });
});
