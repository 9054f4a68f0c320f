import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CORE_WASM_URL, instantiateCore, Wasm, type CoreExports } from '../../host/core/abi.js';
import { scaled } from '../helpers/promises.js';

const ERR = {
  BAD_HANDLE: -1,
  NO_SLOT: -2,
  NO_MEMORY: -3,
  BUSY: -4,
  RANGE: -5,
  NOT_INITIALISED: -6,
  ALREADY_INITIALISED: -7,
  BAD_CONFIG: -8,
};

function core(...geometry: number[]): CoreExports {
  const exports = instantiateCore();
  assert.equal(exports.init(...(geometry as [number, number, number, number, number, number])), 0);
  return exports;
}

describe('core ABI', () => {
  it('imports nothing and exports its memory and plain integer functions', () => {
    const module = new Wasm.Module(readFileSync(CORE_WASM_URL));
    const api = (
      globalThis as unknown as {
        WebAssembly: { Module: { imports(m: unknown): unknown[]; exports(m: unknown): { name: string; kind: string }[] } };
      }
    ).WebAssembly;
    assert.equal(api.Module.imports(module).length, 0);
    const exports = api.Module.exports(module);
    assert.deepEqual(
      exports.filter((e) => e.kind === 'memory').map((e) => e.name),
      ['memory'],
    );
    assert.deepEqual(
      exports.filter((e) => e.kind !== 'memory' && e.kind !== 'function'),
      [],
    );
  });

  it('keeps the same memory size after 100 MiB of traffic as after creation', () => {
    const c = core(4, 16, 4096, 262144, 4096, 256);
    const handle = c.capture_open();
    const size = c.memory.buffer.byteLength;
    const staging = new Uint8Array(c.memory.buffer, c.staging_ptr(handle), c.staging_size());
    for (let i = 0; i < staging.length; i++) staging[i] = i % 97 === 0 ? 0x0a : i % 89 === 0 ? 0x0d : 0x41 + (i % 26);
    let total = 0;
    while (total < 100 * 1024 * 1024) {
      for (let n = c.commit(handle, staging.length); n > 0; n = c.resume(handle));
      total += staging.length;
      if (total % (16 * 1024 * 1024) === 0) assert.ok(c.snapshot(handle) > 0);
    }
    assert.equal(c.bytes_seen(handle), BigInt(total));
    assert.equal(c.memory.buffer.byteLength, size);
  });

  it('returns an error code, never traps, when more captures are opened than the instance holds', () => {
    const c = core(3, 0, 0, 0, 0, 0);
    const handles = [c.capture_open(), c.capture_open(), c.capture_open()];
    assert.ok(handles.every((h) => h >= 0));
    assert.equal(c.capture_open(), ERR.NO_SLOT);
    assert.equal(c.capture_close(handles[1]), 0);
    assert.ok(c.capture_open() >= 0);
  });

  it('refuses a closed handle even after its slot is reused', () => {
    const c = core(1, 0, 0, 0, 0, 0);
    const first = c.capture_open();
    c.capture_close(first);
    const second = c.capture_open();
    assert.notEqual(second, first);
    assert.equal(c.commit(first, 0), ERR.BAD_HANDLE);
    assert.equal(c.capture_close(first), ERR.BAD_HANDLE);
    assert.equal(c.snapshot(-5), ERR.BAD_HANDLE);
    assert.equal(c.bytes_seen(12345), BigInt(ERR.BAD_HANDLE));
    assert.equal(c.commit(second, 0), 0);
  });

  it('refuses a commit larger than the staging area or negative', () => {
    const c = core(1, 0, 0, 64, 0, 0);
    const h = c.capture_open();
    assert.equal(c.commit(h, 65), ERR.RANGE);
    assert.equal(c.commit(h, -1), ERR.RANGE);
    assert.equal(c.commit(h, 64), 0);
    assert.equal(c.bytes_seen(h), 64n);
  });

  it('refuses a commit or flush while frames of the last batch are unread', () => {
    const c = core(1, 0, 0, 64, 0, 1);
    const h = c.capture_open();
    new Uint8Array(c.memory.buffer, c.staging_ptr(h), 4).set([0x61, 0x0a, 0x62, 0x0a]);
    assert.equal(c.commit(h, 4), 1);
    assert.equal(c.commit(h, 0), ERR.BUSY);
    assert.equal(c.flush(h, 0), ERR.BUSY);
    assert.equal(c.resume(h), 1);
    assert.equal(c.resume(h), 0);
    assert.equal(c.commit(h, 0), 0);
  });

  it('names configuration and ordering mistakes with their own codes', () => {
    const fresh = instantiateCore();
    assert.equal(fresh.capture_open(), ERR.NOT_INITIALISED);
    assert.equal(fresh.commit(0, 0), ERR.NOT_INITIALISED);
    assert.equal(fresh.snapshot_info_ptr(), ERR.NOT_INITIALISED);
    assert.equal(fresh.init(1, 3, 0, 0, 0, 0), ERR.BAD_CONFIG, 'ring of 8 bytes');
    assert.equal(fresh.init(1, 25, 0, 0, 0, 0), ERR.BAD_CONFIG, 'ring of 32 MiB');
    assert.equal(fresh.init(1, 0, 0, 0, 7, 0), ERR.BAD_CONFIG, 'line_max below 8');
    assert.equal(fresh.init(70000, 0, 0, 0, 0, 0), ERR.BAD_CONFIG, 'too many captures');
    assert.equal(fresh.init(65535, 24, 1 << 24, 1 << 24, 0, 0), ERR.NO_MEMORY, 'more than 4 GiB');
    const geometry = () => [
      fresh.max_captures(),
      fresh.ring_capacity(),
      fresh.head_size(),
      fresh.staging_size(),
      fresh.line_max(),
      fresh.frames_max(),
    ];
    assert.deepEqual(geometry(), [0, 0, 0, 0, 0, 0], 'a refused init leaves no geometry behind');
    assert.equal(fresh.init(0, 0, -1, 0, 0, 0), 0, 'defaults');
    assert.equal(fresh.init(0, 0, 0, 0, 0, 0), ERR.ALREADY_INITIALISED);
    assert.deepEqual(geometry(), [64, 65536, 4096, 262144, 4096, 256]);
  });

  it('counts bytes in 64 bits: 5 GiB committed are counted exactly', function () {
    this.timeout(scaled(120_000));
    const c = core(1, 16, 0, 1 << 20, 0, 256);
    const h = c.capture_open();
    const staging = new Uint8Array(c.memory.buffer, c.staging_ptr(h), 1 << 20).fill(0x78);
    staging[staging.length - 1] = 0x0a;
    const batches = 5 * 1024;
    for (let i = 0; i < batches; i++) {
      for (let n = c.commit(h, 1 << 20); n > 0; n = c.resume(h));
    }
    assert.equal(c.bytes_seen(h), 5n << 30n);
    assert.equal(c.bytes_dropped(h), (5n << 30n) - 65536n);
  });
});
