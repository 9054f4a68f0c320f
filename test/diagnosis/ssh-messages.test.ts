import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnose, type DiagnosisInput } from '../../host/diagnosis/diagnose.js';
import { REMOTE_MESSAGES } from '../../host/diagnosis/remote-messages.js';
import { SSH_MESSAGES } from '../../host/diagnosis/ssh-messages.js';
import { plainText } from '../../host/terminal-safe.js';

/** ssh exiting with 255 and these stderr lines, no byte back; `more` changes the rest. */
const sshAt255 = (lines: string[], more: Partial<DiagnosisInput> = {}): DiagnosisInput => ({
  program: 'ssh',
  exit: { code: 255, signal: null },
  lines,
  bytesReceived: 0,
  stdoutHandedOver: false,
  ...more,
});

const RECORDED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'recorded');

/** A recording of a real OpenSSH 9.2 client against the suite's sshd: `status=N signal=S`, then
 * its stderr. */
function recorded(name: string): { code: number | null; lines: string[] } {
  const [first, ...rest] = readFileSync(path.join(RECORDED, `${name}.txt`), 'utf8').split('\n');
  const code = /^status=(\d+)/.exec(first);
  return { code: code ? Number(code[1]) : null, lines: rest };
}

function input(name: string, extra: Partial<DiagnosisInput> = {}): DiagnosisInput {
  const { code, lines } = recorded(name);
  return { program: 'ssh', exit: { code, signal: null }, lines, bytesReceived: 0, stdoutHandedOver: false, ...extra };
}

