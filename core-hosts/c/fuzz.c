/* Coverage-guided fuzzing of the core: libFuzzer drives the wasm2c translation of
 * build/core.wasm through its ABI with call sequences decoded from each input, and checks
 * after every call what the ABI promises (assembly/README.md):
 *
 *   - no wasm trap, no error code where none is due, ERR_BUSY / ERR_BAD_HANDLE / ERR_NO_SLOT
 *     exactly where due;
 *   - bytes_seen = bytes committed, bytes_dropped = max(0, seen - ring - head);
 *   - every frame lies in the capture's staging area or one of its carry buffers, has a kind
 *     in 1..5, at most frames_max a round, and no line longer than line_max;
 *   - frames and their terminators give back exactly the committed bytes, in order, and all
 *     of them after a final flush;
 *   - frames and snapshots equal those of the reference model (model.c, a port of
 *     test/core/model.ts), and a snapshot holds at most head_size + ring_capacity bytes.
 *   - each snapshot, made terminal-safe by sanitize() in pieces, leaves nothing a terminal acts
 *     on, within the output bound and the hold-back bound.
 *
 * A broken check prints what broke and aborts: libFuzzer saves the input as a crash.
 * Built with -DFUZZ_REPLAY_MAIN instead, the same decoder replays one input and writes each
 * capture's commands as a test vector (core-hosts/c/README.md: from a finding to a vector). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-abi.h"
#include "model.h"
#include "wasm-rt-exceptions.h"
#include "wasm-rt-impl.h"

#define MAX_CAPTURES 3
#define MAX_OPS 256
#define STREAM_BUDGET (1u << 20) /* bytes committed per input, all captures */

/* ---- the input ---- */

typedef struct {
  const uint8_t* data;
  size_t size, pos;
} reader;

static uint8_t next_u8(reader* r) { return r->pos < r->size ? r->data[r->pos++] : 0; }

static uint16_t next_u16(reader* r) {
  uint16_t lo = next_u8(r);
  return (uint16_t)(lo | next_u8(r) << 8);
}

static int more(const reader* r) { return r->pos < r->size; }

/* ---- tracing commands as test vectors (replay only) ---- */

typedef void (*trace_fn)(int life, const char* command, const uint8_t* bytes, size_t n);
static trace_fn trace;

static void traced(int life, const char* command, const uint8_t* bytes, size_t n) {
  if (trace) trace(life, command, bytes, n);
}

/* ---- findings ---- */

static void (*before_abort)(void);

