// The rsh-transport command: a drop-in remote shell for rsync, git and the like.
//
// The protocol bytes never pass through this process (unless --stall-timeout asks to see them
// move: carry.ts): it hands its own stdin and stdout to the remote shell, so they flow between the caller and ssh with the kernel's EPIPE and back-pressure,
// exactly as with ssh alone. It lets go of its copy of stdin, and keeps stdout until it exits:
// the caller's EOF comes when the command can be reaped with the remote shell's status.
// What it does is stderr (drained, forwarded live, explained in one last line on failure),
// signals (passed on while the remote shell runs, the end of the command after), and the exit
// status (the remote shell's).

import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isatty } from 'node:tty';
import { decode, omissionMarker, type Snapshot } from '../core/snapshot.js';
import { configMapping, effectiveConfig } from '../diagnosis/effective-config.js';
import { forTerminal, terminalSafe } from '../terminal-safe.js';
import { exitError, NO_BYTES, RemoteShellError, type ShellFacts } from '../errors.js';
import { addSshConfig } from '../remote-shell-error.js';
import { loadBinding, PREBUILDS_DIR } from '../native/binding.js';
import { RemoteShell } from '../remote-shell.js';
import { checkRshWords, chooseRsh } from '../rsh/argv.js';
import { parseRsh } from '../rsh/parse-rsh.js';
import { DEFAULT_RSH_VARIABLE, parseCliArgs, UsageError, USAGE, type CliOptions } from './args.js';
import { carry } from './carry.js';
import { HandoverError, takeHandover, type Handover } from './handover.js';
import { lastLineText } from './last-line.js';
import { checkChain, CHAIN_VARIABLE, ownFiles, wordNamingSelf } from './self.js';

// Shell conventions for a command that could not run.
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 127;
const EXIT_NOT_EXECUTABLE = 126;
const EXIT_SSH_ERROR = 255;

// ---- signals, from the first moment this module runs ----
//
// While the remote shell runs, a signal goes on to it (rsync's SIGUSR1 and SIGUSR2 as SIGTERM,
// which means the same to ssh), and its exit ends the command. Once it has exited, a signal ends
// the command at once with its status. Before it runs, a signal ends the command. Whoever sent
// one has said what happened: the command then adds no line of its own.

const CALLER_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
let shell: RemoteShell | undefined;
let remoteStatus: number | undefined;
let stoppedByCaller = false;

function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal];
}

function onCallerSignal(signal: NodeJS.Signals): void {
  stoppedByCaller = true;
  if (remoteStatus !== undefined) process.exit(remoteStatus);
  if (shell?.pid === undefined) process.exit(128 + signalNumber(signal));
  shell.kill(signal === 'SIGUSR1' || signal === 'SIGUSR2' ? 'SIGTERM' : signal);
}

for (const signal of CALLER_SIGNALS) process.on(signal, onCallerSignal);

// Under the launcher (bin/rsh-transport.js), which the caller knows and signals: tell it that the
// handlers are in place, so that it sends again a signal that came while Node was starting; and
// end with it should it be killed outright, as ssh would have ended.
const LAUNCHER_VARIABLE = 'RSH_TRANSPORT_LAUNCHER';
// Forces the way of systems without a parent-death signal (macOS, or no addon), to test it on Linux.
const NO_DEATH_SIGNAL_VARIABLE = 'RSH_TRANSPORT_NO_PARENT_DEATH_SIGNAL';
// How often that way looks whether the launcher is still the parent.
const PARENT_CHECK_MS = 100;
{
  const launcher = Number(process.env[LAUNCHER_VARIABLE]);
  delete process.env[LAUNCHER_VARIABLE];
  const forced = process.env[NO_DEATH_SIGNAL_VARIABLE] === '1';
  delete process.env[NO_DEATH_SIGNAL_VARIABLE];
  if (launcher > 1 && launcher === process.ppid) {
    // Linux asks the kernel (prctl); where it cannot be asked, the command looks for itself: a
    // launcher killed outright leaves Node to a new parent, and then SIGTERM ends the command as
    // the kernel's would have.
    const armed = !forced && loadBinding().setParentDeathSignal?.(signalNumber('SIGTERM')) === true;
    if (!armed) {
      setInterval(() => {
        if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
      }, PARENT_CHECK_MS).unref();
    }
    // The launcher may have gone before the request took: nothing runs yet, so just stop.
    if (process.ppid !== launcher) process.exit(128 + signalNumber('SIGTERM'));
    process.kill(launcher, 'SIGALRM');
  }
}

// ---- the run ----

function lastLine(message: string): void {
  process.stderr.write(`rsh-transport: ${message}\n`);
}

function statusOf(exit: { code: number | null; signal: NodeJS.Signals | null }): number | undefined {
  if (exit.code !== null) return exit.code;
  return exit.signal === null ? undefined : 128 + signalNumber(exit.signal);
}

