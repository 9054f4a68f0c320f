// Runs a vector through build/core.wasm in Node with nothing but the raw ABI, the way
// core-hosts/c/vector-host.c does in C, so that both give the same bytes.

import { FRAME_LEN_MASK, FRAME_SIZE, SnapInfo, check, instantiateCore } from '../../host/core/abi.js';
import { RecordWriter, type Vector } from './format.js';

export function runOnWasm({ geometry: g, commands }: Vector): string {
  const core = instantiateCore();
  check('init', core.init(1, g.ringLog2, g.headSize, g.stagingSize, g.lineMax, g.framesMax));
  const h = check('capture_open', core.capture_open());
  // Memory never grows after init, so these views stay valid.
  const memory = new Uint8Array(core.memory.buffer);
  const view = new DataView(core.memory.buffer);
  const staging = check('staging_ptr', core.staging_ptr(h));
  const records = check('frames_ptr', core.frames_ptr(h));
  const out = new RecordWriter();

  const drain = (call: string, count: number) => {
    for (let n = check(call, count); n > 0; n = check('resume', core.resume(h))) {
      for (let i = 0; i < n; i++) {
        const ptr = view.getUint32(records + i * FRAME_SIZE, true);
        const word = view.getUint32(records + i * FRAME_SIZE + 4, true);
        out.frame(word >>> 24, memory.subarray(ptr, ptr + (word & FRAME_LEN_MASK)));
      }
    }
  };

  for (const command of commands) {
    switch (command.op) {
      case 'write': {
        const { bytes } = command;
        let at = 0;
        do {
          const piece = bytes.subarray(at, at + g.stagingSize);
          memory.set(piece, staging);
          drain('commit', core.commit(h, piece.length));
          at += piece.length;
        } while (at < bytes.length);
        break;
      }
      case 'flush':
        drain('flush', core.flush(h, 0));
        break;
      case 'end':
        drain('flush', core.flush(h, 1));
        break;
      case 'snapshot': {
        const length = check('snapshot', core.snapshot(h));
        const info = core.snapshot_info_ptr();
        const ptr = view.getUint32(info + SnapInfo.PTR, true);
        const headLen = view.getUint32(info + SnapInfo.HEAD_LEN, true);
        const tailLen = view.getUint32(info + SnapInfo.TAIL_LEN, true);
        if (headLen + tailLen !== length) throw new Error(`snapshot length ${length} != ${headLen} + ${tailLen}`);
        out.snapshot(
          view.getBigUint64(info + SnapInfo.OMITTED, true),
          view.getBigUint64(info + SnapInfo.SEEN, true),
          memory.subarray(ptr, ptr + headLen),
          memory.subarray(ptr + headLen, ptr + length),
        );
        break;
      }
      case 'stats':
        out.stats(core.bytes_seen(h), core.bytes_dropped(h));
        break;
    }
  }
  return out.toString();
}
