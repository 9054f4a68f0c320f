// Real programs that start a remote shell, each run against a real sshd on 127.0.0.1 once with
// plain ssh and once with the command in its place, alternating: the wall time of one operation
// (a copy, a clone, a listing) through the command against plain ssh's. A client that is not
// installed here gives a row that says so; `.ci/run` installs the few that CI measures.
//
// Clients take the remote shell in one of two ways: as words (a command line they split, such
// as GIT_SSH_COMMAND) or as a program they run with ssh's arguments (CVS_RSH, scp -S). For the
// second, the measured side and plain ssh each run through a two-line sh script that adds the
// suite's ssh options, so both pay the same extra shell.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliEnv } from '../test/helpers/cli.js';
import { copyClientOptions, startSshd, type Sshd } from '../test/peers/sshd.js';
import { quoteCommand, quoteForShell } from '../host/rsh/quote.js';
import { installedLikeNpm } from './installed.js';
import { interleaved, skipped, type Options, type Row } from './harness.js';

/** A remote shell as a client is given it. */
interface RemoteShell {
  /** Words, for clients that split a command line (ssh and its options, or the command with --rsh). */
  words: string[];
  /** One line of those words, quoted for sh. */
  line: string;
  /** A program that runs the remote shell with the arguments it is given. */
  program: string;
}

interface Place {
  sshd: Sshd;
  /** A directory of the bench's own, on the client's side and, the server being local, on its side too. */
  dir: string;
  /** A small tree to copy. */
  tree: string;
  /** The user and host as most clients take them. */
  target: string;
}

interface Invocation {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  input?: string;
}

interface Client {
  name: string;
  /** What must be installed: programs (with their server side, found on the same PATH), or paths. */
  needs: string[];
  /** Once, before the runs: a repository or archive on the server's side, through plain ssh. */
  prepare?: (place: Place, ssh: RemoteShell) => Invocation[];
  run: (place: Place, shell: RemoteShell, side: 'ssh' | 'command') => Invocation;
}

/** A script for sh, as argv. */
const sh = (script: string): string[] => ['sh', '-c', script];

