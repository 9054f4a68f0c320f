// No master outlives the process that started it, however the process ends: process.exit() in
// the milliseconds between ssh making the master and this process seeing its starter exit, a
// SIGINT handler that exits, an uncaught exception, SIGKILL, a signal without a handler. Each
// case runs a child process against the suite's sshd, then waits for the condition (no master
// under the child's directory, no directory) within a bound.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { OpenRemoteShellOptions } from '../../host/index.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { mastersUnder, running, watchdogsOf } from './masters.js';
import { silentListener } from './silent.js';
import { useSshd } from './sshd.js';

const FIXTURE = path.join(ROOT, 'test/peers/fixtures/multiplex-exit-race.ts');
const ABANDON = path.join(ROOT, 'test/peers/fixtures/multiplex-abandon.ts');

interface Child {
  process: ChildProcess;
  /** The child's runtime directory, once it said it. */
  dir: Promise<string>;
  /** Resolves when the child printed `line`. */
  said(line: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runChild(options: OpenRemoteShellOptions, mode: string, delay = 0): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(options), mode, String(delay)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiting: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    for (const wake of waiting.splice(0)) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  const until = (test: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (test()) resolve();
        else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`the child ended first: ${out}${err}`));
        else waiting.push(check);
      };
      check();
      child.once('exit', check);
    });
  return {
    process: child,
    dir: until(() => out.includes('\n')).then(() => JSON.parse(out.slice(0, out.indexOf('\n'))).dir as string),
    said: (line) => until(() => out.split('\n').includes(line)),
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
}

describe('multiplex: no master outlives its process', function () {
  this.timeout(scaled(120_000));
  const peer = useSshd();
  const options = (): OpenRemoteShellOptions => ({
    host: peer.sshd.host,
    user: peer.sshd.user,
    rsh: ['ssh', ...peer.sshd.sshOptions],
    stderr: 'capture',
    multiplex: true,
    command: ['echo', 'from the child'],
  });

  // The child's directory and its watchdog, once it said where its directory is.
  let left: { dir: string; watchdogs: number[] } | undefined;
  async function started(child: Child): Promise<string> {
    const dir = await child.dir;
    left = { dir, watchdogs: watchdogsOf(child.process.pid!) };
    assert.equal(left.watchdogs.length, 1, 'the child started one watchdog');
    return dir;
  }
  async function nothingLeft(dir: string, how: string): Promise<void> {
    await waitFor(() => mastersUnder(dir).length === 0, `no master is left running after ${how}`);
    await waitFor(() => !existsSync(dir), `the directory ${dir} is gone after ${how}`);
    await waitFor(() => !left!.watchdogs.some(running), `the watchdog is gone after ${how}`);
  }
  // A failed case leaves nothing either.
  afterEach(() => {
    if (!left) return;
    for (const pid of [...mastersUnder(left.dir), ...left.watchdogs.filter(running)]) process.kill(pid, 'SIGKILL');
    rmSync(left.dir, { recursive: true, force: true });
    left = undefined;
  });

  for (let delay = 0; delay <= 20; delay += 2) {
    it(`process.exit() ${delay} ms after the control socket appeared`, async () => {
      const child = runChild(options(), 'exit', delay);
      const dir = await started(child);
      await child.exit;
      await nothingLeft(dir, `process.exit() at ${delay} ms`);
    });
  }

  for (const delay of [0, 1, 3, 5, 10, 20]) {
    it(`a SIGINT handler that exits, the signal ${delay} ms after the socket appeared`, async () => {
      const child = runChild(options(), 'sigint');
      const dir = await started(child);
      await child.said('socket');
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.process.kill('SIGINT');
      assert.equal((await child.exit).code, 130);
      await nothingLeft(dir, `SIGINT at ${delay} ms`);
    });
  }

  it('an uncaught exception while the master starts', async () => {
    const child = runChild(options(), 'throw', 2);
    const dir = await started(child);
    assert.equal((await child.exit).code, 1);
    await nothingLeft(dir, 'an uncaught exception');
  });

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} with no handler, the master running: it is stopped, its directory removed`, async () => {
      const child = runChild(options(), 'settled');
      const dir = await started(child);
      await child.said('settled');
      assert.equal(mastersUnder(dir).length, 1, 'the master runs, persisting');
      child.process.kill(signal);
      assert.equal((await child.exit).signal, signal);
      await nothingLeft(dir, signal);
    });
  }

  it('property: ended at a random moment in a random way, nothing is ever left', async () => {
    const seed = Number(process.env.RSH_MUX_EXIT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const numRuns = Number(process.env.RSH_MUX_EXIT_RUNS ?? 8);
    const way = fc.constantFrom('exit', 'throw', 'SIGINT', 'SIGKILL', 'SIGTERM', 'SIGHUP');
    try {
      await fc.assert(
        fc.asyncProperty(way, fc.integer({ min: 0, max: 20 }), async (how, delay) => {
          const byExit = how === 'exit' || how === 'throw';
          const child = runChild(options(), byExit ? how : 'sigint', delay);
          const dir = await started(child);
          if (!byExit) {
            await child.said('socket');
            await new Promise((resolve) => setTimeout(resolve, delay));
            child.process.kill(how as NodeJS.Signals);
          }
          await child.exit;
          await nothingLeft(dir, `${how} at ${delay} ms`);
          left = undefined;
        }),
        { seed, numRuns },
      );
    } catch (err) {
      throw new Error(`replay with RSH_MUX_EXIT_SEED=${seed}: ${(err as Error).message}`);
    }
  });

  it('SIGKILL while the master starts', async () => {
    const child = runChild(options(), 'sigint');
    const dir = await started(child);
    await child.said('socket');
    child.process.kill('SIGKILL');
    await child.exit;
    await nothingLeft(dir, 'SIGKILL while starting');
  });
});

describe('multiplex: a master that never comes holds no process', function () {
  this.timeout(scaled(60_000));
  const peer = useSshd();

  for (const how of ['abort', 'close', 'kill', 'destroy']) {
    it(`${how} of the last session waiting stops the start, and the process exits by itself`, async () => {
      const silent = await silentListener();
      try {
        // No ConnectTimeout: ssh would wait for the banner for good.
        const rsh = [
          'ssh',
          ...peer.sshd
            .sshOptionsWith({ port: silent.port })
            .filter((word, i, all) => !/^ConnectTimeout=/.test(word) && !/^ConnectTimeout=/.test(all[i + 1] ?? '')),
        ];
        const options = { host: peer.sshd.host, user: peer.sshd.user, rsh, stderr: 'capture', multiplex: true, command: ['true'] };
        const child = spawn(process.execPath, ['--import', 'tsx', ABANDON, JSON.stringify(options), how], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
        const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
        await waitFor(() => silent.accepted() > 0, 'ssh connected to the silent port');
        let exited = false;
        void exit.then(() => (exited = true));
        try {
          await waitFor(() => exited, 'the process exits by itself once its only session gave up');
        } finally {
          child.kill('SIGKILL');
        }
        assert.equal(await exit, 0);
        assert.equal(out, 'ERR_ABORTED\n');
        await waitFor(() => silent.open() === 0, "the master's connection is closed");
      } finally {
        await silent.close();
      }
    });
  }
});
