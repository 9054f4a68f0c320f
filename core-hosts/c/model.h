/* A C port of the reference model of test/core/model.ts, for the native fuzzer: it keeps the
 * whole stream and frames it byte by byte. Every frame it gives is a slice of the stream
 * (the terminators lie outside it), so frames are (kind, start, length). */
#ifndef RSH_MODEL_H
#define RSH_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int kind;
  size_t start;
  size_t len;
} model_frame;

typedef struct {
  uint32_t capacity, head_size, line_max;
  uint8_t* stream;
  size_t seen, room;
  size_t line_start, line_len; /* the unfinished line: stream[line_start, +line_len) */
  int pending_cr;
  /* Frames given and not yet taken, in order. */
  model_frame* queue;
  size_t queue_head, queue_len, queue_room;
} model;

void model_init(model* m, uint32_t capacity, uint32_t head_size, uint32_t line_max);
void model_free(model* m);
void model_write(model* m, const uint8_t* bytes, size_t n);
void model_flush(model* m, int final);
/* The oldest frame not yet taken, or NULL. */
const model_frame* model_next(const model* m);
void model_take(model* m);

/* Bytes at the end of bytes[0, n) that start a multi-byte UTF-8 sequence left unfinished. */
size_t model_hold_back(const uint8_t* bytes, size_t n);

/* The snapshot: head text then tail text in out (head_size + capacity bytes at least). */
void model_snapshot(const model* m, uint8_t* out, size_t* head_len, size_t* tail_len, uint64_t* omitted);

#endif
