// The rsh-transport command: a drop-in remote shell for rsync, git and the like.

import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { finished } from 'node:stream/promises';
import { RemoteShellError } from '../errors.js';
import { loadBinding } from '../native/binding.js';
import { RemoteShell } from '../remote-shell.js';
import { remoteShellWords } from '../rsh/argv.js';
import { parseCliArgs, UsageError, USAGE, type CliOptions } from './args.js';

// Shell conventions for a command that could not run.
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 127;
const EXIT_NOT_EXECUTABLE = 126;
const EXIT_SSH_ERROR = 255;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  let backend: string;
  try {
    backend = loadBinding().features.socketpairStderr ? 'socketpair (pipe as fallback)' : 'pipe';
  } catch {
    backend = 'unavailable: native addon not built';
  }
  return `rsh-transport ${pkg.version} (stderr endpoint: ${backend})`;
}

function lastLine(message: string): void {
  process.stderr.write(`rsh-transport: ${message}\n`);
}

function exitStatus(err: RemoteShellError): number {
  if (err.exitCode !== null) return err.exitCode;
  if (err.signal !== null) {
    const number = signalNumber(err.signal);
    return number === undefined ? EXIT_SSH_ERROR : 128 + number;
  }
  if (err.code === 'ERR_SPAWN') {
    const cause = err.cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'ENOENT') return EXIT_NOT_FOUND;
    if (cause?.code === 'EACCES') return EXIT_NOT_EXECUTABLE;
  }
  return EXIT_SSH_ERROR;
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (constants.signals as Record<string, number>)[signal];
}

async function run(options: CliOptions): Promise<number> {
  const argv = [...remoteShellWords(options.rsh), ...options.args];
  const shell = new RemoteShell(argv, {
    stderr: options.quietStderr ? 'capture' : 'forward',
    drainTimeoutMs: options.drainTimeoutMs,
  });
  // Signals go on to the remote shell, whose exit ends this process. rsync ends its remote
  // shell with SIGUSR1, which would start Node's inspector here (and in a remote shell written
  // for Node): it goes on as SIGTERM, which means the same to ssh.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shell.kill(signal));
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => shell.kill('SIGTERM'));

  process.stdin.pipe(shell.stream);
  shell.stream.pipe(process.stdout);
  // rsync or git closing our stdout early is their business; it must not become a crash here.
  process.stdout.on('error', () => shell.stream.unpipe(process.stdout));

  // The child may be gone while its last bytes still wait in the stream for stdout: the exit
  // comes only once the stream has given them all to stdout.
  const drained = finished(shell.stream, { writable: false }).catch(() => {});
  try {
    await shell.finished;
    await drained;
    return 0;
  } catch (err) {
    if (!(err instanceof RemoteShellError)) throw err;
    await drained;
    if (options.quietStderr && err.stderrTail !== '') process.stderr.write(err.stderrTail.endsWith('\n') ? err.stderrTail : `${err.stderrTail}\n`);
    lastLine(err.shortMessage);
    return exitStatus(err);
  } finally {
    process.stdin.unpipe(shell.stream);
    process.stdin.destroy();
  }
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    lastLine(`${err.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  try {
    return await run(options);
  } catch (err) {
    if (err instanceof RemoteShellError) {
      lastLine(err.shortMessage);
      return err.code === 'ERR_INVALID_RSH' ? EXIT_USAGE : EXIT_SSH_ERROR;
    }
    throw err;
  }
}

const status = await main();
// Whatever is still queued for stdout goes out before the exit.
process.stdout.write('', () => process.exit(status));
