// The command as a drop-in for ssh: protocol bytes go from fd to fd without passing through
// Node, signals always work, SIGUSR1 never opens a debugger, and it never runs itself.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPipelined, CLI, cliEnv, COMMAND_PATHS, nodeCommandEnv, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { endLingering, lingeringOnStderr } from '../helpers/proc.js';
import { scaled, sleep, waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { STAND_IN } from '../helpers/stand-in.js';
import { alive, catches, childMatching, fdTarget } from './procs.js';

const standIn = `--rsh=${process.execPath} ${STAND_IN}`;

/** Runs `script` in bash and returns what it prints; the command and ssh see real pipes. GNU
 * timeout runs it in a process group of its own and ends the whole group when it hangs: a
 * command that never ends is a failure, and is not left running. */
function bash(script: string, env = cliEnv()): { out: string; ms: number } {
  const started = performance.now();
  const r = spawnSync('timeout', ['--kill-after=2', String(Math.round(scaled(20_000) / 1000)), 'bash', '-c', script], {
    encoding: 'utf8',
    env,
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.ok(r.status !== 124 && r.status !== 137, `timed out: ${script}`);
  return { out: r.stdout.trim(), ms: performance.now() - started };
}

describe('the command: zero-copy stdio', function () {
  this.timeout(scaled(60_000));

  it("the remote shell holds the caller's own stdin and stdout; the shell launcher and Node keep stdout only, until they exit (Node)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsh-zero-copy-'));
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out');
    writeFileSync(input, '');
    const stdio = [openSync(input, 'r'), openSync(output, 'w')];
    const child = spawn(CLI, ['--rsh=sleep', '2'], { stdio: [stdio[0], stdio[1], 'pipe'], env: nodeCommandEnv() });
    const node = await childMatching(child.pid!, (argv) => argv[1] === CLI);
    const remote = await childMatching(node, (argv) => argv[0] === 'sleep');
    // Node lets go of its copy of stdin right after the spawn returns.
    await waitFor(() => fdTarget(node, 0) === '/dev/null', "Node's stdin on /dev/null");
    for (const [fd, file] of [
      [0, input],
      [1, output],
    ] as const) {
      assert.equal(fdTarget(remote, fd), file, `the remote shell's fd ${fd} is the caller's own`);
    }
    for (const pid of [node, child.pid!]) {
      assert.equal(fdTarget(pid, 0), '/dev/null', `${pid === node ? 'Node' : 'the launcher'} let go of stdin`);
      assert.equal(fdTarget(pid, 1), output, `${pid === node ? 'Node' : 'the launcher'} keeps stdout`);
    }
    assert.match(fdTarget(remote, 2), /^pipe:/, 'stderr is the endpoint Node drains');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    for (const fd of stdio) closeSync(fd);
  });

  for (const way of COMMAND_PATHS) {
    it(`delivers all 1,000,000 bytes of a child that exits while the caller writes a byte every 5 ms and reads slowly (${way.name})`, async () => {
      const run = startCli([standIn, 'host', 'head -c 1000000 /dev/zero | tr "\\0" x'], { env: way.env() });
      await checkPipelined(run);
    });

    it(`the caller sees EOF only when the command ends, with the remote shell's status (after its bounded drain) (${way.name})`, () => {
      // A grandchild holds stderr, and the command drains it for 3 s. A caller such as rsync reads
      // its child's status only if the child has exited when it sees EOF.
      const pids = path.join(scratchDir('rsh-eof-'), 'lingering');
      let result: { out: string; ms: number };
      try {
        result = bash(
          `${CLI} --drain-timeout=3000 '${standIn}' host 'echo hi; ${lingeringOnStderr(5, pids)}; exit 7' </dev/null | { cat; echo "EOF $SECONDS"; }; echo "\${PIPESTATUS[0]}"`,
          way.env(),
        );
      } finally {
        endLingering(pids);
      }
      const { out, ms } = result;
      const [hi, eof, status] = out.split('\n');
      assert.equal(hi, 'hi');
      assert.equal(status, '7');
      // bash's SECONDS counts whole seconds from its start: the EOF came after the 3 s drain.
      assert.ok(/^EOF \d+$/.test(eof) && Number(eof.slice(4)) >= 3, `${eof}, ${Math.round(ms)} ms`);
    });

    it(`runs with its stdin closed, as ssh does (${way.name})`, () => {
      assert.equal(bash(`${CLI} '${standIn}' host 'echo ran' <&-`, way.env()).out, 'ran');
    });

    it(`ends promptly with the remote shell's status when its reader goes (| head -c 10) (${way.name})`, () => {
      const anchor = bash(`${process.execPath} ${STAND_IN} host yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`);
      const ours = bash(`${CLI} '${standIn}' host yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`, way.env());
      assert.equal(ours.out, anchor.out, 'the same status as the remote shell alone');
      assert.ok(ours.ms < 5000, `took ${Math.round(ours.ms)} ms`);
    });
  }
});

describe('the command: --stall-timeout', function () {
  this.timeout(scaled(60_000));
  const stall = scaled(400);

  it('ends a remote command that went quiet with status 255 and a last line naming the option, what it sent kept', async () => {
    const run = startCli([`--stall-timeout=${stall}`, standIn, 'host', 'echo started; echo "$$" >&2; exec sleep 600']);
    const { status, stdout, stderr } = await run.result;
    assert.equal(status, 255, stderr);
    assert.equal(stdout.toString(), 'started\n');
    assert.match(
      stderr,
      new RegExp(`rsh-transport: no protocol byte moved for ${stall} ms .*0 bytes sent and 8 received.*raise --stall-timeout`),
    );
    assert.doesNotMatch(stderr, /stallTimeoutMs/);
    const remote = Number(/^(\d+)$/m.exec(stderr)![1]);
    await waitFor(() => !alive(remote), 'the remote command to be gone');
  });

  it('never ends a remote command that is slow but moving, reading or writing', async () => {
    const lines = 12;
    const gap = (stall / 4 / 1000).toFixed(3);
    const talking = startCli([`--stall-timeout=${stall}`, standIn, 'host', `for i in $(seq ${lines}); do echo $i; sleep ${gap}; done`]);
    const out = await talking.result;
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.toString(), Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join(''));
    // The remote command reads what the caller writes slowly, and says nothing until the end.
    const listening = startCli([`--stall-timeout=${stall}`, standIn, 'host', 'wc -c']);
    for (let i = 0; i < lines; i++) {
      listening.child.stdin!.write('x');
      await sleep(stall / 4);
    }
    listening.child.stdin!.end();
    const heard = await listening.result;
    assert.equal(heard.status, 0, heard.stderr);
    assert.equal(heard.stdout.toString().trim(), String(lines));
  });

  it('carries every byte, in order, to a caller that pipelines and reads slowly (no stall while the caller does not read)', async () => {
    await checkPipelined(startCli([`--stall-timeout=${stall}`, standIn, 'host', 'head -c 1000000 /dev/zero | tr "\\0" x']));
  });

  it('exits once its last bytes reach a caller that reads only after the remote shell is gone', () => {
    // The pipe fills with the first 64 KiB; the last 100 bytes wait in the command, below the
    // high-water mark, so no 'drain' would come for them.
    const marker = path.join(scratchDir('rsh-stall-tail-'), 'remote-done');
    const remote = `head -c 65536 /dev/zero; sleep 0.3; head -c 100 /dev/zero; touch ${marker}`;
    const { out, ms } = bash(
      `${CLI} --stall-timeout=${stall * 10} '${standIn}' host '${remote}' </dev/null | { until [ -e ${marker} ]; do sleep 0.05; done; sleep 0.5; wc -c; }; echo "\${PIPESTATUS[0]}"`,
    );
    assert.equal(out, '65636\n0', `after ${Math.round(ms)} ms`);
  });

  it('keeps EOF for the end of the command, which exits with the remote status; a reader that goes ends it promptly', () => {
    // As without the option: a grandchild holds stderr, drained for 3 s, and EOF waits for it.
    const pids = path.join(scratchDir('rsh-stall-eof-'), 'lingering');
    let result: { out: string; ms: number };
    try {
      result = bash(
        `${CLI} --stall-timeout=${stall * 10} --drain-timeout=3000 '${standIn}' host 'echo hi; ${lingeringOnStderr(5, pids)}; exit 7' </dev/null | { cat; echo "EOF $SECONDS"; }; echo "\${PIPESTATUS[0]}"`,
      );
    } finally {
      endLingering(pids);
    }
    const { out, ms } = result;
    const [hi, eof, status] = out.split('\n');
    assert.equal(hi, 'hi');
    assert.equal(status, '7');
    assert.ok(/^EOF \d+$/.test(eof) && Number(eof.slice(4)) >= 3, `${eof}, ${Math.round(ms)} ms`);
    const gone = bash(`${CLI} --stall-timeout=${stall * 10} '${standIn}' host yes | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`);
    assert.notEqual(gone.out, '0');
    assert.ok(gone.ms < scaled(5000), `took ${Math.round(gone.ms)} ms`);
  });

  it('refuses a value that is not a whole number of milliseconds, with the usage, exit 2', async () => {
    for (const value of ['soon', '', '-1', '2147483648']) {
      const { status, stderr } = await runCli([`--stall-timeout=${value}`, 'host']);
      assert.equal(status, 2, value);
      assert.match(stderr, /^rsh-transport: --stall-timeout needs a whole number of milliseconds/);
    }
  });
});

describe('the command: environment', function () {
  this.timeout(scaled(30_000));

  it("gives the remote shell the caller's environment as it was, NODE_EXTRA_CA_CERTS included (which Node itself starts without)", async () => {
    const show = 'echo "[${NODE_EXTRA_CA_CERTS-unset}] [${RSH_TRANSPORT_NODE_EXTRA_CA_CERTS-unset}] [${DEMO_VARIABLE-unset}]"';
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/extra.pem' }, '[/etc/ssl/certs/extra.pem] [unset] [kept]'],
      [{ NODE_EXTRA_CA_CERTS: '' }, '[] [unset] [kept]'],
      [{}, '[unset] [unset] [kept]'],
      // A stale copy of the launcher's own variable never becomes the remote shell's.
      [{ RSH_TRANSPORT_NODE_EXTRA_CA_CERTS: '/stale.pem' }, '[unset] [unset] [kept]'],
    ];
    for (const way of COMMAND_PATHS) {
      for (const [extra, expected] of cases) {
        const env = way.env({ ...extra, DEMO_VARIABLE: 'kept' });
        if (!('NODE_EXTRA_CA_CERTS' in extra)) delete env.NODE_EXTRA_CA_CERTS;
        const result = await runCli([`--rsh=sh -c '${show}' sh`, 'host'], '', env);
        assert.equal(result.stdout.toString().trim(), expected, `${way.name}: ${JSON.stringify(extra)}`);
      }
    }
  });
});

