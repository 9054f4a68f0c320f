// Remote specs as rsync writes them: [user@]host:path, [user@][ipv6]:path, and host::module for
// an rsync daemon.

import { invalidInput, type RemoteShellError } from '../errors.js';
import { checkHost, checkUser } from './validate.js';

export interface RemoteSpec {
  /** The user before '@', or undefined. */
  user: string | undefined;
  /** The host, brackets of an IPv6 literal removed (`::1`). */
  host: string;
  /** What follows the colon (may be empty: the remote home directory). */
  path: string;
  /** `host::module` (or `rsync://`) names an rsync daemon rather than a path over the shell. */
  daemon: boolean;
}

/**
 * Parses an rsync-style remote spec; returns null for a local path (no colon before the first
 * slash, as rsync decides).
 *
 * ```ts
 * parseRemoteSpec('alice@backup:data/');   // { user: 'alice', host: 'backup', path: 'data/', daemon: false }
 * parseRemoteSpec('[::1]:/srv');           // { user: undefined, host: '::1', path: '/srv', daemon: false }
 * parseRemoteSpec('./a:b');                // null
 * ```
 * @throws RemoteShellError ERR_INVALID_HOST when the user or host is not acceptable.
 */
export function parseRemoteSpec(spec: string): RemoteSpec | null {
  if (typeof spec !== 'string') throw new TypeError(`a remote spec must be a string, got ${typeof spec}`);
  const url = /^rsync:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::\d+)?\/?(.*)$/s.exec(spec);
  if (url) return finish(url[1], url[2], url[3], true, spec);

  let rest = spec;
  let user: string | undefined;
  // The user ends at the last '@' before the host part (a user may hold '@', a host may not).
  const bracket = rest.indexOf('[');
  const colonOrBracket = firstOf(rest, [':', '[', '/']);
  const at = rest.lastIndexOf('@', colonOrBracket === -1 ? rest.length : colonOrBracket);
  if (at !== -1 && (bracket === -1 || at < bracket)) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host: string;
  let after: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1 || rest[close + 1] !== ':') {
      if (close === -1) throw invalid(spec, 'the IPv6 address has no closing bracket');
      return null;
    }
    host = rest.slice(0, close + 1);
    after = rest.slice(close + 2);
  } else {
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon === -1 || (slash !== -1 && slash < colon)) return null;
    host = rest.slice(0, colon);
    after = rest.slice(colon + 1);
  }
  const daemon = after.startsWith(':');
  return finish(user, host, daemon ? after.slice(1) : after, daemon, spec);
}

function finish(user: string | undefined, rawHost: string, path: string, daemon: boolean, spec: string): RemoteSpec {
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  if (user !== undefined) checkUser(user);
  checkHost(host, spec);
  return { user, host, path, daemon };
}

function firstOf(text: string, chars: string[]): number {
  const found = chars.map((c) => text.indexOf(c)).filter((i) => i !== -1);
  return found.length === 0 ? -1 : Math.min(...found);
}

function invalid(spec: string, why: string): RemoteShellError {
  return invalidInput('ERR_INVALID_HOST', `invalid remote spec ${JSON.stringify(spec)}: ${why}`);
}
