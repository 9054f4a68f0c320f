#include "pump.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core-abi.h"
#include "wasm-rt-impl.h"

/* The geometry of the Node command's capture (host/core/pool.ts defaults): one capture. */
#define RING_LOG2 16
#define STAGING_SIZE 65536u

enum { KIND_LF = 1, KIND_CRLF = 2, KIND_CR = 3, KIND_CUT = 4, KIND_PARTIAL = 5 };
static const char* const TERMINATORS[] = {"", "\n", "\r\n", "\r", "", ""};
static const size_t TERMINATOR_LENGTH[] = {0, 1, 2, 1, 0, 0};
static const char RESET_ATTRIBUTES[] = "\x1b[m";

static w2c_core core; /* static: it outlives a longjmp from a trap */
static uint32_t capture;

bool pump_start(struct pump* pump, struct sink* sink, bool sanitize) {
  memset(pump, 0, sizeof *pump);
  pump->sink = sink;
  pump->sanitize = sanitize;
  wasm_rt_init();
  wasm2c_core_instantiate(&core);
  if ((int32_t)w2c_core_init(&core, 1, RING_LOG2, (uint32_t)-1, STAGING_SIZE, 0, 0) != 0) return false;
  capture = w2c_core_capture_open(&core);
  return (int32_t)capture >= 0;
}

static bool starts_like_text(uint8_t byte) {
  return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || byte == '@';
}

static void keep_segment(struct overwritten* kept, const uint8_t* bytes, uint32_t len) {
  int last = (kept->next - 1 + KEPT_SEGMENTS) % KEPT_SEGMENTS;
  if (kept->count > 0 && kept->lengths[last] == len && memcmp(kept->slots[last], bytes, len) == 0) return;
  memcpy(kept->slots[kept->next], bytes, len);
  kept->lengths[kept->next] = (uint16_t)len;
  kept->next = (kept->next + 1) % KEPT_SEGMENTS;
  if (kept->count < KEPT_SEGMENTS) kept->count++;
}

/* host/diagnosis/overwritten.ts: the last text-like CR segments of a round, oldest first. */
static void watch_overwritten(struct overwritten* kept, uint32_t records, int32_t count) {
  int32_t picked[KEPT_SEGMENTS];
  int n = 0;
  uint8_t* memory = core_memory(&core);
  for (int32_t i = count - 1; i >= 0 && n < KEPT_SEGMENTS; i--) {
    uint32_t word = core_u32(&core, records + 8 * (uint32_t)i + 4);
    uint32_t len = word & CORE_FRAME_LEN_MASK;
    if ((word >> 24) != KIND_CR || len < MIN_SEGMENT || len > MAX_SEGMENT) continue;
    uint32_t ptr = core_u32(&core, records + 8 * (uint32_t)i);
    if (!starts_like_text(memory[ptr])) continue;
    if (n > 0) {
      uint32_t prev_word = core_u32(&core, records + 8 * (uint32_t)picked[n - 1] + 4);
      uint32_t prev_ptr = core_u32(&core, records + 8 * (uint32_t)picked[n - 1]);
      if ((prev_word & CORE_FRAME_LEN_MASK) == len && memcmp(memory + prev_ptr, memory + ptr, len) == 0) continue;
    }
    picked[n++] = i;
  }
  for (int p = n - 1; p >= 0; p--) {
    uint32_t ptr = core_u32(&core, records + 8 * (uint32_t)picked[p]);
    uint32_t len = core_u32(&core, records + 8 * (uint32_t)picked[p] + 4) & CORE_FRAME_LEN_MASK;
    keep_segment(kept, core_memory(&core) + ptr, len);
  }
}

