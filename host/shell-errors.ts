// What a failed remote shell says: the RemoteShellError for each way it can end, built from the
// facts of the run (argv, exit, byte counts, captured stderr). The first line says what
// happened; stderr follows, only its last line when the user saw it live.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from './core/snapshot.js';
import {
  MESSAGE_TAIL_BYTES, RemoteShellError, tailForMessage, type ByteCounts, type RemoteShellErrorCode,
} from './errors.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ShellFacts {
  readonly argv: readonly string[];
  readonly exit: Exit | undefined;
  readonly counts: ByteCounts;
  readonly stderr: { snapshot(): Snapshot };
  /** Whether stderr was forwarded live. */
  readonly live: boolean;
  /** stdout went to a handed-over fd: the bytes it carried were never counted here. */
  readonly stdoutHandedOver: boolean;
}

// "(N bytes received so far)", as rsync says it, when the bytes came through here.
function received(facts: ShellFacts): string {
  return facts.stdoutHandedOver ? '' : ` (${facts.counts.bytesReceived} bytes received so far)`;
}

/** The remote shell's program name, without its directory. */
export function programName(argv: readonly string[]): string {
  const name = argv[0] ?? 'remote shell';
  return name.slice(name.lastIndexOf('/') + 1);
}

/** "ssh exited with code 255", "ssh was killed by SIGKILL", or undefined while it runs. */
export function describeExit(argv: readonly string[], exit: Exit | undefined): string | undefined {
  if (!exit) return undefined;
  if (exit.signal) return `${programName(argv)} was killed by ${exit.signal}`;
  if (exit.code !== null) return `${programName(argv)} exited with code ${exit.code}`;
  return undefined;
}

function shellError(facts: ShellFacts, code: RemoteShellErrorCode, shortMessage: string, cause?: unknown): RemoteShellError {
  const snapshot = facts.stderr.snapshot();
  // Lines the user saw live are not repeated: only the last one says why.
  const stderrLines = facts.live
    ? tailForMessage(snapshot.text, 0, 1, MESSAGE_TAIL_BYTES, false)
    : tailForMessage(snapshot.text, snapshot.omittedBytes);
  return new RemoteShellError(code, shortMessage, {
    exitCode: facts.exit?.code ?? null,
    signal: facts.exit?.signal ?? null,
    argv: facts.argv,
    ...facts.counts,
    stderrTail: snapshot.text,
    stderrOmitted: snapshot.omittedBytes,
    stderrLines,
    cause,
  });
}

/** The error of a remote shell that exited other than with status 0; undefined for success. */
export function exitError(facts: ShellFacts): RemoteShellError | undefined {
  const exit = facts.exit;
  if (!exit || exit.code === 0) return undefined;
  const code: RemoteShellErrorCode = exit.signal ? 'ERR_REMOTE_SHELL_SIGNAL' : 'ERR_REMOTE_SHELL_EXIT';
  return shellError(facts, code, `connection unexpectedly closed${received(facts)}: ${describeExit(facts.argv, exit)}`);
}

export function abortError(facts: ShellFacts, reason: unknown): RemoteShellError {
  const how = facts.exit?.signal ? `: ${programName(facts.argv)} was stopped by ${facts.exit.signal}` : '';
  return shellError(facts, 'ERR_ABORTED', `remote shell aborted${received(facts)}${how}`, reason);
}

export function spawnError(facts: ShellFacts, err: unknown, cwd: string | URL | undefined): RemoteShellError {
  const e = err as NodeJS.ErrnoException;
  const program = JSON.stringify(facts.argv[0]);
  const dir = cwd instanceof URL ? fileURLToPath(cwd) : cwd;
  let why: string;
  if (e.code === 'ENOENT' && e.syscall?.startsWith('spawn') && dir !== undefined && !existsSync(dir)) {
    // Node reports a missing working directory as the program's ENOENT.
    why = `the working directory ${JSON.stringify(dir)} does not exist`;
  } else if (e.code === 'ENOENT' && e.syscall?.startsWith('spawn')) {
    why = facts.argv[0].includes('/') ? `${program} does not exist` : `${program} was not found on PATH`;
  } else if (e.code === 'EACCES' && e.syscall?.startsWith('spawn')) {
    why = `${program} is not executable (EACCES)`;
  } else if (e.code === 'EMFILE' || e.code === 'ENFILE') {
    const which = e.code === 'EMFILE' ? 'this process has' : 'the system has';
    why = `${which} too many open files (${e.code}${e.syscall ? `, ${e.syscall}` : ''}): raise the limit (raiseOpenFileLimit(), ulimit -n) or open fewer remote shells at once`;
  } else {
    why = e.message;
  }
  return shellError(facts, 'ERR_SPAWN', `cannot start the remote shell: ${why}`, err);
}
