/* The example of assembly/README.md ("A host in C"): the core's ABI from C, through the wasm2c
 * translation of build/core.wasm. test/core-hosts/c-host.test.ts runs it and checks its output. */

#include <stdio.h>
#include <string.h>

#include "core.h" /* made by wasm2c from build/core.wasm */
#include "wasm-rt-exceptions.h"
#include "wasm-rt-impl.h"

static uint32_t load_u32(w2c_core* core, uint32_t addr) {
  uint32_t value; /* Wasm memory is little-endian, like this host */
  memcpy(&value, w2c_core_memory(core)->data + addr, sizeof value);
  return value;
}

/* Prints the records of a round, and of every round after it until resume() says 0. */
static void drain(w2c_core* core, uint32_t h, int32_t n) {
  uint32_t records = w2c_core_frames_ptr(core, h);
  for (; n > 0; n = (int32_t)w2c_core_resume(core, h)) {
    for (int32_t i = 0; i < n; i++) {
      uint32_t ptr = load_u32(core, records + 8 * i);
      uint32_t word = load_u32(core, records + 8 * i + 4);
      printf("%u \"%.*s\"\n", word >> 24, (int)(word & 0xffffff), (char*)w2c_core_memory(core)->data + ptr);
    }
  }
}

static w2c_core core; /* static: it outlives a longjmp from a trap */

int main(void) {
  wasm_rt_init();
  wasm2c_core_instantiate(&core);
  if (wasm_rt_impl_try() != WASM_RT_TRAP_NONE) return 3; /* a trap lands here */
  if ((int32_t)w2c_core_init(&core, 16, 16, 4096, 0, 0, 0) != 0) return 2;
  uint32_t h = w2c_core_capture_open(&core);

  const char* text = "debug1: Connecting\n 50%\r100%\nPermission denied\n";
  memcpy(w2c_core_memory(&core)->data + w2c_core_staging_ptr(&core, h), text, strlen(text));
  drain(&core, h, (int32_t)w2c_core_commit(&core, h, (uint32_t)strlen(text)));
  drain(&core, h, (int32_t)w2c_core_flush(&core, h, 1)); /* end of stream */

  int32_t length = (int32_t)w2c_core_snapshot(&core, h);
  uint32_t info = w2c_core_snapshot_info_ptr(&core);
  printf("snapshot: \"%.*s\"\n", (int)length, (char*)w2c_core_memory(&core)->data + load_u32(&core, info));

  /* Remote text made terminal-safe before it reaches a terminal (0: no flags, colours shown too). */
  const char* hostile = "denied\x1b]0;all good\x07\x1b[2J";
  uint32_t in = w2c_core_sanitize_input_ptr(&core);
  memcpy(w2c_core_memory(&core)->data + in, hostile, strlen(hostile));
  int32_t safe = (int32_t)w2c_core_sanitize(&core, in, (uint32_t)strlen(hostile), 0);
  printf("safe: \"%.*s\"\n", (int)safe, (char*)w2c_core_memory(&core)->data + w2c_core_sanitize_output_ptr(&core));

  w2c_core_capture_close(&core, h);
  wasm2c_core_free(&core);
  wasm_rt_free();
  return 0;
}
