// Every option is checked before anything is allocated or spawned: a bad one throws at once,
// naming the option and what it accepts, and leaves no child, fd or capture slot behind.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as api from '../../host/index.js';
import { openRemoteShell, RemoteShellError } from '../../host/index.js';
import { RemoteShell } from '../../host/remote-shell.js';
import { DEFAULT_GEOMETRY, poolFor } from '../../host/core/pool.js';
import { inspect } from '../../host/internal.js';
import { posixOnly } from '../helpers/posix.js';
import { openFds, resources } from '../helpers/proc.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { openOnStandIn, programAsRsh, remoteProgram, standIn } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';

const MiB = 1024 * 1024;

describe('openRemoteShell: options are checked before anything starts', function () {
  this.timeout(scaled(30_000));
  const dir = scratchDir('rsh-options-');
  const marker = path.join(dir, 'spawned');
  // A remote shell that leaves a mark if it ever runs.
  const base = {
    host: 'local',
    rsh: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
    stderr: 'capture' as const,
  };

  const refused: Array<[string, Record<string, unknown>, typeof TypeError | typeof RangeError, RegExp]> = [
    ['signal {}', { signal: {} }, TypeError, /^signal must be an AbortSignal, got an object \(Object\)$/],
    ['signal string', { signal: 'abort' }, TypeError, /^signal must be an AbortSignal/],
    ['stderr number', { stderr: 42 }, TypeError, /^stderr must be 'forward', 'capture', a Writable or a function .*, got 42$/],
    ['stderr misspelt', { stderr: 'forwards' }, TypeError, /^stderr must be .*got "forwards"$/],
    ['stderr null', { stderr: null }, TypeError, /^stderr must be .*got null$/],
    ['stderr plain object', { stderr: {} }, TypeError, /^stderr must be/],
    ['env string', { env: 'PATH=/bin' }, TypeError, /^env must be a plain object of strings, got "PATH=\/bin"$/],
    ['env array', { env: [] }, TypeError, /^env must be a plain object of strings, got an array$/],
    ['env Map', { env: new Map([['PATH', '/bin']]) }, TypeError, /^env must be a plain object of strings, got an object \(Map\)$/],
    ['env number value', { env: { A: 1 } }, TypeError, /^env\.A must be a string, got 1$/],
    ['env name with =', { env: { 'A=B': 'x' } }, TypeError, /^env holds an invalid variable name "A=B"/],
    ['env NUL value', { env: { A: 'a\0b' } }, TypeError, /^env\.A holds a NUL byte/],
    ['cwd number', { cwd: 42 }, TypeError, /^cwd must be a non-empty path or a file: URL, got 42$/],
    ['cwd empty', { cwd: '' }, TypeError, /^cwd must be a non-empty path/],
    ['cwd NUL', { cwd: '/tmp\0x' }, TypeError, /^cwd holds a NUL byte$/],
    ['cwd http URL', { cwd: new URL('http://example.invalid/') }, TypeError, /^cwd must be a path or a file: URL, got http: URL$/],
    [
      'killGraceMs Infinity',
      { killGraceMs: Infinity },
      RangeError,
      /^killGraceMs must be a whole number of milliseconds from 0 to 2147483647, got Infinity$/,
    ],
    ['killGraceMs 2^31', { killGraceMs: 2 ** 31 }, RangeError, /^killGraceMs must be .* got 2147483648$/],
    ['killGraceMs negative', { killGraceMs: -1 }, RangeError, /^killGraceMs must be .* got -1$/],
    ['killGraceMs NaN', { killGraceMs: NaN }, RangeError, /^killGraceMs must be .* got NaN$/],
    ['killGraceMs fraction', { killGraceMs: 1.5 }, RangeError, /^killGraceMs must be .* got 1\.5$/],
    ['killGraceMs string', { killGraceMs: '100' }, TypeError, /^killGraceMs must be .* got "100"$/],
    ['drainTimeoutMs NaN', { drainTimeoutMs: NaN }, RangeError, /^drainTimeoutMs must be a whole number of milliseconds/],
    ['idleFlushMs bigint', { idleFlushMs: 50n }, TypeError, /^idleFlushMs must be .* got 50n$/],
    ['capture string', { capture: 'big' }, TypeError, /^capture must be an object \{ capacity, headSize, lineMax \}, got "big"$/],
    ['capture unknown key', { capture: { size: 1 } }, TypeError, /^capture has no option "size" \(known: capacity, headSize, lineMax\)$/],
    [
      'capacity not a power of two',
      { capture: { capacity: 100 } },
      RangeError,
      /^capture\.capacity must be a power of two from 16 to 16777216, got 100$/,
    ],
    [
      'capacity 2^32',
      { capture: { capacity: 2 ** 32 } },
      RangeError,
      /^capture\.capacity must be a whole number of bytes from 16 to 16777216, got 4294967296$/,
    ],
    [
      'headSize 2^32 + 7',
      { capture: { headSize: 2 ** 32 + 7 } },
      RangeError,
      /^capture\.headSize must be a whole number of bytes from 0 to 16777216, got 4294967303$/,
    ],
    ['headSize NaN', { capture: { headSize: NaN } }, RangeError, /^capture\.headSize must be .* got NaN$/],
    [
      'lineMax too small',
      { capture: { lineMax: 4 } },
      RangeError,
      /^capture\.lineMax must be a whole number of bytes from 8 to 1048576, got 4$/,
    ],
    ['lineMax too large', { capture: { lineMax: 2 * MiB } }, RangeError, /^capture\.lineMax must be .* got 2097152$/],
    ['stdin negative fd', { stdin: -1 }, RangeError, /^stdin must be a whole number from 0 to 2147483647, got -1$/],
    ['stdin closed fd', { stdin: 987654 }, RangeError, /^stdin is fd 987654, which is not open \(EBADF\)$/],
    ['stdin inherit', { stdin: 'inherit' }, TypeError, /^stdin must be 'pipe', an fd or a stream that has one, got "inherit"$/],
    [
      'stdout object without fd',
      { stdout: {} },
      TypeError,
      /^stdout must be 'pipe', an fd or a stream that has one, got an object \(Object\) without an open file descriptor$/,
    ],
    ['sanitize string', { sanitize: 'yes' }, TypeError, /^sanitize must be true, false or 'auto', got "yes"$/],
    ['sanitize number', { sanitize: 1 }, TypeError, /^sanitize must be true, false or 'auto', got 1$/],
    [
      'unknown option',
      { killGrace: 5 },
      TypeError,
      /^unknown option "killGrace" \(known: host, user, command, remoteCommand, rsh, port, identityFile, sshOptions, connectTimeoutMs, keepalive, hostKeys, jump, batchMode, multiplex, stderr, sanitize, signal, env, cwd, .*, retry, askpass\)$/,
    ],
  ];

  for (const [what, options, kind, message] of refused) {
    it(`${what}: ${kind.name} naming the option`, () => {
      assert.throws(
        () => openRemoteShell({ ...base, ...options } as never),
        (err: Error) => {
          assert.equal(err.constructor, kind, `${err.constructor.name}: ${err.message}`);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('leaves nothing behind: no child, no fd, no capture slot (1,000 refusals) (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    const pool = poolFor(DEFAULT_GEOMETRY);
    const children = (): number => resources().ProcessWrap ?? 0;
    const childrenBefore = children();
    await openRemoteShell({ ...base }).finished; // the first spawn sets up what a process keeps
    assert.equal(existsSync(marker), true, 'the remote shell leaves its mark when it runs');
    await waitFor(() => children() === childrenBefore, 'the first child is reaped');
    const { rmSync } = await import('node:fs');
    rmSync(marker, { force: true });
    const fds = openFds().length;
    const slots = pool[inspect]().openCaptures;
    for (let i = 0; i < 1000; i++) {
      const [, options] = refused[i % refused.length];
      assert.throws(() => openRemoteShell({ ...base, ...options } as never));
    }
    assert.equal(pool[inspect]().openCaptures, slots, 'capture slots');
    assert.equal(openFds().length, fds, 'fds');
    // A spawn is a child process at once (spawn() forks before it returns), before it could mark.
    assert.equal(children(), childrenBefore, 'nothing was spawned');
    assert.equal(existsSync(marker), false, 'nothing was spawned');
  });

  it('RemoteShell is a type of the API, not a second way in that would skip building the argv', () => {
    assert.equal('RemoteShell' in api, false);
  });

  it('the RemoteShell constructor (the command and multiplex use it) checks its argv and options the same way', () => {
    assert.throws(
      () => new RemoteShell([], {}),
      (err: RemoteShellError) => err.code === 'ERR_INVALID_RSH',
    );
    assert.throws(
      () => new RemoteShell(['ssh', 'h', 'a\0b'], {}),
      (err: RemoteShellError) => err.code === 'ERR_INVALID_RSH' && /word 2 holds a NUL byte/.test(err.message),
    );
    assert.throws(() => new RemoteShell('ssh h' as never, {}), TypeError);
    assert.throws(() => new RemoteShell(['true'], { host: 'h' } as never), /unknown option "host"/);
    assert.throws(() => new RemoteShell(['true'], { killGraceMs: -5 }), RangeError);
  });

  it('reads each option once: what a getter returns is what is checked and used', async () => {
    const reads = new Map<string, number>();
    const plain = {
      host: 'local',
      rsh: standIn(),
      command: remoteProgram('out', 'x'),
      stderr: 'capture',
      killGraceMs: 500,
      drainTimeoutMs: 50,
      multiplex: undefined,
    };
    const counted = {};
    for (const [key, value] of Object.entries(plain)) {
      Object.defineProperty(counted, key, {
        enumerable: true,
        get: () => {
          reads.set(key, (reads.get(key) ?? 0) + 1);
          return value;
        },
      });
    }
    const shell = openRemoteShell(counted as never);
    shell.stream.resume();
    await shell.finished;
    assert.deepEqual(Object.fromEntries(reads), Object.fromEntries(Object.keys(plain).map((key) => [key, 1])));
  });

  it('host, user, rsh and command keep their RemoteShellError codes', () => {
    const code = (options: object) => {
      try {
        openRemoteShell({ ...base, ...options } as never);
      } catch (err) {
        return (err as RemoteShellError).code;
      }
      return 'spawned';
    };
    assert.equal(code({ host: '-oProxyCommand=x' }), 'ERR_INVALID_HOST');
    assert.throws(() => openRemoteShell({ ...base, host: 5 } as never), /invalid remote host: it must be a string, got number/);
    assert.throws(() => openRemoteShell({ ...base, user: 5 } as never), /invalid remote user: it must be a string, got number/);
    assert.equal(code({ user: 'a b' }), 'ERR_INVALID_HOST');
    assert.equal(code({ rsh: "ssh -o 'x" }), 'ERR_INVALID_RSH');
    assert.equal(code({ rsh: ['ssh', 'a\0'] }), 'ERR_INVALID_RSH');
    assert.equal(code({ command: ['a'], remoteCommand: 'b' }), 'ERR_INVALID_COMMAND');
    assert.equal(code({ remoteCommand: '-V' }), 'ERR_INVALID_COMMAND');
    assert.equal(code({ command: [null] }), 'ERR_INVALID_COMMAND');
  });

  it('kill() refuses an unknown signal before doing anything', async () => {
    const shell = openOnStandIn(remoteProgram());
    assert.throws(() => shell.kill('SIGNOPE' as NodeJS.Signals), /kill\(\) needs a signal name/);
    assert.throws(() => shell.kill(40), /kill\(\) needs a signal name/, 'a number no signal has');
    shell.stream.resume();
    assert.equal((await shell.finished).bytesDiscarded, 0);
  });

  it('a missing working directory is named as such, not as a missing program', async () => {
    const shell = openOnStandIn(['true'], { cwd: path.join(dir, 'nowhere') });
    const err = await shell.finished.then(
      () => assert.fail('resolved'),
      (e: RemoteShellError) => e,
    );
    assert.equal(err.code, 'ERR_SPAWN');
    assert.equal(
      err.message,
      `cannot start the remote shell: the working directory ${JSON.stringify(path.join(dir, 'nowhere'))} does not exist`,
    );
  });
});

describe('openRemoteShell: the documented limits work', function () {
  this.timeout(scaled(60_000));

  it('the largest capture geometry: 16 MiB ring, 16 MiB head, 1 MiB lines', async () => {
    const shell = openOnStandIn(remoteProgram('err-bytes', 40_000_000, 'y'.charCodeAt(0), 'err', 'last\n'), {
      capture: { capacity: 16 * MiB, headSize: 16 * MiB, lineMax: MiB },
    });
    await shell.finished;
    const snapshot = shell.stderr.snapshot();
    assert.equal(snapshot.bytesSeen, 40_000_005);
    assert.equal(snapshot.omittedBytes, 40_000_005 - 32 * MiB);
    assert.ok(snapshot.text.endsWith('yyylast\n'), 'the tail is the newest bytes (the y run has no newline of its own)');
  });

  it('the smallest: 16-byte ring, no head, 8-byte lines', async () => {
    const lines: string[] = [];
    const shell = openOnStandIn(remoteProgram('err', 'a rather long line\n'), {
      stderr: (line) => lines.push(line),
      capture: { capacity: 16, headSize: 0, lineMax: 8 },
    });
    await shell.finished;
    assert.equal(lines.join(''), 'a rather long line');
    assert.ok(lines.every((line) => Buffer.byteLength(line) <= 8));
  });

  it('0 for every timer: no grace, no drain wait, no idle wait (POSIX)', async function () {
    posixOnly(this, 'a child ignores SIGTERM, which Windows cannot deliver');
    const shell = openRemoteShell({
      host: 'local',
      rsh: programAsRsh('ignore', 'SIGTERM', 'out', 'ready\n', 'sleep', 30_000),
      stderr: 'capture',
      killGraceMs: 0,
      drainTimeoutMs: 0,
      idleFlushMs: 0,
    });
    const ready = await new Promise<Buffer>((resolve) => shell.stream.once('data', resolve));
    assert.equal(ready.toString(), 'ready\n');
    const started = performance.now();
    await shell.close();
    assert.ok(performance.now() - started < scaled(2000));
    const err = await shell.finished.then(
      () => assert.fail('resolved'),
      (e: RemoteShellError) => e,
    );
    assert.equal(err.signal, 'SIGKILL', 'SIGTERM is ignored, and SIGKILL follows without grace');
  });

  it('the largest timer is honoured, not fired at once', async () => {
    const shell = openOnStandIn(remoteProgram('sleep', 300, 'out', 'done\n'), { killGraceMs: 2 ** 31 - 1 });
    const out = collect(shell.stream);
    await shell.close();
    assert.equal((await shell.finished).code, 0, 'close() let the child finish');
    assert.equal((await out).toString(), 'done\n');
  });
});