describe('the command: signals', function () {
  this.timeout(scaled(60_000));
  const dir = mkdtempSync(path.join(tmpdir(), 'rsh-signals-'));
  // A remote shell that starts at once (a Node one takes tens of ms): drops the host, runs the rest.
  const fastSsh = path.join(dir, 'fast-ssh');
  writeFileSync(fastSsh, '#!/bin/sh\nshift\nexec sh -c "$*"\n', { mode: 0o755 });

  for (const way of COMMAND_PATHS) {
    it(`a signal in the first milliseconds of the start is never lost: the remote command never completes (${way.name})`, async () => {
      const marker = path.join(dir, 'completed');
      const lost: string[] = [];
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const) {
        for (let delay = 0; delay <= 12; delay += 1) {
          rmSync(marker, { force: true });
          const child = spawn(CLI, [`--rsh=${fastSsh}`, 'host', `sleep 0.3; touch ${marker}`], { stdio: 'ignore', env: way.env() });
          const started = process.hrtime.bigint();
          while (Number(process.hrtime.bigint() - started) / 1e6 < delay) {
            /* a busy wait: timers are too coarse */
          }
          child.kill(signal);
          const status = await new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
          if (status === 0 || existsSync(marker)) lost.push(`${signal} at ${delay} ms (exit ${status})`);
        }
      }
      assert.deepEqual(lost, []);
    });

    it(`SIGUSR1 at 1 to 100 ms after the start never opens the debugger, and ends the command (${way.name})`, async () => {
      const delays = [1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 47, 58, 70, 85, 100];
      for (const delay of delays) {
        const run = startCli([standIn, 'host', 'sleep 10'], { env: way.env() });
        await sleep(delay);
        process.kill(run.child.pid!, 'SIGUSR1');
        const started = performance.now();
        const result = await run.result;
        assert.doesNotMatch(result.stderr, /Debugger listening/, `SIGUSR1 at ${delay} ms`);
        assert.ok(performance.now() - started < 5000, `ended ${Math.round(performance.now() - started)} ms after SIGUSR1 at ${delay} ms`);
        assert.notEqual(result.status, 0, `SIGUSR1 at ${delay} ms ended the run`);
      }
    });

    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const) {
      it(`${signal} while the remote shell runs reaches it (SIGUSR1 as SIGTERM); the command adds no line of its own (${way.name})`, async () => {
        const expect = signal === 'SIGUSR1' ? 'TERM' : signal.slice(3);
        const script = `for s in INT TERM HUP; do trap "echo got-$s >&2; exit 9" $s; done; echo ready; while :; do sleep 0.05; done`;
        const run = startCli([standIn, 'host', script], { env: way.env() });
        await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
        process.kill(run.child.pid!, signal);
        const result = await run.result;
        assert.match(result.stderr, new RegExp(`got-${expect}`));
        assert.equal(result.status, 9);
        assert.doesNotMatch(result.stderr, /rsh-transport:/);
      });

      it(`${signal} after the remote shell exited ends the command at once, with its status (${way.name})`, async () => {
        // A grandchild holds stderr for 5 s, and the command would drain it that long.
        // The remote sh says the stand-in's pid ($PPID): the remote shell, the command's child.
        const pids = path.join(scratchDir('rsh-signal-after-'), 'lingering');
        const run = startCli(['--drain-timeout=10000', standIn, 'host', `${lingeringOnStderr(5, pids)}; echo ready $PPID; exit 7`], {
          env: way.env(),
        });
        let result: CliResult;
        let sent: number;
        try {
          const remote = await new Promise<number>((resolve) =>
            run.child.stdout!.once('data', (chunk: Buffer) => resolve(Number(/ready (\d+)/.exec(chunk.toString())![1]))),
          );
          // Reaped, not only a zombie: the command has its status then, as the launcher and Node
          // both take it in the step that reaps it.
          await waitFor(() => !existsSync(`/proc/${remote}`), `the command to reap its remote shell (${remote})`);
          sent = performance.now();
          process.kill(run.child.pid!, signal);
          result = await run.result;
        } finally {
          endLingering(pids);
        }
        assert.ok(performance.now() - sent < 2000, `ended ${Math.round(performance.now() - sent)} ms after ${signal}`);
        assert.equal(result.status, 7);
        assert.doesNotMatch(result.stderr, /rsh-transport:/);
      });
    }

    it(`keeps its last line when the remote shell fails on its own (the caller showed nothing) (${way.name})`, async () => {
      const result = await runCli([standIn, 'host', 'echo "Permission denied (publickey)." >&2; exit 255'], '', way.env());
      assert.equal(result.status, 255);
      assert.match(
        result.stderr,
        /\nrsh-transport: stand-in-ssh\.mjs could not authenticate: Permission denied \(publickey\)\. Check [^\n]+\n$/,
      );
    });
  }

  for (const [how, env] of [
    ['the kernel', {}],
    ['looking for itself, as where there is no parent-death signal', { RSH_TRANSPORT_NO_PARENT_DEATH_SIGNAL: '1' }],
  ] as const) {
    it(`SIGKILL to the Node command ends its remote shell too, as it would end ssh (${how})`, async () => {
      const marker = path.join(dir, `outlived-${env.RSH_TRANSPORT_NO_PARENT_DEATH_SIGNAL ?? 0}`);
      const child = spawn(CLI, [`--rsh=${fastSsh}`, 'host', `sleep 0.8; touch ${marker}`], { stdio: 'ignore', env: nodeCommandEnv(env) });
      const node = await childMatching(child.pid!, (argv) => argv[1] === CLI);
      const remote = await childMatching(node, (argv) => argv[0] === 'sh');
      child.kill('SIGKILL');
      await waitFor(() => !alive(node), 'Node to end');
      await waitFor(() => !alive(remote), 'the remote shell to end');
      // The shell that would have touched it after its sleep is gone, so it never will be.
      assert.equal(existsSync(marker), false, 'the remote command did not run on');
    });
  }

  it("the launcher exits with Node's status even when Node ends the moment a signal reaches it", async () => {
    // A stand-in for Node that exits 3 as soon as it gets SIGTERM.
    const fakeNode = path.join(dir, 'fake-node');
    // Its sleep ends with it, or 15 of them would outlive the test.
    writeFileSync(fakeNode, "#!/bin/sh\ntrap 'kill $!; exit 3' TERM\nsleep 100 &\nwait\n", { mode: 0o755 });
    const statuses: Record<string, number> = {};
    for (let i = 0; i < 15; i++) {
      const child = spawn(CLI, ['x'], { stdio: 'ignore', env: nodeCommandEnv({ RSH_TRANSPORT_NODE: fakeNode }) });
      // Once the stand-in waits on its sleep, both traps are set (the launcher's come before it
      // starts Node): a signal earlier than that would end a shell that has no trap yet.
      const fake = await childMatching(child.pid!, (argv) => argv.includes(fakeNode));
      await childMatching(fake, (argv) => argv[0] === 'sleep');
      child.kill('SIGTERM');
      const status = String(await new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig))));
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    assert.deepEqual(statuses, { 3: 15 });
  });

  it('(the same signal to Node started directly opens the debugger: what the launcher prevents)', async () => {
    const child = spawn(process.execPath, [CLI, standIn, 'host', 'sleep 1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c));
    const closed = new Promise((resolve) => child.on('close', resolve));
    // Once Node has its handler: before, SIGUSR1 would kill it, which is not what is shown here.
    await waitFor(() => catches(child.pid!, 'SIGUSR1'), 'Node catches SIGUSR1');
    child.kill('SIGUSR1');
    await closed;
    assert.match(stderr, /Debugger listening/, 'Node opened its inspector');
  });
});

