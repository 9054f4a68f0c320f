// askpass against the suite's sshd with the real ssh: a passphrase-protected key, a password
// login of a user the suite creates and removes, a cancelled prompt, an unknown host key, and
// the secret found nowhere but in ssh: not in an argv, an environment, a file, the capture or an
// error.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import {
  closeMultiplexedConnections,
  openRemoteShell,
  type AskpassRequest,
  type OpenRemoteShellOptions,
  type RemoteShell,
} from '../../host/index.js';
import { askpassRequest } from '../../host/askpass/request.js';
import { runtimeDir } from '../../host/runtime-dir.js';
import { rejection, scaled, sleep } from '../helpers/promises.js';
import { collect } from '../helpers/streams.js';
import { mastersUnder } from './masters.js';
import { readmeBlock, runBlock } from './readme-example.js';
import { startSshd, useSshd, type Sshd } from './sshd.js';

/** The suite's ssh options without the ones that forbid asking (BatchMode) or trusting a new
 * host key (StrictHostKeyChecking). */
function askable(options: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < options.length; i++) {
    if (options[i] === '-o' && /^(BatchMode|StrictHostKeyChecking)=/.test(options[i + 1])) i++;
    else out.push(options[i]);
  }
  return out;
}

/** Every place but ssh itself where a secret could end up, read while ssh waits for the answer:
 * the argv and environment of ssh and of the askpass helper it runs, and this process's. */
function placesWhileAsking(shell: RemoteShell): string[] {
  const pid = shell.pid!;
  const helpers = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return (
          Number(
            readFileSync(`/proc/${entry}/stat`, 'utf8')
              .replace(/^.*\) /s, '')
              .split(' ')[1],
          ) === pid
        );
      } catch {
        return false;
      }
    });
  assert.ok(helpers.length > 0, 'ssh runs the askpass helper while it waits');
  return [
    shell.argv.join('\n'),
    ...[String(pid), ...helpers].flatMap((p) => [readFileSync(`/proc/${p}/cmdline`, 'utf8'), readFileSync(`/proc/${p}/environ`, 'utf8')]),
    JSON.stringify(process.env),
  ];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file, 'latin1'));
}

function assertNowhere(secret: string, places: string[]): void {
  for (const [i, place] of places.entries()) assert.ok(!place.includes(secret), `the secret is in place ${i}: ${place.slice(0, 200)}`);
}

