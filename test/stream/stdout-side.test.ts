// StdoutSide: the child's stdout read into the protocol stream, against a real PassThrough as
// the child's stdout and a target that records what is pushed.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StdoutSide } from '../../host/stream/stdout-side.js';
import { turn } from '../helpers/promises.js';

/** The stream the side pushes into: it takes `room` chunks, then wants no more until read. */
function target(room = Infinity) {
  const state = { pushed: [] as Array<string | null>, touched: false, destroyed: false, resumed: 0 };
  return {
    state,
    target: {
      push: (chunk: Buffer | null) => {
        state.pushed.push(chunk === null ? null : chunk.toString());
        return state.pushed.length < room;
      },
      destroy: () => (state.destroyed = true),
      resume: () => state.resumed++,
      isDestroyed: () => state.destroyed,
      isTouched: () => state.touched,
      firstByte: () => {},
    },
  };
}

/** A child's stdout; `inKernel` stands for what FIONREAD would say (undefined: cannot be asked). */
function childStdout(inKernel: number | undefined) {
  // A socket's handle, as the side looks for its fd to ask the kernel.
  const stdout = Object.assign(new PassThrough(), { _handle: { fd: 99 } });
  return { stdout, pendingBytes: () => inKernel };
}

describe('StdoutSide', () => {
  it('pushes what the child writes, in order, pausing it while the stream wants no more', async () => {
    const { state, target: t } = target(2);
    const { stdout, pendingBytes } = childStdout(0);
    const side = new StdoutSide(t, pendingBytes);
    side.adopt(stdout);
    side.wanted();
    for (const chunk of ['a', 'b', 'c']) stdout.write(chunk);
    await turn();
    assert.deepEqual(state.pushed, ['a', 'b'], 'paused once the stream was full');
    assert.equal(stdout.isPaused(), true);
    side.wanted();
    await turn();
    assert.deepEqual(state.pushed, ['a', 'b', 'c']);
    stdout.end();
    await turn();
    assert.deepEqual(state.pushed, ['a', 'b', 'c'], 'the end, too, waits for the stream to want more');
    side.wanted();
    await turn();
    assert.deepEqual(state.pushed, ['a', 'b', 'c', null]);
    assert.equal(side.received, 3);
    assert.equal(side.ended, true);
  });

  it('for a retry: the end of an untouched stdout is held until let go; a byte or a touch says no', async () => {
    const { state, target: t } = target();
    const { stdout, pendingBytes } = childStdout(0);
    const side = new StdoutSide(t, pendingBytes);
    side.adopt(stdout);
    side.holdEnd(true);
    side.wanted();
    assert.equal(side.untouchedState, 'yes');
    stdout.end();
    await turn();
    assert.deepEqual(state.pushed, [], 'the end is held');
    assert.equal(side.untouchedState, 'yes');
    side.holdEnd(false);
    assert.deepEqual(state.pushed, [null]);

    const touched = target();
    const other = childStdout(0);
    const second = new StdoutSide(touched.target, other.pendingBytes);
    second.adopt(other.stdout);
    touched.state.touched = true;
    assert.equal(second.untouchedState, 'no');
  });

  it("untouched: 'no' when the kernel holds a byte, 'unknown' when it cannot say, until readToEnd finds it quiet", async () => {
    const holding = childStdout(1);
    const side = new StdoutSide(target().target, holding.pendingBytes);
    side.adopt(holding.stdout);
    assert.equal(side.untouchedState, 'no');

    const unknown = childStdout(undefined);
    const quiet = new StdoutSide(target().target, unknown.pendingBytes);
    quiet.adopt(unknown.stdout);
    assert.equal(quiet.untouchedState, 'unknown');
    await quiet.readToEnd(20);
    assert.equal(quiet.untouchedState, 'yes', 'read for 20 ms, and nothing came');
  });

  it('after the exit: the output is in once what the kernel held has been read', async () => {
    const { target: t } = target();
    const { stdout } = childStdout(0);
    let inKernel = 5;
    const side = new StdoutSide(t, () => inKernel);
    side.adopt(stdout);
    side.childExited();
    inKernel = 0;
    assert.equal(side.childOutputIn(0), false, '5 bytes were still in the kernel at the exit');
    side.wanted();
    stdout.write('12345');
    await turn();
    assert.equal(side.childOutputIn(0), true);
  });

  it('discarding: what the stream held and what comes after is counted, not pushed', async () => {
    const { state, target: t } = target();
    const { stdout, pendingBytes } = childStdout(0);
    const side = new StdoutSide(t, pendingBytes);
    side.adopt(stdout);
    side.discard(7);
    stdout.write('abc');
    await turn();
    assert.deepEqual(state.pushed, []);
    assert.equal(side.discarded, 10);
    assert.equal(side.received, 3);
    assert.equal(state.resumed, 1, 'the stream itself flows, dropping what it holds');
  });
});
