// Handing existing fds to the remote shell as its stdin or stdout: the bytes go from fd to fd
// without passing through this process, and the side of `stream` they replace is absent.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { devNull } from 'node:os';
import path from 'node:path';
import { openRemoteShell, type RemoteShellError } from '../../host/index.js';
import { posixOnly } from '../helpers/posix.js';
import { openOnStandIn, programAsRsh, remoteProgram } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';
import { scaled } from '../helpers/promises.js';

describe('openRemoteShell: stdin and stdout handed over', function () {
  this.timeout(scaled(30_000));
  const dir = scratchDir('rsh-handoff-');

  it('stdout to a file fd: the output lands there, and the readable side ends empty', async () => {
    const file = path.join(dir, 'out');
    const fd = openSync(file, 'w');
    try {
      const shell = openOnStandIn(remoteProgram('out-bytes', 500_000, 'z'.charCodeAt(0)), { stdout: fd });
      const [out, result] = await Promise.all([collect(shell.stream), shell.finished]);
      assert.equal(out.length, 0);
      assert.equal(result.bytesReceived, 0);
      assert.equal(readFileSync(file).toString(), 'z'.repeat(500_000));
    } finally {
      closeSync(fd);
    }
  });

  it('stdin from a FileHandle and stdout to another: no byte passes through this process', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    writeFileSync(path.join(dir, 'in'), data);
    const input = await open(path.join(dir, 'in'), 'r');
    const output = await open(path.join(dir, 'copy'), 'w');
    try {
      const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('cat'), stderr: 'capture', stdin: input, stdout: output });
      const result = await shell.finished;
      assert.deepEqual([result.bytesReceived, result.bytesSent], [0, 0]);
      assert.ok(readFileSync(path.join(dir, 'copy')).equals(data));
    } finally {
      await input.close();
      await output.close();
    }
  });

  it('writes fail with ERR_STREAM_CLOSED naming the fd when stdin was handed over', async () => {
    const fd = openSync(devNull, 'r');
    try {
      const shell = openRemoteShell({ host: 'local', rsh: programAsRsh('cat'), stderr: 'capture', stdin: fd });
      const err = await new Promise<Error | null | undefined>((resolve) => shell.stream.write('x', resolve));
      assert.equal((err as RemoteShellError).code, 'ERR_STREAM_CLOSED');
      assert.match(err!.message, new RegExp(`its stdin was handed over \\(fd ${fd}\\)`));
      await Promise.all([collect(shell.stream), shell.finished]);
    } finally {
      closeSync(fd);
    }
  });

  it("a net.Socket (another child's stdin) as stdout: the remote shell writes straight into it (POSIX)", async function () {
    posixOnly(this, "the child's fd 1 is looked at in /proc");
    const counter = spawn('wc', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const counted = collect(counter.stdout!);
    // The socket Node made is non-blocking, and the remote shell gets it so: a writer that
    // copes with EAGAIN, as ssh does (a Node child does).
    const writer = [process.execPath, '-e', 'process.stdout.write(Buffer.alloc(3e6, 120))'];
    const shell = openRemoteShell({ host: 'local', rsh: writer, stderr: 'capture', stdout: counter.stdin! });
    // The child's fd 1 is the very socket the counter reads.
    const target = readlinkSync(`/proc/${shell.pid}/fd/1`);
    assert.match(target, /^socket:/);
    await shell.finished;
    counter.stdin!.end(); // the fd stays the caller's: closing it is the caller's business
    assert.equal((await counted).toString().trim(), '3000000');
  });
});
