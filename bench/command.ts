// The command in ssh's place: its start (through the native launcher, and through Node) against
// a bare start, one connection's CPU, memory and wall (both ways), a git clone, and rsync to a
// real sshd on 127.0.0.1 through it against plain ssh, alternating. CPU is the whole process tree on both
// ends: the rsync client with its remote shell (a shell's `times` for its waited-for children),
// and the server side (the sshd listener's children's times, from /proc, as it reaps them).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openRemoteShell } from '../host/index.js';
import { cliEnv, nodeCommandEnv } from '../test/helpers/cli.js';
import { startSshd, type Sshd } from '../test/peers/sshd.js';
import { installedLikeNpm } from './installed.js';
import { interleaved, sample, skipped, MiB, type Options, type Row, type Sample } from './harness.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Cost {
  wallMs: number;
  cpuMs: number;
}

/** Runs a bash script; its children's CPU time is what `times` prints on its second line. */
async function bash(script: string, env: NodeJS.ProcessEnv = cliEnv()): Promise<Cost> {
  const t0 = performance.now();
  const child = spawn('bash', ['-c', `${script}\ntimes`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - t0;
  if (status !== 0) throw new Error(`bench script failed (${status}): ${script}\n${err}`);
  const children = out
    .trim()
    .split('\n')
    .at(-1)!
    .match(/(\d+)m([\d.]+)s/g)!;
  const cpuMs = children
    .map((t) => {
      const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)!;
      return (Number(m) * 60 + Number(s)) * 1000;
    })
    .reduce((a, b) => a + b, 0);
  return { wallMs, cpuMs };
}

/** CPU time of what the sshd listener has reaped so far (sessions, remote rsyncs). */
function serverCpuMs(sshd: Sshd): number {
  const pid = Number(readFileSync(path.join(sshd.dir, 'sshd.pid'), 'utf8'));
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat(5), cutime and cstime, are the 14th and 15th after the name.
  return (Number(fields[13]) + Number(fields[14])) * (1000 / TICKS_PER_SECOND);
}

async function rsyncCost(sshd: Sshd, rsh: string, src: string, dst: string): Promise<Cost> {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst);
  const before = serverCpuMs(sshd);
  const cost = await bash(`rsync -a --whole-file -e ${JSON.stringify(rsh)} ${src} ${sshd.user}@${sshd.host}:${dst}/`);
  // The server's session ends a moment after the client's: wait until its times are in.
  let server = serverCpuMs(sshd) - before;
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = serverCpuMs(sshd) - before;
    if (now === server && now > 0) break;
    server = now;
  }
  return { wallMs: cost.wallMs, cpuMs: cost.cpuMs + server };
}

/** A bare repository of a few hundred commits on the server's side, for git clone. */
async function bareRepository(dir: string): Promise<string> {
  const work = path.join(dir, 'git-work');
  const bare = path.join(dir, 'repo.git');
  await bash(
    [
      `git init -q -b main ${work}`,
      `cd ${work}`,
      'for i in $(seq 1 200); do head -c 4096 /dev/urandom > "f$((i % 20))"; git add -A; git -c user.name=b -c user.email=b@b commit -qm "$i"; done',
      `git clone -q --bare ${work} ${bare}`,
    ].join(' && '),
  );
  return bare;
}

async function gitClone(sshd: Sshd, repo: string, sshCommand: string, scratch: string): Promise<Footprint> {
  const dst = path.join(scratch, 'clone');
  rmSync(dst, { recursive: true, force: true });
  return footprint(['git', 'clone', '-q', `ssh://${sshd.user}@${sshd.host}${repo}`, dst], cliEnv({ GIT_SSH_COMMAND: sshCommand }));
}

/** The suite's ssh options without their ConnectTimeout, so that the library's default shows. */
function withoutConnectTimeout(words: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-o' && /^ConnectTimeout=/i.test(words[i + 1] ?? '')) i++;
    else kept.push(words[i]);
  }
  return kept;
}

function cliRsh(command: string, sshd: Sshd): string {
  return `${command} --rsh=${JSON.stringify(sshd.rsh)}`;
}

