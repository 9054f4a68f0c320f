// What node.exe checks under Wine: the win32 addon and the library with it. Run by
// scripts/test-win32.mjs, which lays out a package (transpiled dist/, the core, the prebuild)
// with this file in it, and runs
//
//   node.exe cases.mjs GROUP [ADDON]
//
// GROUP 'addon' checks the addon at ADDON alone, 'library' the package's own loading and
// openRemoteShell, 'variant' a build with the ssh-socketpair-stderr feature at ADDON. Each case
// prints one line (report.mjs), which the driver counts. The remote shells are node.exe itself
// (`node.exe -e SCRIPT`): Wine has no sh.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import { runCases, test } from './report.mjs';

const [group, addonPath] = process.argv.slice(2);

// Win32 error codes, as GetLastError() gives them.
const ERROR_TOO_MANY_OPEN_FILES = 4;
const ERROR_ACCESS_DENIED = 5;
const ERROR_CANT_ACCESS_FILE = 1920;

// Runs node.exe with `script` as the child's code, its stderr on `stderr` (an fd, or 'pipe').
function nodeChild(script, stderr, stdin = 'ignore') {
  return spawn(process.execPath, ['-e', script], { stdio: [stdin, 'ignore', stderr], windowsHide: true });
}

// Everything read from `fd` until EOF, and when EOF came.
function readAll(fd) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const stream = createReadStream('', { fd, highWaterMark: 64 * 1024 });
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve({ text: Buffer.concat(chunks).toString(), at: Date.now() }));
  });
}

const exited = (child) => new Promise((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));

// A system error as the addon throws it: `code` is the name libuv gives `errno`, as Node's are.
function assertSystemError(err, code, syscall) {
  assert.equal(err.code, code, err.message);
  assert.equal(err.syscall, syscall);
  assert.equal(typeof err.errno, 'number');
  assert.ok(err.errno < 0, `errno ${err.errno} is negative`);
  assert.equal(getSystemErrorName(err.errno), code);
  return true;
}

