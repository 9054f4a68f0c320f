// The addon built with portable_posix=1: pipe() and socketpair() with fcntl(FD_CLOEXEC) after,
// and no pipe resize, as on systems without pipe2() and SOCK_CLOEXEC (macOS). Built by `npm test`
// beside the default build, so that this branch is compiled and run here too.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { internal } from '../../host/internal.js';
import { DEFAULT_BINDING_PATH, loadBinding } from '../../host/native/binding.js';
import { fdFlags, O_CLOEXEC, O_NONBLOCK, openFds } from '../helpers/proc.js';
import { ROOT } from '../helpers/root.js';
import { standIn } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';

export const PORTABLE_BINDING_PATH = path.join(ROOT, 'build/variants/portable/build/Release/rsh_transport.node');

describe('the addon with the portable POSIX calls', () => {
  const binding = () => loadBinding(PORTABLE_BINDING_PATH);

  it('makes its socketpair endpoint close-on-exec on both ends, the read end non-blocking', () => {
    const endpoint = binding().createEndpoint!();
    try {
      assert.equal(endpoint.backend, 'socketpair');
      assert.ok(fdFlags(endpoint.parentFd) & O_CLOEXEC);
      assert.ok(fdFlags(endpoint.childFd) & O_CLOEXEC);
      assert.ok(fdFlags(endpoint.parentFd) & O_NONBLOCK);
      assert.equal(fdFlags(endpoint.childFd) & O_NONBLOCK, 0);
    } finally {
      binding().closeFd(endpoint.parentFd);
      binding().closeFd(endpoint.childFd);
    }
  });

  it("falls back to a pipe made with pipe() and fcntl(), at the kernel's default size", () => {
    const endpoint = binding().createEndpoint!({ injectFailure: { socketpair: constants.errno.EAFNOSUPPORT } });
    try {
      assert.equal(endpoint.backend, 'pipe');
      assert.match(endpoint.fallbackReason!, /socketpair/);
      assert.ok(fdFlags(endpoint.parentFd) & O_CLOEXEC);
      assert.ok(fdFlags(endpoint.childFd) & O_CLOEXEC);
      assert.ok(fdFlags(endpoint.parentFd) & O_NONBLOCK);
      // No F_SETPIPE_SZ: Linux's default of 16 pages.
      assert.equal(endpoint.kernelBufferSize, 65536);
    } finally {
      binding().closeFd(endpoint.parentFd);
      binding().closeFd(endpoint.childFd);
    }
  });

  it('calls pipe(), not pipe2(): the portable branch is the one compiled (the default build calls pipe2)', () => {
    const failing = { injectFailure: { socketpair: constants.errno.EAFNOSUPPORT, pipe: constants.errno.EMFILE } };
    assert.throws(
      () => binding().createEndpoint!(failing),
      (err: NodeJS.ErrnoException) => err.syscall === 'pipe' && err.code === 'EMFILE',
    );
    assert.throws(
      () => loadBinding(DEFAULT_BINDING_PATH).createEndpoint!(failing),
      (err: NodeJS.ErrnoException) => err.syscall === 'pipe2',
    );
    // What the file links against says the same, where binutils' nm is there to ask.
    const nm = spawnSync('nm', ['-D', '--undefined-only', PORTABLE_BINDING_PATH], { encoding: 'utf8' });
    if (nm.status === 0) {
      const symbols = new Set(nm.stdout.split('\n').map((line) => line.trim().split(/\s+/).pop()!.replace(/@.*$/, '')));
      assert.ok(symbols.has('pipe') && !symbols.has('pipe2'), 'linked against pipe, not pipe2');
    }
  });

  it('makes close-on-exec stdio pairs', () => {
    const pair = binding().createStdioPair!();
    try {
      assert.ok(fdFlags(pair.parentFd) & O_CLOEXEC);
      assert.ok(fdFlags(pair.childFd) & O_CLOEXEC);
    } finally {
      binding().closeFd(pair.parentFd);
      binding().closeFd(pair.childFd);
    }
  });

  it('runs a remote shell end to end, and leaves no fd', async () => {
    const run = async (): Promise<void> => {
      const shell = openRemoteShell({
        host: 'local',
        rsh: standIn('-v'),
        command: ['cat'],
        stderr: 'capture',
        [internal]: { binding: binding() },
      } as Parameters<typeof openRemoteShell>[0]);
      shell.stream.end('through the portable build\n');
      const [out] = await Promise.all([collect(shell.stream), shell.finished]);
      assert.equal(out.toString(), 'through the portable build\n');
      assert.equal(shell.stderr.stats.backend, 'socketpair');
      assert.ok(shell.stderr.stats.bytesSeen > 0);
    };
    // The first run of a process opens what stays open (the core's module, the loader's files).
    await run();
    const before = openFds();
    await run();
    assert.deepEqual(openFds(), before);
  });
});
