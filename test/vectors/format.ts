// The test-vector formats, shared by every host that runs them (Node, C, WASI).
//
// NAME.vec, one command a line ('#' starts a comment):
//   geometry RING_LOG2 HEAD_SIZE STAGING_SIZE LINE_MAX FRAMES_MAX   (first; one capture)
//   write HEX     bytes for the capture, '-' when empty; a host commits them in pieces of at
//                 most STAGING_SIZE bytes (one empty commit for '-')
//   flush         flush(h, 0): idle
//   end           flush(h, 1): end of stream (the capture goes on afresh)
//   snapshot      snapshot(h)
//   stats         bytes_seen(h), bytes_dropped(h)
//
// NAME.out, the records those commands give, one a line, bytes in lowercase hex ('-' empty):
//   lf HEX | crlf HEX | cr HEX | cut HEX | partial HEX    one line of a frame; an LF frame,
//                                                          which may join lines, is split at LF
//   snapshot OMITTED SEEN HEADHEX TAILHEX
//   stats SEEN DROPPED
// The format is plain enough for a small C program to read and write (core-hosts/c/vector-host.c).

import { fileURLToPath } from 'node:url';

/** test/vectors/corpus: the vectors and their expected records. */
export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

export interface VectorGeometry {
  ringLog2: number;
  headSize: number;
  stagingSize: number;
  lineMax: number;
  framesMax: number;
}

export type VectorCommand = { op: 'write'; bytes: Uint8Array } | { op: 'flush' } | { op: 'end' } | { op: 'snapshot' } | { op: 'stats' };

export interface Vector {
  geometry: VectorGeometry;
  commands: VectorCommand[];
}

/** Record names by frame kind (index = kind, 1..5). */
export const KIND_RECORD = ['', 'lf', 'crlf', 'cr', 'cut', 'partial'] as const;

export function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '-' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

export function unhex(text: string): Uint8Array {
  if (text === '-') return new Uint8Array(0);
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) throw new Error(`bad hex: ${text.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function formatVector({ geometry: g, commands }: Vector, comment?: string): string {
  const lines = comment ? comment.split('\n').map((c) => `# ${c}`) : [];
  lines.push(`geometry ${g.ringLog2} ${g.headSize} ${g.stagingSize} ${g.lineMax} ${g.framesMax}`);
  for (const c of commands) lines.push(c.op === 'write' ? `write ${hex(c.bytes)}` : c.op);
  return lines.join('\n') + '\n';
}

export function parseVector(text: string): Vector {
  let geometry: VectorGeometry | undefined;
  const commands: VectorCommand[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const [op, ...args] = line.split(' ');
    const where = `line ${i + 1}`;
    if (op === 'geometry') {
      if (geometry || args.length !== 5 || !args.every((a) => /^\d+$/.test(a))) throw new Error(`${where}: bad geometry`);
      const [ringLog2, headSize, stagingSize, lineMax, framesMax] = args.map(Number);
      geometry = { ringLog2, headSize, stagingSize, lineMax, framesMax };
      return;
    }
    if (!geometry) throw new Error(`${where}: geometry must come first`);
    if (op === 'write' && args.length === 1) commands.push({ op, bytes: unhex(args[0]) });
    else if ((op === 'flush' || op === 'end' || op === 'snapshot' || op === 'stats') && args.length === 0) commands.push({ op });
    else throw new Error(`${where}: bad command ${JSON.stringify(line.slice(0, 40))}`);
  });
  if (!geometry) throw new Error('no geometry');
  return { geometry, commands };
}

/** Collects .out records; frames are added with their ABI kind, LF frames split per line. */
export class RecordWriter {
  private readonly lines: string[] = [];

  frame(kind: number, bytes: Uint8Array): void {
    const name = KIND_RECORD[kind];
    if (!name) throw new Error(`frame of unknown kind ${kind}`);
    if (kind !== 1) {
      this.lines.push(`${name} ${hex(bytes)}`);
      return;
    }
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        this.lines.push(`lf ${hex(bytes.subarray(start, i))}`);
        start = i + 1;
      }
    }
  }

  snapshot(omitted: bigint | number, seen: bigint | number, head: Uint8Array, tail: Uint8Array): void {
    this.lines.push(`snapshot ${omitted} ${seen} ${hex(head)} ${hex(tail)}`);
  }

  stats(seen: bigint | number, dropped: bigint | number): void {
    this.lines.push(`stats ${seen} ${dropped}`);
  }

  toString(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }
}