if (group === 'addon' || group === 'variant') {
  const native = createRequire(import.meta.url)(addonPath);
  const socketpairBuild = group === 'variant';

  test('node.exe loads the addon: the Windows features, no pump', () => {
    assert.deepEqual({ ...native.features }, { socketpairStderr: false, pump: false });
    assert.equal(typeof native.createEndpoint, 'function');
    assert.equal(typeof native.closeFd, 'function');
    for (const absent of ['Pump', 'createStdioPair', 'pendingBytes', 'redirectToNull', 'setParentDeathSignal', 'openFileLimit']) {
      assert.equal(native[absent], undefined, `${absent} is not on Windows`);
    }
  });

  test(`createEndpoint(): a pipe of two fds of node.exe's runtime${socketpairBuild ? ' (the socketpair feature has no effect)' : ''}`, () => {
    const endpoint = native.createEndpoint();
    try {
      assert.equal(endpoint.backend, 'pipe');
      assert.equal(endpoint.fallbackReason, null);
      assert.ok(Number.isInteger(endpoint.parentFd) && endpoint.parentFd > 2, `parentFd ${endpoint.parentFd}`);
      assert.ok(Number.isInteger(endpoint.childFd) && endpoint.childFd > 2, `childFd ${endpoint.childFd}`);
      assert.notEqual(endpoint.parentFd, endpoint.childFd);
      assert.ok(endpoint.kernelBufferSize >= 64 * 1024, `kernelBufferSize ${endpoint.kernelBufferSize}`);
      // Node's own fs can use them: they are fds of its runtime, not of the addon's.
      assert.equal(writeSync(endpoint.childFd, 'through the pipe'), 16);
      const buffer = Buffer.alloc(64);
      assert.equal(buffer.toString('utf8', 0, readSync(endpoint.parentFd, buffer)), 'through the pipe');
    } finally {
      native.closeFd(endpoint.childFd);
      native.closeFd(endpoint.parentFd);
    }
  });

  test("the child end as a spawned child's stderr: every byte, then EOF", async () => {
    const endpoint = native.createEndpoint();
    const script = 'process.stderr.write("debug1: Connecting\\n"); process.stderr.write("Permission denied (publickey).\\n")';
    const child = nodeChild(script, endpoint.childFd);
    native.closeFd(endpoint.childFd);
    const [read, exit] = await Promise.all([readAll(endpoint.parentFd), exited(child)]);
    assert.equal(exit.code, 0);
    assert.equal(read.text, 'debug1: Connecting\nPermission denied (publickey).\n');
  });

  test('no other child inherits an end: EOF at the exit of the one child, while another still runs', async () => {
    const endpoint = native.createEndpoint();
    // Started while the endpoint is open: an inheritable end would be held by it for 1.5 s.
    const bystander = nodeChild('setTimeout(() => {}, 1500)', 'ignore');
    const child = nodeChild('process.stderr.write("one line\\n")', endpoint.childFd);
    native.closeFd(endpoint.childFd);
    const [read, exit, done] = await Promise.all([readAll(endpoint.parentFd), exited(child), exited(bystander)]);
    assert.equal(read.text, 'one line\n');
    assert.ok(read.at < done.at, `EOF came ${read.at - exit.at} ms after the child's exit, before the bystander's`);
  });

  test('a failed CreatePipe names the Win32 error as Node does (EMFILE, EACCES)', () => {
    assert.throws(
      () => native.createEndpoint({ injectFailure: { pipe: ERROR_TOO_MANY_OPEN_FILES } }),
      (err) =>
        assertSystemError(err, 'EMFILE', 'CreatePipe') &&
        /^cannot create the stderr endpoint: CreatePipe failed: EMFILE \(too many open files\)$/.test(err.message),
    );
    assert.throws(
      () => native.createEndpoint({ injectFailure: { pipe: ERROR_CANT_ACCESS_FILE } }),
      (err) => assertSystemError(err, 'EACCES', 'CreatePipe'),
    );
    // libuv 1.x names ERROR_ACCESS_DENIED EPERM, and so does Node for its own calls.
    assert.throws(
      () => native.createEndpoint({ injectFailure: { pipe: ERROR_ACCESS_DENIED } }),
      (err) => assertSystemError(err, getSystemErrorName(err.errno), 'CreatePipe') && ['EPERM', 'EACCES'].includes(err.code),
    );
  });

  test('closeFd of a bad fd: EBADF (close), and a TypeError for no fd', () => {
    const endpoint = native.createEndpoint();
    native.closeFd(endpoint.childFd);
    native.closeFd(endpoint.parentFd);
    for (const fd of [endpoint.parentFd, endpoint.childFd, 4000, -2]) {
      assert.throws(
        () => native.closeFd(fd),
        (err) => assertSystemError(err, 'EBADF', 'close') && err.message === 'cannot close the stderr fd: EBADF (bad file descriptor)',
        `closeFd(${fd})`,
      );
    }
    assert.throws(() => native.closeFd('3'), { name: 'TypeError', message: 'closeFd(fd)' });
  });

  test('2000 endpoints made and closed: no fd or handle left behind', () => {
    const first = native.createEndpoint();
    native.closeFd(first.childFd);
    native.closeFd(first.parentFd);
    for (let i = 0; i < 2000; i++) {
      const endpoint = native.createEndpoint();
      native.closeFd(endpoint.childFd);
      native.closeFd(endpoint.parentFd);
    }
    const last = native.createEndpoint();
    native.closeFd(last.childFd);
    native.closeFd(last.parentFd);
    assert.deepEqual([last.parentFd, last.childFd], [first.parentFd, first.childFd]);
  });
} else if (group === 'library') {
  const { openRemoteShell, RemoteShellError } = await import('rsh-transport');
  const { loadBinding } = await import('../../dist/native/binding.js');
  const rsh = (script) => [process.execPath, '-e', script];

  test('the package loads the prebuild from prebuilds/win32-x64/ on its own', () => {
    const binding = loadBinding();
    assert.equal(binding.unavailable, undefined, binding.unavailable);
    assert.match(binding.path.replace(/\\/g, '/'), /\/prebuilds\/win32-x64\/node\.napi\.node$/);
  });

  test("openRemoteShell: the tunnel works, stderr is captured through the addon's pipe", async () => {
    // The remote shell: says something on stderr, then answers each line of stdin.
    const script = [
      'process.stderr.write("debug1: Connecting to win.invalid\\n");',
      'process.stdin.on("data", (d) => process.stdout.write("got " + d));',
      'process.stdin.on("end", () => { process.stderr.write("debug1: bye\\n"); });',
    ].join(' ');
    const lines = [];
    const shell = openRemoteShell({ host: 'win.invalid', rsh: rsh(script), stderr: (line) => lines.push(line) });
    const out = [];
    shell.stream.on('data', (chunk) => out.push(chunk));
    shell.stream.end('ping\n');
    const result = await shell.finished;
    assert.equal(result.code, 0);
    assert.equal(Buffer.concat(out).toString(), 'got ping\n');
    assert.deepEqual(lines, ['debug1: Connecting to win.invalid', 'debug1: bye']);
    const stats = shell.stderr.stats;
    assert.equal(stats.backend, 'pipe');
    assert.equal(stats.fallbackReason, null);
    assert.ok(stats.kernelBufferSize >= 64 * 1024, `kernelBufferSize ${stats.kernelBufferSize}`);
    assert.equal(stats.bytesSeen, 'debug1: Connecting to win.invalid\n'.length + 'debug1: bye\n'.length);
  });

  test('a failing remote shell: RemoteShellError with its stderr and the reason', async () => {
    const script =
      'process.stderr.write("debug1: Offering public key\\nalice@win.invalid: Permission denied (publickey).\\n"); process.exit(255)';
    const shell = openRemoteShell({ host: 'win.invalid', rsh: rsh(script), stderr: 'capture' });
    shell.stream.resume();
    await assert.rejects(shell.finished, (err) => {
      assert.ok(err instanceof RemoteShellError, String(err));
      assert.equal(err.exitCode, 255);
      assert.equal(err.reason, 'auth-failed');
      assert.match(err.stderrTail, /Permission denied \(publickey\)\./);
      assert.match(err.message, /Permission denied \(publickey\)\./);
      return true;
    });
    assert.equal(shell.stderr.stats.backend, 'pipe');
  });

  test('4 MiB of stderr: every byte seen, the newest kept', async () => {
    const script =
      'const b = Buffer.alloc(65536, 120); b[65535] = 10; let n = 64; (function w() { while (n > 0) { n--; if (!process.stderr.write(b)) return process.stderr.once("drain", w); } process.stderr.write("the end\\n"); })()';
    const shell = openRemoteShell({ host: 'win.invalid', rsh: rsh(script), stderr: 'capture' });
    shell.stream.resume();
    await shell.finished;
    const stats = shell.stderr.stats;
    assert.equal(stats.backend, 'pipe');
    assert.equal(stats.bytesSeen, 64 * 65536 + 'the end\n'.length);
    assert.ok(stats.bytesDropped > 0);
    assert.match(shell.stderr.snapshot().text, /the end\n$/);
  });

  test('8 remote shells at once: each stderr its own', async () => {
    const shells = Array.from({ length: 8 }, (_, i) => {
      const script = `setTimeout(() => process.stderr.write("shell ${i}\\n"), ${(i * 37) % 100})`;
      const lines = [];
      const shell = openRemoteShell({ host: 'win.invalid', rsh: rsh(script), stderr: (line) => lines.push(line) });
      shell.stream.resume();
      return { shell, lines };
    });
    await Promise.all(shells.map(({ shell }) => shell.finished));
    shells.forEach(({ shell, lines }, i) => {
      assert.deepEqual(lines, [`shell ${i}`]);
      assert.equal(shell.stderr.stats.backend, 'pipe');
    });
  });

  test('a remote shell that cannot start: ERR_SPAWN (ENOENT), and its endpoint closed', async () => {
    const binding = loadBinding();
    const before = binding.createEndpoint();
    binding.closeFd(before.childFd);
    binding.closeFd(before.parentFd);
    const shell = openRemoteShell({ host: 'win.invalid', rsh: ['C:\\no\\such\\ssh.exe'], stderr: 'capture' });
    await assert.rejects(shell.finished, (err) => {
      assert.ok(err instanceof RemoteShellError, String(err));
      assert.equal(err.code, 'ERR_SPAWN');
      assert.equal(err.cause?.code, 'ENOENT');
      return true;
    });
    const after = binding.createEndpoint();
    binding.closeFd(after.childFd);
    binding.closeFd(after.parentFd);
    assert.deepEqual([after.parentFd, after.childFd], [before.parentFd, before.childFd]);
  });
} else {
  console.error(`cases.mjs: unknown group ${group} (addon, variant, library)`);
  process.exit(2);
}

await runCases();
