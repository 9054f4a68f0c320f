// Core ingest + framing throughput against a plain Uint8Array.prototype.set copy of the same
// bytes, for 80-byte lines and for line-free bytes; then the two forms of StderrCapture's line
// callback (onLine, one object a line; onLines, one batch a round) against the core committing
// in place, which is what the callback adds to.

import { performance } from 'node:perf_hooks';
import { instantiateCore } from '../host/core/abi.js';
import { StderrCapture, DEFAULT_GEOMETRY } from '../host/core/index.js';
import { interleaved, throughput, GiB, MiB, type Options, type Row } from './harness.js';

const STAGING = DEFAULT_GEOMETRY.stagingSize;

function pattern(kind: 'lines' | 'line-free', size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = 0x20 + ((i * 7) % 90);
  if (kind === 'lines') for (let i = 79; i < size; i += 80) bytes[i] = 0x0a;
  return bytes;
}

export async function run(options: Options): Promise<Row[]> {
  const total = options.quick ? 64 * MiB : GiB;
  const rows: Row[] = [];
  for (const kind of ['line-free', 'lines'] as const) {
    // A source a little larger than the batches, read at shifting offsets, like a stream.
    const source = pattern(kind, MiB + STAGING);
    const target = new Uint8Array(STAGING);
    const core = instantiateCore();
    core.init(1, 16, DEFAULT_GEOMETRY.headSize, STAGING, DEFAULT_GEOMETRY.lineMax, DEFAULT_GEOMETRY.framesMax);
    const handle = core.capture_open();
    const staging = new Uint8Array(core.memory.buffer, core.staging_ptr(handle), STAGING);
    const capture = new StderrCapture();
    capture.setFrameConsumer({ consume() {} });

    const batches = total / STAGING;
    const copy = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) {
        const at = (i * 4099) % MiB;
        target.set(source.subarray(at, at + STAGING));
      }
      return throughput(total, performance.now() - t0);
    };
    const inPlace = (): number => {
      staging.set(source.subarray(0, STAGING));
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) {
        for (let n = core.commit(handle, STAGING); n > 0; n = core.resume(handle));
      }
      return throughput(total, performance.now() - t0);
    };
    const copied = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) {
        const at = (i * 4099) % MiB;
        staging.set(source.subarray(at, at + STAGING));
        for (let n = core.commit(handle, STAGING); n > 0; n = core.resume(handle));
      }
      return throughput(total, performance.now() - t0);
    };
    const wrapper = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < batches; i++) {
        const at = (i * 4099) % MiB;
        capture.write(source.subarray(at, at + STAGING));
      }
      return throughput(total, performance.now() - t0);
    };
    // The callbacks are slower by far: a smaller volume keeps the run short.
    const callbackTotal = options.quick ? 16 * MiB : 256 * MiB;
    let seen = 0;
    const perLine = new StderrCapture({
      onLine: (line) => {
        seen += line.bytes.length;
      },
    });
    const perBatch = new StderrCapture({
      onLines: (batch) => {
        const offsets = batch.offsets;
        for (let i = 0; i < batch.length; i++) seen += offsets[2 * i + 1] - offsets[2 * i];
      },
    });
    const callback = (target: StderrCapture) => (): number => {
      const t0 = performance.now();
      for (let i = 0; i < callbackTotal / STAGING; i++) {
        const at = (i * 4099) % MiB;
        target.write(source.subarray(at, at + STAGING));
      }
      return throughput(callbackTotal, performance.now() - t0);
    };
    const [base, place, copying, wrapped, oneByOne, batched] = await interleaved(options.runs, [
      copy,
      inPlace,
      copied,
      wrapper,
      callback(perLine),
      callback(perBatch),
    ]);
    if (seen === 0) throw new Error('the line callbacks saw no bytes');
    const label = kind === 'lines' ? '80-byte lines' : 'line-free bytes';
    const target_ = kind === 'lines' ? '>= 0.3x' : '>= 0.5x';
    rows.push(
      {
        group: 'core',
        name: `${label}, committed in place (the pump's path)`,
        unit: 'MiB/s',
        figure: place,
        baselineName: 'set() copy',
        baseline: base,
        higherIsBetter: true,
        target: target_,
      },
      {
        group: 'core',
        name: `${label}, copied into staging then committed`,
        unit: 'MiB/s',
        figure: copying,
        baselineName: 'set() copy',
        baseline: base,
        higherIsBetter: true,
      },
      {
        group: 'core',
        name: `${label}, StderrCapture.write()`,
        unit: 'MiB/s',
        figure: wrapped,
        baselineName: 'set() copy',
        baseline: base,
        higherIsBetter: true,
      },
    );
    rows.push(
      {
        group: 'core',
        name: `${label}, StderrCapture onLine (one object a line)`,
        unit: 'MiB/s',
        figure: oneByOne,
        baselineName: 'committed in place',
        baseline: place,
        higherIsBetter: true,
      },
      {
        group: 'core',
        name: `${label}, StderrCapture onLines (one batch a round)`,
        unit: 'MiB/s',
        figure: batched,
        baselineName: 'committed in place',
        baseline: place,
        higherIsBetter: true,
      },
    );
    capture.close();
    perLine.close();
    perBatch.close();
  }
  return rows;
}
