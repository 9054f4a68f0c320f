// The calling process's end of askpass: one Unix socket in the private directory, open while
// some shell has an askpass callback. Each shell gets a token of its own (32 random bytes, in
// its ssh's environment, never its answers): a connection must give it before its prompt
// reaches that shell's callback, and it is void once the shell has settled. The answer goes
// back over the socket and nowhere else: not into the environment, an argv, a file, the
// capture or an error.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { runtimeDir } from '../runtime-dir.js';
import { SOCKET_VARIABLE, TOKEN_VARIABLE, writeHelper } from './helper.js';
import { askpassRequest, type AskpassCallback } from './request.js';

// A request is one line of JSON: the token and ssh's prompt, which is short.
const MAX_REQUEST = 64 * 1024;

export interface AskpassGrant {
  /** What the remote shell's environment gets: SSH_ASKPASS, SSH_ASKPASS_REQUIRE and the channel. */
  readonly env: Readonly<Record<string, string>>;
  /** How many prompts the callback was asked. */
  readonly asked: number;
  /** The first failure of the callback (it threw, or answered something that is no line). */
  readonly failure: unknown;
  /** The token is void; prompts still waiting are cancelled. */
  revoke(): void;
}

interface Holder {
  readonly token: Buffer;
  readonly callback: AskpassCallback;
  readonly open: Set<Socket>;
  asked: number;
  failure: unknown;
}

let server: Server | undefined;
let socketPath = '';
let helper = '';
const holders = new Set<Holder>();

/** A token for one shell's callback; the socket is opened with the first. */
export function grantAskpass(callback: AskpassCallback): AskpassGrant {
  listen();
  const holder: Holder = { token: randomBytes(32), callback, open: new Set(), asked: 0, failure: undefined };
  holders.add(holder);
  return {
    env: Object.freeze({
      SSH_ASKPASS: helper,
      SSH_ASKPASS_REQUIRE: 'force',
      [SOCKET_VARIABLE]: socketPath,
      [TOKEN_VARIABLE]: holder.token.toString('hex'),
    }),
    get asked() {
      return holder.asked;
    },
    get failure() {
      return holder.failure;
    },
    revoke() {
      if (!holders.delete(holder)) return;
      for (const connection of holder.open) connection.destroy();
      if (holders.size === 0) close();
    },
  };
}

function listen(): void {
  if (server) return;
  const dir = runtimeDir();
  helper ||= writeHelper(dir);
  socketPath = path.join(dir, 'askpass.sock');
  rmSync(socketPath, { force: true });
  server = createServer(serve);
  // A server that fails (it cannot accept: out of fds) answers no prompt: the helper's failure
  // cancels each, and the reason is every waiting shell's cause.
  server.on('error', (err) => {
    for (const holder of holders) holder.failure ??= err;
  });
  // Binding a Unix socket is synchronous: the helper can connect as soon as this returns.
  server.listen(socketPath);
  server.unref();
}

function close(): void {
  server?.close();
  server = undefined;
}

function serve(connection: Socket): void {
  let received = '';
  let holder: Holder | undefined;
  connection.setEncoding('utf8');
  connection.on('error', () => {});
  connection.on('close', () => holder?.open.delete(connection));
  connection.on('data', (text: string) => {
    if (holder) return;
    received += text;
    const end = received.indexOf('\n');
    if (end < 0) {
      if (received.length > MAX_REQUEST) connection.destroy();
      return;
    }
    let request: { token?: unknown; prompt?: unknown; hint?: unknown };
    try {
      request = JSON.parse(received.slice(0, end));
    } catch {
      connection.destroy();
      return;
    }
    holder = holderOf(request.token);
    if (!holder) {
      connection.end(JSON.stringify({ answer: null }));
      return;
    }
    holder.open.add(connection);
    void answer(
      holder,
      typeof request.prompt === 'string' ? request.prompt : '',
      typeof request.hint === 'string' ? request.hint : '',
    ).then((text) => {
      if (!connection.destroyed) connection.end(JSON.stringify({ answer: text }));
    });
  });
}

function holderOf(token: unknown): Holder | undefined {
  if (typeof token !== 'string' || !/^[0-9a-f]{64}$/.test(token)) return undefined;
  const given = Buffer.from(token, 'hex');
  for (const holder of holders) if (timingSafeEqual(holder.token, given)) return holder;
  return undefined;
}

async function answer(holder: Holder, prompt: string, hint: string): Promise<string | null> {
  holder.asked++;
  try {
    const text = await holder.callback(askpassRequest(prompt, hint));
    if (text === null) return null;
    if (typeof text !== 'string')
      throw new TypeError(`the askpass callback must answer a string or null, got ${text === undefined ? 'undefined' : typeof text}`);
    // ssh reads one line: a line break would cut the answer short without a word.
    if (/[\r\n\0]/.test(text)) throw new RangeError('the askpass callback answered with a line break or a NUL byte, which ssh cannot read');
    return text;
  } catch (err) {
    holder.failure ??= err;
    return null;
  }
}
