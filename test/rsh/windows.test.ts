// On Windows, sessions turn ssh's ControlMaster off: Win32-OpenSSH's cannot take connections
// (getsockname failed: Not a socket), and a user's ssh config must not turn it on. Checked on
// Linux by naming the platform.

import assert from 'node:assert/strict';
import { programName } from '../../host/errors.js';
import { sshOptionArgs } from '../../host/rsh/ssh-options.js';

// Without the connect timeout and keepalive defaults, which are checked elsewhere.
const NONE = { connectTimeoutMs: 0, keepalive: false } as const;

describe('ssh options on Windows', () => {
  it('ControlMaster=no and ControlPath=none, after the options given', () => {
    assert.deepEqual(sshOptionArgs({ port: 2222, ...NONE }, ['ssh'], { platform: 'win32' }), [
      '-p',
      '2222',
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
    ]);
  });

  it('not elsewhere, not when sshOptions names them, not for another remote shell', () => {
    assert.deepEqual(sshOptionArgs(NONE, ['ssh'], { platform: 'linux' }), ['-o', 'BatchMode=yes']);
    assert.deepEqual(sshOptionArgs({ sshOptions: { ControlPath: 'C:/x' }, ...NONE }, ['ssh'], { platform: 'win32' }), [
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlPath=C:/x',
    ]);
    assert.deepEqual(sshOptionArgs({}, ['plink'], { platform: 'win32' }), []);
  });
});

describe('program names on Windows', () => {
  it('node.exe runs the script, which names the remote shell; backslashes separate', () => {
    assert.equal(programName(['C:\\Program Files\\nodejs\\node.exe', 'C:\\x\\examples\\stand-in-ssh.mjs', 'host']), 'stand-in-ssh.mjs');
    assert.equal(programName(['C:\\Windows\\System32\\OpenSSH\\ssh.exe', 'host']), 'ssh.exe');
    assert.equal(programName(['NODE.EXE', '-e', 'x']), 'NODE.EXE');
    assert.equal(programName(['/usr/bin/node', '/x/stand-in-ssh.mjs']), 'stand-in-ssh.mjs');
  });
});