function exitStatus(err: RemoteShellError): number {
  // The watchdog's SIGTERM is this command's doing: to the caller, a connection that was lost.
  if (err.reason === 'stalled') return EXIT_SSH_ERROR;
  const status = statusOf({ code: err.exitCode, signal: err.signal });
  if (status !== undefined) return status;
  if (err.code === 'ERR_SPAWN') {
    const cause = err.cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'ENOENT') return EXIT_NOT_FOUND;
    if (cause?.code === 'EACCES') return EXIT_NOT_EXECUTABLE;
  }
  return EXIT_SSH_ERROR;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const binding = loadBinding();
  const origin = binding.path.startsWith(PREBUILDS_DIR + sep) ? 'prebuilt addon' : 'addon built from source';
  const backend =
    binding.unavailable !== undefined
      ? `js, without the native addon: ${binding.unavailable}`
      : `${binding.features.socketpairStderr ? 'socketpair (pipe as fallback)' : 'pipe'}; ${origin}`;
  return `rsh-transport ${pkg.version} (stderr endpoint: ${backend}; command: ${commandPath()})`;
}

/** How the command runs here: through the native launcher (launcher/README.md) where the install
 * put one, else through Node. */
function commandPath(): string {
  if (process.platform === 'win32') return 'Node';
  const installed = existsSync(fileURLToPath(new URL('../../build/launcher/rsh-transport-launcher', import.meta.url)));
  if (!installed) return 'Node, no native launcher installed';
  return process.env.RSH_TRANSPORT_NATIVE === '0' ? 'Node, as RSH_TRANSPORT_NATIVE=0 asks' : 'native launcher';
}

/** The remote shell's words: --rsh, else $RSH_TRANSPORT_RSH, else ssh. Never $RSYNC_RSH, which
 * rsync reads, and which may well name this command. */
function remoteShell(options: CliOptions): { rsh: string; words: string[]; byDefault: boolean } {
  const rsh = chooseRsh(options.rsh, DEFAULT_RSH_VARIABLE);
  const byDefault = options.rsh === undefined && !process.env[DEFAULT_RSH_VARIABLE];
  return { rsh, words: checkRshWords(parseRsh(rsh)), byDefault };
}

// Said after a failure of ssh's own when nothing named the remote shell: a tool that clears the
// environment (GNU parallel's probes keep only PATH and HOME) drops RSH_TRANSPORT_RSH, and the
// user should not be left to think their remote shell ran.
const DEFAULT_RSH_NOTE = `ran plain ssh: neither --rsh nor $${DEFAULT_RSH_VARIABLE} named a remote shell`;

// The launcher keeps NODE_EXTRA_CA_CERTS from Node (it costs Node's start some 40 ms and this
// process opens no TLS connection); the remote shell gets the environment the caller gave.
const SAVED_CA_CERTS = 'RSH_TRANSPORT_NODE_EXTRA_CA_CERTS';

function remoteEnv(chain: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHAIN_VARIABLE]: chain };
  if (env[SAVED_CA_CERTS] !== undefined) {
    env.NODE_EXTRA_CA_CERTS = env[SAVED_CA_CERTS];
    delete env[SAVED_CA_CERTS];
  }
  return env;
}

// Once the remote shell holds it, this process's copy of stdin would only change what the caller
// sees: its writes would fill a pipe instead of failing with EPIPE once ssh is gone. A terminal is
// left alone. stdout is kept until exit, on purpose: the caller's EOF then comes no earlier than
// the command ends with the remote shell's status, which rsync reads only from a child that has
// already exited when it sees EOF (255 for ssh's own failure, not its own 12).
function letGoOfStdin(): void {
  if (!isatty(0)) loadBinding().redirectToNull?.(0);
}

