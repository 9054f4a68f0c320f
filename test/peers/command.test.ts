// The command in ssh's place, against a real sshd: plain ssh in the same situation is the
// expectation.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkPipelined, CLI, cliEnv, startCli } from '../helpers/cli.js';
import { copyClientOptions, freePort, useSshd } from './sshd.js';
import { checksums, makeTree } from './tree.js';
import { scaled } from '../helpers/promises.js';

describe('the command in place of ssh, through a real sshd', function () {
  this.timeout(scaled(120_000));
  const peer = useSshd();
  const target = () => ['-l', peer.sshd.user, peer.sshd.host];

  it('delivers all 1,000,000 bytes while the caller writes a byte every 5 ms and reads slowly', async () => {
    await checkPipelined(startCli([`--rsh=${peer.sshd.rsh}`, ...target(), 'head -c 1000000 /dev/zero | tr "\\0" x']));
  });

  it('| head -c 10 ends promptly, with the status plain ssh has', () => {
    const run = (command: string) => {
      const started = performance.now();
      const r = spawnSync('bash', ['-c', `${command} ${target().join(' ')} yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`], {
        encoding: 'utf8',
        env: cliEnv(),
        timeout: 20_000,
      });
      return { status: r.stdout.trim(), ms: performance.now() - started };
    };
    const ssh = run(peer.sshd.rsh);
    const ours = run(`${CLI} '--rsh=${peer.sshd.rsh}'`);
    assert.equal(ours.status, ssh.status);
    assert.ok(ours.ms < ssh.ms + 3000, `${Math.round(ours.ms)} ms against ssh's ${Math.round(ssh.ms)} ms`);
  });

  it('rsync with RSYNC_RSH=rsh-transport (no -e) pushes a tree; the command reaches ssh through its own variable', () => {
    const src = path.join(peer.scratch, 'rsync-rsh-src');
    makeTree(src, 50, 2 * 1024 * 1024);
    const r = spawnSync('rsync', ['-a', `${src}/`, `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/rsync-rsh-dst/`], {
      encoding: 'utf8',
      timeout: 60_000,
      env: cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: peer.sshd.rsh }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(checksums(`${peer.scratch}/rsync-rsh-dst`), checksums(src));
  });

  it("GNU parallel --ssh with the README's recipe runs the named remote shell, for its CPU probe too", function () {
    if (spawnSync('parallel', ['--version']).error) throw new Error('this test needs GNU parallel (apt-get install -y parallel)');
    const home = path.join(peer.scratch, 'parallel-home');
    const log = path.join(home, 'invocations');
    const recording = path.join(home, 'recording-ssh');
    mkdirSync(home, { recursive: true });
    writeFileSync(recording, `#!/bin/sh\necho "$*" >>${log}\nexec ssh "$@"\n`, { mode: 0o755 });
    const named = [recording, ...peer.sshd.sshOptions].join(' ');
    const run = (ssh: string, extra: NodeJS.ProcessEnv) => {
      rmSync(log, { force: true });
      const r = spawnSync(
        'parallel',
        ['--will-cite', '--ssh', ssh, '-S', `${peer.sshd.user}@${peer.sshd.host}`, 'echo', 'job{}', ':::', '1', '2', '3'],
        {
          encoding: 'utf8',
          timeout: 60_000,
          env: cliEnv({ HOME: home, ...extra }),
        },
      );
      const invocations = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      return { ...r, invocations };
    };
    // The recipe: the remote shell on the command's own line.
    const recipe = run(`${CLI} --rsh='${named}'`, {});
    assert.equal(recipe.status, 0, recipe.stderr);
    assert.deepEqual(recipe.stdout.split('\n').sort().slice(1), ['job1', 'job2', 'job3']);
    assert.doesNotMatch(recipe.stderr, /Could not figure out number of cpus/);
    assert.equal(recipe.invocations.length, 4, `the probe and three jobs: ${recipe.invocations.join(' | ')}`);
    // Why: parallel runs its probe with only PATH and HOME, and a variable is lost there.
    const variable = run(CLI, { RSH_TRANSPORT_RSH: named });
    assert.match(variable.stderr, /Could not figure out number of cpus/);
    assert.equal(variable.invocations.length, 3, 'the probe ran plain ssh');
  });

  it('scp -S (both protocols) and sftp -S copy a file through it, and fail with the status plain ssh gives', () => {
    const file = path.join(peer.scratch, 'copied-by-scp');
    writeFileSync(file, 'across by a file-copy client\n'.repeat(1000));
    // scp and sftp take the port as -P and give the command ssh's words (-x, -oRemoteCommand=none,
    // -s ... sftp), which it passes on.
    const copy = (client: string[], rsh: string, words: string[], to: string) => {
      const destination = path.join(peer.scratch, to);
      rmSync(destination, { force: true });
      const args =
        client[0] === 'sftp'
          ? [...client, '-S', rsh, ...copyClientOptions(words), `${peer.sshd.user}@${peer.sshd.host}`]
          : [...client, '-S', rsh, ...copyClientOptions(words), file, `${peer.sshd.user}@${peer.sshd.host}:${destination}`];
      const input = client[0] === 'sftp' ? `put ${file} ${destination}\n` : '';
      const r = spawnSync(args[0], args.slice(1), { input, encoding: 'utf8', timeout: 60_000, env: cliEnv() });
      return {
        status: r.status,
        stderr: r.stderr,
        copied: existsSync(destination) && readFileSync(destination, 'utf8') === readFileSync(file, 'utf8'),
      };
    };
    // Not -q: scp and sftp pass it on to ssh, which then keeps its reason to itself.
    const clients = [['scp'], ['scp', '-O'], ['sftp', '-b', '-']];
    for (const client of clients) {
      const ours = copy(client, CLI, peer.sshd.sshOptions, 'scp-ours');
      assert.deepEqual({ status: ours.status, copied: ours.copied }, { status: 0, copied: true }, `${client.join(' ')}: ${ours.stderr}`);
      const refused = peer.sshd.sshOptionsWith({ key: peer.sshd.strangerKey });
      const ssh = copy(client, 'ssh', refused, 'scp-refused');
      const failed = copy(client, CLI, refused, 'scp-refused');
      assert.equal(failed.status, ssh.status, `${client.join(' ')}: ${failed.stderr}`);
      assert.equal(failed.copied, false);
      assert.match(failed.stderr, /^\S+: Permission denied \(publickey\)/m, client.join(' '));
      assert.match(failed.stderr, /rsh-transport: /, `${client.join(' ')}: ssh's own failure gets the command's line`);
    }
  });

  it("pdsh -R exec with the README's recipe: the output, and a remote failure told once", () => {
    if (spawnSync('pdsh', ['-V']).error) throw new Error('this test needs pdsh (apt-get install -y pdsh)');
    const pdsh = (...command: string[]) =>
      spawnSync('pdsh', ['-R', 'exec', '-w', peer.sshd.host, CLI, `--rsh=${peer.sshd.rsh}`, '-l', peer.sshd.user, '%h', ...command], {
        encoding: 'utf8',
        timeout: 60_000,
        env: cliEnv(),
      });
    const ok = pdsh('echo', 'reached');
    assert.equal(ok.stdout, `${peer.sshd.host}: reached\n`, ok.stderr);
    const failed = pdsh('echo "fatal: no such repository" >&2; exit 3');
    const lines = failed.stderr.trimEnd().split('\n');
    assert.equal(lines.filter((line) => /fatal: no such repository/.test(line)).length, 1, failed.stderr);
    assert.ok(!lines.some((line) => /rsh-transport: /.test(line)), failed.stderr);
    assert.match(failed.stderr, /exited with exit code 3/);
  });

  describe("rsync's exit status through the command is the remote shell's, as rsync means to report it", function () {
    // rsync reads its remote shell's status only if that has already exited when rsync sees EOF
    // (waitpid with WNOHANG in its cleanup), and then reports the higher of that and its own (12,
    // error in the protocol data stream): 255 for ssh's own failure, 127 for a remote rsync that
    // is not there. Scripts tell a connection failure from a protocol failure by it.
    const RUNS = 5;
    const cases: Array<{ name: string; ssh: () => string[]; source: () => string; extra?: string[] }> = [
      {
        name: 'a key the server does not accept',
        ssh: () => peer.sshd.sshOptionsWith({ key: peer.sshd.strangerKey }),
        source: () => `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/`,
      },
      {
        name: 'a refused port',
        ssh: () => peer.sshd.sshOptionsWith({ port: refusedPort }),
        source: () => `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/`,
      },
      {
        name: 'a missing remote path',
        ssh: () => peer.sshd.sshOptions,
        source: () => `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/no-such-dir/`,
      },
      {
        name: 'a remote rsync that is not there',
        ssh: () => peer.sshd.sshOptions,
        source: () => `${peer.sshd.user}@${peer.sshd.host}:${peer.scratch}/`,
        extra: ['--rsync-path=/nonexistent/rsync'],
      },
    ];
    let refusedPort = 0;
    let recordingSsh = '';
    let statusLog = '';
    before(async () => {
      refusedPort = await freePort();
      // ssh, and the status it exited with: what rsync reports when it reads it.
      statusLog = path.join(peer.scratch, 'ssh-statuses');
      recordingSsh = path.join(peer.scratch, 'recording-ssh');
      writeFileSync(recordingSsh, `#!/bin/sh\nssh "$@"\nstatus=$?\necho $status >>${statusLog}\nexit $status\n`, { mode: 0o755 });
    });

    const rsyncStatuses = (rsh: string, c: (typeof cases)[number]): number[] =>
      Array.from({ length: RUNS }, (_, i) => {
        const r = spawnSync('rsync', ['-a', ...(c.extra ?? []), '-e', rsh, c.source(), `${peer.scratch}/pull-${i}/`], {
          encoding: 'utf8',
          timeout: 30_000,
          env: cliEnv(),
        });
        return r.status ?? -1;
      });
    const RSYNC_STREAM_ERROR = 12;

    for (const c of cases) {
      it(c.name, () => {
        rmSync(statusLog, { force: true });
        const ours = rsyncStatuses(`${CLI} --rsh='${[recordingSsh, ...c.ssh()].join(' ')}'`, c);
        const sshStatuses = readFileSync(statusLog, 'utf8').trim().split('\n').map(Number);
        assert.equal(sshStatuses.length, RUNS);
        const meant = sshStatuses.map((status) => Math.max(RSYNC_STREAM_ERROR, status));
        // rsync looks for the status a moment after EOF, and the kernel closes an exiting
        // process's fds a moment before its status can be reaped: whoever holds stdout last until
        // its exit makes rsync lose that race now and then (plain ssh too: then it says 12). The
        // launcher's keeper of stdout ends only once the launcher can be reaped: every run reads it.
        assert.deepEqual(ours, meant, `through the command ${ours.join(' ')}; ssh exited ${sshStatuses.join(' ')}`);
        // Plain ssh, for the record: it loses the race some of the time.
        const plain = rsyncStatuses(['ssh', ...c.ssh()].join(' '), c);
        console.log(`        rsync's status through plain ssh: ${plain.join(' ')}; through the command: ${ours.join(' ')}`);
      });
    }
  });
});
