import assert from 'node:assert/strict';
import { openRemoteShell, RemoteShellError } from '../../host/index.js';
import { runCli } from '../cli/run-cli.js';
import { rejection } from '../transport/helpers.js';
import { freePort, useSshd } from './sshd.js';

// Each way ssh fails, with the real ssh's words: as the library's error, and as the command's
// last line and exit status.
describe('ssh failures through a real sshd', function () {
  this.timeout(60_000);
  const peer = useSshd();

  interface Case {
    name: string;
    ssh: () => string[];
    command: string[];
    exitCode: number;
    stderr: RegExp;
  }
  const cases: Case[] = [
    { name: 'a refused port', ssh: () => [], command: ['true'], exitCode: 255, stderr: /ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused/ },
    { name: 'a key the server does not accept', ssh: () => peer.sshd.sshOptionsWith({ key: peer.sshd.strangerKey }), command: ['true'], exitCode: 255, stderr: /Permission denied \(publickey\)/ },
    { name: 'a changed host key', ssh: () => peer.sshd.sshOptionsWith({ knownHosts: peer.sshd.wrongKnownHosts }), command: ['true'], exitCode: 255, stderr: /Host key verification failed\./ },
    { name: 'a remote command that does not exist', ssh: () => peer.sshd.sshOptions, command: ['no-such-command-rsh-transport'], exitCode: 127, stderr: /no-such-command-rsh-transport: (command )?not found/ },
  ];
  let refusedPort = 0;
  before(async () => {
    refusedPort = await freePort();
    cases[0].ssh = () => peer.sshd.sshOptionsWith({ port: refusedPort });
  });

  for (const c of cases) {
    it(`${c.name}: RemoteShellError ERR_REMOTE_SHELL_EXIT ${c.exitCode} with ssh's own words`, async () => {
      for (const stderr of ['capture', 'forward-to-callback'] as const) {
        const lines: string[] = [];
        const shell = openRemoteShell({
          host: peer.sshd.host, user: peer.sshd.user, rsh: ['ssh', ...c.ssh()], command: c.command,
          stderr: stderr === 'capture' ? 'capture' : (line) => lines.push(line),
        });
        shell.stream.resume();
        const err = await rejection(shell.finished);
        assert.ok(err instanceof RemoteShellError);
        assert.equal(err.code, 'ERR_REMOTE_SHELL_EXIT');
        assert.equal(err.exitCode, c.exitCode);
        assert.equal(err.message.split('\n')[0], `connection unexpectedly closed (0 bytes received so far): ssh exited with code ${c.exitCode}`);
        assert.match(err.stderrTail, c.stderr);
        assert.match(err.message, c.stderr);
        if (stderr !== 'capture') {
          assert.equal(err.message.split('\n').length, 2, 'forwarded live: the last line only');
          assert.match(lines.join('\n'), c.stderr);
        }
      }
    });

    it(`${c.name}: the command's last line and exit status ${c.exitCode}`, async () => {
      const { status, stderr } = await runCli([`--rsh=ssh ${c.ssh().join(' ')}`, '-l', peer.sshd.user, peer.sshd.host, ...c.command]);
      assert.equal(status, c.exitCode);
      assert.match(stderr, c.stderr);
      const last = stderr.trimEnd().split('\n').pop();
      assert.equal(last, `rsh-transport: connection unexpectedly closed: ssh exited with code ${c.exitCode}`);
    });
  }
});
