// Running the rsh-transport command as its callers do: the executable bin (its shell launcher,
// then Node), with `node` on PATH as after an install.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sleep } from './promises.js';
import { ROOT } from './root.js';

export const CLI = path.join(ROOT, 'bin/rsh-transport.js');

/** The environment a caller (rsync, git, a test) runs the command in. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra };
}

/** The two ways the command runs: through the native launcher (as installed where it was built),
 * and through Node (Windows, or no launcher; RSH_TRANSPORT_NATIVE=0). */
export const COMMAND_PATHS = [
  { name: 'native launcher', env: (extra: NodeJS.ProcessEnv = {}) => cliEnv(extra) },
  { name: 'Node', env: (extra: NodeJS.ProcessEnv = {}) => cliEnv({ RSH_TRANSPORT_NATIVE: '0', ...extra }) },
] as const;

/** The command through Node alone: for what the tests check of Node's own part. */
export const nodeCommandEnv = COMMAND_PATHS[1].env;

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  result: Promise<CliResult>;
}

/** Starts the command; `input` (if given) is written to its stdin, which is then closed. */
export function startCli(args: string[], options: { input?: Buffer | string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(CLI, args, { env: options.env ?? cliEnv() });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  // A command that ends without reading its stdin (a usage error, a remote shell that does not
  // read) closes the pipe first: EPIPE then, as with ssh. Any other failure to write is the test's.
  let writeFailure: Error | undefined;
  child.stdin!.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') writeFailure = e;
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => writeFailure && reject(writeFailure));
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out), stderr: err }));
  });
  return { child, result };
}

export function runCli(args: string[], input: Buffer | string = '', env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, { input, env }).result;
}

/** The caller writes a byte every 5 ms and reads slowly, as rsync and git pipeline. */
export async function checkPipelined(run: CliRun): Promise<void> {
  const { child } = run;
  let writing = true;
  const writer = (async () => {
    while (writing && child.stdin!.writable) {
      child.stdin!.write('k');
      await sleep(5);
    }
  })();
  child.stdout!.removeAllListeners('data');
  let received = 0;
  let wrong = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    received += chunk.length;
    wrong += chunk.filter((b) => b !== 0x78).length;
    child.stdout!.pause();
    setTimeout(() => child.stdout!.resume(), 20);
  });
  const result = await run.result;
  writing = false;
  await writer;
  assert.equal(result.status, 0, result.stderr);
  assert.equal(received, 1_000_000);
  assert.equal(wrong, 0);
}