describe('the command: never itself', function () {
  this.timeout(scaled(60_000));
  const dir = mkdtempSync(path.join(tmpdir(), 'rsh-self-'));

  it('ignores RSYNC_RSH, even when it names this command; its own default is $RSH_TRANSPORT_RSH, else ssh', async () => {
    const result = await runCli(
      ['host', 'echo reached'],
      '',
      cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: `${process.execPath} ${STAND_IN}` }),
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.toString(), 'reached\n');
  });

  it('says it ran plain ssh when nothing named the remote shell and ssh failed on its own (a scrubbed environment)', async () => {
    // An ssh on PATH that is refused, as plain ssh would be when the intended one was elsewhere.
    const bin = path.join(dir, 'plain-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\necho "ssh: connect to host $1 port 22: Connection refused" >&2\nexit 255\n', {
      mode: 0o755,
    });
    const env = cliEnv();
    delete env.RSH_TRANSPORT_RSH;
    env.PATH = `${bin}:${env.PATH}`;
    const plain = await runCli(['db', 'true'], '', env);
    assert.equal(plain.status, 255);
    assert.match(
      plain.stderr,
      /\nrsh-transport: ssh could not connect to db port 22: connection refused\. .+ \(ran plain ssh: neither --rsh nor \$RSH_TRANSPORT_RSH named a remote shell\)\n$/,
    );
    // Named, it is what ran: nothing to add.
    const named = await runCli(['--rsh=ssh', 'db', 'true'], '', env);
    assert.doesNotMatch(named.stderr, /ran plain ssh/);
    assert.doesNotMatch((await runCli(['db', 'true'], '', { ...env, RSH_TRANSPORT_RSH: 'ssh' })).stderr, /ran plain ssh/);
  });

  it('rsync with RSYNC_RSH=rsh-transport and no -e transfers a tree (no recursion)', () => {
    const src = path.join(dir, 'src');
    spawnSync('mkdir', ['-p', src]);
    writeFileSync(path.join(src, 'file'), 'through RSYNC_RSH\n');
    const r = spawnSync('rsync', ['-a', `${src}/`, `localhost:${dir}/dst/`], {
      encoding: 'utf8',
      timeout: 20_000,
      env: cliEnv({ RSYNC_RSH: CLI, RSH_TRANSPORT_RSH: `${process.execPath} ${STAND_IN}` }),
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
      assert.match(
        result.stderr,
        /^rsh-transport: the remote shell ".*" is rsh-transport itself \(".*"\), which would start itself without end; name the real one, such as --rsh=ssh\n$/,
      );
      assert.ok(performance.now() - started < 3000);
    }
    const viaDefault = await runCli(['host', 'true'], '', cliEnv({ RSH_TRANSPORT_RSH: link }));
    assert.equal(viaDefault.status, 255);
  });

  it('takes a later word for its own only as a path: `-l rsh-transport` is a login name', async () => {
    const bin = path.join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    symlinkSync(CLI, path.join(bin, 'rsh-transport'));
    const env = cliEnv({ PATH: `${bin}:${cliEnv().PATH}` });
    const result = await runCli([`--rsh=${process.execPath} ${STAND_IN} -l rsh-transport`, 'host', 'echo reached'], '', env);
    assert.equal(result.stdout.toString(), 'reached\n', result.stderr);
    assert.equal((await runCli(['--rsh=rsh-transport -v', 'host', 'true'], '', env)).status, 255, 'the program itself is still refused');
  });

  it('stops a chain that leads back to itself after one round, spawning nothing more', async () => {
    const log = path.join(dir, 'wrapper.log');
    const wrapper = path.join(dir, 'wrapper');
    writeFileSync(wrapper, `#!/bin/sh\necho "$$" >> ${log}\nexec ${CLI} --rsh=${wrapper} "$@"\n`, { mode: 0o755 });
    const result = await runCli([`--rsh=${wrapper}`, 'host', 'true']);
    assert.equal(result.status, 255);
    assert.match(
      result.stderr,
      /refusing to run ".*wrapper" again: an rsh-transport earlier in this process chain already ran this very remote shell/,
    );
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1, 'the wrapper ran once');
  });
});

