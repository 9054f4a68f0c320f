// Wake-up: from the child's exit to `finished` while a grandchild still holds the child's
// stderr, with each stderr backend, against Node's own 'close' in the same scenario (which
// waits for the grandchild).

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRemoteShell } from '../host/index.js';
import { internal } from '../host/internal.js';
import { loadBinding } from '../host/native/binding.js';
import { interleaved, type Options, type Row } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOCKETPAIR = path.join(root, 'build/variants/socketpair/build/Release/rsh_transport.node');

function scenario(holdSeconds: number): string[] {
  // The grandchild keeps stderr (only) open for holdSeconds after the child has exited.
  return ['sh', '-c', `echo bye >&2; sleep ${holdSeconds} >/dev/null & exit 0`, 'sh'];
}

async function transport(bindingPath: string, holdSeconds: number): Promise<number> {
  const shell = openRemoteShell({
    host: 'bench',
    rsh: scenario(holdSeconds),
    stderr: 'capture',
    [internal]: { binding: loadBinding(bindingPath) },
  } as Parameters<typeof openRemoteShell>[0]);
  shell.stream.resume();
  await shell.exited;
  const t0 = performance.now();
  await shell.finished;
  return performance.now() - t0;
}

async function nodeClose(holdSeconds: number): Promise<number> {
  const argv = scenario(holdSeconds);
  const child = spawn(argv[0], [...argv.slice(1), 'bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  let exitedAt = 0;
  child.on('exit', () => (exitedAt = performance.now()));
  await new Promise((resolve) => child.on('close', resolve));
  return performance.now() - exitedAt;
}

export async function run(options: Options): Promise<Row[]> {
  const hold = options.quick ? 0.3 : 1;
  const pipePath = loadBinding().path;
  const [pipe, socketpair, node] = await interleaved(options.runs, [
    () => transport(pipePath, hold),
    () => transport(SOCKETPAIR, hold),
    () => nodeClose(hold),
  ]);
  const name = (backend: string) => `exit -> finished, grandchild holds stderr ${hold} s (${backend})`;
  return [
    {
      group: 'wake-up',
      name: name('socketpair'),
      unit: 'ms',
      figure: socketpair,
      baselineName: "node 'close'",
      baseline: node,
      higherIsBetter: false,
      target: '< 50 ms',
    },
    {
      group: 'wake-up',
      name: name('pipe, 100 ms drain deadline'),
      unit: 'ms',
      figure: pipe,
      baselineName: "node 'close'",
      baseline: node,
      higherIsBetter: false,
    },
  ];
}
