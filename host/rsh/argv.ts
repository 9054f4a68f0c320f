// The remote shell's argv, as rsync builds it: the -e/--rsh words, `-l user`, the host, then
// the remote command.

import { RemoteShellError } from '../errors.js';
import { parseRsh } from './parse-rsh.js';
import { quoteCommand } from './quote.js';
import { checkHost, checkUser } from './validate.js';

export interface RemoteShellTarget {
  host: string;
  user?: string;
  /** Words quoted for a POSIX remote shell, so that each arrives as one literal word. */
  command?: readonly string[];
  /** A command line sent to the remote shell as it is (the caller quotes it). */
  remoteCommand?: string;
  /** The remote shell: a string split the way rsync splits -e, or the words themselves. */
  rsh?: string | readonly string[];
}

/** `rsh`, else $RSYNC_RSH when set and not empty, else `ssh`, as words. */
export function remoteShellWords(rsh: string | readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (Array.isArray(rsh)) {
    if (rsh.length === 0 || rsh.some((w) => typeof w !== 'string')) {
      throw new RemoteShellError('ERR_INVALID_RSH', 'invalid remote-shell command: expected a non-empty array of strings');
    }
    if (rsh[0] === '') throw new RemoteShellError('ERR_INVALID_RSH', 'invalid remote-shell command: the program name is empty');
    return [...rsh];
  }
  if (rsh !== undefined) return parseRsh(rsh as string);
  const fromEnv = env.RSYNC_RSH;
  return parseRsh(fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'ssh');
}

/**
 * Builds [program, ...args]. An IPv6 literal goes to the remote shell bare (`::1`).
 * @throws RemoteShellError ERR_INVALID_HOST, ERR_INVALID_RSH
 */
export function buildRemoteShellArgv(target: RemoteShellTarget, env: NodeJS.ProcessEnv = process.env): string[] {
  const rawHost = typeof target.host === 'string' && /^\[.*\]$/.test(target.host) ? target.host.slice(1, -1) : target.host;
  const host = checkHost(rawHost);
  const user = target.user === undefined ? undefined : checkUser(target.user);
  if (target.command !== undefined && target.remoteCommand !== undefined) {
    throw new TypeError('give either command (words) or remoteCommand (a command line), not both');
  }
  let remote: string[] = [];
  if (target.command !== undefined) {
    if (!Array.isArray(target.command) || target.command.length === 0) {
      throw new TypeError('command must be a non-empty array of words');
    }
    remote = [quoteCommand(target.command)];
  } else if (target.remoteCommand !== undefined) {
    if (typeof target.remoteCommand !== 'string' || target.remoteCommand === '') {
      throw new TypeError('remoteCommand must be a non-empty string');
    }
    remote = [target.remoteCommand];
  }
  return [...remoteShellWords(target.rsh, env), ...(user === undefined ? [] : ['-l', user]), host, ...remote];
}
