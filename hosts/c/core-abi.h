/* The core's ABI constants (assembly/README.md) and memory access for C hosts of the wasm2c
 * translation of build/core.wasm (build/c-host/core.h, made by scripts/build-c-host.mjs). */
#ifndef RSH_CORE_ABI_H
#define RSH_CORE_ABI_H

#include <stdint.h>
#include <string.h>

#include "core.h"

enum {
  CORE_ERR_BAD_HANDLE = -1,
  CORE_ERR_NO_SLOT = -2,
  CORE_ERR_NO_MEMORY = -3,
  CORE_ERR_BUSY = -4,
  CORE_ERR_RANGE = -5,
  CORE_ERR_NOT_INITIALISED = -6,
  CORE_ERR_ALREADY_INITIALISED = -7,
  CORE_ERR_BAD_CONFIG = -8,
};

enum { CORE_LF = 1, CORE_CRLF = 2, CORE_CR = 3, CORE_CUT = 4, CORE_PARTIAL = 5 };

/* Frame records: u32 address, u32 length | kind << 24. */
#define CORE_FRAME_SIZE 8u
#define CORE_FRAME_LEN_MASK 0x00ffffffu

/* Snapshot info record, at snapshot_info_ptr(). */
#define CORE_SNAP_PTR 0u
#define CORE_SNAP_HEAD_LEN 4u
#define CORE_SNAP_TAIL_LEN 8u
#define CORE_SNAP_OMITTED 16u
#define CORE_SNAP_SEEN 24u

/* The instance's linear memory. Fetched afresh on each use: the runtime may move it when
 * memory grows (only init grows it, but a host need not rely on that). */
static inline uint8_t* core_memory(w2c_core* core) {
  return w2c_core_memory(core)->data;
}

static inline uint64_t core_memory_size(w2c_core* core) {
  return w2c_core_memory(core)->size;
}

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
