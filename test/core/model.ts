// A plain reference model of the core (ring + head + framer + snapshot), written for clarity
// rather than speed: it keeps the whole stream and frames it byte by byte. The fuzz tests
// check the Wasm module against it step by step.

export const LF = 0x0a;
export const CR = 0x0d;
export const Kind = { LF: 1, CRLF: 2, CR: 3, CUT: 4, PARTIAL: 5 } as const;

export interface ModelFrame {
  bytes: Uint8Array;
  kind: number;
}

export interface ModelGeometry {
  capacity: number;
  headSize: number;
  lineMax: number;
}

export interface ModelSnapshot {
  headBytes: Uint8Array;
  tailBytes: Uint8Array;
  omittedBytes: number;
  bytesSeen: number;
}

/** Bytes at the end of `bytes` that start a multi-byte UTF-8 sequence left unfinished. */
export function holdBack(bytes: ArrayLike<number>, length = bytes.length): number {
  for (let i = 1; i <= Math.min(3, length); i++) {
    const b = bytes[length - i];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
    return need > i ? i : 0;
  }
  return 0;
}

/** One line as a terminal leaves it: CRLF -> LF, only the last non-empty CR segment stays. */
function renderLine(line: number[], hasLF: boolean): number[] {
  let content = line;
  while (content.length > 0 && content[content.length - 1] === CR) content = content.slice(0, -1);
  const lastCR = content.lastIndexOf(CR);
  const shown = content.slice(lastCR + 1);
  return hasLF ? [...shown, LF] : shown;
}

export function render(bytes: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  let line: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === LF) {
      out.push(...renderLine(line, true));
      line = [];
    } else {
      line.push(bytes[i]);
    }
  }
  if (line.length > 0) out.push(...renderLine(line, false));
  return Uint8Array.from(out);
}

export class CaptureModel {
  private stream = new Uint8Array(1024);
  private seen = 0;
  private line: number[] = [];
  private pendingCR = false;

  constructor(readonly geometry: ModelGeometry) {}

  write(bytes: Uint8Array): ModelFrame[] {
    this.keep(bytes);
    const frames: ModelFrame[] = [];
    for (const b of bytes) {
      if (this.pendingCR) {
        this.pendingCR = false;
        if (b === LF) {
          this.emit(frames, Kind.CRLF);
          continue;
        }
        this.emit(frames, Kind.CR);
      }
      if (b === LF) {
        this.emit(frames, Kind.LF);
      } else if (b === CR) {
        this.pendingCR = true;
      } else {
        this.line.push(b);
        if (this.line.length === this.geometry.lineMax) {
          const held = holdBack(this.line);
          frames.push({ bytes: Uint8Array.from(this.line.slice(0, this.line.length - held)), kind: Kind.CUT });
          this.line = this.line.slice(this.line.length - held);
        }
      }
    }
    return frames;
  }

  flush(final: boolean): ModelFrame[] {
    const frames: ModelFrame[] = [];
    if (this.pendingCR) {
      if (final) {
        this.pendingCR = false;
        this.emit(frames, Kind.CR);
      } else if (this.line.length > 0) {
        frames.push({ bytes: Uint8Array.from(this.line), kind: Kind.PARTIAL });
        this.line = [];
      }
    } else if (this.line.length > 0) {
      const held = final ? 0 : holdBack(this.line);
      if (this.line.length > held) {
        frames.push({ bytes: Uint8Array.from(this.line.slice(0, this.line.length - held)), kind: Kind.PARTIAL });
        this.line = this.line.slice(this.line.length - held);
      }
    }
    return frames;
  }

  get stats(): { bytesSeen: number; bytesDropped: number } {
    const { capacity, headSize } = this.geometry;
    return { bytesSeen: this.seen, bytesDropped: Math.max(0, this.seen - capacity - headSize) };
  }

  snapshot(): ModelSnapshot {
    const { capacity, headSize } = this.geometry;
    const all = this.stream.subarray(0, this.seen);
    if (this.seen <= capacity + headSize) {
      return { headBytes: new Uint8Array(0), tailBytes: render(all), omittedBytes: 0, bytesSeen: this.seen };
    }
    const window = Math.min(1024, capacity >> 2);
    let headEnd = headSize - holdBack(all.subarray(0, headSize));
    for (let i = headEnd - 1; i >= Math.max(0, headEnd - window); i--) {
      if (all[i] === LF) {
        headEnd = i + 1;
        break;
      }
    }
    const tail = all.subarray(this.seen - capacity);
    let start = 0;
    while (start < Math.min(3, tail.length) && (tail[start] & 0xc0) === 0x80) start++;
    for (let i = start; i < Math.min(tail.length, start + window); i++) {
      if (tail[i] === LF) {
        start = i + 1;
        break;
      }
    }
    return {
      headBytes: render(all.subarray(0, headEnd)),
      tailBytes: render(tail.subarray(start)),
      omittedBytes: this.seen - capacity + start - headEnd,
      bytesSeen: this.seen,
    };
  }

  private emit(frames: ModelFrame[], kind: number): void {
    frames.push({ bytes: Uint8Array.from(this.line), kind });
    this.line = [];
  }

  private keep(bytes: Uint8Array): void {
    if (this.seen + bytes.length > this.stream.length) {
      const grown = new Uint8Array(Math.max(this.stream.length * 2, this.seen + bytes.length));
      grown.set(this.stream.subarray(0, this.seen));
      this.stream = grown;
    }
    this.stream.set(bytes, this.seen);
    this.seen += bytes.length;
  }
}
