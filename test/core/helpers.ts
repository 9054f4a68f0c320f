import { StderrCapture, type StderrCaptureOptions, type StderrLine } from '../../host/core/index.js';

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A line as [kind, text, terminator], the shape most assertions compare. */
export const shape = (line: StderrLine): [string, string, string] => [line.kind, line.text, line.terminator];

export function capture(options: StderrCaptureOptions = {}): StderrCapture {
  return new StderrCapture(options);
}

/** Every byte the frames stand for, terminators included: the input, when nothing is lost. */
export function reassemble(lines: StderrLine[]): Uint8Array {
  const parts = lines.flatMap((l) => [l.bytes, enc(l.terminator)]);
  return new Uint8Array(Buffer.concat(parts));
}
