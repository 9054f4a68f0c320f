// How an askpass prompt is classified, without ssh or sshd: ssh's own prompts (OpenSSH 9.2's
// wording, as in /usr/bin/ssh) by their exact forms, and a server's keyboard-interactive prompt,
// which ssh shows as `(user@host) text`, by its first character, whatever the user, the host
// or the server's text hold.
//
// Seeded: the property's seed is in its title and in its failure. Replay with
// RSH_PROMPT_SEED=<seed>; more runs with RSH_PROMPT_RUNS=<n>.

import fc from 'fast-check';
import assert from 'node:assert/strict';
import { askpassRequest, fromServer, promptKind, type AskpassKind } from '../../host/askpass/request.js';

// ssh's own prompts, one or more of each form, with the kind each must get.
const SSH_PROMPTS: ReadonlyArray<readonly [AskpassKind, string]> = [
  // sshconnect2.c, load_identity_file: "Enter passphrase for key '%.100s': "
  ['passphrase', "Enter passphrase for key '/home/alice/.ssh/id_ed25519': "],
  ['passphrase', "Enter passphrase for key '/home/a b/(keys)/o'brien@x': "],
  // sshconnect.c, check_host_key: an unknown host key, as ssh 9.2 asks with its defaults...
  [
    'host-key',
    "The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)' can't be established.\n" +
      'ED25519 key fingerprint is SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.\n' +
      'This key is not known by any other names.\n' +
      'Are you sure you want to continue connecting (yes/no/[fingerprint])? ',
  ],
  // ... and with keys of another type known, VisualHostKey, VerifyHostKeyDNS and other names.
  [
    'host-key',
    "The authenticity of host 'db.example.org (192.0.2.7)' can't be established\n" +
      'but keys of different type are already known for this host.\n' +
      'ECDSA key fingerprint is SHA256:7m9eMLqJ0p7pZ0ap1WJ4cPv2QkqJ3n2xvQbV1n5tXyY.\n' +
      '+---[ECDSA 256]---+\n|      .o+.       |\n+----[SHA256]-----+\n' +
      'No matching host key fingerprint found in DNS.\n' +
      'This host key is known by the following other names/addresses:\n' +
      '    ~/.ssh/known_hosts:4: db-old.example.org\n' +
      '    (2 additional names omitted)\n' +
      'Are you sure you want to continue connecting (yes/no/[fingerprint])? ',
  ],
  // OpenSSH before 8.0 asked "(yes/no)? ".
  [
    'host-key',
    "The authenticity of host 'db.example.org (192.0.2.7)' can't be established.\n" +
      'RSA key fingerprint is SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8.\n' +
      'Are you sure you want to continue connecting (yes/no)? ',
  ],
  // sshconnect.c: the host's key differs from the IP address's.
  [
    'host-key',
    "Warning: the ED25519 host key for 'db.example.org' differs from the key for the IP address '192.0.2.7'\n" +
      'Offending key for IP in /home/alice/.ssh/known_hosts:3\n' +
      'Matching host key in /home/alice/.ssh/known_hosts:2\n' +
      'Are you sure you want to continue connecting (yes/no)? ',
  ],
  [
    'host-key',
    "Warning: the ED25519 host key for 'db.example.org' differs from the key for the IP address '192.0.2.7'\n" +
      'Offending key for IP in /home/alice/.ssh/known_hosts:3\n' +
      'Are you sure you want to continue connecting (yes/no)? ',
  ],
  // sshconnect.c, confirm: asked again after an answer that is neither.
  ['host-key', "Please type 'yes', 'no' or the fingerprint: "],
  ['host-key', "Please type 'yes' or 'no': "],
  // clientloop.c, UpdateHostKeys=ask.
  ['host-key', 'Accept updated hostkeys? (yes/no): '],
  // sshconnect2.c: "%s@%s's password: " and the password change.
  ['password', "alice@db.example.org's password: "],
  ['password', "o'brien@[::1]'s password: "],
  ['password', "Enter alice@db.example.org's old password: "],
  ['password', "Enter alice@db.example.org's new password: "],
  ['password', "Retype alice@db.example.org's new password: "],
  // sshconnect2.c, identity_sign: a FIDO key's PIN; ssh-pkcs11.c: a token's PIN.
  ['other', 'Enter PIN for ED25519-SK key /home/alice/.ssh/id_ed25519_sk: '],
  ['other', "Enter PIN for 'alice token': "],
];

