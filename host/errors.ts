// The one factory of RemoteShellError: every error the transport raises is built here, with its
// wording, from the facts of the run (argv, exit, byte counts, captured stderr). The first line
// says what happened in the user's terms; under it come the stderr lines that say why:
// - stderr forwarded live (the user saw every line): the telling lines only, never the last
//   line for its own sake (with ssh -v that is `debug1: Exit status 23`);
// - stderr captured: the telling lines, then the tail of the capture (bounded), with one marker
//   for whatever is left out.

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, type Snapshot } from './core/snapshot.js';
import { diagnose, receivedSoFar, showLine, type Diagnosis, type Exit } from './diagnosis/diagnose.js';
import { hostKeyReport } from './diagnosis/host-key.js';
import { HINTS } from './diagnosis/reasons.js';
import { plainText } from './terminal-safe.js';
import { addSshConfig, RemoteShellError, type ByteCounts, type RemoteShellErrorCode } from './remote-shell-error.js';
import { destinationOf, jumpsOf, keepaliveOf, quietOrProxied } from './rsh/ssh-options.js';

export { NO_BYTES, RemoteShellError } from './remote-shell-error.js';
export type { ByteCounts, RemoteShellErrorCode, RemoteShellErrorDetails, RemoteShellFailureReason } from './remote-shell-error.js';

export type { Exit } from './diagnosis/diagnose.js';

/** What a remote shell's error is built from. */
export interface ShellFacts {
  readonly argv: readonly string[];
  readonly exit: Exit | undefined;
  readonly counts: ByteCounts;
  readonly stderr: {
    snapshot(): Snapshot;
    /** Segments a lone CR let the next one overwrite (see diagnosis/overwritten.ts). */
    readonly overwritten: readonly string[];
  };
  /** Whether stderr was forwarded live. */
  readonly live: boolean;
  /** stdout went to a handed-over fd: the bytes it carried were never counted here. */
  readonly stdoutHandedOver: boolean;
  /** How many times the remote shell was started. */
  readonly attempts?: number;
}

/** How much of the stderr tail a message carries with 'capture'; the whole snapshot is in
 * `stderrTail`. */
const MESSAGE_TAIL_LINES = 20;
const MESSAGE_TAIL_BYTES = 2048;

// Interpreters whose script is the remote shell's real name (`node stand-in-ssh.mjs`).
const INTERPRETERS = new Set(['node', 'nodejs', 'sh', 'bash', 'dash', 'python', 'python3', 'perl']);

/** The remote shell's name for messages: its program without the directory, or the script an
 * interpreter runs. */
export function programName(argv: readonly string[]): string {
  const program = baseName(argv[0] ?? 'remote shell');
  const script = argv[1];
  // node.exe on Windows is node.
  const interpreter = program.toLowerCase().replace(/\.exe$/, '');
  if (INTERPRETERS.has(interpreter) && script !== undefined && script !== '' && !script.startsWith('-')) return baseName(script);
  return program;
}

// The last part of a path, whichever separator it uses: a Windows path reaches the messages
// as it is.
function baseName(file: string): string {
  return basename(file.replace(/\\/g, '/'));
}

/** "ssh exited with code 255", "ssh was killed by SIGKILL", or undefined while it runs. */
function describeExit(argv: readonly string[], exit: Exit | undefined): string | undefined {
  if (!exit) return undefined;
  if (exit.signal) return `${programName(argv)} was killed by ${exit.signal}`;
  if (exit.code !== null) return `${programName(argv)} exited with code ${exit.code}`;
  return undefined;
}

// ---- refused before anything ran ----

/** An option refused before anything was spawned. */
export function invalidInput(code: 'ERR_INVALID_RSH' | 'ERR_INVALID_HOST' | 'ERR_INVALID_COMMAND', message: string): RemoteShellError {
  return new RemoteShellError(code, message, { reason: 'invalid-input' });
}

// ---- the run's own errors ----

