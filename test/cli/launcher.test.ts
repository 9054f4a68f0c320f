// The native launcher (launcher/) against the Node command: on the same cases, the same stdout,
// stderr and status. Node runs under the launcher only to explain a failure (or for what the
// launcher leaves to it), never on the success path.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, cliEnv, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { endLingering, inheritedFds, lingeringOnStderr } from '../helpers/proc.js';
import { ROOT } from '../helpers/root.js';
import { STAND_IN } from '../helpers/stand-in.js';
import { alive, childMatching, childrenOf, fdTarget } from './procs.js';

const LAUNCHER = path.join(ROOT, 'build/launcher/rsh-transport-launcher');
// The command as installed runs through the launcher; RSH_TRANSPORT_NATIVE=0 makes it Node's.
const native = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => cliEnv(extra);
const nodeOnly = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => cliEnv({ RSH_TRANSPORT_NATIVE: '0', ...extra });
const standIn = `--rsh=${process.execPath} ${STAND_IN}`;

interface Case {
  name: string;
  args: string[];
  input?: string;
  env?: NodeJS.ProcessEnv;
}

const dir = mkdtempSync(path.join(tmpdir(), 'rsh-launcher-'));
// The pids of the processes a case leaves holding stderr, ended after each case.
const LINGERING = path.join(dir, 'lingering');

const CASES: Case[] = [
  { name: 'success, both streams', args: ['--rsh=sh -c', 'echo out; echo err >&2; echo more err >&2'] },
  { name: 'stdin passed through', args: ['--rsh=sh -c', 'cat; echo done >&2'], input: 'the caller wrote this\n' },
  { name: 'a megabyte of stdout', args: ['--rsh=sh -c', 'head -c 1048576 /dev/zero | tr "\\0" x'] },
  {
    name: 'a remote failure whose line was forwarded',
    args: ['--rsh=sh -c', 'echo "rsync: change_dir failed: No such file" >&2; exit 23'],
  },
  { name: 'a remote failure, stand-in ssh', args: [standIn, 'host', 'echo hi; echo "fatal: not a git repository" >&2; exit 128'] },
  { name: 'ssh refused (a real ssh, a closed loopback port)', args: ['--rsh=ssh -p 1 -o BatchMode=yes', '127.0.0.1', 'true'] },
  { name: 'ssh refused, --quiet-stderr', args: ['--quiet-stderr', '--rsh=ssh -p 1 -o BatchMode=yes', '127.0.0.1', 'true'] },
  { name: 'success, --quiet-stderr', args: ['--quiet-stderr', '--rsh=sh -c', 'echo out; echo held back >&2'] },
  { name: 'killed by a signal', args: ['--rsh=sh -c', 'echo going >&2; kill -TERM $$'] },
  {
    name: 'exit 255 with a reason a CR overwrote',
    args: ['--rsh=sh -c', 'printf "Permission denied (publickey).\\r100%%\\r" >&2; exit 255'],
  },
  { name: 'an unfinished last line', args: ['--rsh=sh -c', 'printf "Password: " >&2; exit 1'] },
  {
    name: 'control characters, --sanitize=always',
    args: ['--sanitize=always', '--rsh=sh -c', 'printf "a\\033]0;title\\007b \\033[31mred\\033[0m\\n" >&2; exit 2'],
  },
  { name: 'control characters, --sanitize=never', args: ['--sanitize=never', '--rsh=sh -c', 'printf "a\\033]0;title\\007b\\n" >&2'] },
  {
    name: 'a grandchild holds stderr: the drain time-out',
    args: ['--drain-timeout=300', '--rsh=sh -c', `echo hi; ${lingeringOnStderr(3, LINGERING)}; exit 7`],
  },
  { name: 'a remote shell that is not there (left to Node)', args: ['--rsh=no-such-remote-shell-here', 'host'] },
  { name: 'the command itself as its remote shell (left to Node)', args: [`--rsh=${CLI}`, 'host'] },
  { name: 'an unclosed quote (left to Node)', args: ['--rsh=ssh "-p', 'host'] },
  { name: 'an unknown option (left to Node)', args: ['--nope', 'host'] },
  { name: 'no arguments (left to Node)', args: [] },
  {
    name: 'the remote shell from RSH_TRANSPORT_RSH',
    args: ['host', 'echo from variable'],
    env: { RSH_TRANSPORT_RSH: `${process.execPath} ${STAND_IN}` },
  },
  {
    name: "the caller's environment, stale copies of the command's own variables left out",
    args: ['--rsh=sh -c', 'env | grep -E "^(RSH_TRANSPORT|NODE_EXTRA|DISPLAY|DEMO)" | sort'],
    env: {
      NODE_EXTRA_CA_CERTS: '/etc/ssl/extra.pem',
      DISPLAY: ':9',
      DEMO_VARIABLE: 'kept',
      RSH_TRANSPORT_NODE_EXTRA_CA_CERTS: '/stale.pem',
      RSH_TRANSPORT_LAUNCHER: '1',
      RSH_TRANSPORT_FROM_LAUNCHER: '',
      RSH_TRANSPORT_HANDOVER_FD: '99',
      RSH_TRANSPORT_NO_PARENT_DEATH_SIGNAL: '1',
    },
  },
  {
    name: 'DISPLAY kept where SSH_ASKPASS is set',
    args: ['--rsh=sh -c', 'echo "$DISPLAY"'],
    env: { DISPLAY: ':9', SSH_ASKPASS: '/bin/true' },
  },
  { name: '--stall-timeout (left to Node)', args: ['--stall-timeout=60000', '--rsh=sh -c', 'echo watched'] },
];