/* A frame as terminal-safe text, colours kept, with a reset when it set any (forTerminal()). */
static void add_safe(struct sink* sink, uint32_t ptr, uint32_t len) {
  bool coloured = false;
  while (len > 0) {
    uint32_t piece = len > CORE_SANITIZE_INPUT_MAX ? CORE_SANITIZE_INPUT_MAX : len;
    uint32_t flags = CORE_SANITIZE_COLOURS | (piece < len ? CORE_SANITIZE_MORE : 0);
    int32_t out = (int32_t)w2c_core_sanitize(&core, ptr, piece, flags);
    if (out < 0) return;
    const uint8_t* text = core_memory(&core) + w2c_core_sanitize_output_ptr(&core);
    coloured = coloured || memchr(text, 0x1b, (size_t)out) != NULL;
    sink_add(sink, text, (size_t)out);
    uint32_t consumed = w2c_core_sanitize_consumed(&core);
    ptr += consumed;
    len -= consumed;
  }
  if (coloured) sink_add(sink, RESET_ATTRIBUTES, sizeof RESET_ATTRIBUTES - 1);
}

static void forward_round(struct pump* pump, int32_t count) {
  uint32_t records = w2c_core_frames_ptr(&core, capture);
  watch_overwritten(&pump->overwritten, records, count);
  if (!pump->sink) return;
  size_t size = 0;
  for (int32_t i = 0; i < count; i++) {
    uint32_t word = core_u32(&core, records + 8 * (uint32_t)i + 4);
    size_t len = word & CORE_FRAME_LEN_MASK;
    /* Terminal-safe text is at most 4 bytes a byte, and a reset after a coloured frame. */
    if (pump->sanitize) len = 4 * len + sizeof RESET_ATTRIBUTES - 1;
    size += len + TERMINATOR_LENGTH[word >> 24];
  }
  if (size == 0 || !sink_admit(pump->sink, size)) return;
  for (int32_t i = 0; i < count; i++) {
    uint32_t ptr = core_u32(&core, records + 8 * (uint32_t)i);
    uint32_t word = core_u32(&core, records + 8 * (uint32_t)i + 4);
    uint32_t len = word & CORE_FRAME_LEN_MASK;
    uint32_t kind = word >> 24;
    if (pump->sanitize)
      add_safe(pump->sink, ptr, len);
    else
      sink_add(pump->sink, core_memory(&core) + ptr, len);
    sink_add(pump->sink, TERMINATORS[kind], TERMINATOR_LENGTH[kind]);
  }
}

/* A round, and every round after it until resume() says 0. */
static void forward_rounds(struct pump* pump, int32_t count) {
  for (; count > 0; count = (int32_t)w2c_core_resume(&core, capture)) forward_round(pump, count);
}

bool pump_probe(void) {
  static const char line[] = "probe\n";
  struct pump pump;
  if (!pump_start(&pump, NULL, false)) return false;
  memcpy(core_memory(&core) + w2c_core_staging_ptr(&core, capture), line, sizeof line - 1);
  if ((int32_t)w2c_core_commit(&core, capture, sizeof line - 1) != 1) return false;
  uint32_t records = w2c_core_frames_ptr(&core, capture);
  uint32_t word = core_u32(&core, records + 4);
  uint32_t ptr = core_u32(&core, records);
  return word == ((uint32_t)KIND_LF << 24 | 5u) && memcmp(core_memory(&core) + ptr, "probe", 5) == 0;
}

long pump_read(struct pump* pump, int fd) {
  uint8_t* staging = core_memory(&core) + w2c_core_staging_ptr(&core, capture);
  ssize_t n = read(fd, staging, STAGING_SIZE);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? -1 : 0;
  if (n > 0) forward_rounds(pump, (int32_t)w2c_core_commit(&core, capture, (uint32_t)n));
  return (long)n;
}

void pump_flush(struct pump* pump, bool final) {
  forward_rounds(pump, (int32_t)w2c_core_flush(&core, capture, final ? 1 : 0));
}

void pump_snapshot(struct pump* pump, struct pump_snapshot* out) {
  (void)pump;
  w2c_core_snapshot(&core, capture);
  uint32_t info = w2c_core_snapshot_info_ptr(&core);
  uint32_t ptr = core_u32(&core, info);
  out->head_len = core_u32(&core, info + 4);
  out->tail_len = core_u32(&core, info + 8);
  out->head = core_memory(&core) + ptr;
  out->tail = out->head + out->head_len;
  out->omitted = core_u64(&core, info + 16);
  out->seen = core_u64(&core, info + 24);
}
