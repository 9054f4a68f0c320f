/* The remote shell's stderr through the core (build/core.wasm as C, by wasm2c): every byte into
 * the capture (head and ring, for the explanation on failure), each round of frames on to the
 * sink as the Node host forwards them (bytes as they came, or terminal-safe text for a
 * terminal), and the segments a lone CR overwrote kept for the diagnosis. */
#ifndef RSH_LAUNCHER_PUMP_H
#define RSH_LAUNCHER_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink.h"

/* host/diagnosis/overwritten.ts */
#define KEPT_SEGMENTS 8
#define MAX_SEGMENT 1024
#define MIN_SEGMENT 8

struct overwritten {
  uint8_t slots[KEPT_SEGMENTS][MAX_SEGMENT];
  uint16_t lengths[KEPT_SEGMENTS];
  int next, count;
};

struct pump {
  struct sink* sink; /* NULL: nothing forwarded (--quiet-stderr) */
  bool sanitize;
  struct overwritten overwritten;
};

/* Starts the core with one capture. false when it cannot (no memory). */
bool pump_start(struct pump* pump, struct sink* sink, bool sanitize);
/* Frames a known line through the core and checks what comes back: the install's proof that this
 * build works here (its C library, its CPU, the byte order it reads the core's memory in). */
bool pump_probe(void);
/* Reads what `fd` has (once); returns the bytes read, 0 at end of file, -1 on EAGAIN/EINTR. */
long pump_read(struct pump* pump, int fd);
/* Forwards the unfinished line: `final` at end of stream, else after a quiet moment. */
void pump_flush(struct pump* pump, bool final);

struct pump_snapshot {
  const uint8_t* head;
  uint32_t head_len;
  const uint8_t* tail;
  uint32_t tail_len;
  uint64_t omitted, seen;
};
void pump_snapshot(struct pump* pump, struct pump_snapshot* out);

#endif
