// Runs a vector through the reference model (test/core/model.ts): this is where every .out
// file comes from.

import { CaptureModel, type ModelFrame } from '../core/model.js';
import { RecordWriter, type Vector } from './format.js';

export function runOnModel({ geometry: g, commands }: Vector): string {
  const model = new CaptureModel({ capacity: 2 ** g.ringLog2, headSize: g.headSize, lineMax: g.lineMax });
  const out = new RecordWriter();
  const frames = (list: ModelFrame[]) => list.forEach((f) => out.frame(f.kind, f.bytes));
  for (const command of commands) {
    switch (command.op) {
      case 'write':
        frames(model.write(command.bytes));
        break;
      case 'flush':
        frames(model.flush(false));
        break;
      case 'end':
        frames(model.flush(true));
        break;
      case 'snapshot': {
        const s = model.snapshot();
        out.snapshot(s.omittedBytes, s.bytesSeen, s.headBytes, s.tailBytes);
        break;
      }
      case 'stats':
        out.stats(model.stats.bytesSeen, model.stats.bytesDropped);
        break;
    }
  }
  return out.toString();
}
