// ssh -G's output, and what the configuration changed of what the caller gave.

import assert from 'node:assert/strict';
import { configMapping, parseSshG } from '../../host/diagnosis/effective-config.js';

const OUTPUT = `host db
user alice
hostname 10.0.0.5
port 2200
batchmode yes
controlmaster false
identityfile ~/.ssh/id_rsa
identityfile ~/.ssh/id_ed25519
userknownhostsfile /root/.ssh/known_hosts /root/.ssh/known_hosts2
ciphers chacha20-poly1305@openssh.com
`;

describe("ssh's effective configuration", () => {
  it('parses the keys an error carries, identityfile as a list', () => {
    assert.deepEqual(parseSshG(OUTPUT), {
      host: 'db',
      config: {
        user: 'alice',
        hostname: '10.0.0.5',
        port: '2200',
        batchmode: 'yes',
        controlmaster: 'false',
        identityfile: ['~/.ssh/id_rsa', '~/.ssh/id_ed25519'],
        userknownhostsfile: '/root/.ssh/known_hosts /root/.ssh/known_hosts2',
      },
    });
    assert.equal(parseSshG('garbage'), undefined);
  });

  it('says what the configuration changed: another host name, and a port or user the argv did not give', () => {
    const found = parseSshG(OUTPUT)!;
    assert.equal(configMapping(found, ['ssh', 'db', 'true']), "ssh's configuration maps db to 10.0.0.5 port 2200 user alice.");
    assert.equal(configMapping(found, ['ssh', '-p', '2200', '-l', 'alice', 'db']), "ssh's configuration maps db to 10.0.0.5.");
    assert.equal(configMapping(found, ['ssh', '-p2200', '-oUser=alice', 'db']), "ssh's configuration maps db to 10.0.0.5.");
    assert.equal(configMapping(found, ['ssh', '-o', 'Port=2200', 'alice@db']), "ssh's configuration maps db to 10.0.0.5.");
    assert.equal(configMapping(found, ['ssh', '-qp', '2200', '-vl', 'alice', 'db']), "ssh's configuration maps db to 10.0.0.5.");
    const plain = parseSshG('host h\nhostname h\nport 22\n')!;
    assert.equal(configMapping(plain, ['ssh', 'h']), null);
    // ssh prints the host name in lower case: that is no mapping.
    const upper = parseSshG('host GitHub.com\nhostname github.com\nport 22\nuser git\n')!;
    assert.equal(configMapping(upper, ['ssh', 'git@GitHub.com']), null);
  });
});
