// Every reason a failure can have, produced for real against the suite's sshd on 127.0.0.1, with
// ssh plain and with ssh -v (whose last line is always debug chatter): the reason, the first line
// in the user's terms, the telling line; with 'capture' and with stderr forwarded live; and the
// command's last line and exit status for the same failure.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openRemoteShell, RemoteShellError, type OpenRemoteShellOptions } from '../../host/index.js';
import { runCli } from '../helpers/cli.js';
import { rejection, scaled, sleep, timeScale } from '../helpers/promises.js';
import { freePort, startSshd, useSshd, type Sshd } from './sshd.js';
import { scratchDir } from '../helpers/scratch.js';

async function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

/** A relay to `port` that holds what the client sends for `delayMs`: the server waits for the
 * client's banner meanwhile, and with LoginGraceTime shorter than that it closes. */
function delayingRelay(port: number, delayMs: number): Promise<Server> {
  return listen((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    const held: Buffer[] = [];
    let holding = true;
    client.on('data', (chunk: Buffer) => (holding ? held.push(chunk) : upstream.write(chunk)));
    setTimeout(() => {
      holding = false;
      for (const chunk of held) upstream.write(chunk);
    }, delayMs).unref();
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
}

// No DNS query leaves the machine: glibc refuses a label longer than 63 bytes before asking any
// name server ("Name or service not known"), so this name fails like an unknown one, locally.
const UNRESOLVABLE = `${'x'.repeat(70)}.invalid`;

interface Case {
  reason: string;
  name: string;
  /** ssh options before the suite's own (ssh takes the first value of an option). */
  options: () => string[];
  /** The suite's options, changed. */
  base?: () => Parameters<Sshd['sshOptionsWith']>[0];
  host?: () => string;
  remoteCommand?: string;
  exitCode: number;
  first: RegExp;
  telling: RegExp;
  /** Not with -v (the output or its timing differs), or only with it. */
  variants?: ('plain' | '-v')[];
  /** The command's last line, where it knows less (stdout handed over: no byte count). */
  cliFirst?: RegExp;
  /** The command's whole last line where the user already read the telling line (a remote
   * failure): the hint alone, or null for none. Otherwise the last line is the first line and
   * the hint. */
  cliLast?: RegExp | null;
}

describe('failure reasons through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  let graceful: Sshd;
  let refusedPort = 0;
  const servers: Server[] = [];
  let silentPort = 0;
  let relayPort = 0;

  before(async () => {
    refusedPort = await freePort();
    const silent = await listen(() => {}); // accepts, never speaks
    servers.push(silent);
    silentPort = portOf(silent);
    // A second server that gives a client one second to say who it is.
    graceful = await startSshd({ config: ['LoginGraceTime 1'] });
    const relay = await delayingRelay(graceful.port, 2500);
    servers.push(relay);
    relayPort = portOf(relay);
  });
  after(async () => {
    for (const server of servers) server.close();
    await graceful?.stop();
  });

  const cases: Case[] = [
    {
      reason: 'connect-refused',
      name: 'a port nothing listens on',
      options: () => [],
      base: () => ({ port: refusedPort }),
      exitCode: 255,
      first: /^ssh could not connect to 127\.0\.0\.1 port \d+: connection refused$/,
      telling: /^ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/,
    },
    {
      reason: 'host-not-found',
      name: 'a name that cannot resolve',
      options: () => [],
      host: () => UNRESOLVABLE,
      exitCode: 255,
      first: /^ssh could not resolve the host name x+\.invalid: Name or service not known$/,
      telling: /^ssh: Could not resolve hostname x+\.invalid: /,
    },
    {
      reason: 'connect-timeout',
      name: 'a listener that never speaks, ConnectTimeout=1',
      options: () => ['-o', 'ConnectTimeout=1'],
      base: () => ({ port: silentPort }),
      exitCode: 255,
      first: /^ssh could not connect to 127\.0\.0\.1 port \d+: the server did not answer in time$/,
      telling: /^Connection timed out during banner exchange$/,
    },
    {
      reason: 'auth-failed',
      name: 'a key the server does not accept',
      options: () => [],
      base: () => ({ key: peer.sshd.strangerKey }),
      exitCode: 255,
      first: /^ssh could not authenticate to \S+@127\.0\.0\.1: Permission denied \(publickey\)$/,
      telling: /^\S+@127\.0\.0\.1: Permission denied \(publickey\)\.$/,
    },
    {
      reason: 'host-key-unknown',
      name: 'an unknown host key with strict checking',
      options: () => [],
      base: () => ({ knownHosts: '/dev/null' }),
      exitCode: 255,
      first: /^ssh does not know the host key of \[127\.0\.0\.1\]:\d+, and strict host key checking is on$/,
      telling: /^No ED25519 host key is known for/,
    },
    {
      reason: 'host-key-changed',
      name: 'a changed host key',
      options: () => [],
      base: () => ({ knownHosts: peer.sshd.wrongKnownHosts }),
      exitCode: 255,
      first: /^the host key of \[127\.0\.0\.1\]:\d+ has changed, and ssh refused to connect: this may be a man-in-the-middle attack$/,
      telling: /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    },
    {
      reason: 'negotiation-failed',
      name: 'no key exchange method in common',
      options: () => ['-o', 'KexAlgorithms=diffie-hellman-group1-sha1'],
      exitCode: 255,
      first: /^ssh could not negotiate with 127\.0\.0\.1 port \d+: no matching key exchange method found$/,
      telling: /^Unable to negotiate with .*Their offer: /,
    },
    {
      reason: 'negotiation-failed',
      name: 'no host key type in common',
      options: () => ['-o', 'HostKeyAlgorithms=rsa-sha2-512'],
      exitCode: 255,
      first: /^ssh could not negotiate with 127\.0\.0\.1 port \d+: no matching host key type found$/,
      telling: /^Unable to negotiate with /,
    },
    {
      reason: 'closed-by-remote',
      name: 'a server that closes the connection before authentication (LoginGraceTime)',
      options: () => [],
      base: () => ({ port: relayPort }),
      exitCode: 255,
      first:
        /^the server (closed the connection before the session began|127\.0\.0\.1 port \d+ closed the connection before the session began)/,
      telling: /^(Connection closed by 127\.0\.0\.1 port \d+|kex_exchange_identification: )/,
    },
    {
      reason: 'remote-command-not-found',
      name: 'a remote command that does not exist (127)',
      options: () => [],
      remoteCommand: 'rsyncx --server',
      exitCode: 127,
      first: /^the remote command was not found \(exit 127\): bash: line 1: rsyncx: command not found$/,
      telling: /^bash: line 1: rsyncx: command not found$/,
      cliLast: /^Install the program on the remote host /,
    },
    {
      reason: 'remote-command-not-executable',
      name: 'a remote command that cannot run (126)',
      options: () => [],
      remoteCommand: '/etc/passwd',
      exitCode: 126,
      first: /^the remote command could not be executed \(exit 126\): bash: line 1: \/etc\/passwd: Permission denied$/,
      telling: /Permission denied$/,
      cliLast: /^Check the remote program's path and permissions/,
    },
    {
      reason: 'remote-command-failed',
      name: 'a remote command that fails with 23 after an rsync error line',
      options: () => [],
      remoteCommand: `echo 'rsync: change_dir "/srv/data" failed: Permission denied (13)' >&2; echo 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.5.0]' >&2; exit 23`,
      exitCode: 23,
      first: /^the remote command failed with exit code 23: rsync: change_dir "\/srv\/data" failed: Permission denied \(13\)$/,
      telling: /^rsync: change_dir/,
      cliLast: /^rsync's exit code 23 means partial transfer due to error /,
    },
    {
      reason: 'remote-command-failed',
      name: 'a remote command that itself exits with 255 after its own error line (Mercurial)',
      options: () => [],
      remoteCommand: `echo 'abort: repository /srv/hg/missing not found' >&2; exit 255`,
      exitCode: 255,
      variants: ['plain'],
      first:
        /^the remote command or ssh ended the session with status 255 after it was established: abort: repository \/srv\/hg\/missing not found$/,
      telling: /^abort: repository/,
      cliLast: /^the remote command or ssh ended the session with status 255 after it was established\. ssh exits with 255 .*ssh -v/,
    },
    {
      reason: 'killed',
      name: 'a remote command killed by a signal (seen with -v)',
      options: () => [],
      remoteCommand: 'kill -9 $$',
      exitCode: 255,
      variants: ['-v'],
      first: /^the remote command was killed by a signal \(ssh exited with code 255\)$/,
      telling: /rtype exit-signal/,
    },
    {
      reason: 'remote-command-failed',
      name: 'a remote command killed by a signal after some output (plain ssh tells no more)',
      options: () => [],
      remoteCommand: 'echo started; kill -9 $$',
      exitCode: 255,
      variants: ['plain'],
      first: /^the remote command or ssh ended the session with status 255 after it was established$/,
      telling: /^$/,
      // The command hands stdout over and cannot see that output came back.
      cliFirst: /^connection unexpectedly closed: ssh exited with code 255$/,
    },
    {
      reason: 'unknown',
      name: 'a remote command that exits with 255 and says nothing',
      options: () => [],
      remoteCommand: 'exit 255',
      exitCode: 255,
      variants: ['plain'],
      first: /^connection unexpectedly closed \(0 bytes received so far\): ssh exited with code 255$/,
      telling: /^$/,
      cliFirst: /^connection unexpectedly closed: ssh exited with code 255$/,
    },
    {
      reason: 'invalid-input',
      name: 'an option ssh does not know',
      options: () => ['-o', 'NoSuchOption=1'],
      exitCode: 255,
      first: /^ssh refused its configuration \(command-line line 0\): Bad configuration option: nosuchoption$/,
      telling: /Bad configuration option: nosuchoption/,
    },
  ];

  const rshFor = (c: Case, verbose: boolean): string[] => [
    'ssh',
    ...(verbose ? ['-v'] : []),
    ...c.options(),
    ...peer.sshd.sshOptionsWith(c.base?.() ?? {}),
  ];
  const target = (c: Case, verbose: boolean): OpenRemoteShellOptions => ({
    host: c.host?.() ?? peer.sshd.host,
    user: peer.sshd.user,
    rsh: rshFor(c, verbose),
    ...(c.remoteCommand !== undefined ? { remoteCommand: c.remoteCommand } : { command: ['true'] }),
  });

  for (const c of cases) {
    for (const variant of c.variants ?? ['plain', '-v']) {
      it(`${c.reason}: ${c.name} (ssh${variant === '-v' ? ' -v' : ''})`, async () => {
        for (const stderr of ['capture', 'live'] as const) {
          const lines: string[] = [];
          const shell = openRemoteShell({
            ...target(c, variant === '-v'),
            stderr: stderr === 'capture' ? 'capture' : (line) => lines.push(line),
          });
          shell.stream.resume();
          const err = await rejection(shell.finished);
          const why = `${stderr}: ${err.message}\n--- tail:\n${err.stderrTail}`;
          assert.equal(err.reason, c.reason, why);
          assert.equal(err.exitCode, c.exitCode, why);
          assert.match(err.shortMessage, c.first, why);
          if (c.telling.source === '^$') assert.ok(err.tellingLines.length <= 1, why);
          else
            assert.ok(
              err.tellingLines.some((line) => c.telling.test(line)),
              why,
            );
          assert.ok(
            err.tellingLines.every((line) => !/^debug\d: (?!client_input_channel_req: channel \d+ rtype exit-signal)/.test(line)),
            why,
          );
          if (stderr === 'live') {
            // The user saw every line: the message is the first line and the telling lines.
            assert.deepEqual(
              err.message
                .split('\n')
                .slice(1)
                .every((line) => err.tellingLines.includes(line)),
              true,
              why,
            );
            assert.doesNotMatch(err.message, /debug1: Exit status|Transferred: sent/, why);
          }
        }
      });
    }
    if ((c.variants ?? ['plain']).includes('plain')) {
      it(`${c.reason}: ${c.name}: the command's last line adds only what the forwarded lines did not say, with ssh's status`, async () => {
        const { status, stderr } = await runCli([
          `--rsh=${rshFor(c, false).join(' ')}`,
          '-l',
          peer.sshd.user,
          c.host?.() ?? peer.sshd.host,
          c.remoteCommand ?? 'true',
        ]);
        assert.equal(status, c.exitCode, stderr);
        const own = stderr.split('\n').filter((line) => line.startsWith('rsh-transport: '));
        if (c.cliLast === null) {
          assert.deepEqual(own, [], stderr);
          return;
        }
        assert.equal(own.length, 1, stderr);
        const last = stderr.trimEnd().split('\n').pop()!;
        assert.equal(last, own[0], 'the last line is last');
        const text = last.replace(/^rsh-transport: /, '');
        if (c.cliLast !== undefined) {
          assert.match(text, c.cliLast, stderr);
          return;
        }
        // The first line, then what to do.
        const first = c.cliFirst ?? c.first;
        const withHint = new RegExp(`${first.source.replace(/\$$/, '')}(?:\\.? [A-Z].*)?$`);
        assert.match(text, withHint, stderr);
      });
    }
  }

  /** The processes of a session that printed `$PPID $$` (its sshd, then the remote command): the
   * session's sshd, the privileged monitor above it if there is one (there is none for root),
   * and the remote command, which outlives them and is ended by the test. */
  async function session(shell: { stream: NodeJS.ReadableStream }): Promise<{ sshd: number[]; command: number }> {
    const [sshd, command] = await new Promise<number[]>((resolve) =>
      shell.stream.once('data', (chunk: Buffer) => resolve(chunk.toString().trim().split(' ').map(Number))),
    );
    const parent = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(sshd)], { encoding: 'utf8' }).trim());
    const parentArgs = execFileSync('ps', ['-o', 'args=', '-p', String(parent)], { encoding: 'utf8' });
    return { sshd: /\[priv\]/.test(parentArgs) ? [sshd, parent] : [sshd], command };
  }

  function killAll(pids: number[]): void {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  it('connection-lost: the session ends under an established connection (its sshd is killed)', async () => {
    for (const verbose of [false, true]) {
      const shell = openRemoteShell({
        host: peer.sshd.host,
        user: peer.sshd.user,
        rsh: ['ssh', ...(verbose ? ['-v'] : []), ...peer.sshd.sshOptions],
        remoteCommand: 'echo $PPID $$; exec sleep 30',
        stderr: 'capture',
      });
      const { sshd, command } = await session(shell);
      shell.stream.resume();
      killAll(sshd);
      try {
        const err = await rejection(shell.finished);
        assert.equal(err.reason, 'connection-lost', err.message);
        assert.match(err.shortMessage, /^connection unexpectedly closed \(\d+ bytes received so far\): /);
        assert.ok(err.bytesReceived > 0);
      } finally {
        killAll([command]);
      }
    }
  });

  it('connection-lost: the server stops responding (its session is stopped), ServerAliveInterval=1', async () => {
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: ['ssh', '-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=1', ...peer.sshd.sshOptions],
      remoteCommand: 'echo $PPID $$; exec sleep 30',
      stderr: 'capture',
    });
    const { sshd, command } = await session(shell);
    shell.stream.resume();
    const stopped = [...sshd, command];
    for (const pid of sshd) process.kill(pid, 'SIGSTOP');
    try {
      const err = await rejection(shell.finished);
      assert.equal(err.reason, 'connection-lost', err.message);
      assert.match(
        err.shortMessage,
        /^connection unexpectedly closed \(\d+ bytes received so far\): the server 127\.0\.0\.1 stopped answering keepalives for at least 1 s \(1 unanswered, 1 s apart\)$/,
      );
      assert.deepEqual(err.tellingLines, ['Timeout, server 127.0.0.1 not responding.']);
    } finally {
      killAll(stopped);
    }
  });

  it('connection-lost: a server stopped mid-session ends it by the keepalive option, its first line saying for how long', async () => {
    const keepalive = { intervalMs: 1000, count: 2 };
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      keepalive,
      remoteCommand: 'echo $PPID $$; exec sleep 30',
      stderr: 'capture',
    });
    assert.ok(shell.argv.includes('ServerAliveInterval=1') && shell.argv.includes('ServerAliveCountMax=2'), shell.argv.join(' '));
    const { sshd, command } = await session(shell);
    shell.stream.resume();
    const stopped = [...sshd, command];
    for (const pid of sshd) process.kill(pid, 'SIGSTOP');
    const since = performance.now();
    try {
      const err = await rejection(shell.finished);
      const elapsedMs = performance.now() - since;
      assert.equal(err.reason, 'connection-lost', err.message);
      assert.match(
        err.shortMessage,
        /^connection unexpectedly closed \(\d+ bytes received so far\): the server 127\.0\.0\.1 stopped answering keepalives for at least 2 s \(2 unanswered, 1 s apart\)$/,
      );
      // ssh asks every interval, and gives up when one more than count went unanswered: within
      // interval x (count + 1), plus a second for the last one to be seen.
      const bound = (keepalive.intervalMs * (keepalive.count + 1) + 1000) * timeScale();
      assert.ok(elapsedMs < bound, `ended ${Math.round(elapsedMs)} ms after the server stopped (bound ${bound} ms)`);
    } finally {
      killAll(stopped);
    }
  });

  it('stalled: a remote command that stops sending while the caller reads is ended; one that moves every 0.2 s is not', async () => {
    // The remote command leaves its pid in a file (a stall may come before any output does).
    const pidFile = path.join(peer.scratch, 'stalling.pid');
    const stalling = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      stallTimeoutMs: 1000,
      remoteCommand: `echo $$ > ${pidFile}; echo hi; exec sleep 30`,
      stderr: 'capture',
    });
    stalling.stream.resume();
    try {
      const err = await rejection(stalling.finished);
      assert.equal(err.reason, 'stalled', err.message);
      assert.match(
        err.shortMessage,
        /^no protocol byte moved for 1 s while the stream was waited on \(0 bytes sent and \d+ received so far\): ssh was stopped$/,
      );
      // ssh takes SIGTERM itself, and exits with 255.
      assert.deepEqual(await stalling.exited, { code: 255, signal: null });
    } finally {
      if (existsSync(pidFile)) killAll([Number(readFileSync(pidFile, 'utf8'))]);
    }
    const moving = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      // The clock runs from the start: ssh's connection counts too.
      stallTimeoutMs: scaled(5000),
      remoteCommand: 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 0.2; done',
      stderr: 'capture',
    });
    let received = '';
    moving.stream.on('data', (chunk: Buffer) => (received += chunk));
    await moving.finished;
    assert.equal(received, '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
  });

  it('killed: the local ssh killed by a signal', async () => {
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      // cat ends when sshd closes its stdin as the connection goes; a sleep would outlive the test.
      remoteCommand: 'echo up; exec cat',
      stderr: 'capture',
    });
    await new Promise((resolve) => shell.stream.once('data', resolve));
    shell.kill('SIGKILL');
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'killed');
    assert.equal(err.code, 'ERR_REMOTE_SHELL_SIGNAL');
    assert.equal(err.shortMessage, 'ssh was killed by SIGKILL');
  });

  it('spawn-failed: no local ssh on PATH', async () => {
    const empty = scratchDir('rsh-nopath-');
    const shell = openRemoteShell({ host: peer.sshd.host, rsh: 'ssh', command: ['true'], env: { PATH: empty }, stderr: 'capture' });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'spawn-failed');
    assert.equal(err.shortMessage, 'cannot start the remote shell: "ssh" was not found on PATH');
    assert.match(err.hint!, /openssh-client/);
    // The command finds Node through RSH_TRANSPORT_NODE; PATH holds no ssh (nor anything else).
    const cli = await runCli(['--rsh=ssh', '127.0.0.1', 'true'], '', { PATH: empty, HOME: tmpdir(), RSH_TRANSPORT_NODE: process.execPath });
    assert.equal(cli.status, 127);
    assert.match(
      cli.stderr,
      /rsh-transport: cannot start the remote shell: "ssh" was not found on PATH\. Install OpenSSH's client [^\n]+\n$/,
    );
  });

  it('aborted: an AbortSignal during a connect that hangs, with what ssh said so far', async () => {
    const shell = openRemoteShell({
      host: peer.sshd.host,
      rsh: ['ssh', '-v', ...peer.sshd.sshOptionsWith({ port: silentPort })],
      command: ['true'],
      stderr: 'capture',
      signal: AbortSignal.timeout(1000),
    });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'aborted');
    assert.equal(err.code, 'ERR_ABORTED');
    assert.match(err.shortMessage, /^remote shell aborted \(0 bytes received so far\)/);
  });

  it('invalid-input: a host that ssh would read as an option, refused before anything runs', () => {
    assert.throws(
      () => openRemoteShell({ host: '-oProxyCommand=touch /tmp/x', rsh: peer.sshd.rsh }),
      (err: RemoteShellError) => {
        assert.equal(err.reason, 'invalid-input');
        assert.equal(err.code, 'ERR_INVALID_HOST');
        assert.equal(err.neverConnected, false);
        return true;
      },
    );
  });

  it('says which failures never reached the remote command', async () => {
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: ['ssh', ...peer.sshd.sshOptionsWith({ port: refusedPort })],
      command: ['true'],
      stderr: 'capture',
    });
    assert.equal((await rejection(shell.finished)).neverConnected, true);
    const ran = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      remoteCommand: 'exit 3',
      stderr: 'capture',
    });
    assert.equal((await rejection(ran.finished)).neverConnected, false);
  });

  it('every reason is produced by a test here or in the unit tests', async () => {
    const { REASONS } = await import('../../host/index.js');
    const here = new Set([
      ...cases.map((c) => c.reason),
      'connection-lost',
      'killed',
      'spawn-failed',
      'aborted',
      'invalid-input',
      'stalled',
    ]);
    assert.deepEqual(
      REASONS.filter((reason) => !here.has(reason)),
      [],
    );
    await sleep(0);
  });
});
