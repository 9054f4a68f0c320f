// A failed run that the native launcher (launcher/) hands to this command to explain: the
// launcher ran the remote shell, forwarded its stderr and kept the capture; this command writes
// the last line from what it is given, as it would after a run of its own, and exits with the
// remote shell's status. The launcher writes the record (launcher/handover.c) to a file without a
// name and gives its fd in RSH_TRANSPORT_HANDOVER_FD:
//
//   rsh-transport-handover 1
//   status CODE SIGNAL          CODE -1 when signal number SIGNAL ended it, SIGNAL 0 when it exited
//   stopped 0|1                 a signal from the caller came while it ran
//   not-forwarded N             stderr bytes not forwarded (a slow or failed stderr)
//   omitted N                   stream bytes between head and tail
//   seen N                      stream bytes in all
//   argv COUNT                  then COUNT byte strings
//   head BYTES                  the snapshot's head text
//   tail BYTES                  the snapshot's tail text
//   overwritten COUNT           then COUNT byte strings: segments a lone CR overwrote, oldest first
//
// A byte string is its length in decimal, a newline, the bytes, a newline.

import { closeSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { decode, snapshotOf, type Snapshot } from '../core/snapshot.js';
import type { Exit } from '../errors.js';

export const HANDOVER_VARIABLE = 'RSH_TRANSPORT_HANDOVER_FD';
const MAGIC = 'rsh-transport-handover 1';

export interface Handover {
  readonly argv: string[];
  readonly exit: Exit;
  readonly stoppedByCaller: boolean;
  readonly bytesNotForwarded: number;
  readonly snapshot: Snapshot;
  readonly overwritten: string[];
}

export class HandoverError extends Error {}

/** The record whose fd the environment names, read and closed; undefined when none is named. */
export function takeHandover(env: NodeJS.ProcessEnv = process.env): Handover | undefined {
  const named = env[HANDOVER_VARIABLE];
  if (named === undefined) return undefined;
  delete env[HANDOVER_VARIABLE];
  const fd = /^\d{1,9}$/.test(named) ? Number(named) : NaN;
  if (!Number.isInteger(fd)) throw new HandoverError(`${HANDOVER_VARIABLE} is not an fd: ${JSON.stringify(named)}`);
  let record: Buffer;
  try {
    record = readFileSync(fd);
  } catch (err) {
    throw new HandoverError(`could not read the record of fd ${fd}: ${(err as Error).message}`);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  return parseHandover(record);
}

function signalName(number: number): NodeJS.Signals | undefined {
  if (number < 1 || number > 64) throw new HandoverError(`not a signal number: ${number}`);
  return Object.entries(constants.signals).find(([, n]) => n === number)?.[0] as NodeJS.Signals | undefined;
}

/** Parses a record (see the top of this file). */
export function parseHandover(record: Buffer): Handover {
  let at = 0;
  const line = (): string => {
    const end = record.indexOf(0x0a, at);
    if (end === -1) throw new HandoverError('the record ends early');
    const text = record.toString('latin1', at, end);
    at = end + 1;
    return text;
  };
  const number = (text: string): number => {
    if (!/^-?\d{1,15}$/.test(text)) throw new HandoverError(`not a number: ${JSON.stringify(text)}`);
    return Number(text);
  };
  const field = (name: string): string => {
    const text = line();
    if (!text.startsWith(`${name} `)) throw new HandoverError(`expected ${name}, got ${JSON.stringify(text.slice(0, 40))}`);
    return text.slice(name.length + 1);
  };
  const bytes = (length: number): Buffer => {
    if (length < 0 || at + length + 1 > record.length || record[at + length] !== 0x0a)
      throw new HandoverError('a byte string overruns the record');
    const value = record.subarray(at, at + length);
    at += length + 1;
    return value;
  };
  const strings = (count: number): string[] => Array.from({ length: count }, () => decode(bytes(number(line()))));

  if (line() !== MAGIC) throw new HandoverError('not a handover record');
  const [code, signal] = field('status').split(' ').map(number);
  const stoppedByCaller = number(field('stopped')) === 1;
  const bytesNotForwarded = number(field('not-forwarded'));
  const omitted = number(field('omitted'));
  const seen = number(field('seen'));
  const argv = strings(number(field('argv')));
  const head = bytes(number(field('head')));
  const tail = bytes(number(field('tail')));
  const overwritten = strings(number(field('overwritten')));
  if (at !== record.length) throw new HandoverError('the record goes on after its last field');
  // A signal Node has no name for (a real-time one) is told as the shell tells it: status 128+N.
  const named = signal > 0 ? signalName(signal) : undefined;
  const exit: Exit = named !== undefined ? { code: null, signal: named } : { code: signal > 0 ? 128 + signal : code, signal: null };
  return { argv, exit, stoppedByCaller, bytesNotForwarded, snapshot: snapshotOf(head, tail, omitted, seen), overwritten };
}