static void broken(const char* format, ...) {
  va_list args;
  va_start(args, format);
  fputs("fuzz: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  if (before_abort) before_abort();
  abort();
}

#define CHECK(cond, ...)              \
  do {                                \
    if (!(cond)) broken(__VA_ARGS__); \
  } while (0)

/* ---- one instance and its captures ---- */

typedef struct {
  int open;
  int life; /* numbers each open..close, for the traced vectors */
  int32_t h;
  int outstanding; /* the last round gave records and resume() has not said 0 since */
  size_t matched;  /* stream bytes the frames so far gave back, terminators included */
  model m;
} capture;

typedef struct {
  w2c_core core;
  uint32_t captures, ring, head, staging, line_max, frames_max, carry_stride;
  capture cap[MAX_CAPTURES];
  int lives;
  size_t budget;
  uint8_t* snap; /* the model's snapshot text */
} harness;

static const char* const KIND_NAME[] = {"?", "LF", "CRLF", "CR", "CUT", "PARTIAL"};

static const uint8_t* mem(harness* x) { return core_memory(&x->core); }

/* Takes the model's next frame and checks it against stream bytes and kind the core gave. */
static void expect_frame(harness* x, capture* c, int kind, const uint8_t* bytes, size_t len, int index) {
  model* m = &c->m;
  const model_frame* want = model_next(m);
  CHECK(want, "capture %d: frame %d (%s, %zu bytes) where the model has none", c->life, index, KIND_NAME[kind], len);
  CHECK(want->kind == kind && want->len == len && memcmp(m->stream + want->start, bytes, len) == 0,
        "capture %d: frame %d is %s of %zu bytes, the model's %s of %zu at stream offset %zu", c->life, index,
        KIND_NAME[kind], len, KIND_NAME[want->kind], want->len, want->start);
  model_take(m);
  /* Reassembly, independent of the model: bytes, then the terminator, from the stream. */
  static const char* const TERMINATOR[] = {"", "\n", "\r\n", "\r", "", ""};
  size_t tlen = strlen(TERMINATOR[kind]);
  CHECK(c->matched + len + tlen <= m->seen && memcmp(m->stream + c->matched, bytes, len) == 0 &&
            memcmp(m->stream + c->matched + len, TERMINATOR[kind], tlen) == 0,
        "capture %d: frame %d does not continue the stream at offset %zu", c->life, index, c->matched);
  c->matched += len + tlen;
  (void)x;
}

/* Checks the records of one round against layout, limits and the model. */
static void check_round(harness* x, capture* c, int32_t n, const char* call) {
  CHECK(n >= 0, "capture %d: %s returned %d", c->life, call, n);
  CHECK((uint32_t)n <= x->frames_max, "capture %d: %s gave %d records, frames_max is %u", c->life, call, n,
        x->frames_max);
  uint32_t staging = w2c_core_staging_ptr(&x->core, (uint32_t)c->h);
  uint32_t records = w2c_core_frames_ptr(&x->core, (uint32_t)c->h);
  uint32_t carry_a = staging - 2 * x->carry_stride, carry_b = staging - x->carry_stride;
  for (int32_t i = 0; i < n; i++) {
    uint32_t ptr = core_u32(&x->core, records + CORE_FRAME_SIZE * i);
    uint32_t word = core_u32(&x->core, records + CORE_FRAME_SIZE * i + 4);
    uint32_t len = word & CORE_FRAME_LEN_MASK, kind = word >> 24;
    uint64_t end = (uint64_t)ptr + len;
    CHECK(kind >= CORE_LF && kind <= CORE_PARTIAL, "capture %d: %s record %d has kind %u", c->life, call, i, kind);
    int in_staging = ptr >= staging && end <= (uint64_t)staging + x->staging;
    int in_carry = (ptr >= carry_a && end <= (uint64_t)carry_a + x->line_max) ||
                   (ptr >= carry_b && end <= (uint64_t)carry_b + x->line_max);
    CHECK(in_staging || in_carry, "capture %d: %s record %d at %u+%u lies outside staging and carries", c->life, call,
          i, ptr, len);
    const uint8_t* bytes = mem(x) + ptr;
    if (kind != CORE_LF) {
      CHECK(len <= x->line_max, "capture %d: %s frame of %u bytes, line_max %u", c->life, call, len, x->line_max);
      expect_frame(x, c, (int)kind, bytes, len, i);
      continue;
    }
    /* An LF frame joins lines with \n: each line on its own, as the model frames them. */
    uint32_t start = 0;
    for (uint32_t j = 0; j <= len; j++) {
      if (j < len && bytes[j] != '\n') continue;
      CHECK(j - start < x->line_max, "capture %d: %s line of %u bytes in an LF frame, line_max %u", c->life, call,
            j - start, x->line_max);
      expect_frame(x, c, CORE_LF, bytes + start, j - start, i);
      start = j + 1;
    }
  }
}

static void check_stats(harness* x, capture* c) {
  uint64_t seen = w2c_core_bytes_seen(&x->core, (uint32_t)c->h);
  uint64_t dropped = w2c_core_bytes_dropped(&x->core, (uint32_t)c->h);
  uint64_t kept = (uint64_t)x->ring + x->head;
  CHECK(seen == c->m.seen, "capture %d: bytes_seen %llu, committed %zu", c->life, (unsigned long long)seen, c->m.seen);
  CHECK(dropped == (seen > kept ? seen - kept : 0), "capture %d: bytes_dropped %llu of %llu seen", c->life,
        (unsigned long long)dropped, (unsigned long long)seen);
}

/* Reads rounds until resume() says 0; the model must have nothing left then. */
static void drain(harness* x, capture* c) {
  while (c->outstanding) {
    int32_t n = (int32_t)w2c_core_resume(&x->core, (uint32_t)c->h);
    check_round(x, c, n, "resume");
    c->outstanding = n > 0;
  }
  CHECK(!model_next(&c->m), "capture %d: the batch is framed, the model still has frames", c->life);
}

static void open_capture(harness* x, capture* c) {
  int32_t h = (int32_t)w2c_core_capture_open(&x->core);
  CHECK(h >= 0, "capture_open returned %d with a free slot", h);
  memset(c, 0, sizeof *c);
  c->open = 1;
  c->h = h;
  c->life = x->lives++;
  model_init(&c->m, x->ring, x->head, x->line_max);
  char geometry[96];
  snprintf(geometry, sizeof geometry, "geometry %u %u %u %u %u", (unsigned)__builtin_ctz(x->ring), x->head, x->staging,
           x->line_max, x->frames_max);
  traced(c->life, geometry, NULL, 0);
}

static void close_capture(harness* x, capture* c) {
  traced(c->life, "close", NULL, 0);
  CHECK(w2c_core_capture_close(&x->core, (uint32_t)c->h) == 0, "capture %d: close failed", c->life);
  /* A closed handle stays invalid, whatever the slot does next. */
  CHECK((int32_t)w2c_core_commit(&x->core, (uint32_t)c->h, 0) == CORE_ERR_BAD_HANDLE, "closed handle: commit accepted");
  CHECK((int64_t)w2c_core_bytes_seen(&x->core, (uint32_t)c->h) == CORE_ERR_BAD_HANDLE, "closed handle: bytes_seen");
  CHECK((int32_t)w2c_core_snapshot(&x->core, (uint32_t)c->h) == CORE_ERR_BAD_HANDLE, "closed handle: snapshot");
  model_free(&c->m);
  c->open = 0;
}

/* Commits n bytes already in the staging area. */
static void commit(harness* x, capture* c, const uint8_t* bytes, uint32_t n) {
  int32_t r = (int32_t)w2c_core_commit(&x->core, (uint32_t)c->h, n);
  CHECK(r != CORE_ERR_BUSY, "capture %d: commit refused as busy after resume said 0", c->life);
  model_write(&c->m, bytes, n);
  traced(c->life, "write", bytes, n);
  check_round(x, c, r, "commit");
  c->outstanding = r > 0;
}

static void write_bytes(harness* x, capture* c, const uint8_t* bytes, size_t n, uint32_t piece, int leave_pending) {
  if (c->outstanding) {
    /* Records may be pending: the staging area may still hold the batch they frame, so
     * before writing into it, ask; an empty commit is harmless when the batch is done. */
    int32_t r = (int32_t)w2c_core_commit(&x->core, (uint32_t)c->h, 0);
    if (r == CORE_ERR_BUSY) {
      drain(x, c);
    } else {
      model_write(&c->m, NULL, 0);
      traced(c->life, "write", NULL, 0);
      check_round(x, c, r, "commit");
      c->outstanding = r > 0;
      drain(x, c);
    }
  }
  uint32_t staging = w2c_core_staging_ptr(&x->core, (uint32_t)c->h);
  size_t at = 0;
  do {
    uint32_t size = n - at < piece ? (uint32_t)(n - at) : piece;
    memcpy(core_memory(&x->core) + staging, bytes + at, size);
    commit(x, c, bytes + at, size);
    at += size;
    if (at < n || !leave_pending) drain(x, c);
  } while (at < n);
}

static void flush(harness* x, capture* c, int final) {
  int32_t r = (int32_t)w2c_core_flush(&x->core, (uint32_t)c->h, (uint32_t) final);
  if (r == CORE_ERR_BUSY) {
    CHECK(c->outstanding, "capture %d: flush refused as busy after resume said 0", c->life);
    return;
  }
  model_flush(&c->m, final);
  traced(c->life, final ? "end" : "flush", NULL, 0);
  check_round(x, c, r, "flush");
  c->outstanding = 0;
  CHECK(!model_next(&c->m), "capture %d: flush gave fewer frames than the model", c->life);
  CHECK(!final || c->matched == c->m.seen, "capture %d: after the final flush the frames gave back %zu of %zu bytes",
        c->life, c->matched, c->m.seen);
}

/* The snapshot made terminal-safe in pieces, as a host cuts long text (the piece size and the
 * colours flag follow from its length): no piece traps or outgrows 4 bytes per input byte, at
 * most SANITIZE_HOLD_MAX bytes wait for the next piece and none after the last, and nothing
 * comes out that a terminal would act on (a C0 control but tab and newline, DEL, a C1 control;
 * an ESC only as the start of a colour SGR sequence). */
static void sanitize_snapshot(harness* x, capture* c, uint32_t text, uint32_t length) {
  uint32_t colours = length & 1 ? CORE_SANITIZE_COLOURS : 0;
  uint32_t piece = 1 + (length * 2654435761u >> 7) % CORE_SANITIZE_INPUT_MAX;
  uint32_t at = text, end = text + length, held = 0;
  while (at < end) {
    uint32_t n = end - at < held + piece ? end - at : held + piece;
    if (n > CORE_SANITIZE_INPUT_MAX) n = CORE_SANITIZE_INPUT_MAX;
    int last = at + n == end;
    int32_t out = (int32_t)w2c_core_sanitize(&x->core, at, n, colours | (last ? 0 : CORE_SANITIZE_MORE));
    uint32_t consumed = w2c_core_sanitize_consumed(&x->core);
    CHECK(out >= 0 && (uint32_t)out <= 4 * n, "capture %d: sanitize of %u bytes gave %d", c->life, n, out);
    CHECK(consumed <= n && n - consumed <= CORE_SANITIZE_HOLD_MAX && (!last || consumed == n),
          "capture %d: sanitize of %u bytes consumed %u", c->life, n, consumed);
    const uint8_t* o = mem(x) + w2c_core_sanitize_output_ptr(&x->core);
    for (int32_t i = 0; i < out; i++) {
      uint8_t b = o[i];
      int escape = b == 0x1b && colours && i + 1 < out && o[i + 1] == '[';
      int c1 = b == 0xc2 && i + 1 < out && o[i + 1] >= 0x80 && o[i + 1] <= 0x9f;
      CHECK(!((b < 0x20 && b != '\t' && b != '\n' && !escape) || b == 0x7f || c1),
            "capture %d: sanitize let byte %02x through at %d", c->life, b, i);
    }
    held = n - consumed;
    at += consumed;
  }
}

static void snapshot(harness* x, capture* c) {
  int32_t length = (int32_t)w2c_core_snapshot(&x->core, (uint32_t)c->h);
  CHECK(length >= 0 && (uint32_t)length <= x->head + x->ring, "capture %d: snapshot of %d bytes, head + ring %u",
        c->life, length, x->head + x->ring);
  traced(c->life, "snapshot", NULL, 0);
  uint32_t info = w2c_core_snapshot_info_ptr(&x->core);
  uint32_t text = core_u32(&x->core, info + CORE_SNAP_PTR);
  uint32_t head_len = core_u32(&x->core, info + CORE_SNAP_HEAD_LEN);
  uint32_t tail_len = core_u32(&x->core, info + CORE_SNAP_TAIL_LEN);
  uint64_t omitted = core_u64(&x->core, info + CORE_SNAP_OMITTED);
  CHECK(head_len + tail_len == (uint32_t)length && (uint64_t)text + (uint32_t)length <= core_memory_size(&x->core),
        "capture %d: snapshot info does not add up", c->life);
  CHECK(core_u64(&x->core, info + CORE_SNAP_SEEN) == c->m.seen, "capture %d: snapshot seen differs", c->life);
  size_t want_head, want_tail;
  uint64_t want_omitted;
  model_snapshot(&c->m, x->snap, &want_head, &want_tail, &want_omitted);
  CHECK(want_head == head_len && want_tail == tail_len && want_omitted == omitted &&
            memcmp(x->snap, mem(x) + text, (size_t)length) == 0,
        "capture %d: snapshot (head %u, tail %u, omitted %llu) differs from the model's (%zu, %zu, %llu)", c->life,
        head_len, tail_len, (unsigned long long)omitted, want_head, want_tail, (unsigned long long)want_omitted);
  sanitize_snapshot(x, c, text, (uint32_t)length);
}

/* ---- decoding an input into calls ---- */

static capture* pick(harness* x, reader* r) {
  capture* c = &x->cap[next_u8(r) % x->captures];
  if (!c->open) open_capture(x, c);
  return c;
}

/* Bytes to write: some from the input as they are, or a short template repeated, which gives
 * long lines, CR storms and batches larger than the ring from a few input bytes. */
static size_t make_bytes(harness* x, reader* r, uint8_t* out, size_t room) {
  uint8_t mode = next_u8(r);
  size_t n;
  if (mode % 3 != 2) {
    n = mode % 3 == 0 ? next_u8(r) % 64 : next_u16(r) % 1024;
    if (n > r->size - r->pos) n = r->size - r->pos;
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
  } else {
    /* Lines of `every` bytes (none when 0) filled with the template: runs of long lines in
     * one batch are what the SIMD run scanner works on. */
    uint8_t templ[8];
    size_t t = 1 + next_u8(r) % 8;
    for (size_t i = 0; i < t; i++) templ[i] = next_u8(r);
    size_t every = next_u16(r) % 1024;
    n = next_u16(r) % (4 * x->staging + x->ring + 64);
    for (size_t i = 0; i < n; i++) out[i] = every && i % (every + 1) == every ? '\n' : templ[i % t];
  }
  if (n > room) n = room;
  return n;
}

static void run(harness* x, reader* r, uint8_t* buffer, size_t buffer_size) {
  for (int op = 0; op < MAX_OPS && more(r); op++) {
    uint8_t code = next_u8(r);
    capture* c = NULL;
    switch (code % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        c = pick(x, r);
        uint8_t how = next_u8(r);
        size_t room = x->budget < buffer_size ? x->budget : buffer_size;
        size_t n = make_bytes(x, r, buffer, room);
        uint32_t piece = how & 1 ? x->staging : 1 + next_u16(r) % x->staging;
        x->budget -= n;
        write_bytes(x, c, buffer, n, piece, how & 2);
        break;
      }
      case 4:
        c = pick(x, r);
        if (c->outstanding) {
          int32_t n = (int32_t)w2c_core_resume(&x->core, (uint32_t)c->h);
          check_round(x, c, n, "resume");
          c->outstanding = n > 0;
        } else {
          CHECK(w2c_core_resume(&x->core, (uint32_t)c->h) == 0, "capture %d: resume gave records after saying 0",
                c->life);
        }
        break;
      case 5:
      case 6:
        c = pick(x, r);
        flush(x, c, code % 10 == 6);
        break;
      case 7:
        c = pick(x, r);
        snapshot(x, c);
        break;
      case 8:
        c = &x->cap[next_u8(r) % x->captures];
        if (c->open) close_capture(x, c);
        continue;
      case 9: {
        /* Open every slot: one more must be refused. */
        for (uint32_t i = 0; i < x->captures; i++)
          if (!x->cap[i].open) open_capture(x, &x->cap[i]);
        CHECK((int32_t)w2c_core_capture_open(&x->core) == CORE_ERR_NO_SLOT, "capture_open with every slot taken");
        continue;
      }
    }
    check_stats(x, c);
  }
  /* The end of every stream: all frames read, everything given back. */
  for (uint32_t i = 0; i < x->captures; i++) {
    capture* c = &x->cap[i];
    if (!c->open) continue;
    drain(x, c);
    flush(x, c, 1);
    snapshot(x, c);
    traced(c->life, "stats", NULL, 0);
    check_stats(x, c);
    close_capture(x, c);
  }
}