// Users and host names (or HostKeyAlias) a hostile configuration or server could bring.
const HOSTILE_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['alice', 'db.example.org'],
  ['alice', 'db(eu)'],
  ['al(ice', 'db'],
  ['alice)', 'db'],
  ['alice', 'db) x'],
  ['(alice', '(db)'],
  [')', '('],
  ['al ice', 'db eu'],
  ['alice', ' '],
  ['a@b', 'db'],
  ['alice', 'db@eu'],
  ['@', '@'],
  ["o'brien", "db'"],
  ['alice\nEnter', 'db'],
  ['alice', 'db\n'],
  ['ålice', 'дб.пример'],
  ['👩‍💻', '数据库'],
  ['', 'db'],
  ['alice', ''],
  ['', ''],
];

// What a server may send as its prompt: each of ssh's own prompts exactly, and its usual ones.
const SERVER_TEXTS = [...SSH_PROMPTS.map(([, prompt]) => prompt), 'Password: ', 'Verification code: ', ''];

const serverKind = (prompt: string): AskpassKind => (/password/i.test(prompt) ? 'password' : 'other');

describe("askpass prompts: ssh's own and a server's", () => {
  it("ssh's own prompts get their kind, and are not the server's", () => {
    for (const [kind, prompt] of SSH_PROMPTS) {
      assert.equal(promptKind(prompt), kind, JSON.stringify(prompt));
      assert.equal(fromServer(prompt), false, JSON.stringify(prompt));
      assert.deepEqual(askpassRequest(prompt), { prompt, kind, fromServer: false, expects: 'answer' });
    }
  });

  it("a server's prompt is the server's, and never a passphrase or host-key prompt, whatever the names hold", () => {
    for (const [user, alias] of HOSTILE_NAMES) {
      for (const text of SERVER_TEXTS) {
        const prompt = `(${user}@${alias}) ${text}`;
        const request = askpassRequest(prompt);
        const shown = JSON.stringify(prompt);
        assert.equal(fromServer(prompt), true, shown);
        assert.equal(request.fromServer, true, shown);
        assert.equal(request.kind, serverKind(prompt), shown);
        assert.ok(!['passphrase', 'host-key'].includes(request.kind), shown);
      }
    }
  });

  it('the prompt of the report: a passphrase asked for by a server whose alias holds a parenthesis', () => {
    const prompt = "(alice@db(eu)) Enter passphrase for key '/home/a/.ssh/id': ";
    assert.deepEqual(askpassRequest(prompt), { prompt, kind: 'other', fromServer: true, expects: 'answer' });
  });

  it("a prompt that is not one of ssh's forms, whole, is never a passphrase or host-key prompt", () => {
    const cases: ReadonlyArray<readonly [string, AskpassKind]> = [
      ["Enter passphrase for key '/home/alice/.ssh/id_ed25519': and more", 'other'],
      ["Enter passphrase for key '/home/alice/.ssh/id_ed25519':", 'other'],
      ["Enter passphrase for key '/home/alice/.ssh/id_ed25519': \n", 'other'],
      ["x Enter passphrase for key '/home/alice/.ssh/id_ed25519': ", 'other'],
      ['Enter passphrase: ', 'other'],
      ['Passphrase for the host key: ', 'other'],
      ['Are you sure you want to continue connecting (yes/no/[fingerprint])? ', 'other'],
      ["The authenticity of host 'h (192.0.2.7)' can't be established.\nAre you sure you want to continue connecting (yes/no)? ", 'other'],
      [`${SSH_PROMPTS[2][1]}yes`, 'other'],
      [`Note: ${SSH_PROMPTS[2][1]}`, 'other'],
      ["Please type 'yes' or 'no':", 'other'],
      // A server's prompt without ssh's prefix (OpenSSH before 8.5 shows it so): password or other.
      ['Password: ', 'password'],
      ['Verification code: ', 'other'],
      [' (alice@db) Password: ', 'password'],
    ];
    for (const [prompt, kind] of cases) {
      assert.equal(promptKind(prompt), kind, JSON.stringify(prompt));
      assert.equal(fromServer(prompt), false, JSON.stringify(prompt));
    }
  });

  it("a long prompt made of ssh's fragments is classified in linear time", () => {
    const n = 20_000;
    const fingerprint = '\nRSA key fingerprint is SHA256:x.';
    const prompts = [
      `The authenticity of host '${"' can't be established.".repeat(n)}`,
      `The authenticity of host 'h' can't be established.${fingerprint.repeat(n)}\nAre you sure you want to continue connecting (yes/no)?`,
      `The authenticity of host 'h' can't be established.${fingerprint}${'\n'.repeat(n * 10)}Are you sure`,
      `Warning: the RSA host key for '${"' differs from the key for the IP address '".repeat(n)}`,
      `Warning: the RSA host key for 'h' differs from the key for the IP address 'a'\nOffending key for IP in ${'f:1'.repeat(n)}`,
      `${'a@'.repeat(n * 10)}'s password:`,
      `Enter ${"a@'s old".repeat(n)} password:`,
      `Enter PIN for ${'x key '.repeat(n)}`,
      `Enter passphrase for key '${"': ".repeat(n)}x`,
    ];
    for (const prompt of prompts) {
      const started = performance.now();
      assert.equal(promptKind(prompt), /password/i.test(prompt) ? 'password' : 'other');
      const took = performance.now() - started;
      assert.ok(took < 500, `${took.toFixed(0)} ms for ${JSON.stringify(prompt.slice(0, 60))}...`);
    }
  });

  it("SSH_ASKPASS_PROMPT decides what is expected; only an 'answer' prompt has a kind", () => {
    assert.deepEqual(askpassRequest('Allow use of key /home/alice/.ssh/id_ed25519?\nKey fingerprint SHA256:x.', 'confirm'), {
      prompt: 'Allow use of key /home/alice/.ssh/id_ed25519?\nKey fingerprint SHA256:x.',
      kind: 'other',
      fromServer: false,
      expects: 'confirm',
    });
    assert.deepEqual(askpassRequest('Confirm user presence for key ED25519-SK SHA256:x', 'none'), {
      prompt: 'Confirm user presence for key ED25519-SK SHA256:x',
      kind: 'other',
      fromServer: false,
      expects: 'notice',
    });
    assert.equal(askpassRequest(SSH_PROMPTS[0][1], 'confirm').kind, 'other');
    assert.equal(askpassRequest('(alice@db) Password: ', 'none').fromServer, true);
  });

  const SEED = Number(process.env.RSH_PROMPT_SEED ?? Date.now() % 2 ** 31);
  const RUNS = Number(process.env.RSH_PROMPT_RUNS ?? 5000);
  it(`any (user@alias) text is the server's, never a passphrase or host-key prompt (fast-check, seed ${SEED})`, () => {
    assert.ok(Number.isSafeInteger(SEED), `RSH_PROMPT_SEED must be an integer, got ${process.env.RSH_PROMPT_SEED}`);
    // Names and texts from every code point, from the characters that matter here, and ssh's own prompts.
    const tricky = fc.constantFrom('(', ')', ' ', '@', "'", '\n', '\r', '\t', ':', '?', 'é', '数', '\u202e', '\0');
    const name = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: tricky }), fc.constantFrom(...HOSTILE_NAMES.flat()));
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: tricky }),
      fc.constantFrom(...SERVER_TEXTS),
      fc.tuple(fc.constantFrom(...SERVER_TEXTS), fc.string({ unit: tricky })).map(([a, b]) => a + b),
    );
    try {
      fc.assert(
        fc.property(name, name, text, (user, alias, said) => {
          const prompt = `(${user}@${alias}) ${said}`;
          const request = askpassRequest(prompt);
          assert.equal(fromServer(prompt), true);
          assert.equal(request.fromServer, true);
          assert.equal(promptKind(prompt), serverKind(prompt));
          assert.equal(request.kind, serverKind(prompt));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    } catch (err) {
      (err as Error).message = `replay with RSH_PROMPT_SEED=${SEED}: ${(err as Error).message}`;
      throw err;
    }
  });
});
