// Jump hosts: the `jump` option as ssh's `-J` (ProxyJump), checked as the host is, and the hops
// an argv names, for the diagnosis to say which of them failed.
//
// ssh reaches each hop through the one before with a child ssh of its own (`ssh -W host:port
// hop`), which takes none of the command line's options but -F and -v: a hop is configured by
// ssh's configuration, not by -i, -o or -p.

import { invalidInput } from '../errors.js';
import { show } from '../options.js';
import { nameProblem } from './validate.js';

/** One hop: `[user@]host[:port]` (an IPv6 address bracketed: `[::1]:22`), or its parts. */
export type JumpHost = string | { host: string; user?: string; port?: number };

/** The jump hosts, in order from the first one ssh connects to; a string may list several,
 * separated by commas, as `-J` does. */
export type JumpOption = string | readonly JumpHost[];

const MAX_HOPS = 32;

function invalidJump(where: string, why: string): Error {
  return invalidInput('ERR_INVALID_HOST', `invalid jump host ${where}: ${why}`);
}

function checkPort(where: string, port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw invalidJump(where, `the port must be a whole number from 1 to 65535, got ${show(port)}`);
  return port;
}

// A host as -J writes it: an IPv6 address in brackets, so that its colons are not a port's.
function hostWord(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

// Characters -J gives a meaning of its own, or that reach a shell: ssh reads '#' as the start of
// a comment (the hops after it are dropped without a word), expands '%' tokens in the command it
// builds for each hop, and runs that command through `sh -c`, where the others are syntax.
const SPECIAL = /[#%'"`$;&|<>(){}\\*?![\]]/;

// ssh splits -J at commas and a hop at its last '@' and its port's colon: neither may hide in a part.
function checkPart(where: string, what: 'host' | 'user', value: string): void {
  if (value.includes(',')) throw invalidJump(where, `the ${what} holds a comma, which separates hops`);
  if (what === 'host' && (value.includes('@') || value.includes('/'))) throw invalidJump(where, `the host holds '@' or '/'`);
  const special = SPECIAL.exec(value);
  if (special)
    throw invalidJump(
      where,
      `the ${what} holds ${JSON.stringify(special[0])}, which ssh's -J or the shell it runs each hop with would read`,
    );
  if (what === 'host' && value.includes(':') && !/^[0-9A-Fa-f:.]+$/.test(value))
    throw invalidJump(where, "a host holds ':' only as an IPv6 address (give the port as its own part)");
}

function hopFromText(where: string, text: string): string {
  const at = text.lastIndexOf('@');
  const user = at === -1 ? undefined : text.slice(0, at);
  const rest = at === -1 ? text : text.slice(at + 1);
  let host: string;
  let port: number | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (rest.startsWith('[') && !bracketed) throw invalidJump(where, 'the IPv6 address has no closing bracket');
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = checkPort(where, /^\d{1,5}$/.test(bracketed[2]) ? Number(bracketed[2]) : bracketed[2]);
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) throw invalidJump(where, `an IPv6 address is written in brackets ([${rest}] or [${rest}]:22)`);
    const [name, portText] = rest.split(':');
    host = name;
    if (portText !== undefined) port = checkPort(where, /^\d{1,5}$/.test(portText) ? Number(portText) : portText);
  }
  return hopWord(where, { host, user, port });
}

function checkName(where: string, what: 'host' | 'user', value: unknown): string {
  const problem = nameProblem(value, what);
  if (problem !== undefined) throw invalidJump(where, `${what === 'user' ? 'the user: ' : ''}${problem}`);
  checkPart(where, what, value as string);
  return value as string;
}

function hopWord(where: string, hop: { host: unknown; user?: unknown; port?: unknown }): string {
  // An IPv6 address may come bracketed, as the host option takes it.
  const bare = typeof hop.host === 'string' && /^\[[^\]]*\]$/.test(hop.host) ? hop.host.slice(1, -1) : hop.host;
  const host = checkName(where, 'host', bare);
  const user = hop.user === undefined ? undefined : checkName(where, 'user', hop.user);
  const port = hop.port === undefined ? undefined : checkPort(where, hop.port);
  return `${user === undefined ? '' : `${user}@`}${hostWord(host)}${port === undefined ? '' : `:${port}`}`;
}

/** The hops as `-J` takes them, each checked. @throws RemoteShellError ERR_INVALID_HOST, or
 * TypeError for a value of the wrong shape. */
export function jumpHops(value: unknown): string[] {
  const hops: unknown[] = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [value];
  if (typeof value !== 'string' && !Array.isArray(value))
    throw new TypeError(`jump must be a host, or an array of hosts or { host, user, port }, got ${show(value)}`);
  if (hops.length === 0) throw new TypeError('jump must name at least one host');
  if (typeof value === 'string' && /\[[^\]]*,/.test(value))
    throw invalidJump(show(value), 'a comma separates hops, so it cannot stand in brackets');
  if (hops.length > MAX_HOPS) throw new RangeError(`jump names ${hops.length} hosts; at most ${MAX_HOPS}`);
  return hops.map((hop, i) => {
    const where = typeof value === 'string' ? (hops.length === 1 ? show(value) : `${i} of ${show(value)}`) : `jump[${i}]`;
    if (typeof hop === 'string') return hopFromText(where, hop);
    if (typeof hop !== 'object' || hop === null || Array.isArray(hop))
      throw new TypeError(`jump[${i}] must be a host or { host, user, port }, got ${show(hop)}`);
    const unknown = Object.keys(hop).filter((key) => !['host', 'user', 'port'].includes(key));
    if (unknown.length > 0) throw new TypeError(`jump[${i}] has no option ${JSON.stringify(unknown[0])}: give host, user and port`);
    return hopWord(where, hop as { host: unknown; user?: unknown; port?: unknown });
  });
}

/** `-J hop,hop...`. */
export function jumpArgs(value: unknown): string[] {
  return ['-J', jumpHops(value).join(',')];
}
