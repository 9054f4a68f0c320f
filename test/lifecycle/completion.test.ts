// Completion: a run settles once, when its three conditions are met and its exit is known,
// whatever order they come in; a retry can take 'stderr drained' back before that.
//
// Seeded: fast-check prints the seed and the counterexample on failure. Replay with
// RSH_COMPLETION_SEED=<seed>.

import fc from 'fast-check';
import assert from 'node:assert/strict';
import { Completion, type Condition } from '../../host/lifecycle/completion.js';
import { turn } from '../helpers/promises.js';

const CONDITIONS: Condition[] = ['exited', 'stderr drained', 'stdout done'];
const EXIT = { code: 0, signal: null };

type Step = { meet: Condition } | { unmeet: 'stderr drained' } | 'record exit';

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom(...CONDITIONS).map((meet) => ({ meet })),
  fc.constant({ unmeet: 'stderr drained' as const }),
  fc.constant('record exit' as const),
);

describe('Completion', () => {
  it('settles exactly once, at the first moment every condition is met and the exit known', () => {
    const seed = process.env.RSH_COMPLETION_SEED === undefined ? undefined : Number(process.env.RSH_COMPLETION_SEED);
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 12 }), (steps) => {
        let settles = 0;
        const completion = new Completion<string>((resolve) => {
          settles++;
          resolve('done');
        });
        const met = new Set<Condition>();
        let exitKnown = false;
        let settledAt = -1;
        steps.forEach((step, i) => {
          if (step === 'record exit') {
            completion.recordExit(EXIT);
            exitKnown = true;
          } else if ('meet' in step) {
            completion.meet(step.meet);
            met.add(step.meet);
          } else {
            completion.unmeet(step.unmeet);
            if (settledAt < 0) met.delete(step.unmeet);
          }
          if (settledAt < 0 && met.size === 3 && exitKnown) settledAt = i;
          assert.equal(completion.settled, settledAt >= 0, `after step ${i}`);
        });
        assert.equal(settles, settledAt >= 0 ? 1 : 0);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('resolves exited when the exit is recorded, before the run settles', async () => {
    const completion = new Completion<number>((resolve) => resolve(1));
    let exited: unknown;
    void completion.exited.then((exit) => (exited = exit));
    completion.recordExit(EXIT);
    await Promise.resolve();
    assert.deepEqual(exited, EXIT);
    assert.equal(completion.settled, false);
    completion.meet(...CONDITIONS);
    assert.equal(await completion.finished, 1);
  });

  it('a rejected run is not an unhandled rejection, and keeps its error', async () => {
    const error = new Error('why') as never;
    const completion = new Completion<number>((_resolve, reject) => reject(error));
    completion.recordExit(EXIT);
    completion.meet(...CONDITIONS);
    await turn();
    await assert.rejects(completion.finished, (err) => err === error);
  });

  it('keeps the failure known before the end', () => {
    const completion = new Completion<number>(() => {});
    assert.equal(completion.failure, undefined);
    const error = Object.assign(new Error('no start'), { reason: 'spawn-failed' }) as never;
    completion.failure = error;
    assert.equal(completion.failure, error);
  });
});
