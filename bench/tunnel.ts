// The protocol stream: bytes through the RemoteShell Duplex to a local child (cat) and back,
// against Node's raw child_process stdio to the same child, in the same run.

import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { openRemoteShell } from '../host/index.js';
import { interleaved, throughput, GiB, MiB, type Options, type Row } from './harness.js';

// The same child both ways: a shell that becomes cat (the host argument is ignored).
const CHILD = ['sh', '-c', 'exec cat', 'sh'];
const block = Buffer.alloc(MiB, 0x61);

async function roundTrip(input: Writable, output: Readable, bytes: number): Promise<void> {
  let received = 0;
  const done = new Promise<void>((resolve, reject) => {
    output.on('data', (chunk: Buffer) => (received += chunk.length));
    output.on('end', () => (received === bytes ? resolve() : reject(new Error(`received ${received} of ${bytes}`))));
    output.on('error', reject);
  });
  for (let sent = 0; sent < bytes; sent += block.length) {
    if (!input.write(block)) await new Promise((resolve) => input.once('drain', resolve));
  }
  input.end();
  await done;
}

async function viaTunnel(bytes: number): Promise<number> {
  const t0 = performance.now();
  const shell = openRemoteShell({ host: 'bench', rsh: CHILD, stderr: 'capture' });
  await roundTrip(shell.stream, shell.stream, bytes);
  await shell.finished;
  return throughput(bytes, performance.now() - t0);
}

async function viaNode(bytes: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn(CHILD[0], [...CHILD.slice(1), 'bench'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await roundTrip(child.stdin, child.stdout, bytes);
  await new Promise((resolve) => child.on('close', resolve));
  return throughput(bytes, performance.now() - t0);
}

export async function run(options: Options): Promise<Row[]> {
  const total = options.quick ? 128 * MiB : GiB;
  const [tunnel, node] = await interleaved(options.runs, [() => viaTunnel(total), () => viaNode(total)]);
  return [
    {
      group: 'tunnel',
      name: `${total / MiB} MiB to cat and back through RemoteShell.stream`,
      unit: 'MiB/s',
      figure: tunnel,
      baselineName: 'raw child_process stdio',
      baseline: node,
      higherIsBetter: true,
      target: '>= 0.95x',
    },
  ];
}