const windowsBin = async (): Promise<{
  forWindows: (text: string) => string;
  isInstalledCopy: (root: string, initCwd?: string) => boolean;
}> => import(pathToFileURL(path.join(ROOT, 'scripts/windows-bin.mjs')).href);

describe('the command on Windows', function () {
  this.timeout(scaled(60_000));

  it("preinstall (scripts/windows-bin.mjs) makes Node the file's first line there, and the file then runs under Node alone", async () => {
    const { forWindows } = await windowsBin();
    const text = readFileSync(CLI, 'utf8');
    assert.ok(text.startsWith('#!/bin/sh\n'), 'on POSIX the launcher runs first');
    const windows = forWindows(text);
    assert.deepEqual(windows.split('\n').slice(1), text.split('\n').slice(1), 'only the first line changes');
    assert.equal(windows.split('\n')[0], '#!/usr/bin/env node');
    assert.equal(forWindows(windows), windows, 'a second install changes nothing');
    // A checkout with CRLF line ends (Git for Windows' default without .gitattributes).
    const crlf = text.replace(/\n/g, '\r\n');
    assert.equal(forWindows(crlf), windows.replace(/\n/g, '\r\n'));
    // Beside the package's dist/, as npm lays it out: Node runs it with no shell in front.
    const dir = scratchDir('rsh-windows-bin-');
    mkdirSync(path.join(dir, 'bin'));
    symlinkSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'bin/rsh-transport.js'), windows);
    const run = spawnSync(process.execPath, [path.join(dir, 'bin/rsh-transport.js'), '--version'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^rsh-transport \d+\.\d+\.\d+ \(stderr endpoint: /);
  });

  it('preinstall changes an installed copy only, never a checkout of the repository', async () => {
    const { isInstalledCopy } = await windowsBin();
    const project = scratchDir('rsh-windows-bin-project-');
    const installed = path.join(project, 'node_modules/rsh-transport');
    mkdirSync(installed, { recursive: true });
    assert.equal(isInstalledCopy(installed, project), true, 'npm install run in the project');
    assert.equal(isInstalledCopy(installed, undefined), true);
    assert.equal(isInstalledCopy(installed, installed), false, 'npm install run in the package itself');
    assert.equal(isInstalledCopy(ROOT, project), false, 'a checkout (.git), linked from a project');
  });

  it('preinstall leaves the file alone elsewhere', () => {
    const before = readFileSync(CLI, 'utf8');
    const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/windows-bin.mjs')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(CLI, 'utf8'), before);
  });
});