describe('askpass through a real sshd', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();
  const passphrase = `pass ${randomBytes(6).toString('hex')} phrase`;
  let lockedKey: string;

  before(() => {
    lockedKey = path.join(peer.sshd.dir, 'locked_ed25519');
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'locked', '-f', lockedKey], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    appendFileSync(path.join(peer.sshd.dir, 'authorized_keys'), readFileSync(`${lockedKey}.pub`));
  });

  const target = (extra: Partial<OpenRemoteShellOptions>): OpenRemoteShellOptions => ({
    host: peer.sshd.host,
    user: peer.sshd.user,
    rsh: ['ssh', ...askable(peer.sshd.sshOptionsWith({ key: lockedKey }))],
    stderr: 'capture',
    ...extra,
  });

  it('answers the passphrase of a key, and the passphrase is nowhere but in ssh', async () => {
    const asked: AskpassRequest[] = [];
    let places: string[] = [];
    const shell: RemoteShell = openRemoteShell(
      target({
        command: ['echo', 'unlocked'],
        askpass: (request) => {
          asked.push(request);
          places = placesWhileAsking(shell);
          return passphrase;
        },
      }),
    );
    assert.ok(shell.argv.includes('BatchMode=no'), 'askpass turns BatchMode off');
    const output = collect(shell.stream);
    await shell.finished;
    assert.equal((await output).toString(), 'unlocked\n');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].kind, 'passphrase');
    assert.equal(asked[0].fromServer, false);
    assert.match(asked[0].prompt, /^Enter passphrase for key '.*locked_ed25519': $/);
    assert.match(places.join('\n'), /SSH_ASKPASS_REQUIRE=force/);
    assert.match(places.join('\n'), /askpass-helper\.cjs/, 'the helper was looked at too');
    assertNowhere(passphrase, [...places, shell.stderr.snapshot().text, ...filesUnder(runtimeDir())]);
  });

  it('a cancelled prompt fails the run with why, and asks no more', async () => {
    let asked = 0;
    const shell = openRemoteShell(target({ command: ['true'], askpass: () => (asked++, null) }));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.equal(asked, 1);
  });

  it('a wrong answer is asked again as ssh does, and is in no error', async () => {
    const wrong = `wrong ${randomBytes(6).toString('hex')}`;
    const answers = [wrong, wrong, null];
    const shell = openRemoteShell(target({ command: ['true'], askpass: () => answers.shift() ?? null }));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.equal(answers.length, 0, 'ssh asked three times');
    assertNowhere(wrong, [err.message, err.stderrTail, JSON.stringify(err), shell.stderr.snapshot().text, ...filesUnder(runtimeDir())]);
  });

  it('a callback that throws cancels the prompt, and its error is the cause', async () => {
    const failure = new Error('no keyring');
    const shell = openRemoteShell(
      target({
        command: ['true'],
        askpass: async () => {
          throw failure;
        },
      }),
    );
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.equal(err.cause, failure);
  });

  it('an answer with a line break is refused as no answer', async () => {
    const shell = openRemoteShell(target({ command: ['true'], askpass: () => `${passphrase}\nmore` }));
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'auth-failed');
    assert.match(String((err.cause as Error).message), /line break/);
  });

  it('confirms an unknown host key, which ssh then records', async () => {
    const knownHosts = path.join(peer.sshd.dir, 'empty_known_hosts');
    writeFileSync(knownHosts, '');
    const asked: AskpassRequest[] = [];
    const rsh = ['ssh', ...askable(peer.sshd.sshOptionsWith({ knownHosts })), '-o', 'StrictHostKeyChecking=ask'];
    const shell = openRemoteShell({ ...target({ rsh }), command: ['echo', 'trusted'], askpass: (request) => (asked.push(request), 'yes') });
    const output = collect(shell.stream);
    await shell.finished;
    assert.equal((await output).toString(), 'trusted\n');
    assert.deepEqual(
      asked.map((request) => request.kind),
      ['host-key'],
    );
    assert.match(asked[0].prompt, /authenticity of host .* can't be established[\s\S]*SHA256:[\s\S]*continue connecting/);
    assert.match(readFileSync(knownHosts, 'utf8'), /ssh-ed25519/);
  });

  it('a refused host key fails with host-key-unknown', async () => {
    const knownHosts = path.join(peer.sshd.dir, 'empty_known_hosts_2');
    writeFileSync(knownHosts, '');
    const rsh = ['ssh', ...askable(peer.sshd.sshOptionsWith({ knownHosts })), '-o', 'StrictHostKeyChecking=ask'];
    const shell = openRemoteShell({ ...target({ rsh }), command: ['true'], askpass: () => 'no' });
    const err = await rejection(shell.finished);
    assert.equal(err.reason, 'host-key-unknown');
  });

  it('the channel answers no one without the token of a live shell', async () => {
    let asked = 0;
    const shell = openRemoteShell(
      target({ command: ['sleep', '5'], killGraceMs: 100, askpass: async () => (asked++, await sleep(10), passphrase) }),
    );
    const environ = readFileSync(`/proc/${shell.pid}/environ`, 'utf8').split('\0');
    const socket = environ.find((entry) => entry.startsWith('RSH_TRANSPORT_ASKPASS_SOCKET='))!.split('=')[1];
    const ask = (token: string) =>
      new Promise<string>((resolve) => {
        const connection = createConnection(socket);
        let reply = '';
        connection.on('data', (chunk) => (reply += chunk));
        connection.on('connect', () => connection.write(`${JSON.stringify({ token, prompt: 'Password:' })}\n`));
        connection.on('close', () => resolve(reply));
      });
    // ssh's own prompt is there, and its answer held back while strangers knock.
    for (let i = 0; i < 200 && asked === 0; i++) await sleep(20);
    const token = environ.find((entry) => entry.startsWith('RSH_TRANSPORT_ASKPASS_TOKEN='))!.split('=')[1];
    assert.equal(await ask(randomBytes(32).toString('hex')), '{"answer":null}');
    assert.equal(await ask('not hex'), '{"answer":null}');
    assert.equal(statSync(path.dirname(socket)).mode & 0o777, 0o700);
    // Another shell keeps the channel open: the settled shell's token is void, not the socket.
    const other = openRemoteShell(target({ command: ['sleep', '5'], killGraceMs: 100, askpass: () => new Promise(() => {}) }));
    await shell.close();
    assert.equal(asked, 1, "only ssh's own prompt reached the callback");
    assert.equal(await ask(token), '{"answer":null}', 'the token of a settled shell is void');
    assert.equal(asked, 1);
    await other.close();
  });

  it("the helper passes ssh's SSH_ASKPASS_PROMPT, and prints the answer for ssh", async () => {
    const requests: AskpassRequest[] = [];
    const shell = openRemoteShell(
      target({
        command: ['sleep', '5'],
        killGraceMs: 100,
        askpass: (request) => (requests.push(request), request.expects === 'confirm' ? 'yes' : passphrase),
      }),
    );
    const environ = readFileSync(`/proc/${shell.pid}/environ`, 'utf8').split('\0');
    const env = Object.fromEntries(
      environ
        .filter((entry) => entry.startsWith('RSH_TRANSPORT_ASKPASS_') || entry.startsWith('SSH_ASKPASS='))
        .map((entry) => entry.split(/=(.*)/s).slice(0, 2)),
    );
    // Asynchronously: the channel's server is this process, which must go on running.
    const helper = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(env.SSH_ASKPASS, ['Allow use of key test?'], {
        env: { ...env, SSH_ASKPASS_PROMPT: 'confirm', PATH: process.env.PATH },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(helper.status, 0, helper.stderr);
    assert.equal(helper.stdout, 'yes\n');
    const asked = requests.find((request) => request.prompt === 'Allow use of key test?');
    assert.equal(asked?.expects, 'confirm');
    assert.equal(asked?.kind, 'other');
    await shell.close();
  });

  it("the README's example answers the passphrase", async () => {
    const code = readmeBlock("const shell = openRemoteShell({\n  host: 'backup.example.org', user: 'alice', command: ['uptime'],");
    const given = "host: 'backup.example.org', user: 'alice',";
    const keys: string[] = [];
    const { result } = await runBlock(
      code.replace(given, "host: exampleTarget.host, user: exampleTarget.user, rsh: exampleTarget.rsh, stderr: 'capture',"),
      {
        openRemoteShell,
        exampleTarget: target({}),
        keyring: { get: (name: string) => (keys.push(name), passphrase) },
        confirmFingerprint: async () => false,
      },
      '(async () => { shell.stream.resume(); return shell.finished; })()',
    );
    assert.equal((result as { code: number }).code, 0);
    assert.deepEqual(keys, ['backup key']);
  });

  it('refuses askpass with batchMode, and with another remote shell', () => {
    assert.throws(
      () => openRemoteShell(target({ command: ['true'], askpass: () => null, batchMode: true })),
      /batchMode: true and askpass contradict/,
    );
    assert.throws(
      () => openRemoteShell(target({ command: ['true'], askpass: () => null, sshOptions: { BatchMode: 'yes' } })),
      /sshOptions.BatchMode and askpass contradict/,
    );
    assert.throws(
      () => openRemoteShell(target({ command: ['true'], askpass: () => null, rsh: 'rsh' })),
      /askpass is an option of OpenSSH's ssh/,
    );
    assert.throws(() => openRemoteShell(target({ command: ['true'], askpass: 'secret' as never })), /askpass must be a function/);
    for (const words of [['-o', 'BatchMode=yes'], ['-oBatchMode=yes'], ['-o', 'batchmode yes']]) {
      assert.throws(
        () => openRemoteShell(target({ command: ['true'], askpass: () => null, rsh: ['ssh', ...words] })),
        /rsh sets BatchMode yes, which contradicts askpass/,
      );
    }
  });

  // The whole table of ssh's prompts and hostile servers' is test/askpass/request.test.ts.
  it("a server's keyboard-interactive prompt is never taken for ssh's own", () => {
    // Whatever the user or the alias hold: a parenthesis, a blank.
    for (const prompt of ["(alice@db(eu)) Enter passphrase for key '/home/a/.ssh/id': ", "(al ice@db eu) Enter passphrase for key '/x': "])
      assert.deepEqual(askpassRequest(prompt), { prompt, kind: 'other', fromServer: true, expects: 'answer' });
    assert.deepEqual(askpassRequest("(alice@backup.example.org) Enter passphrase for key '/home/alice/.ssh/id_ed25519': "), {
      prompt: "(alice@backup.example.org) Enter passphrase for key '/home/alice/.ssh/id_ed25519': ",
      kind: 'other',
      fromServer: true,
      expects: 'answer',
    });
    assert.equal(askpassRequest('(alice@backup.example.org) Password: ').kind, 'password');
    assert.equal(askpassRequest('(alice@backup.example.org) Are you sure you want to continue connecting (yes/no)? ').kind, 'other');
    assert.deepEqual(askpassRequest("alice@backup.example.org's password: "), {
      prompt: "alice@backup.example.org's password: ",
      kind: 'password',
      fromServer: false,
      expects: 'answer',
    });
    // SSH_ASKPASS_PROMPT: a yes or no (ssh-agent's confirmation), a notice ssh does not wait for.
    assert.equal(askpassRequest('Allow use of key /home/alice/.ssh/id_ed25519?', 'confirm').expects, 'confirm');
    assert.deepEqual(askpassRequest('Confirm user presence for key ED25519-SK SHA256:x', 'none'), {
      prompt: 'Confirm user presence for key ED25519-SK SHA256:x',
      kind: 'other',
      fromServer: false,
      expects: 'notice',
    });
    assert.equal(askpassRequest('(alice@h) \x1b]0;owned\x07Code: ').prompt, '(alice@h) ^[]0;owned^GCode: ');
  });

  describe('a password login of a user the suite creates', () => {
    let server: Sshd;
    const user = `rshpw${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;

    before(async function () {
      // Creating a user needs root, as CI runs.
      if (process.getuid?.() !== 0) this.skip();
      const made = spawnSync('useradd', ['-M', '-d', '/', '-s', '/bin/sh', user], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      const set = spawnSync('chpasswd', [], { input: `${user}:${password}\n`, encoding: 'utf8' });
      assert.equal(set.status, 0, set.stderr);
      server = await startSshd({ config: ['PasswordAuthentication yes'] });
    });
    after(async () => {
      await closeMultiplexedConnections();
      await server?.stop();
      spawnSync('userdel', [user]);
    });

    const login = (extra: Partial<OpenRemoteShellOptions>): OpenRemoteShellOptions => ({
      host: server.host,
      user,
      stderr: 'capture',
      command: ['id', '-un'],
      rsh: [
        'ssh',
        ...askable(server.sshOptions.filter((word, i, all) => word !== '-i' && all[i - 1] !== '-i')),
        '-o',
        'PubkeyAuthentication=no',
      ],
      ...extra,
    });

    it('answers the password, which is nowhere but in ssh', async () => {
      const asked: AskpassRequest[] = [];
      let places: string[] = [];
      const shell: RemoteShell = openRemoteShell(
        login({
          askpass: (request) => {
            asked.push(request);
            places = placesWhileAsking(shell);
            return password;
          },
        }),
      );
      const output = collect(shell.stream);
      await shell.finished;
      assert.equal((await output).toString(), `${user}\n`);
      assert.deepEqual(
        asked.map((request) => request.kind),
        ['password'],
      );
      assert.match(asked[0].prompt, new RegExp(`^${user}@127\\.0\\.0\\.1's password: $`));
      assertNowhere(password, [...places, shell.stderr.snapshot().text, ...filesUnder(runtimeDir()), server.log()]);
    });

    it('with multiplex, the master asks once for every session', async () => {
      let asked = 0;
      const shells = Array.from({ length: 3 }, () => openRemoteShell(login({ multiplex: true, askpass: () => (asked++, password) })));
      const outputs = await Promise.all(
        shells.map(async (shell) => {
          const output = collect(shell.stream);
          await shell.finished;
          return (await output).toString();
        }),
      );
      assert.deepEqual(outputs, [`${user}\n`, `${user}\n`, `${user}\n`]);
      assert.equal(asked, 1);
      assert.equal(mastersUnder(runtimeDir()).length, 1);
      await closeMultiplexedConnections();
      assert.deepEqual(mastersUnder(runtimeDir()), []);
    });

    it('a wrong password fails with auth-failed', async () => {
      const shell = openRemoteShell(
        login({ askpass: (request) => (request.kind === 'password' ? 'not it' : null), sshOptions: { NumberOfPasswordPrompts: 1 } }),
      );
      const err = await rejection(shell.finished);
      assert.equal(err.reason, 'auth-failed');
      assert.ok(!err.message.includes('not it'));
    });
  });
});
