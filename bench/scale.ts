// Scale: RSS growth per remote shell open at once, at 100 and at 1,000, through rsh-transport
// against Node's child_process with piped stdio, each measured in a fresh process.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleaved, type Options, type Row } from './harness.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scale-worker.ts');

function measure(mode: 'transport' | 'node', count: number): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', worker, mode, String(count)], { encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { rssPerOpenKiB: number }).rssPerOpenKiB;
}

export async function run(options: Options): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of options.quick ? [100] : [100, 1000]) {
    // A thousand spawns take long on a shared machine: fewer runs for them.
    const runs = count >= 1000 ? 1 : Math.min(options.runs, 3);
    const [ours, node] = await interleaved(runs, [() => measure('transport', count), () => measure('node', count)]);
    rows.push({
      group: 'scale',
      name: `RSS growth per remote shell, ${count} open at once`,
      unit: 'KiB',
      figure: ours,
      baselineName: 'child_process piped',
      baseline: node,
      higherIsBetter: false,
      target: '< 256 KiB',
    });
  }
  return rows;
}
