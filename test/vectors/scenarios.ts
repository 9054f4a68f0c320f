// The scenarios of the vector corpus: one or more per framing and snapshot rule of
// assembly/README.md, then random ones drawn from the model-based fuzzer's arbitraries with
// fixed seeds. Each becomes NAME.vec, and the reference model gives NAME.out.

import fc from 'fast-check';
import { GEOMETRIES, scenarioArb, type Command } from '../core/fuzz-runner.js';
import type { Vector, VectorCommand, VectorGeometry } from './format.js';

export interface Scenario extends Vector {
  name: string;
  comment: string;
}

type Part = string | readonly number[] | Uint8Array;
const encoder = new TextEncoder();

/** Bytes from text (UTF-8) and raw byte lists. */
export function bytes(...parts: Part[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...encoder.encode(p)] : [...p])));
}

const w = (...parts: Part[]): VectorCommand => ({ op: 'write', bytes: bytes(...parts) });
const flush: VectorCommand = { op: 'flush' };
const end: VectorCommand = { op: 'end' };
const snap: VectorCommand = { op: 'snapshot' };
const stats: VectorCommand = { op: 'stats' };

function geo(ringLog2: number, headSize: number, stagingSize: number, lineMax: number, framesMax: number): VectorGeometry {
  return { ringLog2, headSize, stagingSize, lineMax, framesMax };
}

/** Writes `data` in pieces of `size` bytes: batch ends at every offset of what they split. */
function chunked(data: Uint8Array, size: number): VectorCommand[] {
  const out: VectorCommand[] = [];
  for (let at = 0; at < data.length; at += size) out.push({ op: 'write', bytes: data.slice(at, at + size) });
  return out;
}

