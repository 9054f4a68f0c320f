// The command as a drop-in for ssh: protocol bytes go from fd to fd without passing through
// Node, signals always work, SIGUSR1 never opens a debugger, and it never runs itself.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep, STAND_IN } from '../transport/helpers.js';
import { checkPipelined, CLI, cliEnv, runCli, startCli } from './run-cli.js';
import { childMatching, childrenOf, fdTarget } from './procs.js';

const standIn = `--rsh=${process.execPath} ${STAND_IN}`;

/** Runs `script` in bash and returns what it prints; the command and ssh see real pipes. */
function bash(script: string, env = cliEnv()): { out: string; ms: number } {
  const started = performance.now();
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env, timeout: 20_000 });
  assert.equal(r.error, undefined, String(r.error));
  return { out: r.stdout.trim(), ms: performance.now() - started };
}

describe('the command: zero-copy stdio', function () {
  this.timeout(60_000);

  it('the remote shell holds the caller\'s own stdin and stdout; Node holds neither', async () => {
    const run = startCli(['--rsh=sleep', '2']);
    const launcher = run.child.pid!;
    const node = await childMatching(launcher, (argv) => argv[1] === CLI);
    const remote = await childMatching(node, (argv) => argv[0] === 'sleep');
    // Node lets go of its copies right after the spawn returns.
    for (let i = 0; i < 100 && fdTarget(node, 1) !== '/dev/null'; i++) await sleep(10);
    for (const fd of [0, 1]) {
      assert.equal(fdTarget(remote, fd), fdTarget(launcher, fd), `the remote shell's fd ${fd} is the caller's`);
      assert.match(fdTarget(launcher, fd), /^socket:/);
      assert.equal(fdTarget(node, fd), '/dev/null', `Node let go of fd ${fd}`);
    }
    assert.match(fdTarget(remote, 2), /^pipe:/, 'stderr is the endpoint Node drains');
    run.child.kill('SIGTERM');
    await run.result;
  });

  it('delivers all 1,000,000 bytes of a child that exits while the caller writes a byte every 5 ms and reads slowly', async () => {
    const run = startCli([standIn, 'host', 'head -c 1000000 /dev/zero | tr "\\0" x']);
    await checkPipelined(run);
  });

  it('ends promptly with the remote shell\'s status when its reader goes (| head -c 10)', () => {
    const anchor = bash(`${process.execPath} ${STAND_IN} host yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`);
    const ours = bash(`${CLI} '${standIn}' host yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`);
    assert.equal(ours.out, anchor.out, 'the same status as the remote shell alone');
    assert.ok(ours.ms < 5000, `took ${Math.round(ours.ms)} ms`);
  });
});

describe('the command: environment', function () {
  this.timeout(30_000);

  it('gives the remote shell the caller\'s environment as it was, NODE_EXTRA_CA_CERTS included (which Node itself starts without)', async () => {
    const show = 'echo "[${NODE_EXTRA_CA_CERTS-unset}] [${RSH_TRANSPORT_NODE_EXTRA_CA_CERTS-unset}] [${DEMO_VARIABLE-unset}]"';
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/extra.pem' }, '[/etc/ssl/certs/extra.pem] [unset] [kept]'],
      [{ NODE_EXTRA_CA_CERTS: '' }, '[] [unset] [kept]'],
      [{}, '[unset] [unset] [kept]'],
    ];
    for (const [extra, expected] of cases) {
      const env = cliEnv({ ...extra, DEMO_VARIABLE: 'kept' });
      if (!('NODE_EXTRA_CA_CERTS' in extra)) delete env.NODE_EXTRA_CA_CERTS;
      const result = await runCli([`--rsh=sh -c '${show}' sh`, 'host'], '', env);
      assert.equal(result.stdout.toString().trim(), expected, JSON.stringify(extra));
    }
  });
});