/* Runs one input on a fresh instance. */
static void fuzz_one(const uint8_t* data, size_t size) {
  static int runtime_ready;
  if (!runtime_ready) {
    wasm_rt_init();
    runtime_ready = 1;
  }
  reader r = {data, size, 0};
  static harness x; /* static: it outlives a longjmp from a trap */
  memset(&x, 0, sizeof x);
  x.captures = 1 + next_u8(&r) % MAX_CAPTURES;
  uint32_t ring_log2 = 4 + next_u8(&r) % 9;
  uint16_t head = next_u16(&r);
  x.head = head % 4 == 0 ? 0 : head % 520;
  x.staging = 16 + next_u16(&r) % 2033;
  x.line_max = 8 + next_u16(&r) % 700;
  x.frames_max = 1 + next_u8(&r) % 40;
  x.ring = 1u << ring_log2;
  x.carry_stride = (x.line_max + 63) & ~63u;
  x.budget = STREAM_BUDGET;

  wasm2c_core_instantiate(&x.core);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) broken("wasm trap: %s", wasm_rt_strerror(trap));

  CHECK((int32_t)w2c_core_capture_open(&x.core) == CORE_ERR_NOT_INITIALISED, "capture_open before init");
  int32_t status = (int32_t)w2c_core_init(&x.core, x.captures, ring_log2, x.head, x.staging, x.line_max, x.frames_max);
  CHECK(status == 0, "init(%u, %u, %u, %u, %u, %u) returned %d", x.captures, ring_log2, x.head, x.staging, x.line_max,
        x.frames_max, status);
  CHECK((int32_t)w2c_core_init(&x.core, 1, 0, 0, 0, 0, 0) == CORE_ERR_ALREADY_INITIALISED, "second init accepted");
  CHECK(w2c_core_ring_capacity(&x.core) == x.ring && w2c_core_head_size(&x.core) == x.head &&
            w2c_core_staging_size(&x.core) == x.staging && w2c_core_line_max(&x.core) == x.line_max &&
            w2c_core_frames_max(&x.core) == x.frames_max && w2c_core_max_captures(&x.core) == x.captures,
        "the geometry read back differs from init's");

  static uint8_t* buffer;
  size_t buffer_size = 4 * 2048 + 4096 + 64;
  if (!buffer) buffer = malloc(buffer_size);
  x.snap = malloc(x.head + x.ring);
  if (!buffer || !x.snap) abort();
  run(&x, &r, buffer, buffer_size);

  for (uint32_t i = 0; i < x.captures; i++)
    if (x.cap[i].open) model_free(&x.cap[i].m);
  free(x.snap);
  wasm2c_core_free(&x.core);
}

