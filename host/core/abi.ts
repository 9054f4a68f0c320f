// The core's ABI as TypeScript sees it: the exports' type (abi-exports.ts) and the constants and
// error codes (abi-constants.ts), both generated from the core's sources by scripts/gen-abi.mjs
// (assembly/README.md documents them for every host); the error texts, loading, instantiating.

import { readFileSync } from 'node:fs';
import { ERROR_CODES, FRAME_KINDS, SNAP_INFO } from './abi-constants.js';
import type { CoreExports } from './abi-exports.js';

/** The parts of the WebAssembly global the host uses, typed here so that declarations need no DOM lib. */
export interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): unknown[] };
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export type { CoreExports } from './abi-exports.js';

export { FRAME_LEN_MASK, FRAME_SIZE } from './abi-constants.js';

/** How a frame ended: the numbers are the ABI's frame kinds. */
export const FrameKind = FRAME_KINDS;
export type FrameKindCode = (typeof FrameKind)[keyof typeof FrameKind];

/** Snapshot info record, at snapshot_info_ptr(). */
export const SnapInfo = SNAP_INFO;

type ErrorName = keyof typeof ERROR_CODES;

const ERROR_NAMES: Record<number, ErrorName> = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([name, code]) => [code, name as ErrorName]),
);

// Prose, so written here; one for each code, which the type enforces.
const ERROR_TEXT: Record<ErrorName, string> = {
  ERR_BAD_HANDLE: 'the capture handle is not open',
  ERR_NO_SLOT: 'every capture slot of the instance is in use',
  ERR_NO_MEMORY: 'the instance could not reserve its memory',
  ERR_BUSY: 'the frames of the last batch have not all been read',
  ERR_RANGE: 'the byte count is larger than the staging area, or sanitize() cannot take its input',
  ERR_NOT_INITIALISED: 'the instance was not initialised',
  ERR_ALREADY_INITIALISED: 'the instance was already initialised',
  ERR_BAD_CONFIG: 'a geometry parameter is out of range',
};

/** A negative result of a core export. */
export class CoreError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(call: string, status: number) {
    const name = ERROR_NAMES[status];
    const code = name ?? 'ERR_CORE';
    super(`core ${call} failed: ${name ? ERROR_TEXT[name] : `status ${status}`} (${code})`);
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
function coreModule(): WasmModule {
  if (compiled === undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(CORE_WASM_URL);
    } catch (err) {
      throw new Error(`rsh-transport core not found at ${CORE_WASM_URL.pathname}: run \`npm run build:core\``, { cause: err });
    }
    compiled = new Wasm.Module(bytes);
  }
  return compiled;
}

export function instantiateCore(): CoreExports {
  return new Wasm.Instance(coreModule(), {}).exports as unknown as CoreExports;
}
