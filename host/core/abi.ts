// The core's ABI as TypeScript sees it: export signatures, constants and error codes, mirrored
// from assembly/layout.ts (assembly/README.md documents them for every host).

import { readFileSync } from 'node:fs';

/** The parts of the WebAssembly global the host uses, typed here so that declarations need no DOM lib. */
export interface WasmModule { readonly __wasmModule?: never }
interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): unknown[] };
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface CoreExports {
  memory: { readonly buffer: ArrayBuffer };
  init(maxCaptures: number, ringLog2: number, headSize: number, stagingSize: number,
    lineMax: number, framesMax: number): number;
  capture_open(): number;
  capture_close(handle: number): number;
  staging_ptr(handle: number): number;
  frames_ptr(handle: number): number;
  commit(handle: number, n: number): number;
  resume(handle: number): number;
  flush(handle: number, final: number): number;
  bytes_seen(handle: number): bigint;
  bytes_dropped(handle: number): bigint;
  snapshot(handle: number): number;
  snapshot_info_ptr(): number;
  ring_capacity(): number;
  head_size(): number;
  staging_size(): number;
  line_max(): number;
  frames_max(): number;
  max_captures(): number;
}

export const FRAME_SIZE = 8;
export const FRAME_LEN_MASK = 0x00ff_ffff;

/** How a frame ended: the numbers are the ABI's frame kinds. */
export const FrameKind = {
  LF: 1,
  CRLF: 2,
  CR: 3,
  CUT: 4,
  PARTIAL: 5,
} as const;
export type FrameKindCode = (typeof FrameKind)[keyof typeof FrameKind];

/** Snapshot info record, at snapshot_info_ptr(). */
export const SnapInfo = {
  PTR: 0,
  HEAD_LEN: 4,
  TAIL_LEN: 8,
  OMITTED: 16,
  SEEN: 24,
} as const;

const ERROR_NAMES: Record<number, string> = {
  [-1]: 'ERR_BAD_HANDLE',
  [-2]: 'ERR_NO_SLOT',
  [-3]: 'ERR_NO_MEMORY',
  [-4]: 'ERR_BUSY',
  [-5]: 'ERR_RANGE',
  [-6]: 'ERR_NOT_INITIALISED',
  [-7]: 'ERR_ALREADY_INITIALISED',
  [-8]: 'ERR_BAD_CONFIG',
};

const ERROR_TEXT: Record<number, string> = {
  [-1]: 'the capture handle is not open',
  [-2]: 'every capture slot of the instance is in use',
  [-3]: 'the instance could not reserve its memory',
  [-4]: 'the frames of the last batch have not all been read',
  [-5]: 'the byte count is larger than the staging area',
  [-6]: 'the instance was not initialised',
  [-7]: 'the instance was already initialised',
  [-8]: 'a geometry parameter is out of range',
};

/** A negative result of a core export. */
export class CoreError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(call: string, status: number) {
    const code = ERROR_NAMES[status] ?? 'ERR_CORE';
    super(`core ${call} failed: ${ERROR_TEXT[status] ?? `status ${status}`} (${code})`);
    this.name = 'CoreError';
    this.code = code;
    this.status = status;
  }
}

/** Returns status when it is not negative, else throws the CoreError that names it. */
export function check(call: string, status: number): number {
  if (status < 0) throw new CoreError(call, status);
  return status;
}

/** Where build/core.wasm lies, from host/core (sources) or dist/core (compiled). */
export const CORE_WASM_URL = new URL('../../build/core.wasm', import.meta.url);

let compiled: WasmModule | undefined;

/** The core, compiled once per process on first use. */
export function coreModule(): WasmModule {
  if (compiled === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(CORE_WASM_URL);
    } catch (err) {
      throw new Error(`rsh-transport core not found at ${CORE_WASM_URL.pathname}: run \`npm run build:core\``,
        { cause: err });
    }
    compiled = new Wasm.Module(bytes);
  }
  return compiled;
}

export function instantiateCore(): CoreExports {
  return new Wasm.Instance(coreModule(), {}).exports as unknown as CoreExports;
}
