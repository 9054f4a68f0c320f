import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RemoteShellError } from '../../host/index.js';
import { ROOT } from '../helpers/root.js';

export { ROOT };
export const STAND_IN = path.join(ROOT, 'examples/stand-in-ssh.mjs');

/** The stand-in remote shell as rsh words: it runs the command with a real local `sh -c`. */
export const standIn = (...options: string[]): string[] => [process.execPath, STAND_IN, ...options];

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function sha256(stream: Readable): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { digest: hash.digest('hex'), bytes };
}

export async function rejection(promise: Promise<unknown>): Promise<RemoteShellError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RemoteShellError) return err;
    throw err;
  }
  throw new Error('expected a RemoteShellError, but the promise resolved');
}

/** Active handles by type (ProcessWrap, PipeWrap, Timeout...), to see what outlives a shell. */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every character a terminal acts on rather than shows, but newline and tab: none may reach an
 * error, a snapshot's text or a terminal from the remote side. */
export const CONTROL_CHARACTERS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
