// ssh -G's output, and what the configuration changed of what the caller gave.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configMapping, effectiveConfig, parseSshG } from '../../host/diagnosis/effective-config.js';
import { waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';

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
    // The remote command's words are not ssh's options: rsync's -logDtpre... is no -l.
    assert.equal(
      configMapping(found, ['ssh', 'db', 'rsync', '--server', '-logDtpre.iLsfxCIvu', '.', 'x']),
      "ssh's configuration maps db to 10.0.0.5 port 2200 user alice.",
    );
    assert.equal(configMapping(found, ['ssh', 'db', 'tar', '-tpe', 'x']), "ssh's configuration maps db to 10.0.0.5 port 2200 user alice.");
    // Options after the destination are ssh's too.
    assert.equal(configMapping(found, ['ssh', 'db', '-p', '2200', '-l', 'alice', 'true']), "ssh's configuration maps db to 10.0.0.5.");
    // A user and port in an ssh:// destination are the caller's own.
    const uri = parseSshG('host 127.0.0.1\nhostname 127.0.0.1\nport 1\nuser alice\n')!;
    assert.equal(configMapping(uri, ['ssh', '-F', '/dev/null', 'ssh://alice@127.0.0.1:1']), null);
  });

  it('parses a long ssh -G output: 16,000 identity files', () => {
    const many = `host h\n${'identityfile ~/.ssh/id_x\n'.repeat(16_000)}`;
    const found = parseSshG(many)!;
    assert.equal(found.config.identityfile?.length, 16_000);
  });

  it('leaves nothing behind after its time-out: the processes ssh -G started, and the pipe one of them holds (POSIX)', async function () {
    if (process.platform === 'win32') this.skip();
    // A wrapper whose -G starts a background process that keeps stdout open and never ends.
    const dir = scratchDir('rsh-effective-config-');
    const pidFile = path.join(dir, 'pid');
    writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\nsleep 600 &\necho $! > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
    const found = effectiveConfig([path.join(dir, 'ssh'), 'h'], process.env, undefined, { timeoutMs: 300 });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the fake ssh -G to start');
    assert.equal(await found, undefined);
    const background = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(background), 'the background process of ssh -G to be gone');
  });

  it('a process that exits during the lookup takes ssh -G and what it started along (POSIX)', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = scratchDir('rsh-effective-config-');
    const pidFile = path.join(dir, 'pid');
    writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\nsleep 600 &\necho $! > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
    // A Node process that starts the lookup and exits once the fake ssh -G is under way.
    const script = [
      `import { effectiveConfig } from ${JSON.stringify(path.join(ROOT, 'host/diagnosis/effective-config.ts'))};`,
      `import { existsSync, readFileSync } from 'node:fs';`,
      `void effectiveConfig([${JSON.stringify(path.join(dir, 'ssh'))}, 'h'], process.env, undefined, { timeoutMs: 600_000 });`,
      `const poll = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)}) && readFileSync(${JSON.stringify(pidFile)}, 'utf8').endsWith('\\n')) { clearInterval(poll); process.exit(0); } }, 10);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'ignore' });
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    const background = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(background), 'the background process of ssh -G to be gone');
  });

  it('gives up at once when the caller aborts, and leaves no ssh -G behind (POSIX)', async function () {
    if (process.platform === 'win32') this.skip();
    // An ssh whose -G hangs, as one whose configuration runs a slow `Match exec` does.
    const dir = scratchDir('rsh-effective-config-');
    const pidFile = path.join(dir, 'pid');
    writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
    const controller = new AbortController();
    const found = effectiveConfig([path.join(dir, 'ssh'), 'h'], process.env, undefined, {
      timeoutMs: 600_000,
      signal: controller.signal,
    });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the fake ssh -G to start');
    controller.abort();
    assert.equal(await found, undefined);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 'ssh -G to be gone');
    // Already aborted: nothing is spawned.
    assert.equal(await effectiveConfig(['ssh', 'h'], process.env, undefined, { signal: controller.signal }), undefined);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
