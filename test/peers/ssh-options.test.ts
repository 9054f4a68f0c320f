// ssh's settings as options of their own, against the suite's sshd: the server's port and the
// client's key given as options instead of an rsh string reach ssh, and BatchMode keeps a
// passphrase prompt from ever waiting on a terminal.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { rejection, scaled } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { collect } from '../helpers/streams.js';
import { freePort, useSshd } from './sshd.js';

describe('ssh options through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  const known = () => ({
    UserKnownHostsFile: peer.sshd.knownHosts,
    GlobalKnownHostsFile: '/dev/null',
    StrictHostKeyChecking: 'yes',
    IdentitiesOnly: true,
  });

  it('port, identityFile, sshOptions and connectTimeoutMs reach ssh', async () => {
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: 'ssh -F /dev/null',
      port: peer.sshd.port,
      identityFile: peer.sshd.clientKey,
      connectTimeoutMs: 5000,
      sshOptions: known(),
      command: ['echo', 'reached'],
      stderr: 'capture',
    });
    assert.deepEqual(shell.argv.slice(0, 8), ['ssh', '-F', '/dev/null', '-p', String(peer.sshd.port), '-i', peer.sshd.clientKey, '-o']);
    assert.equal((await collect(shell.stream)).toString(), 'reached\n');
    await shell.finished;
  });

  describe('hostKeys', () => {
    const open = (hostKeys: { policy: 'strict' | 'accept-new'; knownHostsFile: string }) =>
      openRemoteShell({
        host: peer.sshd.host,
        user: peer.sshd.user,
        rsh: 'ssh -F /dev/null',
        port: peer.sshd.port,
        identityFile: peer.sshd.clientKey,
        sshOptions: { GlobalKnownHostsFile: '/dev/null', IdentitiesOnly: true },
        hostKeys,
        command: ['echo', 'reached'],
        stderr: 'capture',
      });
    const serverFingerprint = () =>
      /(SHA256:\S+)/.exec(execFileSync('ssh-keygen', ['-lf', path.join(peer.sshd.dir, 'host_ed25519.pub')], { encoding: 'utf8' }))![1];

    it("a changed key: host-key-changed, with the offered key's fingerprint and the conflicting entry's file and line", async () => {
      const file = path.join(peer.scratch, 'changed_known_hosts');
      writeFileSync(file, `# a comment first\n${readFileSync(peer.sshd.wrongKnownHosts, 'utf8')}`);
      const err = await rejection(open({ policy: 'strict', knownHostsFile: file }).finished);
      assert.equal(err.reason, 'host-key-changed', err.message);
      assert.deepEqual(err.hostKey, { type: 'ED25519', fingerprint: serverFingerprint(), knownHostsFile: file, line: 2 });
    });

    it('an unknown key under strict: host-key-unknown with its type; accept-new records it and connects', async () => {
      const file = path.join(peer.scratch, 'empty_known_hosts');
      writeFileSync(file, '');
      const strict = await rejection(open({ policy: 'strict', knownHostsFile: file }).finished);
      assert.equal(strict.reason, 'host-key-unknown', strict.message);
      assert.deepEqual(strict.hostKey, { type: 'ED25519', fingerprint: null, knownHostsFile: null, line: null });
      const accepting = open({ policy: 'accept-new', knownHostsFile: file });
      assert.equal((await collect(accepting.stream)).toString(), 'reached\n');
      await accepting.finished;
      assert.match(readFileSync(file, 'utf8'), /ssh-ed25519 /, 'the key is recorded');
      // And now it is known, under strict checking too.
      const known = open({ policy: 'strict', knownHostsFile: file });
      assert.equal((await collect(known.stream)).toString(), 'reached\n');
      await known.finished;
    });

    it('a revoked key (@revoked): host-key-changed, its own first line and hint, and its type', async () => {
      const file = path.join(peer.scratch, 'revoked_known_hosts');
      const key = readFileSync(path.join(peer.sshd.dir, 'host_ed25519.pub'), 'utf8').trim();
      writeFileSync(file, `@revoked * ${key}\n${readFileSync(peer.sshd.knownHosts, 'utf8')}`);
      const err = await rejection(open({ policy: 'strict', knownHostsFile: file }).finished);
      assert.equal(err.reason, 'host-key-changed', err.message);
      assert.match(err.shortMessage, /^the ED25519 host key of \S+ is marked as revoked \(@revoked in known_hosts\), and ssh refused it/);
      assert.match(err.hint!, /must not be trusted again/);
      assert.equal(err.hostKey?.type, 'ED25519');
    });

    it("a known-hosts file whose path holds quotes, a backslash, a blank and '%' reaches ssh as written", async () => {
      const dir = path.join(peer.scratch, `o'brien "x" a\\b 100%`);
      mkdirSync(dir);
      const file = path.join(dir, 'known_hosts');
      writeFileSync(file, readFileSync(peer.sshd.knownHosts, 'utf8'));
      const shell = open({ policy: 'strict', knownHostsFile: file });
      assert.equal((await collect(shell.stream)).toString(), 'reached\n');
      await shell.finished;
      // And a changed key there is reported with that path.
      writeFileSync(file, readFileSync(peer.sshd.wrongKnownHosts, 'utf8'));
      const err = await rejection(open({ policy: 'strict', knownHostsFile: file }).finished);
      assert.equal(err.reason, 'host-key-changed', err.message);
      assert.equal(err.hostKey?.knownHostsFile, file);
    });
  });

  it("a connection never made carries ssh's effective configuration, and the hint says where the config sent it", async () => {
    const refused = await freePort();
    const config = path.join(peer.scratch, 'alias_config');
    writeFileSync(config, `Host db-alias\n  HostName 127.0.0.1\n  Port ${refused}\n  User nobody-here\n`);
    const shell = openRemoteShell({ host: 'db-alias', rsh: ['ssh', '-F', config], command: ['true'], stderr: 'capture' });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'connect-refused', err.message);
    assert.equal(err.sshConfig?.hostname, '127.0.0.1');
    assert.equal(err.sshConfig?.port, String(refused));
    assert.equal(err.sshConfig?.user, 'nobody-here');
    assert.equal(err.sshConfig?.batchmode, 'yes');
    assert.ok(err.sshConfig?.identityfile && err.sshConfig.identityfile.length > 0);
    assert.match(err.hint!, new RegExp(`ssh's configuration maps db-alias to 127\\.0\\.0\\.1 port ${refused} user nobody-here\\.$`));
    // A failure after the session was up carries none.
    const remote = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      remoteCommand: 'exit 3',
      stderr: 'capture',
    });
    const failed = await rejection(remote.finished);
    assert.equal(failed.reason, 'remote-command-failed');
    assert.equal(failed.sshConfig, null);
  });

  it('a wrong port given as an option fails as that port does', async () => {
    const shell = openRemoteShell({ host: peer.sshd.host, rsh: 'ssh -F /dev/null', port: 1, command: ['true'], stderr: 'capture' });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'connect-refused');
    assert.match(err.shortMessage, /^ssh could not connect to 127\.0\.0\.1 port 1: connection refused$/);
  });

  describe('BatchMode, with a passphrase-protected key and a terminal for ssh to ask on', () => {
    let lockedKey = '';
    before(() => {
      lockedKey = path.join(peer.sshd.dir, 'locked_ed25519');
      const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a secret phrase', '-C', 'locked', '-f', lockedKey], {
        encoding: 'utf8',
      });
      assert.equal(made.status, 0, made.stderr);
      appendFileSync(path.join(peer.sshd.dir, 'authorized_keys'), readFileSync(`${lockedKey}.pub`));
    });

    // A Node program on a pseudo-terminal (script(1)) opens the remote shell; ssh, its child,
    // can then open /dev/tty and ask there. Returns what the terminal showed and how it ended.
    function onTerminal(batchMode: boolean | undefined, waitMs: number): Promise<{ screen: string; outcome: string }> {
      const program = path.join(peer.sshd.dir, `prompt-${String(batchMode)}.mts`);
      writeFileSync(
        program,
        `
        import { openRemoteShell } from ${JSON.stringify(path.join(ROOT, 'host/index.ts'))};
        const shell = openRemoteShell(${JSON.stringify({
          host: peer.sshd.host,
          user: peer.sshd.user,
          rsh: 'ssh -F /dev/null',
          port: peer.sshd.port,
          identityFile: lockedKey,
          sshOptions: known(),
          command: ['true'],
          stderr: 'capture',
          ...(batchMode === undefined ? {} : { batchMode }),
        })});
        const timer = setTimeout(() => { console.log('OUTCOME still waiting'); shell.kill('SIGKILL'); }, ${waitMs});
        shell.finished.then(() => console.log('OUTCOME connected'), (err) => console.log('OUTCOME ' + err.reason)).finally(() => clearTimeout(timer));
      `,
      );
      const command = `${process.execPath} --import tsx ${program}`;
      return new Promise((resolve, reject) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
        let screen = '';
        child.stdout.on('data', (chunk: Buffer) => (screen += chunk));
        child.once('error', reject);
        child.once('close', () => resolve({ screen, outcome: /OUTCOME (\S+ ?\S*)/.exec(screen)?.[1] ?? `(none: ${screen})` }));
      });
    }

    it('by default ssh never asks: it fails at once, auth-failed, and the terminal shows no prompt', async () => {
      const { screen, outcome } = await onTerminal(undefined, 10_000);
      assert.equal(outcome, 'auth-failed');
      assert.doesNotMatch(screen, /Enter passphrase/);
    });

    it('with batchMode: false ssh asks on the terminal and waits (the reference behaviour of ssh itself)', async () => {
      const { screen, outcome } = await onTerminal(false, 3000);
      assert.match(screen, /Enter passphrase for key/);
      assert.equal(outcome, 'still waiting');
    });
  });
});