// With --quiet-stderr, what was held back is written on failure, by the same rule as forwarding:
// terminal-safe text for a terminal, else the bytes (as the capture rendered them). Returns the
// text written, for the last line to know what the user has seen.
function writeQuietTail(snapshot: Snapshot, sanitize: boolean | 'auto'): string {
  const safe = sanitize === 'auto' ? process.stderr.isTTY === true : sanitize;
  const head = Buffer.from(snapshot.headBytes);
  const cut = snapshot.omittedBytes > 0 && head.length > 0 && head[head.length - 1] !== 0x0a ? '\n' : '';
  const marker = snapshot.omittedBytes > 0 ? omissionMarker(snapshot.omittedBytes) : '';
  let bytes = Buffer.concat([head, Buffer.from(cut + marker), snapshot.tailBytes]);
  if (safe) bytes = Buffer.from(decode(bytes).split('\n').map(forTerminal).join('\n'));
  if (bytes.length === 0) return '';
  process.stderr.write(bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\n')]));
  return decode(bytes);
}

/** What the user is told of a failed run, its own or the native launcher's: the held-back
 * stderr with --quiet-stderr, then the last line unless it says nothing new. Returns the status. */
function reportFailure(
  err: RemoteShellError,
  stderr: { snapshot: () => Snapshot; bytesNotForwarded: number },
  options: CliOptions,
  byDefault: boolean,
): number {
  const written = options.quietStderr ? terminalSafe(writeQuietTail(stderr.snapshot(), options.sanitize)) : undefined;
  // Forwarded live, every line reached the user, unless a slow stderr made the forwarder skip.
  const allForwarded = stderr.bytesNotForwarded === 0;
  const line = lastLineText({
    error: err,
    // A telling line cut short ends in "...": its start is what was written.
    seen: (telling) => (written === undefined ? allForwarded : written.includes(telling.replace(/\.\.\.$/, ''))),
    defaultRshNote: byDefault && err.neverConnected ? DEFAULT_RSH_NOTE : undefined,
  });
  if (!stoppedByCaller && line !== null) lastLine(line);
  return exitStatus(err);
}

async function run(options: CliOptions): Promise<number> {
  const { rsh, words, byDefault } = remoteShell(options);
  const self = wordNamingSelf(words, ownFiles());
  if (self !== undefined) {
    lastLine(
      `the remote shell ${JSON.stringify(rsh)} is rsh-transport itself (${JSON.stringify(self)}), which would start itself without end; name the real one, such as --rsh=ssh`,
    );
    return EXIT_SSH_ERROR;
  }
  const argv = [...words, ...options.args];
  const chain = checkChain(argv);
  if (chain.loop !== null) {
    lastLine(`refusing to run ${JSON.stringify(words.join(' '))} again: ${chain.loop}; name the real remote shell, such as --rsh=ssh`);
    return EXIT_SSH_ERROR;
  }

  const watched = options.stallTimeoutMs !== undefined;
  shell = new RemoteShell(argv, {
    stderr: options.quietStderr ? 'capture' : 'forward',
    sanitize: options.sanitize,
    drainTimeoutMs: options.drainTimeoutMs,
    stallTimeoutMs: options.stallTimeoutMs,
    stdin: watched ? 'pipe' : 0,
    stdout: watched ? 'pipe' : 1,
    env: remoteEnv(chain.next),
  });
  const carried = watched ? carry(shell.stream) : undefined;
  if (!watched && shell.pid !== undefined) letGoOfStdin();
  void shell.exited.then((exit) => (remoteStatus = statusOf(exit)));
  try {
    await shell.finished;
    await carried?.flushed();
    return 0;
  } catch (err) {
    if (!(err instanceof RemoteShellError)) throw err;
    await carried?.flushed();
    const stderr = shell.stderr;
    return reportFailure(err, { snapshot: () => stderr.snapshot(), bytesNotForwarded: stderr.stats.bytesNotForwarded }, options, byDefault);
  }
}

/** A failed run of the native launcher's, explained as if it were this command's own. */
async function explainHandover(options: CliOptions, handover: Handover): Promise<number> {
  remoteStatus = statusOf(handover.exit);
  if (handover.stoppedByCaller) stoppedByCaller = true;
  const facts: ShellFacts = {
    argv: handover.argv,
    exit: handover.exit,
    counts: NO_BYTES,
    stderr: { snapshot: () => handover.snapshot, overwritten: handover.overwritten },
    live: !options.quietStderr,
    stdoutHandedOver: true,
  };
  const err = exitError(facts);
  if (err === undefined) return 0;
  if (err.neverConnected) {
    // As after a run of its own: what ssh's configuration made of the target may be why.
    const found = await effectiveConfig(handover.argv, process.env, process.cwd()).catch(() => undefined);
    if (found) addSshConfig(err, found.config, configMapping(found, handover.argv));
  }
  const { byDefault } = remoteShell(options);
  return reportFailure(err, { snapshot: () => handover.snapshot, bytesNotForwarded: handover.bytesNotForwarded }, options, byDefault);
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
  if (options.help || options.version) {
    const text = options.help ? USAGE : version();
    await new Promise((resolve) => process.stdout.write(`${text}\n`, resolve));
    return 0;
  }
  try {
    const handover = takeHandover();
    return await (handover === undefined ? run(options) : explainHandover(options, handover));
  } catch (err) {
    if (err instanceof HandoverError) {
      lastLine(`the native launcher's record of the run could not be read: ${err.message}`);
      return EXIT_SSH_ERROR;
    }
    if (err instanceof RemoteShellError) {
      lastLine(err.shortMessage);
      return err.code === 'ERR_INVALID_RSH' ? EXIT_USAGE : EXIT_SSH_ERROR;
    }
    throw err;
  }
}

process.exit(await main());
