// The remote shell's argv, as rsync builds it: the -e/--rsh words, `-l user`, the host, then
// the remote command. Everything is checked here, before anything is spawned: no word that
// follows the host may begin with `-` (OpenSSH reads options after the host too), and no word
// may hold a NUL byte (no argv can).

import { invalidInput, type RemoteShellError } from '../errors.js';
import { parseRsh } from './parse-rsh.js';
import { jumpArgs } from './jump.js';
import { quoteCommand } from './quote.js';
import { SSH_OPTION_KEYS, sshOptionArgs, type SshArgsContext, type SshOptions } from './ssh-options.js';
import { checkHost, checkUser } from './validate.js';

export interface RemoteShellTarget extends SshOptions {
  host: string;
  user?: string;
  /** Words quoted for a POSIX remote shell, so that each arrives as one literal word. */
  command?: readonly string[];
  /** A command line sent to the remote shell as it is (the caller quotes it); it may not begin
   * with `-`, which the remote shell would read as one of its options. */
  remoteCommand?: string;
  /** The remote shell: a string split the way rsync splits -e, or the words themselves.
   * Default `ssh` (an rsync-like tool passes `process.env.RSYNC_RSH || 'ssh'`). */
  rsh?: string | readonly string[];
}

/** The option names of a target, for the check of unknown options. */
export const TARGET_KEYS: ReadonlySet<string> = new Set(['host', 'user', 'command', 'remoteCommand', 'rsh', ...SSH_OPTION_KEYS]);

function invalidRsh(why: string): RemoteShellError {
  return invalidInput('ERR_INVALID_RSH', `invalid remote-shell command: ${why}`);
}

function invalidCommand(why: string): RemoteShellError {
  return invalidInput('ERR_INVALID_COMMAND', `invalid remote command: ${why}`);
}

/** Why a word cannot be one argument of an argv, or undefined when it can. */
function wordProblem(word: unknown): string | undefined {
  if (typeof word !== 'string') return `is ${word === null ? 'null' : typeof word}, not a string`;
  return word.includes('\0') ? 'holds a NUL byte' : undefined;
}

/** The words of a remote shell, checked: a non-empty program name, no NUL byte anywhere. */
export function checkRshWords(words: readonly unknown[]): string[] {
  if (words.length === 0) throw invalidRsh('expected a non-empty array of strings');
  words.forEach((word, i) => {
    const problem = wordProblem(word);
    if (problem !== undefined) throw invalidRsh(`word ${i} ${problem}`);
  });
  if (words[0] === '') throw invalidRsh('the program name is empty');
  return [...(words as string[])];
}

/** The command's remote-shell command line: the one given, else `$variable` when set and not
 * empty, else `ssh`. */
export function chooseRsh(given: string | undefined, variable: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined) return given;
  const fromEnv = env[variable];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'ssh';
}

/** `rsh` as words, `ssh` when it is not given. The library reads no variable for it: a user's
 * RSYNC_RSH is rsync's setting, not every Node program's. */
function remoteShellWords(rsh: string | readonly string[] | undefined): string[] {
  if (Array.isArray(rsh)) return checkRshWords(rsh);
  return checkRshWords(parseRsh(rsh === undefined ? 'ssh' : (rsh as string)));
}

/** The remote command as the one argument that follows the host, or none. */
function remoteCommandArgs(target: RemoteShellTarget): string[] {
  const { command, remoteCommand } = target;
  if (command !== undefined && remoteCommand !== undefined) {
    throw invalidCommand('give either command (words) or remoteCommand (a command line), not both');
  }
  if (command !== undefined) {
    if (!Array.isArray(command) || command.length === 0) throw invalidCommand('command must be a non-empty array of words');
    command.forEach((word: unknown, i) => {
      const problem = wordProblem(word);
      if (problem !== undefined) throw invalidCommand(`word ${i} of command ${problem}`);
    });
    return [quoteCommand(command)];
  }
  if (remoteCommand !== undefined) {
    if (typeof remoteCommand !== 'string' || remoteCommand === '') throw invalidCommand('remoteCommand must be a non-empty string');
    if (remoteCommand.includes('\0')) throw invalidCommand('remoteCommand holds a NUL byte, which no shell can receive');
    if (remoteCommand.startsWith('-')) {
      throw invalidCommand(
        `remoteCommand may not begin with '-' (${JSON.stringify(remoteCommand.slice(0, 40))}): the remote shell would read it as one of its options; quote the command's name, or give command as words`,
      );
    }
    return [remoteCommand];
  }
  return [];
}

/**
 * Builds [program, ...args]: the rsh words, the ssh options, `-J` hops, `-l user`, the host, the
 * command.
 * An IPv6 literal goes to the remote shell bare (`::1`).
 * @throws RemoteShellError ERR_INVALID_HOST, ERR_INVALID_RSH, ERR_INVALID_COMMAND; TypeError or
 * RangeError for an ssh option out of its range, or given to a remote shell that is not ssh.
 */
export function buildRemoteShellArgv(target: RemoteShellTarget, context: Omit<SshArgsContext, 'user'> = {}): string[] {
  if (typeof target !== 'object' || target === null) throw new TypeError('the target must be an object with at least a host');
  const rawHost = typeof target.host === 'string' && /^\[.*\]$/.test(target.host) ? target.host.slice(1, -1) : target.host;
  const host = checkHost(rawHost);
  const user = target.user === undefined ? undefined : checkUser(target.user);
  const remote = remoteCommandArgs(target);
  const words = remoteShellWords(target.rsh);
  const options = sshOptionArgs(target, words, { ...context, user });
  const jump = target.jump === undefined ? [] : jumpArgs(target.jump);
  return [...words, ...options, ...jump, ...(user === undefined ? [] : ['-l', user]), host, ...remote];
}
