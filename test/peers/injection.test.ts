import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { collect } from '../helpers/streams.js';
import { useSshd } from './sshd.js';
import { scratchDir } from '../helpers/scratch.js';
import { scaled } from '../helpers/promises.js';

describe('remote command words against a real sshd and login shell', function () {
  this.timeout(scaled(30_000));
  const peer = useSshd();

  it('arrive literally, and an injection never creates its marker file', async () => {
    const marker = path.join(scratchDir('rsh-inject-'), 'pwned');
    const words = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `' ; touch ${marker}; '`,
      `" ; touch ${marker}; "`,
      `&& touch ${marker}`,
      'two  spaces',
      'new\nline',
      '',
      '$HOME',
      '\\',
      "it's",
      '*',
      '#',
      '-o',
    ];
    const shell = openRemoteShell({
      host: peer.sshd.host,
      user: peer.sshd.user,
      rsh: peer.sshd.rsh,
      stderr: 'capture',
      command: ['printf', '%s\\0', ...words],
    });
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.deepEqual(out.toString().split('\0').slice(0, -1), words);
    assert.equal(existsSync(marker), false);
  });
});
