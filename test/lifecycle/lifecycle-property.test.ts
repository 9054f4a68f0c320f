// Property-style tests of RemoteShell's lifecycle: a random child (output in chunks with pauses,
// maybe reading its stdin, ignoring SIGTERM, leaving a grandchild on its stdout, closing stdout
// early) against a random consumer (never reading, reading, pausing, iterating slowly; writing,
// ending; then maybe close(), an abort, kill() or destroy() at a random moment). After each run:
// - `finished` settled, within killGraceMs * 2 + drainTimeoutMs of a close(), abort or kill();
// - what the consumer got is a prefix of what the child wrote, and all of it when nothing cut
//   the run short; every byte received was delivered or counted as discarded;
// - every write's callback was called; the child is gone; no fd is left open.
//
// Seeded: fast-check prints the seed and the counterexample on failure. Replay with
// RSH_LIFECYCLE_SEED=<seed>; more runs with RSH_LIFECYCLE_RUNS=<n>.

import fc from 'fast-check';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell, RemoteShellError, type ByteCounts } from '../../host/index.js';
import { internal } from '../../host/internal.js';
import { BACKENDS } from '../helpers/backends.js';
import { posixOnly } from '../helpers/posix.js';
import { fdsChangedSince, fdTargets } from '../helpers/proc.js';
import { scaled, sleep, timeScale, waitFor, wholeTurn } from '../helpers/promises.js';
import { programAsRsh } from '../helpers/stand-in.js';
import { scratchDir } from '../helpers/scratch.js';

const GRACE = 100;
const DRAIN = 50;
// Scheduling slack on a shared, noisy machine: the bound is about correctness, not speed.
const SLACK = 1500;
const PAYLOAD = randomBytes(256 * 1024);

interface ChildPlan {
  chunks: number[];
  gapsMs: number[];
  readsStdin: number | null;
  ignoresTerm: boolean;
  grandchild: boolean;
  closesStdoutEarly: boolean;
  exitCode: number;
}

type WayOut = 'none' | 'close' | 'abort' | 'kill' | 'destroy';

interface ConsumerPlan {
  mode: 'none' | 'flowing' | 'iterate';
  pauses: Array<{ atMs: number; forMs: number }>;
  chunkDelayMs: number;
  writes: Array<{ atMs: number; size: number }>;
  endAtMs: number | null;
  wayOut: WayOut;
  wayOutAtMs: number;
}

interface Scenario {
  backend: number;
  child: ChildPlan;
  consumer: ConsumerPlan;
}

const childArb: fc.Arbitrary<ChildPlan> = fc.record({
  chunks: fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 0, maxLength: 6 }),
  gapsMs: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 6, maxLength: 6 }),
  readsStdin: fc.option(fc.integer({ min: 1, max: 3000 }), { freq: 3 }),
  ignoresTerm: fc.boolean(),
  grandchild: fc.boolean(),
  closesStdoutEarly: fc.boolean(),
  exitCode: fc.constantFrom(0, 0, 3),
});

const consumerArb: fc.Arbitrary<ConsumerPlan> = fc.record({
  mode: fc.constantFrom('none', 'flowing', 'flowing', 'iterate'),
  pauses: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 200 }), forMs: fc.integer({ min: 1, max: 150 }) }), { maxLength: 3 }),
  chunkDelayMs: fc.integer({ min: 0, max: 10 }),
  writes: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 300 }), size: fc.integer({ min: 1, max: 70_000 }) }), { maxLength: 6 }),
  endAtMs: fc.option(fc.integer({ min: 0, max: 300 }), { freq: 4 }),
  wayOut: fc.constantFrom<WayOut>('none', 'none', 'close', 'abort', 'kill', 'destroy'),
  wayOutAtMs: fc.integer({ min: 0, max: 400 }),
});

// Runs that could never end are not generated: without a way out, the consumer ends its
// writes (so a child reading its stdin gets EOF), and one that never reads gets output small
// enough to fit the buffers on the way (else the child blocks on it for ever, as with any pipe).
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    backend: fc.integer({ min: 0, max: BACKENDS.length - 1 }),
    child: childArb,
    consumer: consumerArb,
  })
  .filter(
    ({ child, consumer }) =>
      consumer.wayOut !== 'none' ||
      (consumer.endAtMs !== null && (consumer.mode !== 'none' || child.chunks.reduce((a, b) => a + b, 0) <= 48_000)),
  );

/** The child as the remote programs' steps (see remote-programs.mjs). */
function childSteps(plan: ChildPlan, payload: string): Array<string | number> {
  const steps: Array<string | number> = [];
  if (plan.ignoresTerm) steps.push('ignore', 'SIGTERM');
  if (plan.readsStdin !== null) steps.push('read', plan.readsStdin);
  let offset = 0;
  plan.chunks.forEach((size, i) => {
    steps.push('out-file', payload, offset, size);
    offset += size;
    if (plan.gapsMs[i] > 0) steps.push('sleep', plan.gapsMs[i]);
  });
  if (plan.grandchild) steps.push('background', '[', 'sleep', 300, ']');
  if (plan.closesStdoutEarly) steps.push('close', 'stdout');
  steps.push('exit', plan.exitCode);
  return steps;
}

