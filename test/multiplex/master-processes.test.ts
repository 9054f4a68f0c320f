// Finding a control socket's master by its command line, from /proc and from ps (the fallback
// of systems without /proc, forced here on Linux): both find the starter's argv and the title a
// master may set, and neither finds a session (ControlMaster=no) or another socket's master.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { masterProcesses, processSource, type ProcessSource } from '../../host/multiplex/master-processes.js';
import { waitFor } from '../helpers/promises.js';
import { killGroup } from '../helpers/proc.js';

describe('master processes: found by their command line', () => {
  const socket = `/tmp/rsh-test-${process.pid}/0123456789abcdef`;
  const children: ChildProcess[] = [];
  const start = (argv0: string, args: string[]): ChildProcess => {
    // A shell that waits, with these words in its command line (its $0 and arguments); bash's
    // exec -a sets the first word as ssh's setproctitle would show it. `; :` keeps the shell
    // from becoming sleep, whose command line would be its own.
    const child = spawn('bash', ['-c', `exec -a "${argv0}" bash -c 'sleep 60; :' ${args.join(' ')}`], { stdio: 'ignore', detached: true });
    children.push(child);
    return child;
  };
  after(() => {
    for (const child of children) killGroup(child);
  });

  it(`this system reads them from ${processSource()}`, () => {
    assert.equal(processSource(), 'proc', 'Linux has /proc');
  });

  for (const source of ['proc', 'ps'] as ProcessSource[]) {
    it(`from ${source}: the starter and a titled master, not a session nor another socket's`, async () => {
      const starter = start('ssh', ['-o', 'ControlMaster=yes', '-o', `ControlPath=${socket}`, '-N', 'host']);
      const titled = start(`ssh: ${socket} [mux]`, []);
      start('ssh', ['-o', 'ControlMaster=no', '-o', `ControlPath=${socket}`, 'host', 'true']);
      start('ssh', ['-o', 'ControlMaster=yes', '-o', `ControlPath=${socket}x`, '-N', 'host']);
      const expected = [starter.pid!, titled.pid!].sort((a, b) => a - b);
      // Until its exec, each fake's command line is the outer bash's, which names the socket too
      // (a loaded machine sees that window): wait until every one runs as itself.
      const asItself = (child: ChildProcess): boolean => {
        try {
          return !readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes('exec -a');
        } catch {
          return false;
        }
      };
      await waitFor(() => children.every(asItself), 'the fake processes run as themselves');
      await waitFor(async () => (await masterProcesses(socket, source)).length >= 2, 'the fake masters run');
      assert.deepEqual(
        (await masterProcesses(socket, source)).sort((a, b) => a - b),
        expected,
      );
      for (const child of children.splice(0)) killGroup(child);
    });
  }
});
