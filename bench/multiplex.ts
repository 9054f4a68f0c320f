// Shared connections: 20 sequential sessions running `true` against an sshd on 127.0.0.1, each
// through the library, with `multiplex` (one ControlMaster, one handshake) against without (a
// handshake per session); and what the first session pays for starting the master.

import { closeMultiplexedConnections, openRemoteShell, type OpenRemoteShellOptions } from '../host/index.js';
import { startSshd, type Sshd } from '../test/peers/sshd.js';
import { interleaved, sample, skipped, type Options, type Row } from './harness.js';

const SESSIONS = 20;

async function session(options: OpenRemoteShellOptions): Promise<number> {
  const started = performance.now();
  const shell = openRemoteShell(options);
  shell.stream.resume();
  await shell.finished;
  return performance.now() - started;
}

/** Wall time of `count` sessions one after the other; the first session's time too. */
async function sequence(options: OpenRemoteShellOptions, count: number): Promise<{ total: number; first: number }> {
  const started = performance.now();
  const first = await session(options);
  for (let i = 1; i < count; i++) await session(options);
  return { total: performance.now() - started, first };
}

export async function run(options: Options): Promise<Row[]> {
  let sshd: Sshd;
  try {
    sshd = await startSshd();
  } catch (err) {
    return [skipped('multiplex', `${SESSIONS} sequential sessions`, 'a connection each', err)];
  }
  try {
    const count = options.quick ? 3 : SESSIONS;
    const base: OpenRemoteShellOptions = {
      host: sshd.host,
      user: sshd.user,
      rsh: ['ssh', ...sshd.sshOptions],
      command: ['true'],
      stderr: 'capture',
    };
    const firsts: number[] = [];
    const plainFirsts: number[] = [];
    const [shared, plain] = await interleaved(options.runs, [
      async () => {
        // Each run starts its own master: its cost is part of the figure.
        const { total, first } = await sequence({ ...base, multiplex: true }, count);
        firsts.push(first);
        await closeMultiplexedConnections();
        return total;
      },
      async () => {
        const { total, first } = await sequence(base, count);
        plainFirsts.push(first);
        return total;
      },
    ]);
    const first = sample(firsts);
    const plainFirst = sample(plainFirsts);
    return [
      {
        group: 'multiplex',
        name: `${count} sequential sessions running true, wall (master start included)`,
        unit: 'ms',
        figure: shared,
        baselineName: 'a connection each',
        baseline: plain,
        higherIsBetter: false,
        plainRatio: true,
        target: '<= 0.5x',
        note: `${(shared.median / count).toFixed(1)} ms a session against ${(plain.median / count).toFixed(1)} ms (medians)`,
      },
      {
        group: 'multiplex',
        name: 'first session (starts the master), wall',
        unit: 'ms',
        figure: first,
        baselineName: 'a connection of its own',
        baseline: plainFirst,
        higherIsBetter: false,
        plainRatio: true,
        note: `${(first.median - plainFirst.median).toFixed(1)} ms extra for starting the master (medians)`,
      },
    ];
  } finally {
    await closeMultiplexedConnections();
    await sshd.stop();
  }
}
