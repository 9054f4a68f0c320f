// StdinSide: the writes of the protocol stream to the child's stdin, against a real Writable
// whose callbacks the test gives (the socket confirming, or failing, one chunk at a time).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { RemoteShellError } from '../../host/errors.js';
import { StdinSide } from '../../host/stream/stdin-side.js';
import { turn } from '../helpers/promises.js';

/** A child's stdin that holds each chunk until the test confirms or fails it. */
function childStdin() {
  const pending: Array<(err?: Error | null) => void> = [];
  const received: string[] = [];
  const socket = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk.toString());
      pending.push(callback);
    },
  });
  socket.on('error', () => {});
  const settleNext = async (err?: Error): Promise<void> => {
    await turn();
    pending.shift()!(err);
    await turn();
  };
  return { socket, pending, received, settleNext };
}

function side(unattached = false) {
  const causes: Array<Error | undefined> = [];
  const input = new StdinSide((cause) => {
    causes.push(cause);
    return new RemoteShellError('ERR_STREAM_CLOSED', 'the remote shell can take no more input', {
      reason: 'connection-lost',
      argv: ['ssh'],
    });
  }, unattached);
  /** What the stream does with a write: number it, start it, and hand its callback on. */
  const outcomes: string[] = [];
  const write = (text: string): void => {
    const seq = input.take();
    const callback = input.callbackFor(seq, text.length, (err) =>
      outcomes.push(err ? `${text}: ${(err as RemoteShellError).code}` : `${text}: ok`),
    );
    input.start(Buffer.from(text), () => callback());
  };
  return { input, causes, outcomes, write };
}

describe('StdinSide', () => {
  it("a write's callback waits for the socket's confirmation; the first failure fails it and every later one", async () => {
    const child = childStdin();
    const { input, causes, outcomes, write } = side();
    input.adopt(child.socket);
    for (const text of ['one', 'two', 'three', 'four']) write(text);
    assert.deepEqual(outcomes, [], 'nothing is confirmed before the socket says so');
    await child.settleNext();
    assert.deepEqual(outcomes, ['one: ok']);
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    await child.settleNext(epipe);
    assert.deepEqual(outcomes, ['one: ok', 'two: ERR_STREAM_CLOSED', 'three: ERR_STREAM_CLOSED', 'four: ERR_STREAM_CLOSED']);
    assert.equal(input.closed, true);
    assert.equal(input.sent, 3);
    assert.equal(input.notSent, 3 + 5 + 4);
    assert.ok(
      causes.every((cause) => cause === epipe),
      'each failed write is told why the input closed',
    );
  });

  it('unattached: the started write and the end wait, in order, for the child', async () => {
    const child = childStdin();
    const { input, outcomes, write } = side(true);
    assert.equal(input.unattached, true);
    write('held');
    let ended = false;
    input.final(() => (ended = true));
    await turn();
    assert.deepEqual(child.received, []);
    input.attach(child.socket);
    await turn();
    assert.deepEqual(child.received, ['held']);
    assert.equal(ended, false, 'the end waits for the write before it');
    await child.settleNext();
    await turn();
    assert.deepEqual(outcomes, ['held: ok']);
    assert.equal(ended, true);
    assert.throws(() => input.attach(child.socket), /already has its child/);
  });

  it('closed before a child came: the held write fails and is counted, the end finishes', () => {
    const { input, outcomes, write } = side(true);
    write('never');
    let ended = false;
    input.final(() => (ended = true));
    input.close();
    assert.deepEqual(outcomes, ['never: ERR_STREAM_CLOSED']);
    assert.equal(input.notSent, 5);
    assert.equal(ended, true);
    assert.equal(input.unattached, false);
  });

  it("after a retry's new child: the old socket says no more, the new one takes the writes", async () => {
    const first = childStdin();
    const second = childStdin();
    const { input, outcomes, write } = side();
    input.adopt(first.socket);
    input.replace(second.socket);
    assert.equal(first.socket.destroyed, true);
    write('again');
    await second.settleNext();
    assert.deepEqual(outcomes, ['again: ok']);
    assert.deepEqual(first.received, []);
  });
});
