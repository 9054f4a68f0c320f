// Checks on the host and user before anything is spawned: a value that ssh would read as an
// option (`-oProxyCommand=...`) or that splits into several words must never reach it.

import { invalidInput } from '../errors.js';

// Blanks and control characters (C0, DEL, and C1).
const UNSAFE = /[\s\x00-\x1f\x7f-\x9f]/;

export function checkHost(host: unknown, context?: string): string {
  const where = context === undefined ? '' : ` in ${JSON.stringify(context)}`;
  if (typeof host !== 'string') {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote host${where}: it must be a string, got ${host === null ? 'null' : typeof host}`);
  }
  if (host === '') {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote host${where}: the host is empty`);
  }
  if (host.startsWith('-')) {
    throw invalidInput('ERR_INVALID_HOST', `Invalid remote host ${JSON.stringify(host)}${where}: hostnames may not start with '-'.`);
  }
  if (UNSAFE.test(host)) {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote host ${JSON.stringify(host)}${where}: it holds a blank or a control character`);
  }
  return host;
}

export function checkUser(user: unknown): string {
  if (typeof user !== 'string') {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote user: it must be a string, got ${user === null ? 'null' : typeof user}`);
  }
  if (user === '') {
    throw invalidInput('ERR_INVALID_HOST', 'invalid remote user: the user is empty');
  }
  if (user.startsWith('-')) {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote user ${JSON.stringify(user)}: user names may not start with '-'`);
  }
  if (UNSAFE.test(user)) {
    throw invalidInput('ERR_INVALID_HOST', `invalid remote user ${JSON.stringify(user)}: it holds a blank or a control character`);
  }
  return user;
}
