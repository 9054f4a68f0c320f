// WriteErrors: one error per stage of the run, made when a write first fails at that stage.

import assert from 'node:assert/strict';
import { RemoteShellError } from '../../host/errors.js';
import { WriteErrors } from '../../host/lifecycle/write-errors.js';

describe('WriteErrors', () => {
  const made: Array<Error | undefined> = [];
  const errors = new WriteErrors((cause) => {
    made.push(cause);
    return new RemoteShellError('ERR_STREAM_CLOSED', `closed ${made.length}`, { reason: 'connection-lost', argv: ['ssh'] });
  });
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

  it('a writer that keeps writing at one stage gets the same error, made once', () => {
    const running = { exited: false, drained: false };
    const first = errors.errorFor(running, undefined);
    for (let i = 0; i < 100; i++) assert.equal(errors.errorFor(running, undefined), first);
    assert.equal(made.length, 1);
  });

  it('each later stage, and each errno, gets an error of its own, which may say more', () => {
    const stages = [
      { exited: false, drained: false },
      { exited: true, drained: false },
      { exited: true, drained: true },
    ];
    const seen = new Set(stages.flatMap((stage) => [errors.errorFor(stage, undefined), errors.errorFor(stage, epipe)]));
    assert.equal(seen.size, 6);
    assert.equal(made.length, 6);
    assert.deepEqual(made.slice(-1), [epipe], 'the cause reaches the error');
  });
});
