// Jump hosts through real sshd: two servers on 127.0.0.1, each forwarding to the other, so that
// a session goes through one jump host (a, then the target b) or two (a, b, then the target a).
// ssh's command line does not reach a hop's own ssh (-F does), so the client's key and the
// known hosts of both servers are in a config file every hop reads.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { runCli } from '../helpers/cli.js';
import { rejection, scaled } from '../helpers/promises.js';
import { scratchDir } from '../helpers/scratch.js';
import { collect } from '../helpers/streams.js';
import { freePort, startSshd, type Sshd } from './sshd.js';

/** The pids whose parent is `pid` (Linux's /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => {
      try {
        const stat = readFileSync(`/proc/${candidate}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    });
}

describe('jump hosts through real sshd', function () {
  this.timeout(scaled(120_000));
  let a: Sshd;
  let b: Sshd;
  let closed: number;
  let config: string;
  let wrongConfig: string;
  let verboseConfig: string;
  const hop = (server: Sshd, user?: string) => `${user === undefined ? '' : `${user}@`}127.0.0.1:${server.port}`;

  before(async () => {
    [a, b] = await Promise.all([startSshd(), startSshd()]);
    closed = await freePort();
    // Both servers take a's client key.
    writeFileSync(path.join(b.dir, 'authorized_keys'), readFileSync(path.join(a.dir, 'authorized_keys')));
    const dir = scratchDir('rsh-jump-');
    const clientConfig = (knownHosts: string) =>
      [
        'Host *',
        `  IdentityFile ${a.clientKey}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '',
      ].join('\n');
    const known = path.join(dir, 'known_hosts');
    writeFileSync(known, readFileSync(a.knownHosts, 'utf8') + readFileSync(b.knownHosts, 'utf8'));
    // a's key recorded as another one: a changed host key at whichever hop a is.
    const wrong = path.join(dir, 'wrong_known_hosts');
    writeFileSync(wrong, readFileSync(a.wrongKnownHosts, 'utf8') + readFileSync(b.knownHosts, 'utf8'));
    config = path.join(dir, 'config');
    writeFileSync(config, clientConfig(known));
    wrongConfig = path.join(dir, 'wrong_config');
    writeFileSync(wrongConfig, clientConfig(wrong));
    // A log level in the configuration reaches every hop's ssh, as -v does.
    verboseConfig = path.join(dir, 'verbose_config');
    writeFileSync(verboseConfig, `${clientConfig(known)}  LogLevel VERBOSE\n`);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const open = (port: number, jump: string[], options: { user?: string; configFile?: string } = {}) =>
    openRemoteShell({
      host: '127.0.0.1',
      port,
      user: options.user,
      rsh: ['ssh', '-F', options.configFile ?? config],
      jump,
      command: ['echo', 'through'],
      stderr: 'capture',
    });

  it('reaches the target through one jump host and through two, -J in the argv', async () => {
    for (const [port, jump] of [
      [b.port, [hop(a)]],
      [a.port, [hop(a), hop(b)]],
    ] as const) {
      const shell = open(port, [...jump]);
      assert.deepEqual(shell.argv.slice(shell.argv.indexOf('-J'), shell.argv.indexOf('-J') + 2), ['-J', jump.join(',')]);
      assert.equal((await collect(shell.stream)).toString(), 'through\n');
      await shell.finished;
    }
  });

  // [what fails, target port, jump hosts, user of the target, config, reason, hop, first line]
  const failures = (): Array<[string, number, string[], string | undefined, string, string, number, RegExp]> => [
    [
      'the jump host refuses',
      b.port,
      [`127.0.0.1:${closed}`],
      undefined,
      config,
      'connect-refused',
      0,
      /^the jump host 127\.0\.0\.1:\d+ could not be reached: connection refused$/,
    ],
    [
      'the jump host refuses authentication',
      b.port,
      [hop(a, 'nosuchuser')],
      undefined,
      config,
      'auth-failed',
      0,
      /^ssh could not authenticate to the jump host nosuchuser@127\.0\.0\.1:\d+: Permission denied \(publickey\)$/,
    ],
    [
      'the jump host cannot reach the target',
      closed,
      [hop(a)],
      undefined,
      config,
      'connect-refused',
      1,
      /^the jump host 127\.0\.0\.1:\d+ could not open a connection to the target 127\.0\.0\.1:\d+: connection refused$/,
    ],
    [
      'the target refuses authentication',
      b.port,
      [hop(a)],
      'nosuchuser',
      config,
      'auth-failed',
      1,
      /^ssh could not authenticate to the target nosuchuser@127\.0\.0\.1:\d+ through 127\.0\.0\.1:\d+: Permission denied \(publickey\)$/,
    ],
    [
      "the jump host's key changed",
      b.port,
      [hop(a)],
      undefined,
      wrongConfig,
      'host-key-changed',
      0,
      /has changed, .* \(at the jump host 127\.0\.0\.1:\d+\)$/,
    ],
    [
      "the target's key changed",
      a.port,
      [hop(b)],
      undefined,
      wrongConfig,
      'host-key-changed',
      1,
      /has changed, .* \(at the target 127\.0\.0\.1:\d+ through 127\.0\.0\.1:\d+\)$/,
    ],
    [
      'of two, the first refuses',
      a.port,
      [`127.0.0.1:${closed}`, hop(b)],
      undefined,
      config,
      'connect-refused',
      0,
      /^the jump host 127\.0\.0\.1:\d+ could not be reached/,
    ],
    [
      'of two, the second refuses authentication',
      a.port,
      [hop(a), hop(b, 'nosuchuser')],
      undefined,
      config,
      'auth-failed',
      1,
      /^ssh could not authenticate to the jump host nosuchuser@/,
    ],
    [
      'of two, the first cannot reach the second',
      a.port,
      [hop(a), `127.0.0.1:${closed}`],
      undefined,
      config,
      'connect-refused',
      1,
      /^the jump host 127\.0\.0\.1:\d+ could not open a connection to the jump host 127\.0\.0\.1:\d+: connection refused$/,
    ],
    [
      'of two, the second cannot reach the target',
      closed,
      [hop(a), hop(b)],
      undefined,
      config,
      'connect-refused',
      2,
      /could not open a connection to the target 127\.0\.0\.1:\d+: connection refused$/,
    ],
    [
      'of two, the target refuses authentication',
      a.port,
      [hop(a), hop(b)],
      'nosuchuser',
      config,
      'auth-failed',
      2,
      /^ssh could not authenticate to the target nosuchuser@127\.0\.0\.1:\d+ through 127\.0\.0\.1:\d+, then 127\.0\.0\.1:\d+:/,
    ],
  ];

  it('names the hop that failed, each way the diagnosis knows, through one jump host and two', async () => {
    for (const [what, port, jump, user, configFile, reason, at, first] of failures()) {
      const err = await rejection(open(port, jump, { user, configFile }).finished);
      assert.equal(err.reason, reason, `${what}: ${err.message}`);
      assert.equal(err.hop, at, `${what}: ${err.message}`);
      assert.match(err.shortMessage, first, what);
      assert.equal(err.exitCode, 255);
      if (at < jump.length && !/open a connection/.test(err.shortMessage))
        assert.match(err.hint!, /ssh's command-line options \(-i, -o, -p\) do not reach a jump host/, what);
      // The argv's own jump hosts are no mapping of the configuration's.
      assert.doesNotMatch(err.hint ?? '', /configuration maps .* through/, what);
    }
  });

  it('says the same with -v, which reaches every hop', async () => {
    const [, port, jump, user] = failures()[3];
    const shell = openRemoteShell({
      host: '127.0.0.1',
      port,
      user,
      rsh: ['ssh', '-F', config, '-v'],
      jump,
      command: ['true'],
      stderr: 'capture',
    });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.equal(err.hop, 1);
    // A remote command's own failure through a jump host stays the remote command's.
    const remote = openRemoteShell({
      host: '127.0.0.1',
      port: b.port,
      rsh: ['ssh', '-F', config, '-v'],
      jump: [hop(a)],
      remoteCommand: 'exit 3',
      stderr: 'capture',
    });
    const failed = await rejection(remote.finished);
    assert.equal(failed.reason, 'remote-command-failed');
    assert.equal(failed.hop, null);
  });

  it('tells the target from the hops when a LogLevel makes them say they authenticated', async () => {
    const [, port, jump, user] = failures()[3];
    // LogLevel VERBOSE in the configuration: every hop's ssh says "Authenticated to".
    const viaConfig = await rejection(open(port, jump, { user, configFile: verboseConfig }).finished);
    assert.equal(viaConfig.reason, 'auth-failed', viaConfig.message);
    assert.equal(viaConfig.hop, 1);
    // -o LogLevel=VERBOSE reaches the target's ssh alone.
    const viaOption = await rejection(
      openRemoteShell({
        host: '127.0.0.1',
        port,
        user,
        rsh: ['ssh', '-F', config, '-o', 'LogLevel=VERBOSE'],
        jump,
        command: ['true'],
        stderr: 'capture',
      }).finished,
    );
    assert.equal(viaOption.reason, 'auth-failed', viaOption.message);
    assert.equal(viaOption.hop, 1);
    // And a session that was up stays the remote command's, with no hop, in both.
    for (const rsh of [
      ['ssh', '-F', verboseConfig],
      ['ssh', '-F', config, '-o', 'LogLevel=VERBOSE'],
    ]) {
      const remote = openRemoteShell({
        host: '127.0.0.1',
        port: a.port,
        rsh,
        jump: [hop(a), hop(b)],
        remoteCommand: 'exit 255',
        stderr: 'capture',
      });
      const failed = await rejection(remote.finished);
      assert.equal(failed.reason, 'remote-command-failed', `${rsh.join(' ')}: ${failed.message}`);
      assert.equal(failed.hop, null);
    }
  });

  it('names no hop once the session was up, when a jump host goes away', async () => {
    const shell = openRemoteShell({
      host: '127.0.0.1',
      port: b.port,
      rsh: ['ssh', '-F', config],
      jump: [hop(a)],
      // cat ends when sshd closes its stdin as the connection goes; a sleep would outlive the test.
      remoteCommand: 'echo up; exec cat',
      stderr: 'capture',
    });
    const first = await new Promise<string>((resolve) => shell.stream.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    assert.equal(first, 'up\n');
    // The jump host's ssh -W is a child of the target's ssh.
    const proxy = childrenOf(shell.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('-W'));
    assert.ok(proxy !== undefined, 'no ssh -W under the remote shell');
    process.kill(proxy, 'SIGKILL');
    shell.stream.resume();
    const err = await rejection(shell.finished);
    assert.equal(err.hop, null, err.message);
    assert.doesNotMatch(err.shortMessage, /\(at the (target|jump host)/);
  });

  it('names no hop when the target timed out behind a jump host that never answers', async () => {
    // A jump host that takes the connection and never says a word: its ssh waits for ever (no
    // ConnectTimeout reaches it), and the target's ssh gives up.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    try {
      const { port: silentPort } = silent.address() as net.AddressInfo;
      const err = await rejection(
        openRemoteShell({
          host: '127.0.0.1',
          port: b.port,
          rsh: ['ssh', '-F', config],
          jump: [`127.0.0.1:${silentPort}`],
          connectTimeoutMs: 1000,
          command: ['true'],
          stderr: 'capture',
        }).finished,
      );
      assert.equal(err.reason, 'connect-timeout', err.message);
      assert.equal(err.hop, null);
      assert.match(
        err.shortMessage,
        /^the target 127\.0\.0\.1:\d+ could not be reached through 127\.0\.0\.1:\d+ in time, nor said which hop did not answer: /,
      );
      assert.match(err.hint!, /ssh -v/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('the command names the hop in its last line, -J in its own words', async () => {
    const { status, stderr } = await runCli([
      `--rsh=ssh -F ${config} -J ${hop(a, 'nosuchuser')}`,
      '-p',
      String(b.port),
      '127.0.0.1',
      'true',
    ]);
    assert.equal(status, 255);
    assert.match(
      stderr,
      /^rsh-transport: ssh could not authenticate to the jump host nosuchuser@127\.0\.0\.1:\d+: Permission denied \(publickey\)\. /m,
    );
  });
});
