import assert from 'node:assert/strict';
import { buildRemoteShellArgv, parseRemoteSpec, parseRsh, quoteCommand, quoteForShell, RemoteShellError } from '../../host/index.js';
import { destinationOf, jumpsOf, keepaliveOf, quietOrProxied, sshOptionWords } from '../../host/rsh/ssh-options.js';

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
    assert.throws(
      () => parseRsh(`ssh -o 'x`),
      invalid('ERR_INVALID_RSH', /^Missing trailing-' in remote-shell command \(the quote opened at position 8\): ssh -o 'x$/),
    );
    assert.throws(
      () => parseRsh(`ssh "a\\"b"`),
      invalid('ERR_INVALID_RSH', /^Missing trailing-" in remote-shell command \(the quote opened at position 10\)/),
    );
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
  // What the library gives ssh unless told otherwise: a connect timeout, keepalives, and no
  // prompt that could wait on a terminal.
  const B = ['-o', 'ConnectTimeout=30', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3', '-o', 'BatchMode=yes'];

  it('puts the rsh words, -l user, the host and the quoted command in rsync order', () => {
    assert.deepEqual(
      buildRemoteShellArgv({
        host: 'backup',
        user: 'alice',
        rsh: 'ssh -p 2222',
        command: ['rsync', '--server', '-logDtpre.iLsfxC', '.', 'my data/'],
      }),
      ['ssh', '-p', '2222', ...B, '-l', 'alice', 'backup', "rsync --server -logDtpre.iLsfxC . 'my data/'"],
    );
  });

  it("takes ssh when no rsh is given, whatever RSYNC_RSH says (that is rsync's setting)", () => {
    const saved = process.env.RSYNC_RSH;
    process.env.RSYNC_RSH = 'rsh -x';
    try {
      assert.deepEqual(buildRemoteShellArgv({ host: 'h' }), ['ssh', ...B, 'h']);
    } finally {
      if (saved === undefined) delete process.env.RSYNC_RSH;
      else process.env.RSYNC_RSH = saved;
    }
  });

  it('takes rsh as words without splitting them again', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: 'h', rsh: ['my ssh', '-o', 'A B'] }), ['my ssh', '-o', 'A B', 'h']);
  });

  it('gives an IPv6 literal to the remote shell bare', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: '[::1]', remoteCommand: 'true' }), ['ssh', ...B, '::1', 'true']);
  });

  it('sends remoteCommand as it is', () => {
    assert.deepEqual(buildRemoteShellArgv({ host: 'h', remoteCommand: 'ls *; echo $HOME' }), ['ssh', ...B, 'h', 'ls *; echo $HOME']);
  });

  it('refuses a host or user before anything is spawned', () => {
    for (const host of ['', '-oProxyCommand=touch /tmp/x', 'a b', 'a\tb', 'a\nb', 'h\x7f']) {
      assert.throws(
        () => buildRemoteShellArgv({ host }),
        invalid('ERR_INVALID_HOST', /invalid remote host|Invalid remote host/i),
        JSON.stringify(host),
      );
    }
    for (const user of ['', '-oProxyCommand=x', 'a b', 'a\nb']) {
      assert.throws(
        () => buildRemoteShellArgv({ host: 'h', user }),
        invalid('ERR_INVALID_HOST', /invalid remote user/),
        JSON.stringify(user),
      );
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
      assert.throws(() => buildRemoteShellArgv({ host: 'h', ...target }), invalid('ERR_INVALID_COMMAND', message), JSON.stringify(target));
    }
  });

  it('never lets the command begin with -, which ssh would read as its own option', () => {
    const argv = (command: string[]) => buildRemoteShellArgv({ host: 'h', command });
    assert.deepEqual(argv(['-oProxyCommand=touch /tmp/x']), ['ssh', ...B, 'h', "'-oProxyCommand=touch /tmp/x'"]);
    assert.deepEqual(argv(['-V']), ['ssh', ...B, 'h', "'-V'"]);
    assert.deepEqual(argv(['--', 'x']), ['ssh', ...B, 'h', "'--' x"]);
    assert.deepEqual(argv(['rsync', '-V', '--server']), ['ssh', ...B, 'h', 'rsync -V --server']);
    for (const words of [['-x'], ['-'], ['--help', 'a'], ['-oA=b', '-oC=d']])
      assert.ok(!argv(words).at(-1)!.startsWith('-'), words.join(' '));
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

describe('ssh options', () => {
  const argv = (options: Parameters<typeof buildRemoteShellArgv>[0]) => buildRemoteShellArgv(options);

  it("turns each into ssh's arguments before -l and the host, BatchMode on by default", () => {
    assert.deepEqual(
      argv({
        host: 'h',
        user: 'u',
        port: 2222,
        identityFile: '/k/id',
        connectTimeoutMs: 1500,
        sshOptions: { StrictHostKeyChecking: 'yes', Compression: true, ServerAliveInterval: 5 },
        command: ['true'],
      }),
      [
        'ssh',
        '-p',
        '2222',
        '-i',
        '/k/id',
        '-o',
        'ConnectTimeout=2',
        '-o',
        'ServerAliveCountMax=3',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'Compression=yes',
        '-o',
        'ServerAliveInterval=5',
        '-l',
        'u',
        'h',
        'true',
      ],
    );
    const none = { connectTimeoutMs: 0, keepalive: false } as const;
    assert.deepEqual(argv({ host: 'h', batchMode: false, ...none }), ['ssh', '-o', 'BatchMode=no', 'h']);
    assert.deepEqual(
      argv({ host: 'h', sshOptions: { batchmode: 'no' }, ...none }),
      ['ssh', '-o', 'batchmode=no', 'h'],
      'BatchMode in sshOptions stands for batchMode',
    );
    assert.deepEqual(
      argv({ host: 'h', rsh: '/usr/bin/ssh -v', port: 22, ...none }),
      ['/usr/bin/ssh', '-v', '-p', '22', '-o', 'BatchMode=yes', 'h'],
      'the rsh words come first, and win',
    );
  });

  describe('a connect timeout and keepalives unless told otherwise', () => {
    const D = ['-o', 'ConnectTimeout=30', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'];
    const optionsOf = (words: string[]) => words.slice(1, -1);

    it('are in the argv by default, for OpenSSH only', () => {
      assert.deepEqual(optionsOf(argv({ host: 'h' })), [...D, '-o', 'BatchMode=yes']);
      assert.deepEqual(argv({ host: 'h', rsh: 'rsh' }), ['rsh', 'h'], 'another remote shell gets none');
      assert.deepEqual(argv({ host: 'h', rsh: '/usr/local/bin/ssh' }).slice(1, 7), D);
    });

    it('take the values given, in whole seconds rounded up; 0 and false for none', () => {
      assert.deepEqual(optionsOf(argv({ host: 'h', connectTimeoutMs: 2500, keepalive: { intervalMs: 1001, count: 5 } })), [
        '-o',
        'ConnectTimeout=3',
        '-o',
        'ServerAliveInterval=2',
        '-o',
        'ServerAliveCountMax=5',
        '-o',
        'BatchMode=yes',
      ]);
      const counted = argv({ host: 'h', keepalive: { count: 1 } });
      assert.ok(
        counted.includes('ServerAliveInterval=15') && counted.includes('ServerAliveCountMax=1') && counted.includes('ConnectTimeout=30'),
      );
      assert.deepEqual(optionsOf(argv({ host: 'h', connectTimeoutMs: 0, keepalive: false })), ['-o', 'BatchMode=yes']);
    });

    it('are left out where the user set the keyword, in any of its forms and any case', () => {
      const forms: Array<[string, Parameters<typeof buildRemoteShellArgv>[0]]> = [
        ['-o K=V', { host: 'h', rsh: ['ssh', '-o', 'serveraliveinterval=5', '-o', 'CONNECTTIMEOUT=7', '-o', 'ServerAliveCountMax=9'] }],
        ['-oK=V', { host: 'h', rsh: ['ssh', '-oServerAliveInterval=5', '-oConnectTimeout=7', '-oServerAliveCountMax=9'] }],
        ['-o "K V"', { host: 'h', rsh: 'ssh -o "ServerAliveInterval 5" -o "ConnectTimeout 7" -o "ServerAliveCountMax 9"' }],
        ['-o"K V"', { host: 'h', rsh: ['ssh', '-oServerAliveInterval 5', '-oConnectTimeout  7', '-oserveralivecountmax 9'] }],
        ['sshOptions', { host: 'h', sshOptions: { serverAliveInterval: 5, ConnectTimeout: 7, ServerAliveCountMax: 9 } }],
      ];
      for (const [form, options] of forms) {
        const words = argv(options);
        assert.ok(
          !words.includes('ConnectTimeout=30') && !words.includes('ServerAliveInterval=15') && !words.includes('ServerAliveCountMax=3'),
          form,
        );
        assert.ok(words.includes('BatchMode=yes'), form);
      }
      // After grouped flags too (-qo, -4o).
      const grouped = argv({ host: 'h', rsh: ['ssh', '-qoServerAliveInterval=5', '-4o', 'ConnectTimeout=7'] });
      assert.ok(!grouped.includes('ServerAliveInterval=15') && !grouped.includes('ConnectTimeout=30'), grouped.join(' '));
      assert.deepEqual(keepaliveOf(grouped), { intervalSeconds: 5, count: 3 });
      // -1 and -2 group too; a quoted keyword is ssh's keyword all the same.
      const older = argv({ host: 'h', rsh: ['ssh', '-2oServerAliveInterval=5', '-o', '"ConnectTimeout" 7'] });
      assert.ok(!older.includes('ServerAliveInterval=15') && !older.includes('ConnectTimeout=30'), older.join(' '));
      assert.deepEqual(keepaliveOf(older), { intervalSeconds: 5, count: 3 });
      // The value of another flag is no setting: -E takes "-oConnectTimeout=5" as its log file.
      const logFile = argv({ host: 'h', rsh: ['ssh', '-E', '-oConnectTimeout=5'] });
      assert.ok(logFile.includes('ConnectTimeout=30'), logFile.join(' '));
      // Nor is a word of the remote command's: its -q makes ssh no quieter.
      assert.equal(quietOrProxied(['ssh', 'h', 'rsync', '-q', '-oServerAliveInterval=1']), false);
      assert.deepEqual(keepaliveOf(['ssh', 'h', 'x', '-oServerAliveInterval=1']), undefined);
      // ssh reads options after the destination too, up to the first word that is none.
      assert.equal(quietOrProxied(['ssh', 'h', '-q', 'cmd']), true);
      assert.deepEqual(keepaliveOf(['ssh', 'h', '-o', 'ServerAliveInterval=5', 'cmd']), { intervalSeconds: 5, count: 3 });
      assert.equal(quietOrProxied(['ssh', '--', 'h', '-q']), false, 'after --, none');
      // A flag that takes a value, last in rsh, would take the library's next word: refused.
      for (const rsh of ['ssh -o', 'ssh -v -p', 'ssh -qo'])
        assert.throws(() => argv({ host: 'h', rsh }), /^TypeError: rsh ends with ssh's -[op], which takes a value/, rsh);
      assert.doesNotThrow(() => argv({ host: 'h', rsh: 'ssh -p 22 -v' }));
      // Each keyword on its own.
      assert.deepEqual(optionsOf(argv({ host: 'h', rsh: ['ssh', '-o', 'ServerAliveInterval=5'] })).slice(2), [
        '-o',
        'ConnectTimeout=30',
        '-o',
        'ServerAliveCountMax=3',
        '-o',
        'BatchMode=yes',
      ]);
      // A word after a lone -o is that option's value, not an option of its own.
      assert.ok(argv({ host: 'h', rsh: ['ssh', '-o', '-oConnectTimeout=1'] }).includes('ConnectTimeout=30'));
    });

    it('keepalive: false lets sshOptions set the keywords', () => {
      assert.deepEqual(optionsOf(argv({ host: 'h', keepalive: false, sshOptions: { ServerAliveInterval: 4 } })), [
        '-o',
        'ConnectTimeout=30',
        '-o',
        'BatchMode=yes',
        '-o',
        'ServerAliveInterval=4',
      ]);
    });

    it('tell the diagnosis how ssh asked, from the argv', () => {
      assert.deepEqual(keepaliveOf(argv({ host: 'h' })), { intervalSeconds: 15, count: 3 });
      assert.deepEqual(keepaliveOf(argv({ host: 'h', keepalive: { intervalMs: 1000, count: 2 } })), { intervalSeconds: 1, count: 2 });
      assert.deepEqual(keepaliveOf(['ssh', '-o', 'ServerAliveInterval=4', 'h']), { intervalSeconds: 4, count: 3 }, "ssh's own count is 3");
      assert.deepEqual(
        keepaliveOf(['ssh', '-oServerAliveInterval=2', '-o', 'ServerAliveInterval=9', 'h']),
        { intervalSeconds: 2, count: 3 },
        'the first wins',
      );
      assert.equal(keepaliveOf(argv({ host: 'h', keepalive: false })), undefined);
      assert.equal(keepaliveOf(['ssh', '-o', 'ServerAliveInterval=0', 'h']), undefined, '0: none');
    });
  });

  it('hostKeys: the policy and the known-hosts files as ssh options; ask needs askpass', () => {
    const none = { connectTimeoutMs: 0, keepalive: false } as const;
    const words = (hostKeys: unknown) => argv({ host: 'h', ...none, hostKeys } as never).slice(1, -1);
    assert.deepEqual(words({ policy: 'strict' }), ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes']);
    assert.deepEqual(words({ policy: 'accept-new', knownHostsFile: '/k/known' }), [
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'UserKnownHostsFile=/k/known',
      '-o',
      'BatchMode=yes',
    ]);
    assert.deepEqual(words({ policy: 'strict', knownHostsFile: ['/k/a', '/my keys/b'] }).slice(2, 4), [
      '-o',
      'UserKnownHostsFile=/k/a "/my keys/b"',
    ]);
    assert.throws(() => words({ policy: 'ask' }), /^TypeError: hostKeys\.policy 'ask' needs askpass/);
    assert.throws(() => words({ policy: 'no' }), /^TypeError: hostKeys\.policy must be 'strict', 'accept-new' or 'ask', got "no"$/);
    assert.throws(() => words({ policy: 'strict', knownHostsFile: [] }), /non-empty array of paths/);
    // ssh reads quotes and backslashes as its own, and ${NAME} as a variable: each path reaches it
    // as written (test/peers/ssh-options.test.ts connects with such a file), or is refused.
    // A lone backslash before a letter goes as it is (every OpenSSH reads it alike); one before
    // a backslash, a quote or a blank is escaped.
    assert.deepEqual(words({ policy: 'strict', knownHostsFile: ["/o'brien/kh", '/a"b', '/c\\d', '/e\\\\f', '/p%c'] }).slice(2, 4), [
      '-o',
      'UserKnownHostsFile="/o\\\'brien/kh" "/a\\"b" /c\\d "/e\\\\\\\\f" /p%%c',
    ]);
    assert.throws(
      () => words({ policy: 'strict', knownHostsFile: '/k${HOME}' }),
      /may not hold "\$\{" \(ssh reads it as an environment variable\)/,
    );
    for (const rsh of ['ssh -o StrictHostKeyChecking=no', 'ssh -o "stricthostkeychecking no"'])
      assert.throws(
        () => argv({ host: 'h', rsh, hostKeys: { policy: 'strict' } }),
        /^TypeError: hostKeys and a StrictHostKeyChecking in rsh both say how host keys are checked/,
      );
    assert.throws(
      () => argv({ host: 'h', rsh: 'ssh -oUserKnownHostsFile=/dev/null', hostKeys: { policy: 'strict', knownHostsFile: '/k' } }),
      /^TypeError: hostKeys and a UserKnownHostsFile in rsh/,
    );
    // A known-hosts file in rsh and a policy here say different things: both stand.
    assert.doesNotThrow(() => argv({ host: 'h', rsh: 'ssh -oUserKnownHostsFile=/k', hostKeys: { policy: 'strict' } }));
    assert.throws(() => words({ policy: 'strict', file: '/k' }), /"file"/);
    assert.throws(
      () => argv({ host: 'h', hostKeys: { policy: 'strict' }, sshOptions: { StrictHostKeyChecking: 'no' } }),
      /^TypeError: sshOptions\.StrictHostKeyChecking repeats the option hostKeys/,
    );
    assert.throws(() => argv({ host: 'h', rsh: 'rsh', hostKeys: { policy: 'strict' } }), /hostKeys is an option of OpenSSH's ssh/);
  });

  it('refuses values ssh would misread or read as an option, naming the option', () => {
    const refused: Array<[object, ErrorConstructor, RegExp]> = [
      [{ port: 0 }, RangeError, /^port must be a whole number from 1 to 65535, got 0$/],
      [{ port: '22' }, TypeError, /^port must be .* got "22"$/],
      [{ identityFile: '' }, TypeError, /^identityFile must be a non-empty string/],
      [{ identityFile: 'a\nb' }, RangeError, /^identityFile holds a NUL byte or a line break/],
      [{ connectTimeoutMs: -1 }, RangeError, /^connectTimeoutMs must be a whole number of milliseconds from 0 to 86400000, got -1$/],
      [{ keepalive: true }, TypeError, /^keepalive must be false or \{ intervalMs, count \}, got true$/],
      [
        { keepalive: { intervalMs: 0 } },
        RangeError,
        /^keepalive\.intervalMs must be a whole number of milliseconds from 1 to 86400000, got 0$/,
      ],
      [{ keepalive: { count: 0 } }, RangeError, /^keepalive\.count must be a whole number from 1 to 1000, got 0$/],
      [{ keepalive: { interval: 5 } }, TypeError, /"interval"/],
      [
        { keepalive: {}, sshOptions: { ServerAliveCountMax: 2 } },
        TypeError,
        /^sshOptions\.ServerAliveCountMax repeats the option keepalive/,
      ],
      [{ batchMode: 'yes' }, TypeError, /^batchMode must be true or false, got "yes"$/],
      [{ sshOptions: ['a'] }, TypeError, /^sshOptions must be a plain object/],
      [{ sshOptions: { 'Proxy Command': 'x' } }, RangeError, /no ssh_config keyword: "Proxy Command"/],
      [{ sshOptions: { ProxyCommand: 'nc h 22\nHost *' } }, RangeError, /^sshOptions\.ProxyCommand holds a NUL byte or a line break/],
      [{ sshOptions: { LocalCommand: '-oProxyCommand=x' } }, RangeError, /^sshOptions\.LocalCommand may not begin with '-'/],
      [{ sshOptions: { Port: 22 }, port: 22 }, TypeError, /^sshOptions\.Port repeats the option port: give one of them$/],
      [{ sshOptions: { BatchMode: 'no' }, batchMode: true }, TypeError, /^sshOptions\.BatchMode repeats the option batchMode/],
      [{ sshOptions: { User: 'root' }, user: 'alice' }, TypeError, /^sshOptions\.User repeats the option user/],
      [{ sshOptions: { HostName: '127.0.0.2' } }, RangeError, /^sshOptions\.HostName is refused: it would connect elsewhere than host/],
      [{ sshOptions: { Include: '/etc/x' } }, RangeError, /^sshOptions\.Include is refused/],
      [
        { sshOptions: { ServerAliveInterval: 5, serveraliveinterval: 10 } },
        TypeError,
        /^sshOptions gives ServerAliveInterval and serveraliveinterval, the same keyword/,
      ],
      [{ sshOptions: new Map([['Port', 22]]) }, TypeError, /^sshOptions must be a plain object/],
      [{ sshOptions: { ServerAliveInterval: -1 } }, RangeError, /^sshOptions\.ServerAliveInterval must be a whole number from 0 up/],
      [{ sshOptions: { ServerAliveInterval: 1e21 } }, RangeError, /must be a whole number from 0 up/],
    ];
    for (const [options, kind, message] of refused) {
      assert.throws(
        () => argv({ host: 'h', ...options } as never),
        (err: Error) => err.constructor === kind && message.test(err.message),
        JSON.stringify(options),
      );
    }
  });

  it("refuses them for a remote shell that is not OpenSSH's, and adds nothing to one", () => {
    assert.deepEqual(argv({ host: 'h', rsh: 'rsh' }), ['rsh', 'h']);
    assert.throws(
      () => argv({ host: 'h', rsh: 'plink -batch', port: 22, batchMode: true }),
      /^TypeError: port, batchMode are options of OpenSSH's ssh, and the remote shell is "plink": give its own options in rsh$/,
    );
  });
});

describe('jump hosts', () => {
  const none = { connectTimeoutMs: 0, keepalive: false, batchMode: false } as const;
  const words = (jump: unknown, more: object = {}) => buildRemoteShellArgv({ host: 'db', ...none, ...more, jump } as never).slice(1);

  it('become -J before -l and the host, each hop as [user@]host[:port], IPv6 bracketed', () => {
    assert.deepEqual(words('bastion'), ['-o', 'BatchMode=no', '-J', 'bastion', 'db']);
    assert.deepEqual(words('alice@bastion:2222,inner', { user: 'bob' }), [
      '-o',
      'BatchMode=no',
      '-J',
      'alice@bastion:2222,inner',
      '-l',
      'bob',
      'db',
    ]);
    assert.deepEqual(words(['alice@[::1]:22', { host: 'fe80::1', user: 'u', port: 2200 }, { host: 'inner' }]).slice(2, 4), [
      '-J',
      'alice@[::1]:22,u@[fe80::1]:2200,inner',
    ]);
    // A user may hold '@' (ssh splits a hop at its last '@').
    assert.deepEqual(words('me@corp@bastion').slice(2, 4), ['-J', 'me@corp@bastion']);
    // An IPv6 host may come bracketed in the object form too, as the host option takes it.
    assert.deepEqual(words([{ host: '[::1]', port: 22 }, { host: '[fe80::1]' }]).slice(2, 4), ['-J', '[::1]:22,[fe80::1]']);
  });

  it('refuses a hop ssh would misread, before anything runs, naming it', () => {
    const refused: Array<[unknown, RegExp]> = [
      ['-oProxyCommand=touch /tmp/x', /^invalid jump host "-oProxyCommand=touch \/tmp\/x": hostnames may not start with '-'$/],
      ['bastion,-x', /may not start with '-'/],
      ['bas tion', /holds a blank or a control character/],
      ['bastion\n', /holds a blank or a control character/],
      ['', /the host is empty/],
      ['a,,b', /the host is empty/],
      ['bastion:0', /the port must be a whole number from 1 to 65535, got 0/],
      ['bastion:ssh', /the port must be a whole number from 1 to 65535, got "ssh"/],
      ['::1', /an IPv6 address is written in brackets/],
      ['[::1', /the IPv6 address has no closing bracket/],
      ['ssh://bastion', /the port must be a whole number from 1 to 65535, got "\/\/bastion"/],
      [[{ host: 'b', user: '-u' }], /^invalid jump host jump\[0\]: the user: user names may not start with '-'$/],
      [[{ host: 'a,b' }], /the host holds a comma/],
      [[{ host: 'b', user: 'x,y' }], /the user holds a comma/],
      [[{ host: 'b', port: 70000 }], /got 70000/],
      [[{ host: '-b' }], /may not start with '-'/],
      // '#' starts a comment in -J (the hops after it would be dropped unseen), '%' is expanded,
      // and each hop reaches `sh -c`.
      ['nosuch1.invalid#x,b', /^invalid jump host 0 of "nosuch1\.invalid#x,b": the host holds "#", which ssh's -J or the shell/],
      ['x%d', /the host holds "%"/],
      ['[fe80::1%eth0]', /the host holds "%"/],
      ['x;id', /the host holds ";"/],
      ['a$(id)', /the host holds "\$"/],
      [[{ host: 'b', user: 'a;b' }], /the user holds ";"/],
      [[{ host: 'b', user: "o'neil" }], /the user holds "'"/],
      [[{ host: 'h:22' }], /a host holds ':' only as an IPv6 address \(give the port as its own part\)/],
      [[{ host: '[::1' }], /the host holds "\["/],
      ['[x,y]', /^invalid jump host "\[x,y\]": a comma separates hops, so it cannot stand in brackets$/],
    ];
    for (const [jump, message] of refused) {
      assert.throws(
        () => words(jump),
        (err: unknown) => err instanceof RemoteShellError && err.code === 'ERR_INVALID_HOST' && message.test(err.message),
        JSON.stringify(jump),
      );
    }
    assert.throws(() => words([]), /^TypeError: jump must name at least one host$/);
    assert.throws(() => words(42), /^TypeError: jump must be a host, or an array of hosts or \{ host, user, port \}, got 42$/);
    assert.throws(() => words([{ host: 'b', via: 'x' }]), /^TypeError: jump\[0\] has no option "via"/);
    assert.throws(() => words([null]), /^TypeError: jump\[0\] must be a host or \{ host, user, port \}, got null$/);
  });

  it('refuses jump hosts named twice, a ProxyCommand beside them, and a remote shell that is not ssh', () => {
    assert.throws(() => words('b', { rsh: 'ssh -J other' }), /^TypeError: jump and a -J or ProxyJump in rsh both name jump hosts/);
    assert.throws(() => words('b', { rsh: 'ssh -oProxyJump=other' }), /both name jump hosts/);
    assert.throws(() => words('b', { sshOptions: { ProxyJump: 'other' } }), /^TypeError: sshOptions\.ProxyJump repeats the option jump/);
    assert.throws(() => words('b', { rsh: ['ssh', '-o', 'ProxyCommand=nc %h %p'] }), /^TypeError: jump and ProxyCommand contradict/);
    assert.throws(() => words('b', { sshOptions: { proxycommand: 'nc %h %p' } }), /^TypeError: jump and ProxyCommand contradict/);
    assert.throws(() => buildRemoteShellArgv({ host: 'db', rsh: 'rsh', jump: 'b' }), /^TypeError: jump is an option of OpenSSH's ssh/);
  });

  it('are read back from an argv for the diagnosis: -J in any form, or ProxyJump; and the target with its user and port', () => {
    assert.deepEqual(jumpsOf(['ssh', '-J', 'a,b', 'db', 'cmd -J x']), ['a', 'b']);
    assert.deepEqual(jumpsOf(['ssh', '-qJa', 'db']), ['a']);
    assert.deepEqual(jumpsOf(['ssh', '-o', 'ProxyJump=a,b', 'db']), ['a', 'b']);
    assert.deepEqual(jumpsOf(['ssh', '-o', 'ProxyJump=none', 'db']), []);
    assert.deepEqual(jumpsOf(['ssh', '-p', '-J', 'db']), [], "-p's value is not a flag");
    // ssh reads options after the host too (ssh -G db -J a says proxyjump a), up to the command.
    assert.deepEqual(jumpsOf(['ssh', 'db', '-J', 'a']), ['a']);
    assert.deepEqual(jumpsOf(['ssh', 'db', 'cmd', '-J', 'a']), [], "the remote command's words are not ssh's");
    assert.equal(destinationOf(['ssh', '-l', 'alice', '-p2200', '-J', 'a', 'db', 'true']), 'alice@db:2200');
    assert.equal(destinationOf(['ssh', '-l', 'alice', 'bob@db']), 'bob@db');
    assert.equal(destinationOf(['ssh', '-v', '--', 'db']), 'db');
    assert.equal(destinationOf(['ssh', '-v']), undefined);
    assert.equal(destinationOf(['ssh', '-p', '2222', '-l', 'alice', '::1']), 'alice@[::1]:2222');
    assert.equal(destinationOf(['ssh', '-p', '2222', '[::1]']), '[::1]:2222');
    assert.deepEqual(sshOptionWords(['ssh', '-i', 'k', '-qv', '-oX=y', 'db', '-p', '1']), ['ssh', '-i', 'k', '-qv', '-oX=y']);
  });
});