const CLIENTS: Client[] = [
  {
    name: 'scp -S (its sftp protocol), one 1 KiB file, its ssh options its own',
    needs: ['scp'],
    // The options as scp's own flags and -S the bare program: how scp is used with the command.
    run: (p, s, side) => ({
      argv: [
        'scp',
        '-q',
        '-S',
        side === 'ssh' ? 'ssh' : s.words[0],
        ...copyClientOptions(p.sshd.sshOptions),
        `${p.tree}/a`,
        `${p.target}:${p.dir}/scp-copy`,
      ],
    }),
  },
  {
    name: 'scp -O -S (the old protocol), one 1 KiB file',
    needs: ['scp'],
    run: (p, s, side) => ({
      argv: [
        'scp',
        '-q',
        '-O',
        '-S',
        side === 'ssh' ? 'ssh' : s.words[0],
        ...copyClientOptions(p.sshd.sshOptions),
        `${p.tree}/a`,
        `${p.target}:${p.dir}/scp-o-copy`,
      ],
    }),
  },
  {
    name: 'sftp -S, a batch of one put',
    needs: ['sftp'],
    run: (p, s, side) => ({
      argv: ['sftp', '-q', '-b', '-', '-S', side === 'ssh' ? 'ssh' : s.words[0], ...copyClientOptions(p.sshd.sshOptions), p.target],
      input: `put ${p.tree}/a ${p.dir}/sftp-copy\n`,
    }),
  },
  {
    name: 'pdsh -R exec, one host, true',
    needs: ['pdsh'],
    run: (p, s) => ({ argv: ['pdsh', '-R', 'exec', '-w', p.sshd.host, ...s.words, '-l', p.sshd.user, '%h', 'true'] }),
  },
  {
    name: 'GNU parallel --ssh, one job on one host',
    needs: ['parallel'],
    run: (p, s) => ({
      argv: ['parallel', '--will-cite', '--ssh', s.line, '-S', `1/${p.target}`, 'echo', ':::', 'x'],
      env: { HOME: p.dir },
    }),
  },
  {
    name: 'git clone, GIT_SSH (a program; git probes it with -G first)',
    needs: ['git'],
    prepare: (p) => [
      {
        argv: sh(
          `git init -q -b main ${p.dir}/git-work && cd ${p.dir}/git-work && cp ${p.tree}/* . && git add -A && git -c user.name=b -c user.email=b@b commit -qm one && git clone -q --bare . ${p.dir}/repo.git`,
        ),
      },
    ],
    run: (p, s) => ({
      argv: sh(`rm -rf ${p.dir}/git-clone && git clone -q ssh://${p.target}${p.dir}/repo.git ${p.dir}/git-clone`),
      env: { GIT_SSH: s.program },
    }),
  },
  {
    name: 'git clone, GIT_SSH with ssh.variant=ssh (no probe)',
    needs: ['git'],
    run: (p, s) => ({
      argv: sh(`rm -rf ${p.dir}/git-clone-v && git -c ssh.variant=ssh clone -q ssh://${p.target}${p.dir}/repo.git ${p.dir}/git-clone-v`),
      env: { GIT_SSH: s.program },
    }),
  },
  {
    name: 'rsync, RSYNC_RSH (words), one 1 KiB file',
    needs: ['rsync'],
    run: (p, s) => ({ argv: ['rsync', `${p.tree}/a`, `${p.target}:${p.dir}/rsync-copy`], env: { RSYNC_RSH: s.line } }),
  },
  {
    name: 'hg clone --ssh',
    needs: ['hg'],
    prepare: (p) => [
      {
        argv: sh(`hg init ${p.dir}/hg-repo && cd ${p.dir}/hg-repo && cp ${p.tree}/* . && hg -q add && hg -q commit -u b -m one`),
        env: { HGRCPATH: '/dev/null' },
      },
    ],
    run: (p, s) => ({
      argv: sh(
        `rm -rf ${p.dir}/hg-clone && hg clone -q --ssh ${quoteForShell(s.line)} ssh://${p.target}/${p.dir}/hg-repo ${p.dir}/hg-clone`,
      ),
      env: { HGRCPATH: '/dev/null' },
    }),
  },
  {
    name: 'svn checkout svn+ssh, SVN_SSH',
    needs: ['svn', 'svnadmin', 'svnserve'],
    prepare: (p) => [{ argv: ['svnadmin', 'create', `${p.dir}/svn-repo`] }],
    run: (p, s) => ({
      argv: sh(
        `rm -rf ${p.dir}/svn-co && svn checkout -q --config-dir ${p.dir}/svn-config svn+ssh://${p.target}${p.dir}/svn-repo ${p.dir}/svn-co`,
      ),
      env: { SVN_SSH: s.line },
    }),
  },
  {
    name: 'cvs checkout, CVS_RSH (a program)',
    needs: ['cvs'],
    prepare: (p) => [
      { argv: ['cvs', '-Q', '-d', `${p.dir}/cvsroot`, 'init'] },
      { argv: sh(`cd ${p.tree} && cvs -Q -d ${p.dir}/cvsroot import -m one tree vendor start`) },
    ],
    run: (p, s) => ({
      argv: sh(
        `rm -rf ${p.dir}/cvs-co && mkdir ${p.dir}/cvs-co && cd ${p.dir}/cvs-co && cvs -Q -d :ext:${p.target}:${p.dir}/cvsroot checkout tree`,
      ),
      env: { CVS_RSH: s.program },
    }),
  },
  {
    name: 'GNU tar --rsh-command (a program), an archive written through rmt',
    needs: ['tar', '/etc/rmt'],
    run: (p, s) => ({ argv: ['tar', '-cf', `${p.target}:${p.dir}/archive.tar`, `--rsh-command=${s.program}`, '-C', p.tree, '.'] }),
  },
  {
    name: 'borg list, BORG_RSH',
    needs: ['borg'],
    prepare: (p, ssh) => [
      { argv: ['borg', 'init', '-e', 'none', `ssh://${p.target}${p.dir}/borg-repo`], env: borgEnv(p, ssh) },
      { argv: ['borg', 'create', `ssh://${p.target}${p.dir}/borg-repo::one`, p.tree], env: borgEnv(p, ssh) },
    ],
    run: (p, s) => ({ argv: ['borg', 'list', `ssh://${p.target}${p.dir}/borg-repo`], env: borgEnv(p, s) }),
  },
  {
    name: 'restic snapshots, sftp backend (sftp.command)',
    needs: ['restic'],
    prepare: (p, ssh) => [{ argv: ['restic', '-q', ...resticArgs(p, ssh), 'init'], env: resticEnv(p) }],
    run: (p, s) => ({ argv: ['restic', '-q', ...resticArgs(p, s), 'snapshots'], env: resticEnv(p) }),
  },
  {
    name: 'unison -sshcmd (a program), a two-way sync with no change',
    needs: ['unison'],
    prepare: (p) => [{ argv: sh(`mkdir -p ${p.dir}/unison-a ${p.dir}/unison-b && cp ${p.tree}/* ${p.dir}/unison-a/`) }],
    run: (p, s) => ({
      argv: [
        'unison',
        '-batch',
        '-silent',
        '-sshcmd',
        s.program,
        '-servercmd',
        `env UNISON=${p.dir}/unison-server unison`,
        `${p.dir}/unison-a`,
        `ssh://${p.target}/${p.dir}/unison-b`,
      ],
      env: { UNISON: `${p.dir}/unison-client` },
    }),
  },
  {
    name: 'rdiff-backup --remote-schema, list increments',
    needs: ['rdiff-backup'],
    prepare: (p, ssh) => [
      { argv: ['rdiff-backup', '--remote-schema', `${ssh.line} {h} rdiff-backup server`, 'backup', p.tree, `${p.target}::${p.dir}/rdiff`] },
    ],
    run: (p, s) => ({
      argv: ['rdiff-backup', '--remote-schema', `${s.line} {h} rdiff-backup server`, 'list', 'increments', `${p.target}::${p.dir}/rdiff`],
    }),
  },
  {
    name: 'dsh -r (a program), one host, true',
    needs: ['dsh'],
    run: (p, s) => ({ argv: ['dsh', '-r', s.program, '-m', p.target, '--', 'true'] }),
  },
  {
    name: 'sshfs -o ssh_command (a program): mount, read a file, unmount',
    needs: ['sshfs', 'fusermount3', '/dev/fuse'],
    prepare: (p) => [{ argv: ['mkdir', '-p', `${p.dir}/sshfs-mount`] }],
    run: (p, s) => ({
      argv: sh(
        `sshfs -o ssh_command=${s.program} ${p.target}:${p.tree} ${p.dir}/sshfs-mount && cat ${p.dir}/sshfs-mount/a > /dev/null; status=$?; fusermount3 -u ${p.dir}/sshfs-mount; exit $status`,
      ),
    }),
  },
];

