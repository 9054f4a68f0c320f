// `npm run bench [-- --quick] [-- --only=core,pump,...]`: every benchmark, one table.

import os from 'node:os';
import { printTable, type Options, type Row } from './harness.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const options: Options = { quick, runs: quick ? 1 : 5 };

const suites: Record<string, () => Promise<{ run(o: Options): Promise<Row[]> }>> = {
  core: () => import('./core.js'),
  pump: () => import('./pump.js'),
  tunnel: () => import('./tunnel.js'),
  wakeup: () => import('./wakeup.js'),
  scale: () => import('./scale.js'),
  drain: () => import('./drain.js'),
  command: () => import('./command.js'),
  clients: () => import('./clients.js'),
  multiplex: () => import('./multiplex.js'),
};

const rows: Row[] = [];
for (const [name, load] of Object.entries(suites)) {
  if (only && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  rows.push(...(await (await load()).run(options)));
}
const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `rsh-transport benchmarks: node ${process.version}, ${os.cpus().length} x ${cpu}, ${quick ? 'quick mode (figures not meaningful)' : `median of ${options.runs} runs (min-max)`}`,
);
console.log(printTable(rows));
