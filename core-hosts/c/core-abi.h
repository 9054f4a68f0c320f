/* The core's ABI constants (core-abi-constants.h, generated from assembly/layout.ts) and memory access for C hosts of
 * the wasm2c translation of build/core.wasm (build/c-host/core.h, made by scripts/build-c-host.mjs). */
#ifndef RSH_CORE_ABI_H
#define RSH_CORE_ABI_H

#include <stdint.h>
#include <string.h>

#include "core-abi-constants.h"
#include "core.h"

/* The instance's linear memory. Fetched afresh on each use: the runtime may move it when
 * memory grows (only init grows it, but a host need not rely on that). */
static inline uint8_t* core_memory(w2c_core* core) { return w2c_core_memory(core)->data; }

static inline uint64_t core_memory_size(w2c_core* core) { return w2c_core_memory(core)->size; }

/* Wasm memory is little-endian, like every host these programs are built for. */
static inline uint32_t core_u32(w2c_core* core, uint32_t addr) {
  uint32_t value;
  memcpy(&value, core_memory(core) + addr, sizeof value);
  return value;
}

static inline uint64_t core_u64(w2c_core* core, uint32_t addr) {
  uint64_t value;
  memcpy(&value, core_memory(core) + addr, sizeof value);
  return value;
}

#endif