function borgEnv(p: Place, s: RemoteShell): NodeJS.ProcessEnv {
  // The server's borg keeps its state with the bench's too, not in the user's home.
  return {
    BORG_RSH: s.line,
    BORG_BASE_DIR: `${p.dir}/borg-client`,
    BORG_REMOTE_PATH: `env BORG_BASE_DIR=${p.dir}/borg-server borg`,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  };
}

function resticArgs(p: Place, s: RemoteShell): string[] {
  return ['-r', `sftp:${p.target}:${p.dir}/restic-repo`, '-o', `sftp.command=${s.line} ${p.target} -s sftp`];
}

function resticEnv(p: Place): NodeJS.ProcessEnv {
  return { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: `${p.dir}/restic-cache` };
}

function missing(client: Client): string | undefined {
  return client.needs.find((need) =>
    need.includes('/') ? !existsSync(need) : spawnSync('sh', ['-c', `command -v ${quoteForShell(need)}`]).status !== 0,
  );
}

// Longer than any client takes here by far: a client that hangs is ended and reported.
const RUN_LIMIT_MS = 120_000;

async function timed(invocation: Invocation): Promise<number> {
  const t0 = performance.now();
  const child = spawn(invocation.argv[0], invocation.argv.slice(1), {
    env: cliEnv(invocation.env),
    stdio: [invocation.input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    timeout: RUN_LIMIT_MS,
    killSignal: 'SIGKILL',
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c));
  if (invocation.input !== undefined) {
    // A client that ends without reading all of it closes the pipe first: its status tells.
    child.stdin!.on('error', () => {});
    child.stdin!.end(invocation.input);
  }
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  });
  const ms = performance.now() - t0;
  if (status !== 0) {
    const why =
      signal === 'SIGKILL' && ms >= RUN_LIMIT_MS ? `did not end within ${RUN_LIMIT_MS / 1000} s` : `ended with ${status ?? signal}`;
    const said = err.trim().split('\n').at(-1) ?? '';
    throw new Error(`${invocation.argv[0]} ${why}: ${said}\n${invocation.argv.join(' ')}\n${err}`);
  }
  return ms;
}

