// The program ssh runs as SSH_ASKPASS: a shell wrapper that starts this Node with the helper,
// which sends ssh's prompt and its shell's token over the private socket and prints the answer
// for ssh (exit 0), or exits 1 when the prompt is cancelled. Both are written to the process's
// private directory; neither holds a secret.

import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quoteForShell } from '../rsh/quote.js';

export const SOCKET_VARIABLE = 'RSH_TRANSPORT_ASKPASS_SOCKET';
export const TOKEN_VARIABLE = 'RSH_TRANSPORT_ASKPASS_TOKEN';

// CommonJS and dependency-free: it must run from any directory, as a file of its own.
const HELPER = `'use strict';
const net = require('net');
const socket = process.env.${SOCKET_VARIABLE};
const token = process.env.${TOKEN_VARIABLE};
if (!socket || !token) process.exit(2);
const connection = net.createConnection(socket);
let reply = '';
connection.setEncoding('utf8');
connection.on('connect', () => {
  connection.write(JSON.stringify({ token, prompt: process.argv[2] || '', hint: process.env.SSH_ASKPASS_PROMPT || '' }) + '\\n');
});
connection.on('data', (text) => {
  reply += text;
  if (reply.length > 1048576) process.exit(3);
});
connection.on('end', () => {
  let answer;
  try {
    answer = JSON.parse(reply).answer;
  } catch {
    process.exit(4);
  }
  if (typeof answer !== 'string') process.exit(1);
  process.stdout.write(answer + '\\n', () => process.exit(0));
});
connection.on('error', () => process.exit(5));
`;

/** Writes the helper into `dir`; returns the program to give as SSH_ASKPASS. */
export function writeHelper(dir: string): string {
  const script = path.join(dir, 'askpass-helper.cjs');
  const program = path.join(dir, 'askpass');
  writeFileSync(script, HELPER, { mode: 0o600 });
  // NODE_OPTIONS is the caller's (a loader, a preload): the helper needs none of it.
  writeFileSync(program, `#!/bin/sh\nunset NODE_OPTIONS\nexec ${quoteForShell(process.execPath)} ${quoteForShell(script)} "$@"\n`, {
    mode: 0o700,
  });
  chmodSync(program, 0o700);
  return program;
}