async function runScenario(scenario: Scenario, payloadFile: string): Promise<void> {
  const { child, consumer } = scenario;
  const controller = new AbortController();
  const shell = openRemoteShell({
    host: 'local',
    rsh: programAsRsh(...childSteps(child, payloadFile)),
    stderr: 'capture',
    killGraceMs: GRACE,
    drainTimeoutMs: DRAIN,
    signal: controller.signal,
    ...{ [internal]: { binding: BACKENDS[scenario.backend].binding() } },
  });
  const planned = child.chunks.reduce((a, b) => a + b, 0);
  const delivered: Buffer[] = [];
  const timers: NodeJS.Timeout[] = [];
  let fired = 0;
  const at = (ms: number, fn: () => void) =>
    timers.push(
      setTimeout(() => {
        fired++;
        fn();
      }, ms),
    );
  let writesIssued = 0;
  let writesCalledBack = 0;
  let wayOutAt: number | undefined;

  if (consumer.mode === 'flowing') {
    shell.stream.on('data', (chunk: Buffer) => delivered.push(chunk));
    for (const { atMs, forMs } of consumer.pauses) {
      at(atMs, () => shell.stream.pause());
      at(atMs + forMs, () => shell.stream.resume());
    }
  } else if (consumer.mode === 'iterate') {
    void (async () => {
      try {
        for await (const chunk of shell.stream) {
          delivered.push(chunk as Buffer);
          if (consumer.chunkDelayMs > 0) await sleep(consumer.chunkDelayMs);
        }
      } catch {
        // destroyed before its end: what was read so far stays counted
      }
    })();
  }
  for (const { atMs, size } of consumer.writes) {
    at(atMs, () => {
      writesIssued++;
      shell.stream.write(Buffer.alloc(size, 0x77), () => writesCalledBack++);
    });
  }
  if (consumer.endAtMs !== null) at(consumer.endAtMs, () => shell.stream.end());
  if (consumer.wayOut !== 'none') {
    at(consumer.wayOutAtMs, () => {
      wayOutAt = performance.now();
      if (consumer.wayOut === 'close') void shell.close();
      else if (consumer.wayOut === 'abort') controller.abort();
      // kill() bounds the run once the child is gone: with a signal the child does not ignore.
      else if (consumer.wayOut === 'kill') shell.kill(child.ignoresTerm ? 'SIGKILL' : 'SIGTERM');
      else shell.stream.destroy();
    });
  }

  let counts: ByteCounts;
  let overall: NodeJS.Timeout | undefined;
  try {
    counts = await Promise.race([
      shell.finished.catch((err: unknown) => {
        if (!(err instanceof RemoteShellError)) throw err;
        return err;
      }),
      new Promise<never>((_, reject) => {
        overall = setTimeout(() => reject(new Error(`finished did not settle within ${15 * timeScale()} s`)), 15_000 * timeScale());
      }),
    ]);
  } finally {
    clearTimeout(overall);
  }
  const settledAt = performance.now();

  // Bounded ways out: close(), an abort and kill() settle within the grace, twice, and the drain.
  if (wayOutAt !== undefined && consumer.wayOut !== 'destroy') {
    const took = settledAt - wayOutAt;
    assert.ok(took <= (GRACE * 2 + DRAIN + SLACK) * timeScale(), `${consumer.wayOut}() settled after ${Math.round(took)} ms`);
  }
  // Nothing lost, nothing reordered, everything accounted for.
  const got = Buffer.concat(delivered);
  assert.ok(got.equals(PAYLOAD.subarray(0, got.length)), 'what the consumer got is a prefix of what the child wrote');
  assert.ok(got.length <= planned);
  assert.equal(counts.bytesReceived, got.length + counts.bytesDiscarded, 'received = delivered + discarded');
  const cutShort = wayOutAt !== undefined || child.closesStdoutEarly;
  if (!cutShort && consumer.mode !== 'none') {
    assert.equal(got.length, planned, 'every byte the child wrote reached the consumer');
    assert.equal(counts.bytesDiscarded, 0);
  }
  if (consumer.mode === 'none' && wayOutAt === undefined) assert.equal(got.length, 0);
  // The child is gone, and every write was answered (those scheduled after the end too).
  const pid = shell.pid!;
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the child is gone');
  await waitFor(() => fired === timers.length, 'every planned action of the consumer is done', 2000);
  await waitFor(() => writesCalledBack === writesIssued, `every write callback was called (${writesCalledBack} of ${writesIssued})`, 2000);
}

describe('RemoteShell lifecycle: random interleavings', function () {
  this.timeout(scaled(600_000));
  const dir = scratchDir('rsh-lifecycle-');
  const payloadFile = path.join(dir, 'payload');
  writeFileSync(payloadFile, PAYLOAD);

  it('every run settles in bound, delivers or accounts for every byte, and leaves nothing open (POSIX)', async function () {
    posixOnly(this, 'fds are counted in /proc');
    const seed = process.env.RSH_LIFECYCLE_SEED === undefined ? undefined : Number(process.env.RSH_LIFECYCLE_SEED);
    const numRuns = Number(process.env.RSH_LIFECYCLE_RUNS ?? 40);
    // The first spawn of a process sets up what it keeps for good (libuv's SIGCHLD pipe).
    const first = openRemoteShell({ host: 'local', rsh: programAsRsh(), stderr: 'capture' });
    first.stream.resume();
    await first.finished;
    await wholeTurn();
    const before = fdTargets();
    await fc.assert(
      fc.asyncProperty(scenarioArb, (scenario) => runScenario(scenario, payloadFile)),
      {
        numRuns,
        seed,
        endOnFailure: true,
      },
    );
    await waitFor(() => fdsChangedSince(before).length === 0, 'no fd is left open, and none closed that the runs did not open').catch(
      (err: Error) => {
        throw new Error(`${err.message}: ${fdsChangedSince(before).join(', ')}`);
      },
    );
  });
});
