// Checks on the host and user before anything is spawned: a value that ssh would read as an
// option (`-oProxyCommand=...`) or that splits into several words must never reach it.

import { invalidInput } from '../errors.js';

// Blanks and control characters (C0, DEL, and C1).
const UNSAFE = /[\s\x00-\x1f\x7f-\x9f]/;

const typeName = (value: unknown): string => (value === null ? 'null' : typeof value);

/** Why `value` cannot be a host or user name ssh is given, or undefined when it can. */
export function nameProblem(value: unknown, what: 'host' | 'user'): string | undefined {
  if (typeof value !== 'string') return `it must be a string, got ${typeName(value)}`;
  if (value === '') return `the ${what} is empty`;
  if (value.startsWith('-')) return `${what === 'host' ? 'hostnames' : 'user names'} may not start with '-'`;
  if (UNSAFE.test(value)) return 'it holds a blank or a control character';
  return undefined;
}

export function checkHost(host: unknown, context?: string): string {
  const where = context === undefined ? '' : ` in ${JSON.stringify(context)}`;
  const problem = nameProblem(host, 'host');
  if (problem === undefined) return host as string;
  if (typeof host === 'string' && host.startsWith('-')) {
    throw invalidInput('ERR_INVALID_HOST', `Invalid remote host ${JSON.stringify(host)}${where}: ${problem}.`);
  }
  const shown = typeof host === 'string' && host !== '' ? ` ${JSON.stringify(host)}` : '';
  throw invalidInput('ERR_INVALID_HOST', `invalid remote host${shown}${where}: ${problem}`);
}

export function checkUser(user: unknown): string {
  const problem = nameProblem(user, 'user');
  if (problem === undefined) return user as string;
  const shown = typeof user === 'string' && user !== '' ? ` ${JSON.stringify(user)}` : '';
  throw invalidInput('ERR_INVALID_HOST', `invalid remote user${shown}: ${problem}`);
}