interface Footprint {
  wallMs: number;
  cpuMs: number;
  /** The peak resident memory of the largest process among those waited for (ru_maxrss). */
  peakMiB: number;
}

// Python's getrusage(RUSAGE_CHILDREN) after the run: the CPU of the whole tree it waited for,
// and the peak of its largest process, without Python's own start in either.
const FOOTPRINT = `import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
wall = (time.perf_counter() - t) * 1000
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, (r.ru_utime + r.ru_stime) * 1000, r.ru_maxrss / 1024)`;

async function footprint(argv: string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<Footprint> {
  const child = spawn('python3', ['-c', FOOTPRINT, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`bench run failed (${status}): ${argv.join(' ')}\n${err}`);
  const [wallMs, cpuMs, peakMiB] = out.trim().split(' ').map(Number);
  return { wallMs, cpuMs, peakMiB };
}

/** One connection that runs `true` on the server, through `rsh` words, and what it cost the client. */
function connection(sshd: Sshd, rsh: string[], env?: NodeJS.ProcessEnv): Promise<Footprint> {
  return footprint([...rsh, '-l', sshd.user, sshd.host, 'true'], env);
}

async function startCost(command: string, env?: NodeJS.ProcessEnv): Promise<number> {
  return (await bash(command, env)).wallMs;
}

export async function run(options: Options): Promise<Row[]> {
  const installed = installedLikeNpm();
  try {
    return await measure(options, installed.command);
  } finally {
    installed.remove();
  }
}

async function measure(options: Options, command: string): Promise<Row[]> {
  const rows: Row[] = [];
  const startRuns = options.quick ? 3 : 21;
  const [nativeStart, bareStart, cliStart, nodeStart] = await interleaved(startRuns, [
    () => startCost(`${command} --rsh=true host`),
    () => startCost('true host'),
    () => startCost(`${command} --rsh=true host`, nodeCommandEnv()),
    () => startCost('node -e 0'),
  ]);
  rows.push(
    {
      group: 'command',
      name: 'start to exit, --rsh=true (sh, native launcher, spawn)',
      unit: 'ms',
      figure: nativeStart,
      baselineName: 'true alone',
      baseline: bareStart,
      higherIsBetter: false,
      plainRatio: true,
      target: '<= +5 ms',
      note: `${(nativeStart.median - bareStart.median).toFixed(1)} ms over running true (medians; each includes a bash that times it)`,
    },
    {
      group: 'command',
      name: 'start to exit, --rsh=true through Node (RSH_TRANSPORT_NATIVE=0: sh, Node, bundle, spawn)',
      unit: 'ms',
      figure: cliStart,
      baselineName: 'node -e 0',
      baseline: nodeStart,
      higherIsBetter: false,
      plainRatio: true,
      target: '<= +20 ms',
      note: `${(cliStart.median - nodeStart.median).toFixed(1)} ms over Node's own start (medians; each includes a bash that times it)`,
    },
  );

  // The command's own work per connection, apart from the remote shell's: ssh's CPU for one
  // connection (key exchange, authentication) varies by several ms between runs, more than the
  // whole cost of the command, so a difference of medians against plain ssh cannot show it.
  // With `true` as the remote shell, all that differs is the command.
  const [ownCpu, bareCpu] = await interleaved(options.quick ? 3 : 41, [
    async () => (await footprint([command, '--rsh=true', 'host'])).cpuMs,
    async () => (await footprint(['true', 'host'])).cpuMs,
  ]);
  rows.push({
    group: 'command',
    name: "the command's own CPU per connection (--rsh=true, run through npm's node_modules/.bin link)",
    unit: 'ms',
    figure: ownCpu,
    baselineName: 'true alone',
    baseline: bareCpu,
    higherIsBetter: false,
    plainRatio: true,
    target: '<= +5 ms',
    note: `${(ownCpu.median - bareCpu.median).toFixed(2)} ms added per connection (medians; the sh that starts the launcher, the launcher, its keeper)`,
  });

  let sshd: Sshd;
  try {
    sshd = await startSshd();
  } catch (err) {
    rows.push(skipped('command', 'rsync through the command', 'plain ssh', err));
    return rows;
  }
  const cleanup: Array<() => void> = [];
  try {
    const size = options.quick ? 32 * MiB : 512 * MiB;
    const src = path.join(sshd.dir, 'big');
    await bash(`head -c ${size} /dev/urandom > ${src}`);
    const small = path.join(sshd.dir, 'small');
    await bash(`head -c 1024 /dev/urandom > ${small}`);
    // The destination in RAM where there is a tmpfs: writing 512 MiB to disk each run made the
    // server's CPU time swing by half between runs of the same command.
    const scratch = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/rsh-transport-bench-') : sshd.dir;
    cleanup.push(() => rmSync(scratch, { recursive: true, force: true }));
    const dst = path.join(scratch, 'dst');
    // Four busy processes on a small shared machine: many alternations, so that the medians of
    // both sides see the same luck.
    const runs = options.quick ? 1 : 15;
    const big: Record<'cli' | 'ssh', Cost[]> = { cli: [], ssh: [] };
    await interleaved(runs, [
      async () => (big.cli.push(await rsyncCost(sshd, cliRsh(command, sshd), src, dst)), 0),
      async () => (big.ssh.push(await rsyncCost(sshd, sshd.rsh, src, dst)), 0),
    ]);
    const one: Record<'cli' | 'ssh', Cost[]> = { cli: [], ssh: [] };
    await interleaved(options.quick ? 2 : 15, [
      async () => (one.cli.push(await rsyncCost(sshd, cliRsh(command, sshd), small, dst)), 0),
      async () => (one.ssh.push(await rsyncCost(sshd, sshd.rsh, small, dst)), 0),
    ]);
    const perConnection: Record<'cli' | 'node' | 'ssh', Footprint[]> = { cli: [], node: [], ssh: [] };
    const sshWords = ['ssh', ...sshd.sshOptions];
    await interleaved(options.quick ? 2 : 21, [
      async () => (perConnection.cli.push(await connection(sshd, [command, `--rsh=${sshd.rsh}`])), 0),
      async () => (perConnection.node.push(await connection(sshd, [command, `--rsh=${sshd.rsh}`], nodeCommandEnv())), 0),
      async () => (perConnection.ssh.push(await connection(sshd, sshWords)), 0),
    ]);
    // The library's default ssh options (keepalive, connect timeout) against none: a session's
    // whole life through openRemoteShell, from the call to finished.
    const session = async (defaults: boolean): Promise<number> => {
      const t0 = performance.now();
      const shell = openRemoteShell({
        host: sshd.host,
        user: sshd.user,
        rsh: ['ssh', ...withoutConnectTimeout(sshd.sshOptions)],
        ...(defaults ? {} : { keepalive: false as const, connectTimeoutMs: 0 }),
        command: ['true'],
        stderr: 'capture',
      });
      shell.stream.resume();
      await shell.finished;
      return performance.now() - t0;
    };
    const [withDefaults, without] = await interleaved(options.quick ? 2 : 21, [() => session(true), () => session(false)]);
    rows.push({
      group: 'command',
      name: 'openRemoteShell session (ssh host true) with the default keepalive and connect timeout',
      unit: 'ms',
      figure: withDefaults,
      baselineName: 'without them',
      baseline: without,
      higherIsBetter: false,
      plainRatio: true,
      target: '<= 1.02x',
    });
    const clone: Record<'cli' | 'ssh', Footprint[]> = { cli: [], ssh: [] };
    const repo = await bareRepository(sshd.dir);
    await interleaved(options.quick ? 1 : 9, [
      async () => (clone.cli.push(await gitClone(sshd, repo, cliRsh(command, sshd), scratch)), 0),
      async () => (clone.ssh.push(await gitClone(sshd, repo, sshd.rsh, scratch)), 0),
    ]);
    const of = <T extends object>(costs: T[], key: keyof T): Sample => sample(costs.map((c) => c[key] as number));
    const added = (a: Sample, b: Sample, unit: string) => `${(a.median - b.median).toFixed(1)} ${unit} added per connection (medians)`;
    rows.push(
      {
        group: 'command',
        name: 'one connection (ssh host true), CPU of the client side',
        unit: 'ms',
        figure: of(perConnection.cli, 'cpuMs'),
        baselineName: 'plain ssh',
        baseline: of(perConnection.ssh, 'cpuMs'),
        higherIsBetter: false,
        plainRatio: true,
        note: `${added(of(perConnection.cli, 'cpuMs'), of(perConnection.ssh, 'cpuMs'), 'ms')}; ssh's own CPU swings by more between runs: the command's own row is its cost`,
      },
      {
        group: 'command',
        name: 'one connection (ssh host true), peak memory of its largest process',
        unit: 'MiB',
        figure: of(perConnection.cli, 'peakMiB'),
        baselineName: 'plain ssh',
        baseline: of(perConnection.ssh, 'peakMiB'),
        higherIsBetter: false,
        plainRatio: true,
        target: '<= +8 MiB',
        note: added(of(perConnection.cli, 'peakMiB'), of(perConnection.ssh, 'peakMiB'), 'MiB'),
      },
      {
        group: 'command',
        name: 'one connection (ssh host true) through Node (RSH_TRANSPORT_NATIVE=0), CPU of the client side',
        unit: 'ms',
        figure: of(perConnection.node, 'cpuMs'),
        baselineName: 'plain ssh',
        baseline: of(perConnection.ssh, 'cpuMs'),
        higherIsBetter: false,
        plainRatio: true,
        note: added(of(perConnection.node, 'cpuMs'), of(perConnection.ssh, 'cpuMs'), 'ms'),
      },
      {
        group: 'command',
        name: 'one connection (ssh host true) through Node (RSH_TRANSPORT_NATIVE=0), peak memory of its largest process',
        unit: 'MiB',
        figure: of(perConnection.node, 'peakMiB'),
        baselineName: 'plain ssh',
        baseline: of(perConnection.ssh, 'peakMiB'),
        higherIsBetter: false,
        plainRatio: true,
        note: added(of(perConnection.node, 'peakMiB'), of(perConnection.ssh, 'peakMiB'), 'MiB'),
      },
      {
        group: 'command',
        name: 'one connection (ssh host true), wall',
        unit: 'ms',
        figure: of(perConnection.cli, 'wallMs'),
        baselineName: 'plain ssh',
        baseline: of(perConnection.ssh, 'wallMs'),
        higherIsBetter: false,
        plainRatio: true,
        note: added(of(perConnection.cli, 'wallMs'), of(perConnection.ssh, 'wallMs'), 'ms'),
      },
      {
        group: 'command',
        name: 'git clone over ssh (GIT_SSH_COMMAND; the -G probe and the session), wall',
        unit: 'ms',
        figure: of(clone.cli, 'wallMs'),
        baselineName: 'plain ssh',
        baseline: of(clone.ssh, 'wallMs'),
        higherIsBetter: false,
        plainRatio: true,
        target: '<= 1.05x',
      },
    );
    const what = `rsync -a --whole-file of ${size / MiB} MiB to sshd on 127.0.0.1`;
    rows.push(
      {
        group: 'command',
        name: `${what}, wall`,
        unit: 'ms',
        figure: of(big.cli, 'wallMs'),
        baselineName: 'plain ssh',
        baseline: of(big.ssh, 'wallMs'),
        higherIsBetter: false,
        plainRatio: true,
        target: '<= 1.03x',
      },
      {
        group: 'command',
        name: `${what}, CPU of both process trees`,
        unit: 'ms',
        figure: of(big.cli, 'cpuMs'),
        baselineName: 'plain ssh',
        baseline: of(big.ssh, 'cpuMs'),
        higherIsBetter: false,
        plainRatio: true,
        target: '<= 1.05x',
      },
      {
        group: 'command',
        name: 'one-file rsync (1 KiB), wall per connection',
        unit: 'ms',
        figure: of(one.cli, 'wallMs'),
        baselineName: 'plain ssh',
        baseline: of(one.ssh, 'wallMs'),
        higherIsBetter: false,
        plainRatio: true,
        note: `${(of(one.cli, 'wallMs').median - of(one.ssh, 'wallMs').median).toFixed(1)} ms added per connection (medians)`,
      },
    );
  } finally {
    for (const clean of cleanup) clean();
    await sshd.stop();
  }
  return rows;
}
