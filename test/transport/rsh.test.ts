import assert from 'node:assert/strict';
import { buildRemoteShellArgv, parseRemoteSpec, parseRsh, quoteCommand, quoteForShell, RemoteShellError } from '../../host/index.js';

const invalid = (code: string, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RemoteShellError, `a RemoteShellError, got ${err}`);
  assert.equal(err.code, code);
  assert.match(err.message, message);
  return true;
};

describe('parseRsh: -e/--rsh split as upstream rsync splits it', () => {
  const table: Array<[string, string[]]> = [
    ['ssh', ['ssh']],
    ['  ssh   -p  2222 ', ['ssh', '-p', '2222']],
    ['ssh\t-v', ['ssh\t-v']],
    ['ssh -o "ProxyCommand=nc %h %p"', ['ssh', '-o', 'ProxyCommand=nc %h %p']],
    [`ssh -o 'a "b" c'`, ['ssh', '-o', 'a "b" c']],
    [`ssh -o "it's"`, ['ssh', '-o', "it's"]],
    [`'it''s'`, ["it's"]],
    [`"say ""hi"""`, ['say "hi"']],
    [`ssh '' x`, ['ssh', '', 'x']],
    [`''`, ['']],
    ['a\\ b', ['a\\', 'b']],
    ['ssh -i C:\\keys\\id', ['ssh', '-i', 'C:\\keys\\id']],
    [`ab"cd ef"gh`, ['abcd efgh']],
    [`rsh-transport --rsh="ssh -p 2222"`, ['rsh-transport', '--rsh=ssh -p 2222']],
    [`"a"'b'"c"`, ['abc']],
  ];
  for (const [input, words] of table) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(words)}`, () => assert.deepEqual(parseRsh(input), words));
  }

  it('refuses an unclosed quote, naming the quote and where it opened', () => {
    assert.throws(() => parseRsh(`ssh -o 'x`), invalid('ERR_INVALID_RSH', /^Missing trailing-' in remote-shell command \(the quote opened at position 8\): ssh -o 'x$/));
    assert.throws(() => parseRsh(`ssh "a\\"b"`), invalid('ERR_INVALID_RSH', /^Missing trailing-" in remote-shell command \(the quote opened at position 10\)/));
  });

  it('refuses a command that names no program', () => {
    assert.throws(() => parseRsh('   '), invalid('ERR_INVALID_RSH', /names no program/));
  });
});

describe('parseRemoteSpec', () => {
  const table: Array<[string, ReturnType<typeof parseRemoteSpec>]> = [
    ['backup:data/', { user: undefined, host: 'backup', path: 'data/', daemon: false }],
    ['alice@backup:data/', { user: 'alice', host: 'backup', path: 'data/', daemon: false }],
    ['alice@backup:', { user: 'alice', host: 'backup', path: '', daemon: false }],
    ['[::1]:/srv', { user: undefined, host: '::1', path: '/srv', daemon: false }],
    ['bob@[fe80::1%eth0]:x y', { user: 'bob', host: 'fe80::1%eth0', path: 'x y', daemon: false }],
    ['a@b@host:p', { user: 'a@b', host: 'host', path: 'p', daemon: false }],
    ['o.brien@host:/it@home', { user: 'o.brien', host: 'host', path: '/it@home', daemon: false }],
    ['host::module/path', { user: undefined, host: 'host', path: 'module/path', daemon: true }],
    ['rsync://u@h/mod/p', { user: 'u', host: 'h', path: 'mod/p', daemon: true }],
    ['rsync://[::1]:873/mod', { user: undefined, host: '::1', path: 'mod', daemon: true }],
    ['./a:b', null],
    ['/abs/path', null],
    ['plain', null],
  ];
  for (const [spec, expected] of table) {
    it(`${JSON.stringify(spec)} -> ${JSON.stringify(expected)}`, () => assert.deepEqual(parseRemoteSpec(spec), expected));
  }

  it('refuses hosts and users that would read as options or split into words', () => {
    assert.throws(() => parseRemoteSpec('-oProxyCommand=x:path'), invalid('ERR_INVALID_HOST', /hostnames may not start with '-'/));
    assert.throws(() => parseRemoteSpec('-l@host:path'), invalid('ERR_INVALID_HOST', /user names may not start with '-'/));
    assert.throws(() => parseRemoteSpec('ali ce@host:x'), invalid('ERR_INVALID_HOST', /blank or a control character/));
    assert.throws(() => parseRemoteSpec('@host:x'), invalid('ERR_INVALID_HOST', /the user is empty/));
    assert.throws(() => parseRemoteSpec(':x'), invalid('ERR_INVALID_HOST', /the host is empty/));
    assert.throws(() => parseRemoteSpec('[::1:x'), invalid('ERR_INVALID_HOST', /no closing bracket/));
  });
});