describe('the table of OpenSSH messages', () => {
  it('matches every example against its own entry first, so no earlier entry shadows it', () => {
    for (const [index, message] of SSH_MESSAGES.entries()) {
      const first = SSH_MESSAGES.findIndex((m) => m.pattern.test(message.example));
      assert.equal(first, index, `${JSON.stringify(message.example)} is taken by entry ${first}, not ${index}`);
    }
  });

  it('classifies each example alone with status 255 as its entry says (a supporting one only beside another)', () => {
    const at255 = (lines: string[], bytesReceived = 0) => diagnose(sshAt255(lines, { bytesReceived }));
    for (const message of SSH_MESSAGES) {
      const match = message.pattern.exec(message.example)!;
      const reason = typeof message.reason === 'function' ? message.reason(match) : message.reason;
      if (message.supporting) {
        assert.equal(at255([message.example]).reason, 'unknown', message.example);
        const other = SSH_MESSAGES.find((m) => !m.supporting && m.reason === reason)!;
        const found = at255([message.example, other.example]);
        assert.equal(found.reason, reason);
        assert.deepEqual(found.tellingLines, [message.example, other.example]);
        continue;
      }
      const found = at255([message.example]);
      assert.equal(found.reason, reason, message.example);
      assert.deepEqual(found.tellingLines, [message.example]);
    }
  });

  it("a remote command's own 255 after the session was up is said so, even where no byte came back or stdout went elsewhere", () => {
    for (const stdoutHandedOver of [false, true]) {
      const found = diagnose(sshAt255(['abort: repository /srv/hg/missing not found'], { stdoutHandedOver }));
      assert.equal(found.reason, 'remote-command-failed');
      assert.equal(
        found.summary,
        'the remote command or ssh ended the session with status 255 after it was established: abort: repository /srv/hg/missing not found',
      );
      assert.match(found.hint!, /ssh -v/);
    }
    // A line of ssh's own is no such evidence, nor is a line that does not read as an error.
    for (const lines of [
      ['ssh_askpass: exec(/usr/bin/ssh-askpass): No such file or directory'],
      ['unix_listener: cannot bind to path /x/c.sock: Permission denied'],
      ['muxclient: master hello exchange failed'],
      ['posix_spawnp: No such file or directory'],
      ['CreateProcessW failed error:2'],
      ['all is well'],
      [],
    ]) {
      const found = diagnose(sshAt255(lines, { stdoutHandedOver: true }));
      assert.equal(found.reason, 'unknown', lines.join());
    }
    // Quiet, or through a proxy, a line that merely looks like an error may be the proxy's.
    const nc = sshAt255(['nc: connect to 10.0.0.1 port 22 (tcp) failed: Connection refused']);
    assert.equal(diagnose({ ...nc, quietOrProxied: true }).reason, 'unknown');
    assert.equal(diagnose({ ...nc, quietOrProxied: false }).reason, 'remote-command-failed');
    assert.equal(
      diagnose({ ...nc, lines: ["fatal: '/x' does not appear to be a git repository"], quietOrProxied: true }).reason,
      'remote-command-failed',
    );
  });

  it('a server that stopped answering keepalives: how ssh asked, when its argv says', () => {
    const base = sshAt255(['Timeout, server db not responding.'], { bytesReceived: 9 });
    assert.equal(
      diagnose(base).summary,
      'connection unexpectedly closed (9 bytes received so far): the server db stopped answering keepalives',
    );
    assert.equal(
      diagnose({ ...base, keepalive: { intervalSeconds: 15, count: 3 } }).summary,
      'connection unexpectedly closed (9 bytes received so far): the server db stopped answering keepalives for at least 45 s (3 unanswered, 15 s apart)',
    );
  });

  it('believes no "never connected" message once the session was up: it was a warning ssh went past', () => {
    const lines = [
      'Load key "/k": bad permissions',
      'command-line: line 0: Bad configuration option: x',
      'alice@h: Permission denied (publickey).',
    ];
    const found = diagnose(sshAt255(lines, { bytesReceived: 6 }));
    assert.equal(found.reason, 'remote-command-failed');
    const lost = diagnose(
      sshAt255(['Load key "/k": invalid format', 'Connection to 10.0.0.1 closed by remote host.'], { bytesReceived: 1e6 }),
    );
    assert.equal(lost.reason, 'connection-lost');
  });

  it('takes neither a bash error nor an ssh warning about its config for a refused configuration', () => {
    const at255 = (line: string) => diagnose(sshAt255([line])).reason;
    assert.notEqual(at255('/srv/deploy.sh: line 3: nosuchcmd: command not found'), 'invalid-input');
    assert.notEqual(at255('/tmp/ssh_config line 1: Unsupported option "rsaauthentication"'), 'invalid-input');
    assert.equal(at255('/tmp/ssh_config line 1: Bad configuration option: nosuch'), 'invalid-input');
    assert.equal(at255('/tmp/ssh_config: terminating, 1 bad configuration options'), 'invalid-input');
  });

  it('matches only the start of a long line (no OpenSSH message is longer), and bounds the first line', () => {
    const at255 = (lines: string[]) => diagnose(sshAt255(lines));
    // What a hostile remote may write costs a bounded match, however long the line.
    assert.equal(at255([`${'a'.repeat(3000)}@h: Permission denied (publickey).`]).reason, 'unknown');
    assert.equal(at255(['@'.repeat(65536)]).reason, 'unknown');
    const long = at255([`Load key "${'A'.repeat(1500)}": invalid format`, 'alice@h: Permission denied (publickey).']);
    assert.equal(long.reason, 'auth-failed');
    const cut = at255([`Unable to negotiate with ${'h'.repeat(1900)} port 22: no matching cipher found. Their offer: aes128-ctr`]);
    assert.equal(cut.reason, 'negotiation-failed');
    assert.ok(cut.summary.length <= 600 && cut.summary.endsWith('...'));
  });

  it('reads a bounded part of a huge capture: the first lines and the last', () => {
    const lines = Array.from({ length: 500_000 }, (_, i) => `line ${i}`);
    lines[10] = 'rsync: first cause';
    lines[250_000] = 'rsync: lost in the middle';
    const found = diagnose({ program: 'ssh', exit: { code: 23, signal: null }, lines, bytesReceived: 0, stdoutHandedOver: false });
    assert.equal(found.summary, 'the remote command failed with exit code 23: rsync: first cause');
    assert.ok(!found.tellingLines.includes('rsync: lost in the middle'));
  });

  it('never takes an overwritten segment for the last line', () => {
    const found = diagnose({
      program: 'ssh',
      exit: { code: 3, signal: null },
      lines: ['Copying file 3 of 3', 'disk quota exceeded'],
      overwritten: ['Copying file 1 of 3', 'Copying file 2 of 3'],
      bytesReceived: 0,
      stdoutHandedOver: false,
    });
    assert.equal(found.summary, 'the remote command failed with exit code 3: disk quota exceeded');
  });

  it("gives each remote example a rank, and none of them is taken for one of ssh's own", () => {
    for (const message of REMOTE_MESSAGES) {
      assert.ok(message.pattern.test(message.example), message.example);
      assert.equal(
        SSH_MESSAGES.find((m) => m.pattern.test(message.example)),
        undefined,
        message.example,
      );
    }
  });
});

