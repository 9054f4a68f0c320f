import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell, RemoteShellError } from '../../host/index.js';
import { posixOnly } from '../helpers/posix.js';
import { openOnStandIn, standIn } from '../helpers/stand-in.js';
import { collect } from '../helpers/streams.js';
import { scratchDir } from '../helpers/scratch.js';
import { scaled } from '../helpers/promises.js';

// Each word goes through the stand-in remote shell to a real `sh -c`, as ssh hands the joined
// command to the remote user's shell; it must come back as it went. Where there is no shell,
// the stand-in's `node:` marker splits the command as the shell would, and must agree.
describe('remote command words against a real local shell', function () {
  this.timeout(scaled(30_000));
  const dir = scratchDir('rsh-injection-');
  const marker = path.join(dir, 'pwned');

  const hostile = [
    ';',
    `a; touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `&& touch ${marker}`,
    `| touch ${marker}`,
    `> ${marker}`,
    "it's",
    "'",
    '"double"',
    '"',
    'with space',
    '  leading and trailing  ',
    'new\nline',
    'tab\there',
    'carriage\rreturn',
    '',
    '*',
    '~',
    '~root',
    '\\',
    '\\n',
    '$HOME',
    '${HOME}',
    '$((1+1))',
    '#comment',
    '!bang',
    '-n',
    '--',
    '-e',
    '%s',
    'ünïcödé ✓',
    '{a,b}',
    '[ab]',
    '?',
    `a'b"c\`d$e\\f`,
  ];

  it('delivers every word literally and runs none of it (POSIX)', async function () {
    posixOnly(this, 'the shell that reads the words is a real sh');
    const shell = openOnStandIn(['sh', '-c', 'printf "%s\\0" "$@"', 'sh', ...hostile]);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.deepEqual(out.toString().split('\0').slice(0, -1), hostile);
    assert.equal(existsSync(marker), false);
  });

  it("delivers every word literally through the stand-in's node: marker, with no shell", async () => {
    const shell = openOnStandIn([
      'node:',
      '-e',
      'for (const word of process.argv.slice(1)) process.stdout.write(`${word}\\0`)',
      ...hostile,
    ]);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.deepEqual(out.toString().split('\0').slice(0, -1), hostile);
    assert.equal(existsSync(marker), false);
  });

  it('refuses a host or user that ssh would read as an option, before spawning', () => {
    for (const target of [
      { host: `-oProxyCommand=touch ${marker}` },
      { host: 'h', user: `-oProxyCommand=touch ${marker}` },
      { host: 'h -oProxyCommand=x' },
      { host: 'h\n-oProxyCommand=x' },
    ]) {
      assert.throws(
        () => openRemoteShell({ ...target, rsh: standIn(), command: ['true'] }),
        (err: RemoteShellError) => err.code === 'ERR_INVALID_HOST',
      );
    }
    assert.equal(existsSync(marker), false);
  });
});
