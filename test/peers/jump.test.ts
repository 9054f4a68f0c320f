// Jump hosts through real sshd: two servers on 127.0.0.1, each forwarding to the other, so that
// a session goes through one jump host (a, then the target b) or two (a, b, then the target a).
// ssh's command line does not reach a hop's own ssh (-F does), so the client's key and the
// known hosts of both servers are in a config file every hop reads.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { runCli } from '../helpers/cli.js';
import { rejection, scaled } from '../helpers/promises.js';
import { scratchDir } from '../helpers/scratch.js';
import { collect } from '../helpers/streams.js';
import { freePort, startSshd, type Sshd } from './sshd.js';

describe('jump hosts through real sshd', function () {
  this.timeout(scaled(120_000));
  let a: Sshd;
  let b: Sshd;
  let closed: number;
  let config: string;
  let wrongConfig: string;
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
