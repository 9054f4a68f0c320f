import assert from 'node:assert/strict';
import { StderrCapture } from '../../host/core/capture.js';
import { KEPT_SEGMENTS, OverwrittenSegments } from '../../host/diagnosis/overwritten.js';

function watch(...writes: string[]): string[] {
  const capture = new StderrCapture({ capacity: 1024, headSize: 0 });
  const segments = new OverwrittenSegments();
  capture.setFrameConsumer(segments);
  for (const text of writes) capture.commitStaged(stage(capture, text));
  capture.end();
  capture.close();
  return [...segments.segments];
}

function stage(capture: StderrCapture, text: string): number {
  const bytes = new TextEncoder().encode(text);
  const area = capture.stagingArea;
  new Uint8Array(area.buffer, area.offset, area.size).set(bytes);
  return bytes.length;
}

describe('segments a carriage return overwrote', () => {
  it('keeps those that read like text, not meters, in order', () => {
    assert.deepEqual(watch('  10%\r  20%\ralice@h: Permission denied (publickey).\rall good\n'), [
      'alice@h: Permission denied (publickey).',
    ]);
  });

  it('lets a repeated segment take one place, so an older message is not pushed out by a spinner', () => {
    const kept = watch(`alice@h: Permission denied (publickey).\r${'Waiting for the agent\r'.repeat(10)}done\n`);
    assert.deepEqual(kept, ['alice@h: Permission denied (publickey).', 'Waiting for the agent']);
  });

  it('keeps the newest few of a storm, across batches, and nothing longer than a message', () => {
    const storm = Array.from({ length: 100 }, (_, i) => `Downloading part ${i}\r`).join('');
    const kept = watch(storm.slice(0, 700), storm.slice(700), `${'L'.repeat(2000)}\rend\n`);
    assert.equal(kept.length, KEPT_SEGMENTS);
    assert.deepEqual(
      kept,
      Array.from({ length: KEPT_SEGMENTS }, (_, i) => `Downloading part ${100 - KEPT_SEGMENTS + i}`),
    );
  });
});