describe('diagnosis of recorded OpenSSH stderr, plain and with -v', () => {
  interface Case {
    file: string;
    reason: string;
    summary: RegExp;
    telling: RegExp;
    extra?: Partial<DiagnosisInput>;
    /** Through jump hosts: the hop the error names. */
    hop?: number;
  }
  // Recorded through real jump hosts (ssh -J, the ssh of each hop writing to the same stderr).
  const oneJump = { jumps: ['bastion'], target: 'db' };
  const twoJumps = { jumps: ['bastion', 'inner'], target: 'db' };
  const cases: Case[] = [
    {
      file: 'connect-refused',
      reason: 'connect-refused',
      summary: /^ssh could not connect to 127\.0\.0\.1 port \d+: connection refused$/,
      telling: /^ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/,
    },
    {
      file: 'host-not-found',
      reason: 'host-not-found',
      summary: /^ssh could not resolve the host name nosuchhost\.invalid: Name or service not known$/,
      telling: /^ssh: Could not resolve hostname/,
    },
    {
      file: 'connect-timeout',
      reason: 'connect-timeout',
      summary: /^ssh could not connect to 127\.0\.0\.1 port \d+: the server did not answer in time$/,
      telling: /^Connection timed out during banner exchange$/,
    },
    {
      file: 'auth-failed',
      reason: 'auth-failed',
      summary: /^ssh could not authenticate to root@127\.0\.0\.1: Permission denied \(publickey\)$/,
      telling: /^root@127\.0\.0\.1: Permission denied \(publickey\)\.$/,
    },
    {
      file: 'host-key-unknown',
      reason: 'host-key-unknown',
      summary: /^ssh does not know the host key of \[127\.0\.0\.1\]:\d+, and strict host key checking is on$/,
      telling: /^Host key verification failed\.$/,
    },
    {
      file: 'host-key-changed',
      reason: 'host-key-changed',
      summary: /^the host key of \[127\.0\.0\.1\]:\d+ has changed, and ssh refused to connect/,
      telling: /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    },
    {
      file: 'negotiation-failed-kex',
      reason: 'negotiation-failed',
      summary: /^ssh could not negotiate with 127\.0\.0\.1 port \d+: no matching key exchange method found$/,
      telling: /^Unable to negotiate/,
    },
    {
      file: 'negotiation-failed-hostkey',
      reason: 'negotiation-failed',
      summary: /: no matching host key type found$/,
      telling: /^Unable to negotiate/,
    },
    {
      file: 'negotiation-failed-cipher',
      reason: 'negotiation-failed',
      summary: /: no matching cipher found$/,
      telling: /^Unable to negotiate/,
    },
    {
      file: 'closed-by-http-server',
      reason: 'closed-by-remote',
      summary:
        /^the server closed the connection before the session began \(kex_exchange_identification: Connection closed by remote host\)$/,
      telling: /^Connection closed by 127\.0\.0\.1 port \d+$/,
    },
    {
      file: 'reset-before-banner',
      reason: 'closed-by-remote',
      summary: /Connection reset by peer/,
      telling: /^Connection reset by 127\.0\.0\.1 port \d+$/,
    },
    {
      file: 'remote-127',
      reason: 'remote-command-not-found',
      summary: /^the remote command was not found \(exit 127\): bash: line 1: rsyncx: command not found$/,
      telling: /^bash: line 1: rsyncx: command not found$/,
    },
    {
      file: 'remote-126',
      reason: 'remote-command-not-executable',
      summary: /^the remote command could not be executed \(exit 126\): bash: line 1: \/etc\/passwd: Permission denied$/,
      telling: /Permission denied$/,
    },
    {
      file: 'remote-23',
      reason: 'remote-command-failed',
      summary: /^the remote command failed with exit code 23: rsync: change_dir "\/srv\/data" failed: Permission denied \(13\)$/,
      telling: /^rsync: change_dir/,
    },
    {
      file: 'bad-option',
      reason: 'invalid-input',
      summary: /^ssh refused its configuration \(command-line line 0\): Bad configuration option: nosuchoption$/,
      telling: /^command-line: line 0: Bad configuration option/,
    },
    { file: 'illegal-option', reason: 'invalid-input', summary: /^ssh does not take the option -Z$/, telling: /^unknown option -- Z$/ },
    { file: 'bad-port', reason: 'invalid-input', summary: /^ssh refused the port "abc"$/, telling: /^Bad port 'abc'$/ },
    {
      file: 'server-not-responding',
      reason: 'connection-lost',
      summary: /^connection unexpectedly closed \(3 bytes received so far\): the server 127\.0\.0\.1 stopped answering keepalives$/,
      telling: /^Timeout, server 127\.0\.0\.1 not responding\.$/,
      extra: { bytesReceived: 3 },
    },
    {
      file: 'jump-refused',
      reason: 'connect-refused',
      summary: /^the jump host bastion could not be reached: connection refused$/,
      telling: /^ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/,
      extra: oneJump,
      hop: 0,
    },
    {
      file: 'jump-auth-failed',
      reason: 'auth-failed',
      summary: /^ssh could not authenticate to the jump host bastion: Permission denied \(publickey\)$/,
      telling: /^nosuchuser@127\.0\.0\.1: Permission denied \(publickey\)\.$/,
      extra: oneJump,
      hop: 0,
    },
    {
      file: 'jump-forward-refused',
      reason: 'connect-refused',
      summary: /^the jump host bastion could not open a connection to the target db: connection refused$/,
      telling: /^channel 0: open failed: connect failed: Connection refused$/,
      extra: oneJump,
      hop: 1,
    },
    {
      file: 'jump-target-auth-failed',
      reason: 'auth-failed',
      summary: /^ssh could not authenticate to the target db through bastion: Permission denied \(publickey\)$/,
      telling: /^nosuchuser@127\.0\.0\.1: Permission denied \(publickey\)\.$/,
      extra: oneJump,
      hop: 1,
    },
    {
      file: 'jump-host-not-found',
      reason: 'host-not-found',
      summary: /^the jump host bastion could not be reached: its name does not resolve \(Name or service not known\)$/,
      telling: /^ssh: Could not resolve hostname nosuchhost\.invalid/,
      extra: oneJump,
      hop: 0,
    },
    {
      file: 'jump-host-key-changed',
      reason: 'host-key-changed',
      summary: /^the host key of \[127\.0\.0\.1\]:\d+ has changed, .* \(at the jump host bastion\)$/,
      telling: /^Host key for \[127\.0\.0\.1\]:\d+ has changed/,
      extra: oneJump,
      hop: 0,
    },
    {
      file: 'jump-remote-255',
      reason: 'remote-command-failed',
      summary:
        /^the remote command or ssh ended the session with status 255 after it was established: abort: repository \/srv\/x not found!$/,
      telling: /^abort: /,
      extra: oneJump,
    },
    {
      file: 'jump2-first-refused',
      reason: 'connect-refused',
      summary: /^the jump host bastion could not be reached: connection refused$/,
      telling: /Connection refused$/,
      extra: twoJumps,
      hop: 0,
    },
    {
      file: 'jump2-second-auth-failed',
      reason: 'auth-failed',
      summary: /^ssh could not authenticate to the jump host inner: Permission denied \(publickey\)$/,
      telling: /Permission denied/,
      extra: twoJumps,
      hop: 1,
    },
    {
      file: 'jump2-forward-to-second-refused',
      reason: 'connect-refused',
      summary: /^the jump host bastion could not open a connection to the jump host inner: connection refused$/,
      telling: /^channel 0: open failed/,
      extra: twoJumps,
      hop: 1,
    },
    {
      file: 'jump2-forward-to-target-refused',
      reason: 'connect-refused',
      summary: /^the jump host inner could not open a connection to the target db: connection refused$/,
      telling: /^channel 0: open failed/,
      extra: twoJumps,
      hop: 2,
    },
    {
      file: 'jump2-target-auth-failed',
      reason: 'auth-failed',
      summary: /^ssh could not authenticate to the target db through bastion, then inner: Permission denied \(publickey\)$/,
      telling: /Permission denied/,
      extra: twoJumps,
      hop: 2,
    },
  ];
  const files = new Set(readdirSync(RECORDED).map((f) => f.replace(/\.txt$/, '')));

  for (const c of cases) {
    for (const variant of ['', '-v']) {
      const file = `${c.file}${variant}`;
      if (!files.has(file)) continue;
      it(`${file}: ${c.reason}${c.hop === undefined ? '' : ` at hop ${c.hop}`}, its first line and telling line, never a debug line`, () => {
        // -v reaches the ssh of each jump host too; the argv says it was given.
        const found = diagnose(input(file, c.extra));
        assert.equal(found.reason, c.reason);
        assert.equal(found.hop, c.hop);
        assert.match(found.summary, c.summary);
        assert.ok(
          found.tellingLines.some((line) => c.telling.test(line)),
          `telling lines: ${JSON.stringify(found.tellingLines)}`,
        );
        for (const line of found.tellingLines) {
          assert.doesNotMatch(line, /^(debug\d|Transferred|Bytes per second|OpenSSH_|Authenticated to)/);
        }
      });
    }
  }

  it('has a case for every recording', () => {
    const covered = new Set(cases.flatMap((c) => [c.file, `${c.file}-v`]));
    const left = [...files].filter((f) => !covered.has(f) && !['remote-signal', 'remote-signal-v', 'ssh-sigterm-v'].includes(f));
    assert.deepEqual(left, []);
  });

  it('a remote command killed by a signal: killed with -v (exit-signal), which plain ssh does not report', () => {
    const verbose = diagnose(input('remote-signal-v'));
    assert.equal(verbose.reason, 'killed');
    assert.match(verbose.summary, /^the remote command was killed by a signal \(ssh exited with code 255\)$/);
    assert.ok(verbose.tellingLines.some((line) => /rtype exit-signal/.test(line)));
    // Plain ssh says nothing at all: 255 with an established session is the remote command's.
    assert.equal(diagnose(input('remote-signal', { bytesReceived: 8 })).reason, 'remote-command-failed');
    assert.equal(diagnose(input('remote-signal')).reason, 'unknown');
  });

  it('ssh ended by SIGTERM says "Killed by signal 15." with -v: killed', () => {
    const found = diagnose(input('ssh-sigterm-v'));
    assert.equal(found.reason, 'killed');
    assert.equal(found.summary, 'ssh was killed by signal 15');
  });

  it('a closed-by-remote message after protocol bytes came back is a lost connection', () => {
    const found = diagnose(input('reset-before-banner', { bytesReceived: 100 }));
    assert.equal(found.reason, 'connection-lost');
    assert.match(found.summary, /^connection unexpectedly closed \(100 bytes received so far\): /);
  });

  it('finds the reason wherever it is: first lines, among debug chatter, or overwritten by a CR', () => {
    const base = sshAt255([]);
    const debug = Array.from({ length: 200 }, (_, i) => `debug3: chatter ${i}`);
    assert.equal(diagnose({ ...base, lines: ['ssh: connect to host h port 22: Connection refused', ...debug] }).reason, 'connect-refused');
    assert.equal(
      diagnose({ ...base, lines: ['all good'], overwritten: ['alice@h: Permission denied (publickey).'] }).reason,
      'auth-failed',
    );
    // A colour around the message does not hide it; the telling line shows the escape visibly.
    const coloured = diagnose({ ...base, lines: ['\x1b[31malice@h: Permission denied (publickey).\x1b[0m'] });
    assert.equal(coloured.reason, 'auth-failed');
    assert.deepEqual(coloured.tellingLines, ['^[[31malice@h: Permission denied (publickey).^[[0m']);
    assert.equal(plainText(coloured.tellingLines[0]), coloured.tellingLines[0]);
  });

  it("picks the cause over the summary among a remote program's lines, and the last line when none is an error", () => {
    const base = { program: 'ssh', exit: { code: 23, signal: null }, bytesReceived: 0, stdoutHandedOver: false };
    const rsync = diagnose({
      ...base,
      lines: [
        'rsync error: some files/attrs were not transferred (code 23)',
        'rsync: [sender] send_files failed to open "/a": Permission denied (13)',
        'debug1: Exit status 23',
      ],
    });
    assert.match(rsync.summary, /: rsync: \[sender\] send_files failed/);
    assert.match(rsync.hint!, /partial transfer due to error/);
    const plain = diagnose({ ...base, lines: ['one', 'two', 'three', 'Transferred: sent 1, received 2 bytes, in 0.1 seconds'] });
    assert.equal(plain.summary, 'the remote command failed with exit code 23: three');
    assert.deepEqual(plain.tellingLines, ['three']);
  });

  it('takes a crash reported by the shell over a warning, and a failure over a note', () => {
    const base = { program: 'ssh', exit: { code: 139, signal: null }, bytesReceived: 0, stdoutHandedOver: false };
    const crash = diagnose({
      ...base,
      lines: ['backup: warning: /etc/shadow: Permission denied', 'bash: line 1: 4242 Segmentation fault      (core dumped) ./backup'],
    });
    assert.match(crash.summary, /Segmentation fault/);
    const dash = diagnose({ ...base, exit: { code: 127, signal: null }, lines: ['sh: 1: rsyncx: not found'] });
    assert.equal(dash.summary, 'the remote command was not found (exit 127): sh: 1: rsyncx: not found');
    const full = diagnose({
      ...base,
      exit: { code: 1, signal: null },
      lines: ['info: 0 files failed verification', 'backup: aborted: disk full'],
    });
    assert.match(full.summary, /: backup: aborted: disk full$/);
  });

  it('bounds the telling lines in number and length', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `rsync: error number ${i} ${'x'.repeat(2000)}`);
    const found = diagnose({ program: 'ssh', exit: { code: 23, signal: null }, lines, bytesReceived: 0, stdoutHandedOver: false });
    assert.equal(found.tellingLines.length, 5);
    for (const line of found.tellingLines) assert.ok(line.length <= 512);
  });
});