describe('the command: signals', function () {
  this.timeout(60_000);

  it('SIGUSR1 at 1 to 100 ms after the start never opens the debugger, and ends the command', async () => {
    const delays = [1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 47, 58, 70, 85, 100];
    for (const delay of delays) {
      const run = startCli([standIn, 'host', 'sleep 10']);
      await sleep(delay);
      process.kill(run.child.pid!, 'SIGUSR1');
      const started = performance.now();
      const result = await run.result;
      assert.doesNotMatch(result.stderr, /Debugger listening/, `SIGUSR1 at ${delay} ms`);
      assert.ok(performance.now() - started < 5000, `ended ${Math.round(performance.now() - started)} ms after SIGUSR1 at ${delay} ms`);
      assert.notEqual(result.status, 0, `SIGUSR1 at ${delay} ms ended the run`);
    }
  });

  it('(the same signal to Node started directly opens the debugger: what the launcher prevents)', async () => {
    let opened = false;
    for (const delay of [10, 20, 30]) {
      const child = spawn(process.execPath, [CLI, standIn, 'host', 'sleep 1'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c));
      await sleep(delay);
      child.kill('SIGUSR1');
      await new Promise((resolve) => child.on('close', resolve));
      opened ||= /Debugger listening/.test(stderr);
    }
    assert.ok(opened, 'Node opened its inspector for at least one early SIGUSR1');
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const) {
    it(`${signal} while the remote shell runs reaches it (SIGUSR1 as SIGTERM); the command adds no line of its own`, async () => {
      const expect = signal === 'SIGUSR1' ? 'TERM' : signal.slice(3);
      const script = `for s in INT TERM HUP; do trap "echo got-$s >&2; exit 9" $s; done; echo ready; while :; do sleep 0.05; done`;
      const run = startCli([standIn, 'host', script]);
      await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
      process.kill(run.child.pid!, signal);
      const result = await run.result;
      assert.match(result.stderr, new RegExp(`got-${expect}`));
      assert.equal(result.status, 9);
      assert.doesNotMatch(result.stderr, /rsh-transport:/);
    });

    it(`${signal} after the remote shell exited ends the command at once, with its status`, async () => {
      // A grandchild holds stderr for 5 s, and the command would drain it that long.
      const run = startCli(['--drain-timeout=10000', standIn, 'host', 'echo ready; sleep 5 >&2 & exit 7']);
      await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
      const node = await childMatching(run.child.pid!, (argv) => argv[1] === CLI);
      while (childrenOf(node).length > 0) await sleep(10); // the remote shell has exited
      await sleep(100);
      const sent = performance.now();
      process.kill(run.child.pid!, signal);
      const result = await run.result;
      assert.ok(performance.now() - sent < 2000, `ended ${Math.round(performance.now() - sent)} ms after ${signal}`);
      assert.equal(result.status, 7);
      assert.doesNotMatch(result.stderr, /rsh-transport:/);
    });
  }

  it('keeps its last line when the remote shell fails on its own (the caller showed nothing)', async () => {
    const result = await runCli([standIn, 'host', 'echo "Permission denied (publickey)." >&2; exit 255']);
    assert.equal(result.status, 255);
    assert.match(result.stderr, /\nrsh-transport: connection unexpectedly closed: node exited with code 255\n$/);
  });
});

describe('the command: never itself', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'rsh-self-'));

  it('ignores RSYNC_RSH, even when it names this command; its own default is $RSH_TRANSPORT_RSH, else ssh', async () => {
    const result = await runCli(['host', 'echo reached'], '', cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: `${process.execPath} ${STAND_IN}` }));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.toString(), 'reached\n');
  });

  it('rsync with RSYNC_RSH=rsh-transport and no -e transfers a tree (no recursion)', () => {
    const src = path.join(dir, 'src');
    spawnSync('mkdir', ['-p', src]);
    writeFileSync(path.join(src, 'file'), 'through RSYNC_RSH\n');
    const r = spawnSync('rsync', ['-a', `${src}/`, `localhost:${dir}/dst/`], {
      encoding: 'utf8', timeout: 20_000, env: cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: `${process.execPath} ${STAND_IN}` }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(path.join(dir, 'dst', 'file'), 'utf8'), 'through RSYNC_RSH\n');
  });

  it('refuses a remote shell that is itself, at once, with exit status 255', async () => {
    const link = path.join(dir, 'my-ssh');
    symlinkSync(CLI, link);
    for (const rsh of [CLI, `${process.execPath} ${CLI}`, `${link} -v`, `sh ${link}`]) {
      const started = performance.now();
      const result = await runCli([`--rsh=${rsh}`, 'host', 'true']);
      assert.equal(result.status, 255, rsh);
      assert.match(result.stderr, /^rsh-transport: the remote shell ".*" is rsh-transport itself \(".*"\), which would start itself without end; name the real one, such as --rsh=ssh\n$/);
      assert.ok(performance.now() - started < 3000);
    }
    const viaDefault = await runCli(['host', 'true'], '', cliEnv({ RSH_TRANSPORT_RSH: link }));
    assert.equal(viaDefault.status, 255);
  });

  it('stops a chain that leads back to itself after one round, spawning nothing more', async () => {
    const log = path.join(dir, 'wrapper.log');
    const wrapper = path.join(dir, 'wrapper');
    writeFileSync(wrapper, `#!/bin/sh\necho "$$" >> ${log}\nexec ${CLI} --rsh=${wrapper} "$@"\n`, { mode: 0o755 });
    const result = await runCli([`--rsh=${wrapper}`, 'host', 'true']);
    assert.equal(result.status, 255);
    assert.match(result.stderr, /refusing to run ".*wrapper" again: an rsh-transport earlier in this process chain already ran this very remote shell/);
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1, 'the wrapper ran once');
  });
});
