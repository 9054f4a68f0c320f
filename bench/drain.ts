// The library's stderr drain, the whole path through openRemoteShell (spawn, endpoint, pump,
// core, forwarder, settle): a child floods its stderr, against `cat` draining the same writer
// through a pipe, and against Node's own child_process 'data' drain for the garbage it makes.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { openRemoteShell, type StderrOption } from '../host/index.js';
import { interleaved, sample, throughput, MiB, type Options, type Row } from './harness.js';

const writer = (bytes: number): string => `dd if=/dev/zero bs=1M count=${bytes / MiB} status=none`;

interface Drained {
  mibs: number;
  gcs: number;
}

/** Counts the GCs that happen while `work` runs. */
async function counting(work: () => Promise<number>): Promise<Drained> {
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const mibs = await work();
  await new Promise((resolve) => setImmediate(resolve)); // let the observer see the last entries
  observer.disconnect();
  return { mibs, gcs };
}

function viaShell(bytes: number, stderr: StderrOption): Promise<Drained> {
  return counting(async () => {
    const t0 = performance.now();
    const shell = openRemoteShell({ host: 'bench', rsh: ['sh', '-c', `${writer(bytes)} >&2`, 'sh'], stderr });
    await shell.finished;
    const ms = performance.now() - t0;
    if (shell.stderr.stats.bytesSeen !== bytes) throw new Error(`saw ${shell.stderr.stats.bytesSeen} of ${bytes} bytes`);
    return throughput(bytes, ms);
  });
}

function viaNodeData(bytes: number): Promise<Drained> {
  return counting(async () => {
    const t0 = performance.now();
    const child = spawn('sh', ['-c', `${writer(bytes)} >&2`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let seen = 0;
    child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.length));
    await new Promise((resolve) => child.on('close', resolve));
    if (seen !== bytes) throw new Error(`node saw ${seen} of ${bytes} bytes`);
    return throughput(bytes, performance.now() - t0);
  });
}

async function viaCat(bytes: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `${writer(bytes)} | cat >/dev/null`], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('close', resolve));
  return throughput(bytes, performance.now() - t0);
}

export async function run(options: Options): Promise<Row[]> {
  const total = options.quick ? 64 * MiB : 512 * MiB;
  const sink = createWriteStream('/dev/null');
  // One of each first: what a process sets up once (the core's compilation, libuv's SIGCHLD
  // pipe) is not the drain's.
  await viaShell(MiB, 'capture');
  await viaShell(MiB, sink);
  const runs: Record<'capture' | 'forward' | 'node', Drained[]> = { capture: [], forward: [], node: [] };
  const [cat] = await interleaved(options.runs, [
    async () => {
      runs.capture.push(await viaShell(total, 'capture'));
      runs.forward.push(await viaShell(total, sink));
      runs.node.push(await viaNodeData(total));
      return viaCat(total);
    },
  ]);
  sink.destroy();
  const mibs = (list: Drained[]) => sample(list.map((d) => d.mibs));
  const gcs = (list: Drained[]) => sample(list.map((d) => d.gcs));
  const name = (how: string) => `${how}, ${total / MiB} MiB of stderr through openRemoteShell`;
  return [
    {
      group: 'drain',
      name: name("'capture'"),
      unit: 'MiB/s',
      figure: mibs(runs.capture),
      baselineName: 'dd | cat',
      baseline: cat,
      higherIsBetter: true,
      target: '>= 0.9x',
    },
    {
      group: 'drain',
      name: name('forwarded to an fs.WriteStream'),
      unit: 'MiB/s',
      figure: mibs(runs.forward),
      baselineName: 'dd | cat',
      baseline: cat,
      higherIsBetter: true,
      target: '>= 0.9x',
    },
    {
      group: 'drain',
      name: `GCs, ${name("'capture'")}`,
      unit: 'GCs',
      figure: gcs(runs.capture),
      baselineName: "node 'data'",
      baseline: gcs(runs.node),
      higherIsBetter: false,
      target: '0',
    },
    {
      group: 'drain',
      name: `GCs, ${name('forwarded to an fs.WriteStream')}`,
      unit: 'GCs',
      figure: gcs(runs.forward),
      baselineName: "node 'data'",
      baseline: gcs(runs.node),
      higherIsBetter: false,
      target: '0',
    },
  ];
}