function remoteShell(dir: string, name: string, words: string[]): RemoteShell {
  const line = quoteCommand(words);
  const program = path.join(dir, name);
  writeFileSync(program, `#!/bin/sh\nexec ${line} "$@"\n`, { mode: 0o755 });
  return { words, line, program };
}

/** One client's row. A client that cannot be prepared, or fails with plain ssh too, gets a row
 * that says why (an older version, a system that forbids a mount); one that fails only through
 * the command fails the run, as that is the command's defect. */
async function measureClient(client: Client, place: Place, ssh: RemoteShell, through: RemoteShell, runs: number): Promise<Row> {
  try {
    for (const step of client.prepare?.(place, ssh) ?? []) await timed(step);
    // One untimed run each, first: what a first run does once (a first sync, a cache) is then
    // in neither side's figures.
    await timed(client.run(place, ssh, 'ssh'));
  } catch (err) {
    return skipped('clients', client.name, 'plain ssh', new Error(`fails with plain ssh here: ${(err as Error).message}`));
  }
  await timed(client.run(place, through, 'command'));
  const [ours, theirs] = await interleaved(runs, [
    () => timed(client.run(place, through, 'command')),
    () => timed(client.run(place, ssh, 'ssh')),
  ]);
  return {
    group: 'clients',
    name: `${client.name}, wall`,
    unit: 'ms',
    figure: ours,
    baselineName: 'plain ssh',
    baseline: theirs,
    higherIsBetter: false,
    plainRatio: true,
    target: '<= 1.05x',
    note: `${(ours.median - theirs.median).toFixed(1)} ms added (medians)`,
  };
}

export async function run(options: Options): Promise<Row[]> {
  const rows: Row[] = [];
  const wanted: Client[] = [];
  for (const client of CLIENTS) {
    const absent = missing(client);
    if (absent === undefined) wanted.push(client);
    else rows.push(skipped('clients', client.name, 'plain ssh', new Error(`${absent} is not installed`)));
  }
  if (wanted.length === 0) return rows;
  let sshd: Sshd;
  try {
    sshd = await startSshd();
  } catch (err) {
    rows.push(skipped('clients', 'every client', 'plain ssh', err));
    return rows;
  }
  let dir: string | undefined;
  let installed: ReturnType<typeof installedLikeNpm> | undefined;
  try {
    dir = mkdtempSync(path.join(tmpdir(), 'rsh-transport-bench-clients-'));
    installed = installedLikeNpm();
    const tree = path.join(dir, 'tree');
    mkdirSync(tree);
    for (const name of ['a', 'b', 'c']) writeFileSync(path.join(tree, name), Buffer.alloc(1024, name));
    const place: Place = { sshd, dir, tree, target: `${sshd.user}@${sshd.host}` };
    const ssh = remoteShell(dir, 'plain-ssh', ['ssh', ...sshd.sshOptions]);
    const through = remoteShell(dir, 'through-command', [installed.command, `--rsh=${sshd.rsh}`]);
    const runs = options.quick ? 1 : 15;
    for (const client of wanted) rows.push(await measureClient(client, place, ssh, through, runs));
  } finally {
    try {
      installed?.remove();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    } finally {
      await sshd.stop();
    }
  }
  return rows;
}