/** A deterministic pseudo-random source (LCG), for bulk text that must not change between runs. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SEQUENCES = { 2: [0xc3, 0xa9], 3: [0xe2, 0x82, 0xac], 4: [0xf0, 0x9f, 0x98, 0x80] } as const;
const repeat = (part: number[], times: number): number[] => new Array<number[]>(times).fill(part).flat();
const ascii = (byte: string, n: number): number[] => new Array<number>(n).fill(byte.charCodeAt(0));

function framingRules(): Scenario[] {
  const list: Scenario[] = [];
  const add = (name: string, comment: string, geometry: VectorGeometry, commands: VectorCommand[]) =>
    list.push({ name: `rule-${name}`, comment, geometry, commands });

  add('lf-lines', 'LF ends a line; empty lines; a line completed by a later write', geo(6, 0, 64, 16, 8), [
    w('one\ntwo\n\nthree\n'),
    w('four'),
    w('\n'),
    w('\n\n\n'),
    end,
  ]);
  {
    const rnd = lcg(1);
    const text = Array.from({ length: 300 }, (_, i) => 'x'.repeat(Math.floor(rnd() * 40)) + String(i)).join('\n') + '\n';
    add('lf-run-short-lines', 'many short LF lines in one batch: the run scanner joins them into LF frames', geo(12, 0, 8192, 256, 256), [
      w(text),
      end,
    ]);
    add('lf-run-few-frames', 'the same lines with one frame per round: many resume rounds', geo(12, 0, 8192, 256, 1), [w(text), end]);
  }
  add('crlf-lines', 'CRLF ends a line without the CR; mixed with LF', geo(6, 0, 64, 16, 8), [
    w('a\r\nbb\r\n\r\n'),
    w('x\ny\r\nz\n'),
    w('\r\n'),
    end,
  ]);
  add('lone-cr-progress', 'a lone CR ends a progress segment that the next one replaces', geo(8, 0, 64, 32, 8), [
    w(' 10%\r 20%\r100%\ndone\n'),
    w('\rstart\r'),
    w('x\n'),
    snap,
    end,
  ]);
  add('cr-at-write-boundary', 'a CR at the end of a write waits for the next byte', geo(6, 0, 64, 16, 4), [
    w('abc\r'),
    w('\ndef\r'),
    w('ghi\r'),
    w('\r'),
    w('\n'),
    w('x\r'),
    w('y'),
    end,
  ]);
  {
    const stream = bytes('ab\r\ncd\ref\r\r\ngh\r');
    const commands: VectorCommand[] = [];
    for (let cut = 0; cut <= stream.length; cut++)
      commands.push({ op: 'write', bytes: stream.slice(0, cut) }, { op: 'write', bytes: stream.slice(cut) }, end);
    add(
      'cr-split-every-offset',
      'CR, CRLF and CR CR LF split into two writes at every offset, each stream ended',
      geo(6, 0, 32, 8, 2),
      commands,
    );
  }
  add('cr-end-of-stream', 'a CR at the end of the stream is a lone CR', geo(6, 0, 32, 8, 4), [
    w('abc\r'),
    end,
    w('\r'),
    end,
    w('x\r\r'),
    end,
    w('\r\r\r'),
    end,
  ]);
  add('cr-flush-idle', 'an idle flush emits the text before a pending CR as partial; the CR stays pending', geo(6, 0, 32, 16, 4), [
    w('abc\r'),
    flush,
    w('\n'),
    w('def\r'),
    flush,
    w('g'),
    flush,
    end,
    w('\r'),
    flush,
    w('\n'),
    w('h\r'),
    flush,
    flush,
    end,
  ]);
  add('cr-storm', 'runs of CRs, CR CR LF, CRs between short segments', geo(6, 0, 32, 8, 2), [
    w('\r'.repeat(50)),
    w('\r\r\n\r\n\r'),
    w('a\r\rb\r\r\r\n'),
    w('\r'.repeat(9)),
    end,
    snap,
  ]);
  add('cr-storm-long', 'thousands of progress updates through small staging and few frames a round', geo(10, 16, 100, 16, 3), [
    w(Array.from({ length: 3000 }, (_, i) => `\r${i % 100}%`).join('') + '\n'),
    snap,
    end,
  ]);

  for (const lineMax of [8, 9, 13, 128, 130]) {
    const g = geo(lineMax < 100 ? 8 : 10, 0, lineMax < 100 ? 64 : 512, lineMax, lineMax < 100 ? 4 : 16);
    for (const width of [2, 3, 4] as const) {
      const seq = [...SEQUENCES[width]];
      const commands: VectorCommand[] = [];
      // The sequence starting at every offset around the first cut...
      for (let k = Math.max(0, lineMax - 6); k <= lineMax + 1; k++) commands.push(w(ascii('a', k), seq, ascii('b', lineMax), '\n'));
      // ...and repeated, so that every later cut meets it at another offset.
      for (let shift = 0; shift < 4; shift++) commands.push(w(ascii('a', shift), repeat(seq, Math.ceil((3 * lineMax) / width)), '\n'));
      // The same through tiny writes: the cut is made in the carry buffer.
      const line = bytes(ascii('a', lineMax - 2), repeat(seq, lineMax), '\r\n');
      commands.push(...chunked(line, 5), ...chunked(line, 1));
      add(`cut-utf8-${lineMax}-${width}`, `cuts at line_max ${lineMax} around ${width}-byte UTF-8 sequences at every offset`, g, [
        ...commands,
        end,
      ]);
    }
  }
  add('cut-exact-line-max', 'a line of exactly line_max bytes gives a cut and an empty line end', geo(8, 0, 64, 16, 4), [
    w('x'.repeat(16), '\n'),
    w('y'.repeat(15), '\n'),
    w('z'.repeat(17), '\n'),
    w('q'.repeat(16), '\r\n'),
    w('r'.repeat(16), '\r'),
    w('s'),
    w('t'.repeat(32)),
    end,
  ]);
  add('cut-invalid-utf8', 'invalid bytes at the cut pass through: nothing to hold back', geo(8, 0, 64, 8, 4), [
    w(ascii('a', 7), [0xff], 'bcd\n'),
    w(ascii('a', 6), [0xc0, 0x80], 'cd\n'),
    w(ascii('a', 4), [0x80, 0x80, 0x80, 0x80], 'x\n'),
    w(ascii('a', 6), [0xf5, 0x80, 0x80], '\n'),
    w(ascii('a', 7), [0xe0], 'a', [0x80], '\n'),
    w(ascii('a', 5), [0xf0, 0x9f, 0x98], 'z\n'),
    w(ascii('a', 7), [0xf4], [0x90, 0x80, 0x80], '\n'),
    w(ascii('a', 6), [0xed, 0xa0], [0x80], '\n'),
    end,
  ]);
  {
    // Lines across two and more 64-byte blocks, with line_max >= 128: the SIMD run scanner.
    const rnd = lcg(7);
    for (const [lineMax, staging, frames] of [
      [128, 300, 3],
      [130, 777, 9],
      [200, 4096, 1],
      [700, 3000, 4],
      [1000, 2500, 32],
    ]) {
      const parts: Part[] = [];
      for (let i = 0; i < (lineMax < 500 ? 60 : 20); i++) {
        const length = Math.floor(rnd() * lineMax * 2.5);
        const kind = rnd();
        const body = String.fromCharCode(97 + (i % 26)).repeat(length);
        parts.push(
          kind < 0.7
            ? `${body}\n`
            : kind < 0.8
              ? `${body}\r\n`
              : kind < 0.85
                ? `${body}\r`
                : kind < 0.9
                  ? `${body.slice(0, length >> 1)}\t${body.slice(length >> 1)}\n`
                  : bytes(body, SEQUENCES[3], '\n'),
        );
      }
      const data = bytes(...parts);
      add(
        `long-lines-${lineMax}`,
        `lines of up to 2.5 x line_max ${lineMax} bytes, so the run scanner skips and cuts whole 64-byte blocks`,
        geo(12, 64, staging, lineMax, frames),
        [{ op: 'write', bytes: data }, snap, ...chunked(data, 97), end, snap],
      );
    }
  }

  for (const width of [2, 3, 4] as const) {
    const seq = [...SEQUENCES[width]];
    const commands: VectorCommand[] = [];
    for (let split = 1; split < width; split++) {
      commands.push(w('abc', seq.slice(0, split)), flush, w(seq.slice(split), 'd'), flush, w('\n'));
      commands.push(w(seq.slice(0, split)), flush, end);
    }
    add(
      `partial-utf8-${width}`,
      `an idle flush holds back an unfinished ${width}-byte sequence; a final flush emits it`,
      geo(6, 0, 32, 16, 4),
      commands,
    );
  }
  add('partial-flush-repeated', 'flushes on an empty line, twice in a row, and before a cut', geo(6, 0, 32, 8, 4), [
    flush,
    w('ab'),
    flush,
    flush,
    w('cdefghijk'),
    flush,
    w('\n'),
    flush,
    end,
    end,
  ]);
  add('final-flush-unfinished', 'the final flush emits an unfinished sequence as it is', geo(6, 0, 32, 8, 4), [
    w('x', [0xe2, 0x82]),
    end,
    w([0xf0]),
    end,
    w('y', [0xc3]),
    flush,
    end,
  ]);
  add('invalid-utf8', 'invalid UTF-8 passes through frames and snapshots unchanged', geo(8, 0, 64, 16, 4), [
    w([0x80], 'a\n', [0xff, 0xfe], '\n', [0xc0, 0xaf], '\n', [0xed, 0xa0, 0x80], '\n', [0xe0, 0x80, 0x80], '\n'),
    w([0xf8, 0x88, 0x80, 0x80, 0x80], '\r\n', [0xc3], 'x\r', [0xbf], '\n'),
    snap,
    end,
    snap,
  ]);
  add('control-bytes', 'other control bytes (NUL, tab, ESC, VT, FF, BEL, BS) are ordinary bytes', geo(8, 0, 64, 16, 4), [
    w([0, 9, 0x1b], '[1mbold', [0x1b], '[0m\n', [0x0b, 0x0c, 0x07, 0x08], '\n'),
    w(new Array<number>(40).fill(0), '\n'),
    snap,
    end,
  ]);
  add('empty', 'empty writes, flushes and end on an empty stream', geo(4, 0, 16, 8, 1), [w(), flush, end, snap, w(), end]);
  add('staging-split', 'a write larger than the staging area is committed in pieces', geo(8, 0, 16, 24, 2), [
    w('a line longer than the staging area\nand a second one\r\nthird\rfourth'),
    end,
  ]);
  add('write-after-end', 'a capture goes on afresh after the final flush', geo(6, 4, 32, 8, 4), [
    w('abc'),
    end,
    w('def\n'),
    end,
    w('\r'),
    end,
    w('\n'),
    w('x\r'),
    end,
    w('\ny'),
    end,
    snap,
  ]);
  add('frames-max-1', 'one frame record a round: a resume per frame', geo(10, 0, 512, 16, 1), [
    w(Array.from({ length: 100 }, (_, i) => `l${i}${i % 3 === 0 ? '\r\n' : i % 5 === 0 ? '\r' : '\n'}`).join('')),
    end,
  ]);
  return list;
}

function snapshotRules(): Scenario[] {
  const list: Scenario[] = [];
  const add = (name: string, comment: string, geometry: VectorGeometry, commands: VectorCommand[]) =>
    list.push({ name: `rule-${name}`, comment, geometry, commands });

  {
    const commands: VectorCommand[] = [];
    for (let i = 0; i < 40; i++)
      commands.push(w(`${i}:${'abcdefg'.slice(0, i % 7)}${i % 4 === 0 ? '\n' : ''}`), ...(i % 3 === 0 ? [snap] : []));
    add('ring-wrap', 'a 16-byte ring wrapping at every offset, snapshots along the way', geo(4, 0, 16, 8, 2), [...commands, snap, stats]);
  }
  {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${'-'.repeat(i % 11)}\n`).join('');
    add('head-omitted-middle', 'head, omitted middle and tail, each aligned to a line break within the window', geo(6, 16, 64, 32, 4), [
      ...chunked(bytes(lines), 50).flatMap((c) => [c, snap]),
      stats,
    ]);
  }
  add('head-no-line-break', 'a head without line break ends at a UTF-8 boundary', geo(4, 5, 64, 32, 4), [
    w('ab', SEQUENCES[4], 'cdefghijklmnopqrstuvwxyz0123456789'),
    snap,
    w([0xc3, 0xa9]),
    snap,
  ]);
  for (const width of [2, 3, 4] as const) {
    const commands: VectorCommand[] = [];
    for (let shift = 0; shift < 6; shift++) commands.push(w('x'.repeat(shift), repeat([...SEQUENCES[width]], 40)), snap, end);
    add(
      `tail-utf8-${width}`,
      `the tail starts after the continuation bytes of a cut ${width}-byte sequence`,
      geo(6, 0, 256, 64, 8),
      commands,
    );
  }
  add(
    'tail-line-break-window',
    'the tail starts after a line break only within min(1024, ring / 4) bytes of its start',
    geo(8, 0, 512, 256, 8),
    [
      w('a'.repeat(130), '\n', 'c'.repeat(200), '\nlast line\n'),
      snap,
      w('d'.repeat(190), '\n', 'e'.repeat(40), '\n', 'f'.repeat(20), '\n'),
      snap,
      w('g'.repeat(300)),
      snap,
    ],
  );
  add('head-line-break-window', 'the head ends at its last line break only within the window of its end', geo(6, 40, 64, 64, 8), [
    w('h'.repeat(10), '\n', 'i'.repeat(100), '\n'),
    snap,
    end,
  ]);
  add('batch-larger-than-ring', 'one write several times the ring: only its last bytes are kept', geo(4, 8, 4096, 64, 16), [
    w(Array.from({ length: 300 }, (_, i) => `${i}\n`).join('')),
    snap,
    stats,
    w('x'.repeat(3000)),
    snap,
    stats,
  ]);
  add('snapshot-cr-render', 'a snapshot shows lines as a terminal does: CRLF as LF, the last non-empty CR segment', geo(8, 0, 64, 32, 8), [
    w('a\rb\r\n'),
    snap,
    w('abc\r\r\n'),
    snap,
    w('\r\r\n'),
    snap,
    w('p\r\rq'),
    snap,
    w('\r'),
    snap,
    w('\r\n 5%\r50%\r'),
    snap,
  ]);
  add('snapshot-cr-render-head', 'the head text is rendered like the tail', geo(5, 24, 64, 16, 4), [
    w('x\r\ny 1%\ry 99%\r\nz\r'),
    w('-'.repeat(100)),
    w('\nend\r\n'),
    snap,
  ]);
  {
    const rnd = lcg(42);
    const words = [
      'debug1:',
      'Connecting',
      'to',
      'host',
      'port',
      '22',
      'Authenticated',
      'é',
      '€',
      'rsync:',
      'error',
      '😀',
      'Permission',
      'denied',
    ];
    const parts: string[] = [];
    for (let size = 0; size < 70_000;) {
      const line = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => words[Math.floor(rnd() * words.length)]).join(' ');
      const end = rnd() < 0.1 ? '\r' : rnd() < 0.1 ? '\r\n' : '\n';
      parts.push(line + end);
      size += line.length + end.length;
    }
    const data = bytes(parts.join(''));
    add(
      'default-geometry',
      'the default geometry (64 KiB ring, 4 KiB head) over 70 KB of ssh-like text',
      geo(16, 4096, 262144, 4096, 256),
      [...chunked(data, 32768), end],
    );
  }
  return list;
}

/** Bytes the commands of a random scenario write, and the largest snapshot they may show. */
function weight(geometry: (typeof GEOMETRIES)[number], commands: Command[]): number {
  const written = commands.reduce((sum, c) => sum + (c.op === 'write' ? c.bytes.length : 0), 0);
  const snapshots = commands.filter((c) => c.op === 'snapshot').length + 1;
  return written + snapshots * Math.min(written, geometry.capacity + geometry.headSize);
}