function show(result: CliResult): string {
  return JSON.stringify({
    status: result.status,
    signal: result.signal,
    stderr: result.stderr,
    stdout: result.stdout.toString().slice(0, 200),
  });
}

describe('the native launcher', function () {
  this.timeout(scaled(60_000));
  before(() => assert.ok(existsSync(LAUNCHER), `${LAUNCHER} is not built: npm test builds it first (scripts/build-for-tests.mjs)`));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same stdout, stderr and status as the Node command, case by case', async () => {
    const differ: string[] = [];
    for (const c of CASES) {
      const node = await runCli(c.args, c.input ?? '', nodeOnly(c.env)).finally(() => endLingering(LINGERING));
      const launched = await runCli(c.args, c.input ?? '', native(c.env)).finally(() => endLingering(LINGERING));
      if (show(node) !== show(launched) || !node.stdout.equals(launched.stdout)) {
        differ.push(`${c.name}:\n  node     ${show(node)}\n  launcher ${show(launched)}`);
      }
    }
    assert.deepEqual(differ, []);
  });

  it('runs no Node on the success path: its children are the remote shell and the keeper of stdout, and a Node that cannot start is never missed', async () => {
    const env = native({ RSH_TRANSPORT_NODE: path.join(dir, 'no-node-here') });
    const run = startCli(['--rsh=sh -c', 'echo out; echo err >&2; sleep 0.5'], { env });
    const remote = await childMatching(run.child.pid!, (argv) => argv[0] === 'sh');
    assert.equal(readlinkSync(`/proc/${run.child.pid}/exe`), LAUNCHER, 'the pid the caller knows is the launcher');
    // Beside the remote shell, only the keeper of stdout: a fork of the launcher, no Node.
    const children = childrenOf(run.child.pid!);
    assert.equal(children.length, 2, `children ${children}`);
    const keeper = children.find((pid) => pid !== remote)!;
    assert.equal(readlinkSync(`/proc/${keeper}/exe`), LAUNCHER);
    const result = await run.result;
    assert.equal(show(result), show({ status: 0, signal: null, stderr: 'err\n', stdout: Buffer.from('out\n') }));
    // On failure, Node is needed, and its absence is said.
    const failed = await runCli(['--rsh=sh -c', 'exit 3'], '', env);
    assert.notEqual(failed.status, 0);
  });

  it("hands the remote shell the caller's own stdin and stdout; it keeps stdout (and its keeper, stdout alone) until it exits", async () => {
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out');
    writeFileSync(input, '');
    const stdio = [openSync(input, 'r'), openSync(output, 'w')];
    const child = spawn(CLI, ['--rsh=sleep', '2'], { stdio: [stdio[0], stdio[1], 'pipe'], env: native() });
    stdio.forEach((fd) => closeSync(fd));
    const remote = await childMatching(child.pid!, (argv) => argv[0] === 'sleep');
    await waitFor(() => fdTarget(child.pid!, 0) === '/dev/null', "the launcher's stdin on /dev/null");
    assert.equal(fdTarget(remote, 0), input);
    assert.equal(fdTarget(remote, 1), output);
    assert.equal(fdTarget(child.pid!, 1), output, 'the launcher keeps stdout');
    const keeper = childrenOf(child.pid!).find((pid) => pid !== remote)!;
    // Of the fds the caller left open (this process's without close-on-exec), the launcher keeps
    // what it inherited until it exits: so may the keeper, which ends with it. No other.
    const expected = ['1', ...inheritedFds()].join();
    const held = () =>
      readdirSync(`/proc/${keeper}/fd`)
        .sort((a, b) => Number(a) - Number(b))
        .join();
    await waitFor(() => held() === expected, `the keeper to hold stdout and what was inherited (${expected}), not ${held()}`);
    assert.equal(fdTarget(keeper, 1), output);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => !alive(keeper), 'the keeper to end with the launcher');
  });

  it('is found through relative symlinks (as npm links a bin) and when the script is run from its own directory', () => {
    const links = path.join(dir, 'links');
    mkdirSync(path.join(links, 'bin'), { recursive: true });
    symlinkSync(CLI, path.join(links, 'first'));
    symlinkSync('../first', path.join(links, 'bin', 'rsh-transport'));
    const parent = `--rsh=sh -c 'readlink /proc/$PPID/exe'`;
    const viaLinks = spawnSync(path.join(links, 'bin', 'rsh-transport'), [parent, 'x'], { encoding: 'utf8', env: native() });
    assert.equal(viaLinks.stdout.trim(), LAUNCHER, viaLinks.stderr);
    const fromItsDirectory = spawnSync('sh', [path.basename(CLI), parent, 'x'], {
      cwd: path.dirname(CLI),
      encoding: 'utf8',
      env: native(),
    });
    assert.equal(fromItsDirectory.stdout.trim(), LAUNCHER, fromItsDirectory.stderr);
  });

  it("is found where npm links a bin from (node_modules/.bin, a global prefix's bin) without reading a link", () => {
    // A readlink that says each time it is run, first on PATH: the script needs none for these
    // two layouts (a fork and an exec fewer per connection), and one for any other link.
    const realReadlink = spawnSync('sh', ['-c', 'command -v readlink'], { encoding: 'utf8' }).stdout.trim();
    const tools = path.join(dir, 'counted-tools');
    const calls = path.join(dir, 'readlink-calls');
    mkdirSync(tools, { recursive: true });
    writeFileSync(path.join(tools, 'readlink'), `#!/bin/sh\necho "$1" >> '${calls}'\nexec '${realReadlink}' "$@"\n`, { mode: 0o755 });
    const parent = `--rsh=sh -c '${realReadlink} /proc/$PPID/exe'`;
    const run = (bin: string) => {
      rmSync(calls, { force: true });
      const r = spawnSync(bin, [parent, 'x'], { encoding: 'utf8', env: native({ PATH: `${tools}:${native().PATH}` }) });
      return {
        parent: r.stdout.trim(),
        stderr: r.stderr,
        readlinks: existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').length - 1 : 0,
      };
    };
    const local = path.join(dir, 'project/node_modules');
    mkdirSync(path.join(local, '.bin'), { recursive: true });
    symlinkSync(ROOT, path.join(local, 'rsh-transport'));
    symlinkSync('../rsh-transport/bin/rsh-transport.js', path.join(local, '.bin/rsh-transport'));
    const global = path.join(dir, 'prefix');
    mkdirSync(path.join(global, 'bin'), { recursive: true });
    mkdirSync(path.join(global, 'lib/node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(global, 'lib/node_modules/rsh-transport'));
    symlinkSync('../lib/node_modules/rsh-transport/bin/rsh-transport.js', path.join(global, 'bin/rsh-transport'));
    for (const bin of [path.join(local, '.bin/rsh-transport'), path.join(global, 'bin/rsh-transport')]) {
      assert.deepEqual(run(bin), { parent: LAUNCHER, stderr: '', readlinks: 0 }, bin);
    }
    // Elsewhere each link is read: the check above can see a readlink.
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(CLI, path.join(elsewhere, 'rsh-transport'));
    assert.deepEqual(run(path.join(elsewhere, 'rsh-transport')), { parent: LAUNCHER, stderr: '', readlinks: 1 });
  });

  it('SIGUSR1 (rsync ends its remote shell so) reaches the remote shell as SIGTERM; the status is its own', async () => {
    const run = startCli(['--rsh=sh -c', 'trap "echo got TERM >&2; exit 9" TERM; echo ready >&2; while :; do sleep 0.05; done'], {
      env: native(),
    });
    const remote = await childMatching(run.child.pid!, (argv) => argv[0] === 'sh');
    await waitFor(() => childrenOf(remote).length > 0, 'the remote loop to run');
    run.child.kill('SIGUSR1');
    const result = await run.result;
    assert.equal(result.status, 9, show(result));
    assert.match(result.stderr, /got TERM/);
    assert.doesNotMatch(result.stderr, /rsh-transport:/, 'the caller stopped it: no last line');
  });

  it('sees the remote shell end, and passes signals on, when its caller started it with signals blocked (pdsh blocks SIGCHLD)', async () => {
    // perl blocks them, then becomes the command: what the command inherits is what pdsh gives.
    const blocking = [
      'perl',
      '-MPOSIX',
      '-e',
      'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGCHLD, SIGTERM, SIGINT, SIGUSR1)) or die; exec @ARGV or die',
      CLI,
    ];
    const run = (args: string[], env: NodeJS.ProcessEnv) =>
      new Promise<CliResult>((resolve, reject) => {
        const child = spawn(blocking[0], [...blocking.slice(1), ...args], { env });
        let stderr = '';
        const out: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => (stderr += c));
        child.on('error', reject);
        child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out), stderr }));
      });
    const args = ['--rsh=sh -c', 'echo out; echo "fatal: gone" >&2; exit 3'];
    assert.equal(show(await run(args, native())), show(await run(args, nodeOnly())));
    // A signal the caller blocked in itself still reaches the command's handler.
    const child = spawn(blocking[0], [...blocking.slice(1), '--rsh=sleep', '30'], { stdio: 'ignore', env: native() });
    const remote = await childMatching(child.pid!, (argv) => argv[0] === 'sleep');
    child.kill('SIGTERM');
    const status = await new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
    assert.equal(status, 143);
    await waitFor(() => !alive(remote), 'the remote shell to end');
  });

  it('a caller that reads stderr late: terminal-safe text (4 bytes a byte at most) never overruns its buffer; lines are skipped and counted', () => {
    // 4 MB of 0xFF lines, each byte shown as 3 bytes, while the caller's stderr is not read for 2 s.
    const err = path.join(dir, 'late-stderr');
    const gen = path.join(dir, 'gen.sh');
    writeFileSync(gen, 'head -c 4000000 /dev/zero | tr "\\0" "\\377" | fold -w 200 >&2\nexit 3\n');
    const r = spawnSync('bash', ['-c', `${CLI} --sanitize=always --rsh=sh ${gen} 2> >(sleep 2; cat > ${err}); echo "status $?"; wait`], {
      encoding: 'utf8',
      env: native(),
      timeout: scaled(30_000),
    });
    assert.equal(r.stdout.trim(), 'status 3', r.stderr);
    const said = readFileSync(err, 'latin1');
    assert.doesNotMatch(said, /core failed/);
    assert.match(said, /\[rsh-transport: \d+ bytes of stderr not forwarded: the output was too slow\]/);
  });

  it('a signal after the remote shell exited ends it at once with its status, while stderr is not read', () => {
    // A reader of stderr that never reads (and is ended at the end), the command in the background.
    const done = path.join(dir, 'remote-done');
    const script = [
      'exec 3> >(exec sleep 30 >/dev/null); reader=$!',
      `${CLI} --rsh='sh -c' 'head -c 300000 /dev/zero | tr "\\0" x | fold -w 100 >&2; touch ${done}; exit 4' 2>&3 & p=$!`,
      'exec 3>&-',
      // The remote shell has ended, and the launcher has reaped it.
      `until [ -e ${done} ] && [ -z "$(pgrep -P $p -x sh)" ]; do sleep 0.02; done`,
      'kill $p; start=$SECONDS; wait $p; echo "status $? after $((SECONDS - start)) s"; kill $reader',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: native(), timeout: scaled(30_000), killSignal: 'SIGKILL' });
    assert.match(r.stdout.trim(), /^status 4 after [01] s$/, r.stderr);
  });

  it('a remote shell killed by a signal Node has no name for (real-time) gives 128+N, explained', async () => {
    const result = await runCli(['--rsh=sh -c', 'echo going >&2; kill -40 $$'], '', native());
    assert.equal(result.status, 168, result.stderr);
    assert.match(result.stderr, /^going\nrsh-transport: .*168/);
  });

  it('SIGKILL to it ends the remote shell too, as it would end ssh', async () => {
    // The remote shell is sleep itself, longer than the test may take: a shell's child would
    // outlive the shell, holding this process's end of the command's stdout open.
    const run = startCli(['--rsh=sleep', '600'], { env: native() });
    const remote = await childMatching(run.child.pid!, (argv) => argv[0] === 'sleep');
    run.child.kill('SIGKILL');
    // Its exit, not its pipes' close: the remote shell holds the caller's stdout until it ends.
    await new Promise((resolve) => run.child.once('exit', resolve));
    await waitFor(() => !alive(remote), 'the remote shell to end');
    assert.equal((await run.result).signal, 'SIGKILL');
  });

  it('agrees with the Node command on the chain of rsh-transports: a loop is refused by both', async () => {
    const args = ['--rsh=sh -c', 'echo "$RSH_TRANSPORT_CHAIN"'];
    const byNode = (await runCli(args, '', nodeOnly())).stdout.toString().trim();
    const byLauncher = (await runCli(args, '', native())).stdout.toString().trim();
    assert.match(byNode, /^[0-9a-f]{16}$/);
    assert.equal(byLauncher, byNode, 'the same hash of the same remote shell');
    for (const env of [nodeOnly({ RSH_TRANSPORT_CHAIN: byNode }), native({ RSH_TRANSPORT_CHAIN: byNode })]) {
      const looped = await runCli(args, '', env);
      assert.equal(looped.status, 255);
      assert.match(looped.stderr, /already ran this very remote shell/);
    }
  });
});
