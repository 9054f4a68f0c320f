// A throwaway OpenSSH server for the tests: its own host key, client key, authorized_keys and
// config in a temporary directory, listening on a free port of 127.0.0.1 only, no PAM. The
// client side uses -F /dev/null, its own key and known-hosts file, and BatchMode.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';
// util-linux's setpriv starts sshd with PR_SET_PDEATHSIG: the server dies with the process that
// started it, even one killed outright (a run cut short), rather than listen on for ever.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));
/** The argv that starts sshd in the foreground, tied to this process's life where it can be. */
export function sshdArgv(config: string): string[] {
  return [...(SETPRIV === undefined ? [] : [SETPRIV, '--pdeathsig', 'KILL', '--']), SSHD, '-D', '-e', '-f', config];
}
const INSTALL =
  "install Debian's openssh-server, openssh-client, rsync, git, parallel and pdsh (apt-get install -y openssh-server openssh-client rsync git parallel pdsh)";

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  dir: string;
  /** ssh options that reach this server with the test's own key and known hosts. */
  sshOptions: string[];
  /** The same with another port, key or known-hosts file (to make ssh fail on purpose). */
  sshOptionsWith(change: { port?: number; key?: string; knownHosts?: string }): string[];
  /** `ssh <sshOptions>` as one -e/--rsh string (paths hold no spaces or quotes). */
  rsh: string;
  /** The client key the server accepts. */
  clientKey: string;
  /** The known-hosts file that records this server's key. */
  knownHosts: string;
  /** A second client key that the server does not accept. */
  strangerKey: string;
  /** A known-hosts file that records another key for this server. */
  wrongKnownHosts: string;
  /** The server's own log (sshd -e). */
  log(): string;
  stop(): Promise<void>;
}

export function requireTools(): void {
  const missing = [SSHD, '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/rsync', '/usr/bin/git'].filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`the end-to-end tests need ${missing.join(', ')}: ${INSTALL}`);
}

function keygen(file: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rsh-transport-test', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface SshdOptions {
  /** Lines added to sshd_config (a later keyword does not override an earlier one in sshd, so
   * these come first). */
  config?: string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  requireTools();
  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(path.join(tmpdir(), 'rsh-sshd-'));
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  const strangerKey = path.join(dir, 'stranger_ed25519');
  const hostPub = keygen(hostKey);
  writeFileSync(path.join(dir, 'authorized_keys'), `${keygen(clientKey)}\n`, { mode: 0o600 });
  keygen(strangerKey);
  const otherHostPub = keygen(path.join(dir, 'other_host_ed25519'));

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        ...(options.config ?? []),
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${dir}/sshd.pid`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AcceptEnv GIT_PROTOCOL',
        // scp (its default protocol since OpenSSH 9) and sftp.
        'Subsystem sftp internal-sftp',
        'PrintMotd no',
        'PrintLastLog no',
        'UseDNS no',
        'MaxStartups 200',
        'MaxSessions 200',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    const knownHosts = path.join(dir, 'known_hosts');
    const wrongKnownHosts = path.join(dir, 'wrong_known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
    writeFileSync(wrongKnownHosts, `[127.0.0.1]:${port} ${otherHostPub}\n`);

    let log = '';
    const [program, ...args] = sshdArgv(path.join(dir, 'sshd_config'));
    const daemon: ChildProcess = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.on('data', (chunk: Buffer) => (log += chunk));
    const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
    let up = false;
    for (let i = 0; i < 100 && daemon.exitCode === null && !up; i++) {
      up = await accepts(port);
      if (!up) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!up) {
      daemon.kill('SIGKILL');
      await exited;
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}`);
    }

    const sshOptionsWith = (change: { port?: number; key?: string; knownHosts?: string }): string[] => [
      '-F',
      '/dev/null',
      '-p',
      String(change.port ?? port),
      '-i',
      change.key ?? clientKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${change.knownHosts ?? knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
    ];
    const sshOptions = sshOptionsWith({});
    return {
      sshOptionsWith,
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      dir,
      sshOptions,
      rsh: ['ssh', ...sshOptions].join(' '),
      clientKey,
      knownHosts,
      strangerKey,
      wrongKnownHosts,
      log: () => log,
      async stop() {
        if (daemon.exitCode === null && daemon.signalCode === null) {
          daemon.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** A suite's server and scratch directory, there from its `before` hook to its `after` hook. */
export interface Peer {
  sshd: Sshd;
  scratch: string;
}

/** ssh's options as scp and sftp take them: the same but for the port, which is -P there. */
export function copyClientOptions(sshOptions: readonly string[]): string[] {
  return sshOptions.map((word, i) => (word === '-p' && i + 1 < sshOptions.length ? '-P' : word));
}

/** Starts a server before the suite's tests and stops it after them (on failure too). */
export function useSshd(options: SshdOptions = {}): Peer {
  const peer = {} as Peer;
  before(async () => {
    peer.sshd = await startSshd(options);
    peer.scratch = mkdtempSync(path.join(tmpdir(), 'rsh-peer-'));
  });
  after(async () => {
    await peer.sshd?.stop();
    if (peer.scratch) rmSync(peer.scratch, { recursive: true, force: true });
  });
  return peer;
}
