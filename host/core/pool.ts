// Captures share core instances: each instance reserves memory for a fixed number of capture
// slots of one geometry, and a new instance is made only when all of them are taken. A
// thousand transports thus cost a handful of instances, not a thousand.

import { check, instantiateCore, type CoreExports } from './abi.js';
import {
  DEFAULT_FRAMES_MAX,
  DEFAULT_HEAD_SIZE,
  DEFAULT_LINE_MAX,
  DEFAULT_RING_LOG2,
  DEFAULT_STAGING_SIZE,
  HEAD_SIZE_MAX,
  LINE_MAX_LIMIT,
  LINE_MAX_MIN,
  RING_LOG2_MAX,
  RING_LOG2_MIN,
} from './abi-constants.js';
import { inspect } from '../inspect.js';

/** The shape of every capture in a pool. */
export interface Geometry {
  /** Ring capacity in bytes, a power of two (16 B to 16 MiB). */
  capacity: number;
  /** Bytes kept from the start of the stream (0 for none). */
  headSize: number;
  /** Bytes the host may stage per commit. */
  stagingSize: number;
  /** Longest frame; a longer line is cut and continued. */
  lineMax: number;
  /** Frame records per round. */
  framesMax: number;
  /** Capture slots per instance. */
  slotsPerInstance: number;
}

// The core's own defaults, but for the slots per instance, which is this host's choice.
export const DEFAULT_GEOMETRY: Readonly<Geometry> = Object.freeze({
  capacity: 2 ** DEFAULT_RING_LOG2,
  headSize: DEFAULT_HEAD_SIZE,
  stagingSize: DEFAULT_STAGING_SIZE,
  lineMax: DEFAULT_LINE_MAX,
  framesMax: DEFAULT_FRAMES_MAX,
  slotsPerInstance: 128,
});

/** The part of the geometry a user chooses for a capture. */
export type CaptureGeometry = Pick<Geometry, 'capacity' | 'headSize' | 'lineMax'>;

/** The user's part of the geometry: defaults, and the ranges the core accepts (inclusive). */
export const CAPTURE_LIMITS = Object.freeze({
  defaults: Object.freeze({ capacity: DEFAULT_GEOMETRY.capacity, headSize: DEFAULT_GEOMETRY.headSize, lineMax: DEFAULT_GEOMETRY.lineMax }),
  capacity: [2 ** RING_LOG2_MIN, 2 ** RING_LOG2_MAX] as const,
  headSize: [0, HEAD_SIZE_MAX] as const,
  lineMax: [LINE_MAX_MIN, LINE_MAX_LIMIT] as const,
});

// One instance reserves memory for all of its slots at once, within Wasm's 4 GiB. Slots of a
// large geometry are therefore fewer per instance, so that the largest geometry the limits allow
// still fits (one slot of 16 MiB ring, 16 MiB head and 1 MiB lines is about 34 MiB).
const INSTANCE_BUDGET = 64 * 1024 * 1024;

/** About what one slot of a geometry reserves (assembly/layout.ts has the exact layout). */
function slotBytes(g: Omit<Geometry, 'slotsPerInstance'>): number {
  return 64 + g.headSize + g.capacity + 2 * g.lineMax + g.stagingSize + 8 * g.framesMax + 5 * 64;
}

function slotsFor(g: Omit<Geometry, 'slotsPerInstance'>): number {
  return Math.max(1, Math.min(DEFAULT_GEOMETRY.slotsPerInstance, Math.floor(INSTANCE_BUDGET / slotBytes(g))));
}

/** One core instance and the views a host needs of it. */
export class CoreInstance {
  readonly exports: CoreExports;
  /** Stable: the instance never grows its memory after init. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  open = 0;

  constructor(readonly geometry: Geometry) {
    this.exports = instantiateCore();
    const log2 = Math.log2(geometry.capacity);
    if (!Number.isInteger(log2)) {
      throw new RangeError(`capture capacity must be a power of two, got ${geometry.capacity}`);
    }
    check(
      'init',
      this.exports.init(geometry.slotsPerInstance, log2, geometry.headSize, geometry.stagingSize, geometry.lineMax, geometry.framesMax),
    );
    const buffer = this.exports.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  get full(): boolean {
    return this.open >= this.geometry.slotsPerInstance;
  }
}

// An instance reserves all of its slots at once: a process with one remote shell (the command)
// should not pay for 128. So instances grow: 4 slots, then 16, 64, and the full count after.
const FIRST_SLOTS = 4;

export class CorePool {
  readonly #instances: CoreInstance[] = [];
  constructor(readonly geometry: Geometry) {}

  /** Opens a capture in an instance with a free slot, making one when none has. */
  acquire(): { instance: CoreInstance; handle: number } {
    let instance = this.#instances.find((i) => !i.full);
    if (instance === undefined) {
      const slots = Math.min(this.geometry.slotsPerInstance, FIRST_SLOTS * 4 ** this.#instances.length);
      instance = new CoreInstance({ ...this.geometry, slotsPerInstance: slots });
      this.#instances.push(instance);
    }
    const handle = check('capture_open', instance.exports.capture_open());
    instance.open++;
    return { instance, handle };
  }

  release(instance: CoreInstance, handle: number): void {
    check('capture_close', instance.exports.capture_close(handle));
    instance.open--;
  }

  /** The instances made, and the captures open over all of them. */
  [inspect](): { instances: number; openCaptures: number } {
    return { instances: this.#instances.length, openCaptures: this.#instances.reduce((sum, instance) => sum + instance.open, 0) };
  }
}

const pools = new Map<string, CorePool>();

/** The process-wide pool for a geometry (the default one unless options differ); fields must not be undefined. */
export function poolFor(overrides: Partial<Geometry> = {}): CorePool {
  const shape = { ...DEFAULT_GEOMETRY, ...overrides };
  const geometry = overrides.slotsPerInstance === undefined ? { ...shape, slotsPerInstance: slotsFor(shape) } : shape;
  const key = JSON.stringify(geometry);
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new CorePool(geometry);
    pools.set(key, pool);
  }
  return pool;
}
