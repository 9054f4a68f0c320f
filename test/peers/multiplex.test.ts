// Shared connections (multiplex) against the suite's sshd with the real ssh: one master per
// target however many sessions open at once, a master that is gone replaced, a master that
// cannot be made failing every session with why, and nothing left running afterwards.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  CHANNELS,
  closeMultiplexedConnections,
  openRemoteShell,
  RemoteShellError,
  type ExitEvent,
  type OpenRemoteShellOptions,
  type SpawnEvent,
} from '../../host/index.js';
import { inspect } from '../../host/internal.js';
import { runningMasters } from '../../host/multiplex/shared-connections.js';
import { runtimeDir } from '../../host/runtime-dir.js';
import { rejection, scaled, sleep, waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { collect } from '../helpers/streams.js';
import { mastersUnder } from './masters.js';
import { readmeBlock, runBlock } from './readme-example.js';
import { relay } from './relay.js';
import { freePort, useSshd } from './sshd.js';

// After every suite: no master this process started is left, in its own directory either.
after(async () => {
  await closeMultiplexedConnections();
  assert.deepEqual(mastersUnder(runtimeDir()), [], 'no master is left running after the suite');
});

describe('multiplex: shared ssh connections through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  let dir: string;
  const target = (extra: Partial<OpenRemoteShellOptions> = {}): OpenRemoteShellOptions => ({
    host: peer.sshd.host,
    user: peer.sshd.user,
    rsh: ['ssh', ...peer.sshd.sshOptions],
    stderr: 'capture',
    multiplex: { dir },
    ...extra,
  });
  const accepted = (): number => (peer.sshd.log().match(/Accepted publickey/g) ?? []).length;
  const run = async (extra: Partial<OpenRemoteShellOptions>): Promise<string> => {
    const shell = openRemoteShell(target(extra));
    const output = collect(shell.stream);
    await shell.finished;
    return (await output).toString();
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rsh-mux-'));
  });
  afterEach(async () => {
    await closeMultiplexedConnections();
    assert.deepEqual(mastersUnder(dir), [], 'no master is left running');
    rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent opens to one target share one master, and one authentication', async () => {
    const before = accepted();
    const outputs = await Promise.all(Array.from({ length: 6 }, (_, i) => run({ command: ['echo', `session ${i}`] })));
    assert.deepEqual(
      outputs,
      Array.from({ length: 6 }, (_, i) => `session ${i}\n`),
    );
    assert.equal(mastersUnder(dir).length, 1, 'one master process');
    assert.equal(runningMasters[inspect]().length, 1);
    assert.equal(accepted() - before, 1, 'the server authenticated one connection');
    // The master's socket is in the private directory, and the directory is private.
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const [master] = runningMasters[inspect]();
    assert.equal(path.dirname(master.socket), dir);
    for (let i = 0; i < 100 && master.pid === undefined; i++) await sleep(20);
    assert.equal(master.pid, mastersUnder(dir)[0]);
  });

  it('a session a master carried says so in its exit event', async () => {
    const exits: ExitEvent[] = [];
    const listener = (message: unknown): void => void exits.push(message as ExitEvent);
    subscribe(CHANNELS.exit, listener);
    try {
      const shell = openRemoteShell(target({ command: ['true'] }));
      await shell.finished;
    } finally {
      unsubscribe(CHANNELS.exit, listener);
    }
    const sessions = exits.filter((e) => !e.master);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].sharedConnection, true);
    assert.equal(sessions[0].reason, null);
  });

  it('a master that could not be made is a run of its own, marked master; the session it never carried is not sharedConnection', async () => {
    const port = await freePort(); // nothing listens there
    const exits: ExitEvent[] = [];
    const spawns: SpawnEvent[] = [];
    const onExit = (message: unknown): void => void exits.push(message as ExitEvent);
    const onSpawn = (message: unknown): void => void spawns.push(message as SpawnEvent);
    subscribe(CHANNELS.exit, onExit);
    subscribe(CHANNELS.spawn, onSpawn);
    try {
      const rsh = ['ssh', ...peer.sshd.sshOptionsWith({ port })];
      const err = await rejection(openRemoteShell(target({ rsh, command: ['true'] })).finished);
      assert.equal(err.reason, 'connect-refused', err.message);
    } finally {
      unsubscribe(CHANNELS.exit, onExit);
      unsubscribe(CHANNELS.spawn, onSpawn);
    }
    const mine = (e: { argv: readonly string[] }) => e.argv.includes(String(port)) || e.argv.includes(`Port=${port}`);
    const masters = exits.filter((e) => mine(e) && e.master);
    const sessions = exits.filter((e) => mine(e) && !e.master);
    assert.equal(masters.length, 1, 'one master run');
    assert.ok(masters[0].argv.includes('ControlMaster=yes'));
    assert.equal(sessions.length, 1, 'one session run');
    assert.notEqual(sessions[0].run, masters[0].run);
    assert.equal(sessions[0].reason, 'connect-refused');
    assert.equal(sessions[0].sharedConnection, false, 'no master carried it');
    assert.ok(
      spawns.filter(mine).every((e) => e.master),
      'only the master spawned',
    );
  });

  it('what is written before the master is ready is held, then sent in order', async () => {
    const shell = openRemoteShell(target({ command: ['cat'] }));
    assert.equal(shell.pid, undefined, 'the session waits for its master');
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(8192, i));
    const callbacks = chunks.map((chunk) => new Promise<Error | null | undefined>((resolve) => shell.stream.write(chunk, resolve)));
    shell.stream.end();
    const output = await collect(shell.stream);
    await shell.finished;
    assert.deepEqual(
      await Promise.all(callbacks),
      chunks.map(() => null),
    );
    assert.ok(output.equals(Buffer.concat(chunks)), `${output.length} bytes came back`);
    assert.match(shell.argv.join(' '), /ControlMaster=no -o ControlPath=/);
  });

  it('a killed master is replaced on the next open', async () => {
    assert.equal(await run({ command: ['echo', 'one'] }), 'one\n');
    const [first] = mastersUnder(dir);
    process.kill(first, 'SIGKILL');
    await sleep(100);
    const before = accepted();
    assert.equal(await run({ command: ['echo', 'two'] }), 'two\n');
    const now = mastersUnder(dir);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], first);
    assert.equal(accepted() - before, 1, 'one new connection: the new master');
    // And the new master is used: a third session costs no authentication.
    assert.equal(await run({ command: ['echo', 'three'] }), 'three\n');
    assert.equal(accepted() - before, 1);
  });

  it('a master whose persist time is over is started again', async () => {
    assert.equal(await run({ command: ['echo', 'one'], multiplex: { dir, persistMs: 1000 } }), 'one\n');
    const [first] = mastersUnder(dir);
    for (let i = 0; i < 50 && mastersUnder(dir).includes(first); i++) await sleep(100);
    assert.ok(!mastersUnder(dir).includes(first), 'the master went after ControlPersist=1');
    assert.equal(await run({ command: ['echo', 'two'], multiplex: { dir, persistMs: 1000 } }), 'two\n');
  });

  it('a master that cannot be made fails every waiting session with the diagnosis of why', async () => {
    const rsh = ['ssh', ...peer.sshd.sshOptionsWith({ key: peer.sshd.strangerKey })];
    const shells = Array.from({ length: 3 }, () => openRemoteShell(target({ rsh, command: ['true'] })));
    shells[0].stream.write('lost');
    const errors = await Promise.all(shells.map((shell) => rejection(shell.finished)));
    for (const err of errors) {
      assert.equal(err.reason, 'auth-failed');
      assert.match(err.shortMessage, /^the shared connection could not be made: /);
      assert.match(err.message, /Permission denied/);
      assert.ok(err.argv.includes('ControlMaster=yes'), "the argv is the master's");
      assert.equal(err.neverConnected, true);
      // What ssh -G said of the master comes along, as with a session of its own.
      assert.ok(err.sshConfig !== null, 'sshConfig');
      assert.deepEqual(err.sshConfig, (err.cause as RemoteShellError).sshConfig);
    }
    assert.equal(errors[0].bytesNotSent, 4);
    assert.equal(errors[0].bytesSent, 0);
    assert.equal(new Set(errors.map((err) => (err.cause as Error).message)).size, 1, 'one master was tried');
    assert.deepEqual(runningMasters[inspect](), [], 'a failed master is not kept');
    assert.deepEqual(mastersUnder(dir), []);
  });

  it("a master refused for its host key: the session's error carries the key, as the master's does", async () => {
    const rsh = ['ssh', ...peer.sshd.sshOptionsWith({ knownHosts: peer.sshd.wrongKnownHosts })];
    const err = await rejection(openRemoteShell(target({ rsh, command: ['true'] })).finished);
    assert.equal(err.reason, 'host-key-changed', err.message);
    assert.equal(err.hostKey?.type, 'ED25519');
    assert.match(err.hostKey?.fingerprint ?? '', /^SHA256:/);
    assert.deepEqual(err.hostKey, (err.cause as RemoteShellError).hostKey);
  });

  it('the master start is retried until the port listens; the sessions wait and lose nothing', async () => {
    const port = await freePort();
    // The relay's port is another name for the server: its key is known under that one too.
    const knownHosts = path.join(peer.sshd.dir, 'mux_relay_known_hosts');
    writeFileSync(knownHosts, readFileSync(peer.sshd.knownHosts, 'utf8').replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${port}`));
    const rsh = ['ssh', ...peer.sshd.sshOptionsWith({ port, knownHosts })];
    const shells = Array.from({ length: 2 }, () =>
      openRemoteShell(target({ rsh, command: ['cat'], retry: { attempts: 20, delayMs: 200 } })),
    );
    shells.forEach((shell, i) => shell.stream.end(`written at once ${i}\n`));
    const outputs = shells.map((shell) => collect(shell.stream));
    await sleep(700);
    const server = await relay(port, peer.sshd.port);
    try {
      assert.deepEqual((await Promise.all(outputs)).map(String), ['written at once 0\n', 'written at once 1\n']);
      await Promise.all(shells.map((shell) => shell.finished));
      assert.equal(mastersUnder(dir).length, 1);
    } finally {
      await closeMultiplexedConnections();
      server.close();
    }
  });

  it('the master start is retried, and gives up saying how often', async () => {
    const port = await freePort();
    const shells = Array.from({ length: 2 }, (_, i) =>
      openRemoteShell(
        target({
          rsh: ['ssh', ...peer.sshd.sshOptionsWith({ port })],
          command: ['echo', `${i}`],
          retry: { attempts: 2, delayMs: 100 },
        }),
      ),
    );
    const errors = await Promise.all(shells.map((shell) => rejection(shell.finished)));
    for (const err of errors) {
      assert.equal(err.reason, 'connect-refused');
      assert.equal(err.attempts, 3);
      assert.match(err.shortMessage, /after 3 attempts/);
    }
  });

  it('close(), kill(), an abort and destroy() while the master starts each end the session, bounded, and the start with them', async () => {
    const controller = new AbortController();
    const closing = openRemoteShell(target({ command: ['cat'], killGraceMs: 0 }));
    const killed = openRemoteShell(target({ command: ['cat'] }));
    const aborted = openRemoteShell(target({ command: ['cat'], signal: controller.signal }));
    const destroyed = openRemoteShell(target({ command: ['cat'] }));
    const written = new Promise((resolve) => destroyed.stream.write('never sent', resolve));
    const started = performance.now();
    void closing.close();
    assert.equal(killed.kill(), false, 'nothing runs yet');
    controller.abort();
    destroyed.stream.destroy();
    const errors = await Promise.all([closing, killed, aborted, destroyed].map((shell) => rejection(shell.finished)));
    assert.ok(await written, 'the held write fails');
    assert.equal(errors[3].bytesNotSent, 10);
    assert.ok(performance.now() - started < 1000);
    for (const err of errors) assert.equal(err.code, 'ERR_ABORTED');
    // No session waits for the master started for them any more: its start is stopped, and the
    // next session starts another.
    assert.deepEqual(runningMasters[inspect](), []);
    await waitFor(() => mastersUnder(dir).length === 0, 'the start no one waits for is stopped');
    assert.equal(await run({ command: ['echo', 'after'] }), 'after\n');
    assert.equal(mastersUnder(dir).length, 1);
  });

  // A session through the master, once its first line came back (or, `silent`, once it runs).
  async function runningSession(silent: boolean): Promise<{ shell: ReturnType<typeof openRemoteShell>; first: Promise<string> }> {
    // The server is this machine: a file the remote command makes says that it runs.
    const mark = path.join(peer.scratch, `running-${Math.random().toString(16).slice(2)}`);
    // cat ends when sshd closes its stdin as the connection goes; a sleep would outlive the test.
    const shell = openRemoteShell(target({ command: ['sh', '-c', `${silent ? '' : 'echo first; '}touch ${mark}; exec cat`] }));
    let output = '';
    shell.stream.on('data', (chunk: Buffer) => (output += chunk));
    await waitFor(() => shell.pid !== undefined, 'the session started');
    await waitFor(() => mastersUnder(dir).length === 1, 'the master runs');
    await waitFor(() => existsSync(mark), 'the remote command runs');
    if (!silent) await waitFor(() => output === 'first\n', 'the first line came back');
    return { shell, first: Promise.resolve(output) };
  }

  it('closeMultiplexedConnections() with a session running through it: connection-lost, naming the shared connection', async () => {
    const { shell } = await runningSession(false);
    await closeMultiplexedConnections();
    assert.deepEqual(mastersUnder(dir), []);
    const err = await rejection(shell.finished);
    assert.equal(err.exitCode, 255);
    assert.equal(err.reason, 'connection-lost');
    assert.equal(
      err.shortMessage,
      `the shared connection to ${peer.sshd.user}@${peer.sshd.host} closed while the session ran (6 bytes received so far)`,
    );
    assert.match((err.cause as Error).message, /closeMultiplexedConnections\(\) closed the shared connection/);
    assert.match(err.hint!, /ControlMaster/);
    assert.deepEqual(readdirSync(dir), [], 'the socket is gone');
  });

  for (const silent of [false, true]) {
    it(`a master killed ${silent ? 'before the session said anything' : 'mid-session'}: connection-lost, never the remote command's failure`, async () => {
      const { shell } = await runningSession(silent);
      const [master] = mastersUnder(dir);
      process.kill(master, 'SIGKILL');
      const err = await rejection(shell.finished);
      assert.equal(err.exitCode, 255);
      assert.equal(err.reason, 'connection-lost', err.message);
      assert.match(err.shortMessage, /^the shared connection to \S+ closed while the session ran/);
      assert.match((err.cause as Error).message, /the master .*is gone: its socket refuses connections/);
      assert.equal(err.bytesReceived, silent ? 0 : 6);
    });
  }

  it("a remote command's own 255 through a live master stays the remote command's", async () => {
    const shell = openRemoteShell(target({ command: ['sh', '-c', 'echo oops >&2; exit 255'] }));
    shell.stream.resume();
    const err = await rejection(shell.finished);
    assert.equal(err.exitCode, 255);
    assert.notEqual(err.reason, 'connection-lost');
    assert.equal(err.cause, undefined);
    assert.equal(mastersUnder(dir).length, 1, 'the master still runs');
  });

  it('a session given up in the tick it opened leaves a master that is up alone', async () => {
    assert.equal(await run({ command: ['echo', 'one'] }), 'one\n');
    const [master] = mastersUnder(dir);
    const before = accepted();
    const killed = openRemoteShell(target({ command: ['echo', 'never'] }));
    killed.kill();
    assert.equal((await rejection(killed.finished)).code, 'ERR_ABORTED');
    const controller = new AbortController();
    controller.abort();
    const aborted = openRemoteShell(target({ command: ['echo', 'never'], signal: controller.signal }));
    assert.equal((await rejection(aborted.finished)).code, 'ERR_ABORTED');
    assert.equal(await run({ command: ['echo', 'two'] }), 'two\n');
    assert.deepEqual(mastersUnder(dir), [master], 'the same master carries on');
    assert.equal(accepted() - before, 0, 'no new handshake');
  });

  it('an abort before the call starts no master', async () => {
    const controller = new AbortController();
    controller.abort();
    const shell = openRemoteShell(target({ command: ['true'], signal: controller.signal }));
    assert.equal((await rejection(shell.finished)).code, 'ERR_ABORTED');
    assert.deepEqual(runningMasters[inspect](), []);
    assert.deepEqual(mastersUnder(dir), []);
  });

  it('a second close while a new master waits for the first to stop: the new one never connects', async () => {
    assert.equal(await run({ command: ['echo', 'a'] }), 'a\n');
    const before = accepted();
    const closing = closeMultiplexedConnections();
    const late = openRemoteShell(target({ command: ['echo', 'b'] }));
    await Promise.all([closing, closeMultiplexedConnections()]);
    const err = await rejection(late.finished);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.match(err.shortMessage, /^the shared connection could not be made: the shared connection was closed before it started/);
    assert.equal(accepted() - before, 0, 'no connection was made for it');
  });

  it('a directory ssh could not take, or under a parent others may write to, is refused and not made', () => {
    for (const name of ['with space', 'per%cent', 'quo"te']) {
      const odd = path.join(dir, name);
      assert.throws(
        () => openRemoteShell(target({ command: ['true'], multiplex: { dir: odd } })),
        /holds a character ssh would not take in a ControlPath/,
      );
      assert.equal(existsSync(odd), false);
    }
    const shared = path.join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    assert.throws(
      () => openRemoteShell(target({ command: ['true'], multiplex: { dir: path.join(shared, 'mine') } })),
      /is under .*shared, which others may write to/,
    );
    assert.equal(existsSync(path.join(shared, 'mine')), false);
  });

  it('a directory others can reach, or one too long for a socket, is refused before anything starts', () => {
    const open = path.join(dir, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    assert.throws(
      () => openRemoteShell(target({ command: ['true'], multiplex: { dir: open } })),
      /multiplex.dir .* is open to others \(mode 755\): make it 0700/,
    );
    const long = path.join(dir, 'x'.repeat(80));
    assert.throws(() => openRemoteShell(target({ command: ['true'], multiplex: { dir: long } })), /too long for a control socket/);
    assert.equal(existsSync(long), false, 'a refused directory is not made');
    const made = path.join(dir, 'made');
    const shell = openRemoteShell(target({ command: ['true'], multiplex: { dir: made } }));
    assert.equal(statSync(made).mode & 0o777, 0o700);
    return shell.finished;
  });

  it('refuses what contradicts it, and other remote shells', () => {
    const cases: [Partial<OpenRemoteShellOptions>, RegExp][] = [
      [{ multiplex: { persistMs: 0 } }, /multiplex.persistMs must be a whole number of milliseconds from 1/],
      [{ multiplex: { dir: '' } }, /multiplex.dir must be a non-empty path/],
      [{ multiplex: { persist: 1 } as never }, /multiplex has no option "persist"/],
      [{ multiplex: 'yes' as never }, /multiplex must be true, false or/],
      [{ multiplex: true, sshOptions: { ControlPath: 'x' } }, /sshOptions.ControlPath and multiplex contradict/],
      [{ multiplex: true, rsh: 'rsh' }, /multiplex is an option of OpenSSH's ssh, and the remote shell is "rsh"/],
    ];
    for (const [extra, expected] of cases) assert.throws(() => openRemoteShell(target({ command: ['true'], ...extra })), expected);
    assert.deepEqual(mastersUnder(dir), []);
  });

  it("the README's example: three sessions, one handshake", async () => {
    const code = readmeBlock("import { closeMultiplexedConnections, openRemoteShell } from 'rsh-transport';");
    const given = /^const target = \{.*\};$/m;
    assert.match(code, given);
    const before = accepted();
    const { logged } = await runBlock(
      code.replace(given, 'const target = exampleTarget;').replace('multiplex: true', 'multiplex: { dir: muxDir }'),
      {
        openRemoteShell,
        closeMultiplexedConnections,
        muxDir: dir,
        exampleTarget: { host: peer.sshd.host, user: peer.sshd.user, rsh: ['ssh', ...peer.sshd.sshOptions] },
      },
    );
    assert.equal(logged.length, 1);
    const [sizes] = logged[0] as [string[]];
    assert.equal(sizes.length, 3);
    for (const size of sizes) assert.match(size, /^\d+$/);
    assert.equal(accepted() - before, 1, 'one handshake');
    assert.deepEqual(mastersUnder(dir), [], 'the example closes its master');
  });

  for (const how of ['exit', 'closing']) {
    it(`a process that exits normally leaves no master behind (${how})`, async () => {
      const script = path.join(ROOT, 'test/peers/fixtures/multiplex-exit.ts');
      const { multiplex: _own, ...options } = target({ command: ['echo', 'from the child'] });
      const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ ...options, multiplex: true }), how], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const output = collect(child.stdout!);
      const code = await new Promise((resolve) => child.on('exit', resolve));
      assert.equal(code, 0);
      const { dir: childDir } = JSON.parse((await output).toString());
      await waitFor(() => mastersUnder(childDir).length === 0, 'the master went with the process');
      await waitFor(() => !existsSync(childDir), 'and so did its directory');
    });
  }
});