function stderrLines(snapshot: Snapshot): string[] {
  return [...decode(snapshot.headBytes).split('\n'), ...decode(snapshot.tailBytes).split('\n')];
}

function diagnoseFacts(facts: ShellFacts, snapshot: Snapshot): Diagnosis {
  return diagnose({
    program: programName(facts.argv),
    exit: facts.exit,
    lines: stderrLines(snapshot),
    overwritten: facts.stderr.overwritten,
    bytesReceived: facts.counts.bytesReceived,
    stdoutHandedOver: facts.stdoutHandedOver,
    keepalive: keepaliveOf(facts.argv),
    quietOrProxied: quietOrProxied(facts.argv),
    jumps: jumpsOf(facts.argv),
    target: destinationOf(facts.argv),
  });
}

/** The lines under the first: see the header of this file. */
function body(summary: string, telling: readonly string[], snapshot: Snapshot, live: boolean): string[] {
  // A telling line that the first line already quotes whole is not repeated.
  const extra = telling.filter((line) => !summary.includes(plainText(line).replace(/\.$/, '')));
  if (live) return extra;
  const all = [...snapshot.head.split('\n'), ...snapshot.tail.split('\n')].filter((line) => line.trim() !== '').map(showLine);
  const shown: string[] = [];
  let size = 0;
  for (let i = all.length - 1; i >= 0 && shown.length < MESSAGE_TAIL_LINES; i--) {
    const line = all[i];
    if (shown.length > 0 && size + line.length > MESSAGE_TAIL_BYTES) break;
    shown.unshift(line);
    size += line.length + 1;
  }
  const pulled = extra.filter((line) => !shown.includes(line));
  const hidden = all.length - shown.length - pulled.filter((line) => all.includes(line)).length;
  const omitted = snapshot.omittedBytes;
  const marker: string[] = [];
  if (hidden > 0 || omitted > 0) {
    const what = [
      hidden > 0 ? `${hidden} earlier ${hidden === 1 ? 'line' : 'lines'}` : '',
      omitted > 0 ? `${omitted} ${omitted === 1 ? 'byte' : 'bytes'}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    marker.push(`[... ${what} of stderr not shown ...]`);
  }
  return [...pulled, ...marker, ...shown];
}

// `snapshot` is the one the diagnosis read: taking it renders and decodes the whole capture.
function shellError(
  facts: ShellFacts,
  snapshot: Snapshot,
  code: RemoteShellErrorCode,
  diagnosis: Diagnosis,
  shortMessage = diagnosis.summary,
  cause?: unknown,
): RemoteShellError {
  return new RemoteShellError(code, shortMessage, {
    reason: diagnosis.reason,
    hint: diagnosis.hint,
    tellingLines: diagnosis.tellingLines,
    exitCode: facts.exit?.code ?? null,
    signal: facts.exit?.signal ?? null,
    argv: facts.argv,
    ...facts.counts,
    stderrTail: snapshot.text,
    stderrOmitted: snapshot.omittedBytes,
    stderrLines: body(shortMessage, diagnosis.tellingLines, snapshot, facts.live),
    attempts: facts.attempts,
    hop: diagnosis.hop,
    hostKey:
      diagnosis.reason === 'host-key-unknown' || diagnosis.reason === 'host-key-changed' ? hostKeyReport(stderrLines(snapshot)) : null,
    cause,
  });
}

/** The error of a remote shell that exited other than with status 0; undefined for success. */
export function exitError(facts: ShellFacts): RemoteShellError | undefined {
  const exit = facts.exit;
  if (!exit || exit.code === 0) return undefined;
  const code: RemoteShellErrorCode = exit.signal ? 'ERR_REMOTE_SHELL_SIGNAL' : 'ERR_REMOTE_SHELL_EXIT';
  const snapshot = facts.stderr.snapshot();
  const diagnosis = diagnoseFacts(facts, snapshot);
  const tries = facts.attempts ?? 1;
  // After retries, the first line says how many attempts there were.
  const summary = tries > 1 ? `${diagnosis.summary} (after ${tries} attempts)` : diagnosis.summary;
  return shellError(facts, snapshot, code, diagnosis, summary);
}

export function abortError(facts: ShellFacts, why: unknown): RemoteShellError {
  const how = facts.exit?.signal ? `: ${programName(facts.argv)} was stopped by ${facts.exit.signal}` : '';
  // What stderr said before the abort still explains a shell that was stuck (a connect that
  // hangs, a prompt): its telling lines come along, the reason stays 'aborted'.
  const snapshot = facts.stderr.snapshot();
  const found = diagnoseFacts(facts, snapshot);
  const received = receivedSoFar(facts.counts.bytesReceived, facts.stdoutHandedOver);
  const diagnosis: Diagnosis = {
    reason: 'aborted',
    summary: `remote shell aborted${received}${how}`,
    hint: null,
    tellingLines: found.tellingLines,
  };
  return shellError(facts, snapshot, 'ERR_ABORTED', diagnosis, undefined, why);
}

/** "30 s", or "1500 ms" where whole seconds would not say it. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The stall watchdog ended the run: nothing moved for `stalledMs` while the caller waited. */
export function stalledError(facts: ShellFacts, stalledMs: number): RemoteShellError {
  const snapshot = facts.stderr.snapshot();
  const { bytesSent, bytesReceived } = facts.counts;
  const diagnosis: Diagnosis = {
    reason: 'stalled',
    summary: `no protocol byte moved for ${duration(stalledMs)} while the stream was waited on (${bytesSent} bytes sent and ${bytesReceived} received so far): ${programName(facts.argv)} was stopped`,
    hint: HINTS.stalled,
    // What stderr said still explains a stuck remote side (a prompt, a hung mount).
    tellingLines: diagnoseFacts(facts, snapshot).tellingLines,
  };
  return shellError(facts, snapshot, 'ERR_STALLED', diagnosis);
}

export function spawnError(facts: ShellFacts, err: unknown, cwd: string | URL | undefined): RemoteShellError {
  const e = err as NodeJS.ErrnoException;
  const program = JSON.stringify(facts.argv[0]);
  const dir = cwd instanceof URL ? fileURLToPath(cwd) : cwd;
  const spawning = e.code !== undefined && e.syscall?.startsWith('spawn') === true;
  let why: string;
  let hint: string | null = null;
  if (e.code === 'ENOENT' && spawning && dir !== undefined && !existsSync(dir)) {
    // Node reports a missing working directory as the program's ENOENT.
    why = `the working directory ${JSON.stringify(dir)} does not exist`;
  } else if (e.code === 'ENOENT' && spawning) {
    why = facts.argv[0].includes('/') ? `${program} does not exist` : `${program} was not found on PATH`;
    hint =
      programName(facts.argv) === 'ssh'
        ? "Install OpenSSH's client (Debian: apt-get install openssh-client), or name the remote shell with rsh."
        : 'Check the remote shell named in rsh, or the PATH given in env.';
  } else if (e.code === 'EACCES' && spawning) {
    why = `${program} is not executable (EACCES)`;
    hint = "Check the program's permissions (chmod +x) and that it is not a directory.";
  } else if (e.code === 'EMFILE' || e.code === 'ENFILE') {
    const which = e.code === 'EMFILE' ? 'this process has' : 'the system has';
    why = `${which} too many open files (${e.code}${e.syscall ? `, ${e.syscall}` : ''})`;
    hint = 'Raise the limit (raiseOpenFileLimit(), ulimit -n) or open fewer remote shells at once.';
  } else {
    why = e.message;
  }
  const diagnosis: Diagnosis = { reason: 'spawn-failed', summary: `cannot start the remote shell: ${why}`, hint, tellingLines: [] };
  return shellError(facts, facts.stderr.snapshot(), 'ERR_SPAWN', diagnosis, undefined, err);
}

/** A write the remote shell can no longer take: its stdin closed (`cause`), it exited, or the
 * stdin was handed over to it as an fd. */
export function streamClosedError(facts: ShellFacts, cause: Error | undefined, stdinHandedOver: number | undefined): RemoteShellError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const exit = describeExit(facts.argv, facts.exit);
  const what =
    stdinHandedOver !== undefined
      ? `its stdin was handed over (fd ${stdinHandedOver})`
      : `its stdin is closed${errno ? ` (${errno})` : ''}`;
  const summary = `cannot write to the remote shell: ${what}${exit ? `; ${exit}` : ''}`;
  const snapshot = facts.stderr.snapshot();
  let diagnosis: Diagnosis;
  if (stdinHandedOver !== undefined) {
    diagnosis = {
      reason: 'invalid-input',
      summary,
      hint: 'The remote shell reads its stdin from the fd handed over, not from stream.',
      tellingLines: [],
    };
  } else if (facts.exit && facts.exit.code !== 0) {
    // It failed: why is what the write's caller wants to know too.
    diagnosis = { ...diagnoseFacts(facts, snapshot), summary };
  } else {
    diagnosis = {
      reason: 'unknown',
      summary,
      tellingLines: [],
      hint: facts.exit
        ? 'The remote command exited before it read all of its input.'
        : 'The remote command closed its input while it runs; `finished` will say how it ended.',
    };
  }
  return shellError(facts, snapshot, 'ERR_STREAM_CLOSED', diagnosis, summary, cause);
}

/** A session whose shared connection (its ssh ControlMaster) ended while it ran: ssh's 255 is
 * the master's end, not the remote command's failure. `target` names the connection
 * (`user@host`); `cause` is why the master ended, when that is known. */
export function sharedConnectionLostError(facts: ShellFacts, target: string, cause: unknown): RemoteShellError {
  const snapshot = facts.stderr.snapshot();
  const found = diagnoseFacts(facts, snapshot);
  const received = receivedSoFar(facts.counts.bytesReceived, facts.stdoutHandedOver);
  const diagnosis: Diagnosis = {
    reason: 'connection-lost',
    summary: `the shared connection to ${target} closed while the session ran${received}`,
    hint: 'The ssh ControlMaster that carried the session ended (closeMultiplexedConnections(), a kill, or the server): open the session again, and a new master is started.',
    tellingLines: found.tellingLines,
  };
  return shellError(facts, snapshot, facts.exit?.signal ? 'ERR_REMOTE_SHELL_SIGNAL' : 'ERR_REMOTE_SHELL_EXIT', diagnosis, undefined, cause);
}

/** A session that could not start because its shared connection (an ssh ControlMaster) could
 * not be made: the master's error, with the session's own counts. */
export function sharedConnectionError(facts: ShellFacts, master: RemoteShellError): RemoteShellError {
  const lines = master.message.split('\n').slice(1);
  const error = new RemoteShellError(master.code, `the shared connection could not be made: ${master.shortMessage}`, {
    reason: master.reason,
    hint: master.hint,
    tellingLines: master.tellingLines,
    exitCode: master.exitCode,
    signal: master.signal,
    argv: master.argv,
    ...facts.counts,
    stderrTail: master.stderrTail,
    stderrOmitted: master.stderrOmitted,
    stderrLines: lines,
    attempts: master.attempts,
    hostKey: master.hostKey,
    hop: master.hop,
    cause: master,
  });
  // The hint already says where the configuration sent the master: the fields come along alone.
  if (master.sshConfig !== null) addSshConfig(error, master.sshConfig, null);
  return error;
}

/** A shared connection that never started: closed before it could, or its ssh could not be
 * spawned (`cause`, then). */
export function masterRefusal(argv: readonly string[], message: string, cause?: unknown): RemoteShellError {
  return new RemoteShellError(cause === undefined ? 'ERR_ABORTED' : 'ERR_SPAWN', message, { argv, cause });
}
