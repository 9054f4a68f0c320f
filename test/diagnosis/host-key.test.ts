// The refused host key as ssh's own lines report it, on OpenSSH 9.2's recorded output.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hostKeyReport } from '../../host/diagnosis/host-key.js';
import { ROOT } from '../helpers/root.js';

const recorded = (name: string): string[] =>
  readFileSync(path.join(ROOT, 'test/diagnosis/recorded', `${name}.txt`), 'utf8')
    .split('\n')
    .slice(1);

describe("the refused host key, from ssh's lines", () => {
  it('a changed key: its type, the offered fingerprint, the file and line of the conflicting entry', () => {
    assert.deepEqual(hostKeyReport(recorded('host-key-changed')), {
      type: 'ED25519',
      fingerprint: 'SHA256:6Rt4QOFGzNPKg8AnL7MoFgFBOunDYNXC9fLaPbOMeto',
      knownHostsFile: '/tmp/rsh-sshd-N9gdNs/wrong_known_hosts',
      line: 1,
    });
  });

  it('an unknown key under strict checking: the type alone; with -v, the fingerprint too', () => {
    assert.deepEqual(hostKeyReport(recorded('host-key-unknown')), { type: 'ED25519', fingerprint: null, knownHostsFile: null, line: null });
    const verbose = hostKeyReport(recorded('host-key-unknown-v'))!;
    assert.equal(verbose.type, 'ED25519');
    assert.match(verbose.fingerprint!, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("with -v through a jump host, the target's fingerprint: the last logged, or the one ssh's warning gives", () => {
    const jump = 'debug1: Server host key: ssh-ed25519 SHA256:JUMPJUMPJUMPJUMPJUMPJUMPJUMPJUMPJUMPJUMPJUM';
    const target = 'debug1: Server host key: ssh-ed25519 SHA256:TARGETTARGETTARGETTARGETTARGETTARGETTARGETT';
    const unknown = 'No ED25519 host key is known for db and you have requested strict checking.';
    assert.equal(hostKeyReport([jump, target, unknown])!.fingerprint, 'SHA256:TARGETTARGETTARGETTARGETTARGETTARGETTARGETT');
    const changed = [
      'The fingerprint for the ED25519 key sent by the remote host is',
      'SHA256:OFFEREDOFFEREDOFFEREDOFFEREDOFFEREDOFFEREDO.',
    ];
    assert.equal(hostKeyReport([jump, ...changed, target])!.fingerprint, 'SHA256:OFFEREDOFFEREDOFFEREDOFFEREDOFFEREDOFFEREDO');
  });

  it('nothing about a host key: undefined; a hostile file name is made terminal-safe', () => {
    assert.equal(hostKeyReport(['Permission denied (publickey).']), undefined);
    const hostile = hostKeyReport(['Offending ED25519 key in /tmp/x\x1b]0;pwned\x07y:7'])!;
    assert.equal(hostile.line, 7);
    assert.doesNotMatch(hostile.knownHostsFile!, /\x1b|\x07/);
    // ssh's own escapes (strnvis) undone, then made safe: ESC comes as \033.
    assert.equal(hostKeyReport(['Offending ED25519 key in /tmp/x\\033]0;t\\007y:7'])!.knownHostsFile, '/tmp/x^[]0;t^Gy');
  });

  it('a path as ssh escapes it comes back as the path: a backslash, UTF-8 bytes in octal', () => {
    const report = hostKeyReport(['Offending ED25519 key in /home/jos\\303\\251/a\\\\b/known hosts:3'])!;
    assert.equal(report.knownHostsFile, '/home/josé/a\\b/known hosts');
    assert.equal(report.line, 3);
  });

  it('an MD5 fingerprint (FingerprintHash md5) as ssh printed it', () => {
    const md5 = 'MD5:2c:12:9a:0b:7e:55:13:d4:aa:01:02:03:04:05:06:07';
    const report = hostKeyReport(['The fingerprint for the ED25519 key sent by the remote host is', `${md5}.`])!;
    assert.equal(report.fingerprint, md5);
  });
});
