// Draining a child's stderr: the pump into the core, against Node's own child_process 'data'
// drain and a raw `cat` of the same stream, each time fed by the same writer: `head -c`, which
// writes 8 KiB at a time (the writer is then the limit), and `dd bs=1M`, as fast as a child can.

import { spawn } from 'node:child_process';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { StderrCapture } from '../host/core/index.js';
import { StderrChannel } from '../host/stderr/channel.js';
import { interleaved, sample, throughput, GiB, MiB, type Options, type Row } from './harness.js';

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

type Writer = (bytes: number) => string;
const head: Writer = (bytes) => `head -c ${bytes} /dev/zero`;
const dd: Writer = (bytes) => `dd if=/dev/zero bs=1M count=${bytes / MiB} status=none`;

async function pump(bytes: number, writer: Writer = head): Promise<number> {
  const capture = new StderrCapture();
  capture.setFrameConsumer({ consume() {} });
  const channel = new StderrChannel(capture);
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `${writer(bytes)} >&2`], { stdio: ['ignore', 'ignore', channel.childFd] });
  channel.spawned();
  child.on('exit', () => channel.finish(100));
  await channel.ended;
  const ms = performance.now() - t0;
  if (capture.stats.bytesSeen !== bytes) throw new Error(`pump saw ${capture.stats.bytesSeen} of ${bytes} bytes`);
  capture.close();
  return throughput(bytes, ms);
}

async function nodeData(bytes: number, writer: Writer = head): Promise<number> {
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `${writer(bytes)} >&2`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let seen = 0;
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.length));
  await exited(child);
  const ms = performance.now() - t0;
  if (seen !== bytes) throw new Error(`node saw ${seen} of ${bytes} bytes`);
  return throughput(bytes, ms);
}

async function raw(bytes: number, writer: Writer = head): Promise<number> {
  const t0 = performance.now();
  await exited(spawn('sh', ['-c', `${writer(bytes)} | cat >/dev/null`], { stdio: 'ignore' }));
  return throughput(bytes, performance.now() - t0);
}

/** GCs and heap growth while draining `bytes`, by the pump or by Node's 'data' path. */
async function gcCost(
  drain: (bytes: number, writer: Writer) => Promise<number>,
  bytes: number,
): Promise<{ gcs: number; heapGrowth: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  await drain(bytes, dd);
  await new Promise((resolve) => setImmediate(resolve)); // let the observer see the last entries
  observer.disconnect();
  gc?.();
  return { gcs, heapGrowth: process.memoryUsage().heapUsed - heapBefore };
}

export async function run(options: Options): Promise<Row[]> {
  const total = options.quick ? 128 * MiB : GiB;
  const [pumped, node, cat, pumpedDd, nodeDd, catDd] = await interleaved(options.runs, [
    () => pump(total),
    () => nodeData(total),
    () => raw(total),
    () => pump(total, dd),
    () => nodeData(total, dd),
    () => raw(total, dd),
  ]);
  const half = total / 2;
  const gcRuns = Math.max(1, Math.min(options.runs, 3));
  const pumpGc: { gcs: number; heapGrowth: number }[] = [];
  const nodeGc: { gcs: number; heapGrowth: number }[] = [];
  for (let i = 0; i < gcRuns; i++) {
    pumpGc.push(await gcCost(pump, half));
    nodeGc.push(await gcCost(nodeData, half));
  }
  const gcNote = (global as { gc?: unknown }).gc ? '' : ' (run without --expose-gc: heap figures include garbage)';
  return [
    {
      group: 'pump',
      name: `head -c ${total / MiB}M >&2, pump into the core`,
      unit: 'MiB/s',
      figure: pumped,
      baselineName: 'head | cat',
      baseline: cat,
      higherIsBetter: true,
      target: '>= 0.9x',
    },
    {
      group: 'pump',
      name: `head -c ${total / MiB}M >&2, pump into the core`,
      unit: 'MiB/s',
      figure: pumped,
      baselineName: "node 'data'",
      baseline: node,
      higherIsBetter: true,
      target: '>= 1.5x',
    },
    {
      group: 'pump',
      name: `dd bs=1M (${total / MiB} MiB) >&2, pump into the core`,
      unit: 'MiB/s',
      figure: pumpedDd,
      baselineName: 'dd | cat',
      baseline: catDd,
      higherIsBetter: true,
      target: '>= 0.9x',
    },
    {
      group: 'pump',
      name: `dd bs=1M (${total / MiB} MiB) >&2, pump into the core`,
      unit: 'MiB/s',
      figure: pumpedDd,
      baselineName: "node 'data'",
      baseline: nodeDd,
      higherIsBetter: true,
      target: '>= 1.5x',
    },
    {
      group: 'pump',
      name: `GCs while draining ${half / MiB} MiB`,
      unit: 'GCs',
      figure: sample(pumpGc.map((g) => g.gcs)),
      baselineName: "node 'data'",
      baseline: sample(nodeGc.map((g) => g.gcs)),
      higherIsBetter: false,
      target: '<= 2 GCs',
    },
    {
      group: 'pump',
      name: `JS heap growth over a ${half / MiB} MiB drain`,
      unit: 'KiB',
      figure: sample(pumpGc.map((g) => g.heapGrowth / 1024)),
      baselineName: "node 'data'",
      baseline: sample(nodeGc.map((g) => g.heapGrowth / 1024)),
      higherIsBetter: false,
      target: '< 1024 KiB',
      note: `heap growth after a forced GC${gcNote}`,
    },
  ];
}