#ifndef FUZZ_REPLAY_MAIN

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_one(data, size);
  return 0;
}

#else

/* fuzz-replay INPUT DIR: runs the input with every check, and writes each capture's commands
 * to DIR/finding-NAME-K.vec (NAME: the input's file name) for test/vectors/corpus. */

static FILE* vec_files[MAX_OPS + MAX_CAPTURES + 1];
static const char* out_dir;
static const char* base_name;

static void write_vec(int life, const char* command, const uint8_t* bytes, size_t n) {
  if (life < 0 || life > MAX_OPS + MAX_CAPTURES) return;
  if (strcmp(command, "close") == 0) {
    if (vec_files[life]) fclose(vec_files[life]);
    vec_files[life] = NULL;
    return;
  }
  if (!vec_files[life]) {
    char path[4096];
    snprintf(path, sizeof path, "%s/finding-%s-%d.vec", out_dir, base_name, life);
    if (!(vec_files[life] = fopen(path, "w"))) {
      perror(path);
      exit(2);
    }
    fprintf(vec_files[life], "# fuzz-replay of %s, capture %d\n", base_name, life);
    printf("%s\n", path);
  }
  FILE* f = vec_files[life];
  fputs(command, f);
  if (strcmp(command, "write") == 0) {
    fputc(' ', f);
    if (n == 0) fputc('-', f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", bytes[i]);
  }
  fputc('\n', f);
}

static void close_all(void) {
  for (size_t i = 0; i < sizeof vec_files / sizeof *vec_files; i++)
    if (vec_files[i]) fclose(vec_files[i]);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fuzz-replay INPUT DIR\n");
    return 2;
  }
  FILE* in = fopen(argv[1], "rb");
  if (!in) {
    perror(argv[1]);
    return 2;
  }
  static uint8_t data[1 << 20];
  size_t size = fread(data, 1, sizeof data, in);
  fclose(in);
  out_dir = argv[2];
  base_name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
  trace = write_vec;
  before_abort = close_all;
  fuzz_one(data, size);
  close_all();
  fprintf(stderr, "fuzz-replay: every check held\n");
  return 0;
}

#endif