/** Random scenarios of the model-based fuzzer, all captures' commands on one capture. */
function randomScenarios(seed: number, count: number, maxWeight: number): Scenario[] {
  const arb = scenarioArb.filter(({ geometry, commands }) => weight(GEOMETRIES[geometry], commands) <= maxWeight);
  return fc.sample(arb, { seed, numRuns: count }).map(({ geometry, commands }, i) => {
    const g = GEOMETRIES[geometry];
    return {
      name: `random-${seed}-${String(i).padStart(3, '0')}`,
      comment: `fast-check sample ${i} of seed ${seed} (test/core/fuzz-runner.ts scenarioArb), geometry ${geometry}`,
      geometry: geo(Math.log2(g.capacity), g.headSize, g.stagingSize, g.lineMax, g.framesMax),
      commands: commands.map((c): VectorCommand => (c.op === 'write' ? { op: 'write', bytes: c.bytes } : { op: c.op })),
    };
  });
}

export const RANDOM_SEEDS = [20251125, 7, 1234567];

export function allScenarios(): Scenario[] {
  const scenarios = [...framingRules(), ...snapshotRules(), ...RANDOM_SEEDS.flatMap((seed) => randomScenarios(seed, 100, 6_000))];
  // Every vector ends with a snapshot and the totals, so no final state goes unchecked.
  return scenarios.map((s) => ({ ...s, commands: [...s.commands, snap, stats] }));
}