describe('argv building', () => {
  const env = {} as NodeJS.ProcessEnv;

  it('puts the rsh words, -l user, the host and the quoted command in rsync order', () => {
    assert.deepEqual(
      buildRemoteShellArgv({ host: 'backup', user: 'alice', rsh: 'ssh -p 2222', command: ['rsync', '--server', '-logDtpre.iLsfxC', '.', 'my data/'] }, env),
      ['ssh', '-p', '2222', '-l', 'alice', 'backup', "rsync --server -logDtpre.iLsfxC . 'my data/'"],
    );
  });

  it('takes $RSYNC_RSH when no rsh is given and it is not empty, else ssh', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: 'h' }, { RSYNC_RSH: 'ssh -x' }), ['ssh', '-x', 'h']);
    assert.deepEqual(buildRemoteShellArgv({ host: 'h' }, { RSYNC_RSH: '' }), ['ssh', 'h']);
    assert.deepEqual(buildRemoteShellArgv({ host: 'h' }, env), ['ssh', 'h']);
  });

  it('takes rsh as words without splitting them again', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: 'h', rsh: ['my ssh', '-o', 'A B'] }, env), ['my ssh', '-o', 'A B', 'h']);
  });

  it('gives an IPv6 literal to the remote shell bare', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: '[::1]', remoteCommand: 'true' }, env), ['ssh', '::1', 'true']);
  });

  it('sends remoteCommand as it is', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: 'h', remoteCommand: 'ls *; echo $HOME' }, env), ['ssh', 'h', 'ls *; echo $HOME']);
  });

  it('refuses a host or user before anything is spawned', () => {
    for (const host of ['', '-oProxyCommand=touch /tmp/x', 'a b', 'a\tb', 'a\nb', 'h\x7f']) {
      assert.throws(() => buildRemoteShellArgv({ host }, env), invalid('ERR_INVALID_HOST', /invalid remote host|Invalid remote host/i), JSON.stringify(host));
    }
    for (const user of ['', '-oProxyCommand=x', 'a b', 'a\nb']) {
      assert.throws(() => buildRemoteShellArgv({ host: 'h', user }, env), invalid('ERR_INVALID_HOST', /invalid remote user/), JSON.stringify(user));
    }
  });

  it('refuses both command and remoteCommand, an empty command, and a word no argv can hold', () => {
    const refused: Array<[object, RegExp]> = [
      [{ command: ['a'], remoteCommand: 'a' }, /not both/],
      [{ command: [] }, /non-empty array/],
      [{ command: 'rsync --server' }, /non-empty array/],
      [{ command: ['rsync', 42] }, /word 1 of command is number/],
      [{ command: ['rsync', 'a\0b'] }, /word 1 of command holds a NUL byte/],
      [{ remoteCommand: '' }, /non-empty string/],
      [{ remoteCommand: 'echo \0' }, /NUL byte/],
      [{ remoteCommand: '-oProxyCommand=touch /tmp/x' }, /may not begin with '-'/],
      [{ remoteCommand: '-V' }, /may not begin with '-'/],
    ];
    for (const [target, message] of refused) {
      assert.throws(() => buildRemoteShellArgv({ host: 'h', ...target }, env), invalid('ERR_INVALID_COMMAND', message), JSON.stringify(target));
    }
  });

  it('never lets the command begin with -, which ssh would read as its own option', () => {
    const argv = (command: string[]) => buildRemoteShellArgv({ host: 'h', command }, env);
    assert.deepEqual(argv(['-oProxyCommand=touch /tmp/x']), ['ssh', 'h', "'-oProxyCommand=touch /tmp/x'"]);
    assert.deepEqual(argv(['-V']), ['ssh', 'h', "'-V'"]);
    assert.deepEqual(argv(['--', 'x']), ['ssh', 'h', "'--' x"]);
    assert.deepEqual(argv(['rsync', '-V', '--server']), ['ssh', 'h', 'rsync -V --server']);
    for (const words of [['-x'], ['-'], ['--help', 'a'], ['-oA=b', '-oC=d']]) assert.ok(!argv(words)[2].startsWith('-'), words.join(' '));
  });

  it('quotes a first word that the remote shell would read as a keyword or an assignment', () => {
    assert.equal(quoteCommand(['if', 'true']), "'if' true");
    assert.equal(quoteCommand(['time', 'ls']), "'time' ls");
    assert.equal(quoteCommand(['A=1', 'env']), "'A=1' env");
    assert.equal(quoteCommand(['%1']), "'%1'", 'a job spec to bash');
    assert.equal(quoteCommand(['@x', ':x', '+x']), "'@x' :x +x", 'a command name starts with a letter, digit, _, . or /');
    assert.equal(quoteCommand(['env', 'A=1', 'if']), 'env A=1 if');
    assert.equal(quoteCommand(['rsync', '--server', '.']), 'rsync --server .');
  });
});

describe('quoteForShell', () => {
  const table: Array<[string, string]> = [
    ['plain-word_1.txt', 'plain-word_1.txt'],
    ['--server', '--server'],
    ['', "''"],
    ['my data/', "'my data/'"],
    ["it's", `'it'\\''s'`],
    ['$(reboot)', "'$(reboot)'"],
    ['a\nb', "'a\nb'"],
    ['=ls', "'=ls'"],
    ['a=b', 'a=b'],
    ['^x', "'^x'"],
  ];
  for (const [word, quoted] of table) {
    it(`${JSON.stringify(word)} -> ${JSON.stringify(quoted)}`, () => assert.equal(quoteForShell(word), quoted));
  }
  it('refuses a NUL byte, which no shell can receive', () => {
    assert.throws(() => quoteForShell('a\0b'), /NUL/);
  });
});
