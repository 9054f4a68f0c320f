/* vector-host: runs a test vector (test/vectors/format.ts describes NAME.vec and NAME.out)
 * through build/core.wasm translated to C by wasm2c, and prints the .out records.
 *
 *   build/c-host/vector-host test/vectors/corpus/rule-lf-lines.vec > out.txt
 *
 * It uses nothing but the core's exports and its memory, as any non-JS host would: the same
 * records as Node's run (test/vectors/run-wasm.ts) show that the module behaves the same in
 * both. Exit status: 0 done, 1 bad input, 2 an export returned an error, 3 a wasm trap. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-abi.h"
#include "wasm-rt-exceptions.h"
#include "wasm-rt-impl.h"

static const char* const KIND_RECORD[] = {
    [CORE_LF] = "lf", [CORE_CRLF] = "crlf", [CORE_CR] = "cr", [CORE_CUT] = "cut", [CORE_PARTIAL] = "partial",
};

static void die(int status, const char* what, long value) {
  fflush(stdout);
  fprintf(stderr, "vector-host: %s (%ld)\n", what, value);
  exit(status);
}

static void print_hex(const uint8_t* bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  if (n == 0) {
    putchar('-');
    return;
  }
  for (size_t i = 0; i < n; i++) {
    putchar(digits[bytes[i] >> 4]);
    putchar(digits[bytes[i] & 15]);
  }
}

/* One record per line: an LF frame may join several lines with \n. */
static void print_frame(uint32_t kind, const uint8_t* bytes, uint32_t len) {
  if (kind < CORE_LF || kind > CORE_PARTIAL) die(2, "frame of unknown kind", (long)kind);
  uint32_t start = 0;
  for (uint32_t i = 0; i <= len; i++) {
    if (i < len && !(kind == CORE_LF && bytes[i] == '\n')) continue;
    printf("%s ", KIND_RECORD[kind]);
    print_hex(bytes + start, i - start);
    putchar('\n');
    start = i + 1;
  }
}

static int32_t check(const char* call, int32_t status) {
  if (status < 0) die(2, call, status);
  return status;
}

/* Reads the frame records of a round, and of every round after it until resume() says 0. */
static void drain(w2c_core* core, uint32_t h, int32_t n) {
  uint32_t records = w2c_core_frames_ptr(core, h);
  for (; n > 0; n = check("resume", (int32_t)w2c_core_resume(core, h))) {
    for (int32_t i = 0; i < n; i++) {
      uint32_t ptr = core_u32(core, records + CORE_FRAME_SIZE * i);
      uint32_t word = core_u32(core, records + CORE_FRAME_SIZE * i + 4);
      uint32_t len = word & CORE_FRAME_LEN_MASK;
      if ((uint64_t)ptr + len > core_memory_size(core)) die(2, "frame outside memory", (long)ptr);
      print_frame(word >> 24, core_memory(core) + ptr, len);
    }
  }
}

static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes HEX ('-' for none) in place; returns the byte count, or -1. */
static long unhex(char* text) {
  if (strcmp(text, "-") == 0) return 0;
  size_t n = strlen(text);
  if (n == 0 || n % 2 != 0) return -1;
  uint8_t* out = (uint8_t*)text;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(n / 2);
}

/* Commits the bytes in pieces of at most staging_size, one empty commit for none. */
static void write_bytes(w2c_core* core, uint32_t h, const uint8_t* bytes, size_t n) {
  uint32_t staging = (uint32_t)check("staging_ptr", (int32_t)w2c_core_staging_ptr(core, h));
  size_t size = (size_t)w2c_core_staging_size(core);
  size_t at = 0;
  do {
    size_t piece = n - at < size ? n - at : size;
    memcpy(core_memory(core) + staging, bytes + at, piece);
    drain(core, h, check("commit", (int32_t)w2c_core_commit(core, h, (uint32_t)piece)));
    at += piece;
  } while (at < n);
}

static void snapshot(w2c_core* core, uint32_t h) {
  uint32_t length = (uint32_t)check("snapshot", (int32_t)w2c_core_snapshot(core, h));
  uint32_t info = w2c_core_snapshot_info_ptr(core);
  uint32_t text = core_u32(core, info + CORE_SNAP_PTR);
  uint32_t head_len = core_u32(core, info + CORE_SNAP_HEAD_LEN);
  uint32_t tail_len = core_u32(core, info + CORE_SNAP_TAIL_LEN);
  if (head_len + tail_len != length) die(2, "snapshot length differs from its parts", (long)length);
  if ((uint64_t)text + length > core_memory_size(core)) die(2, "snapshot outside memory", (long)text);
  printf("snapshot %llu %llu ", (unsigned long long)core_u64(core, info + CORE_SNAP_OMITTED),
         (unsigned long long)core_u64(core, info + CORE_SNAP_SEEN));
  print_hex(core_memory(core) + text, head_len);
  putchar(' ');
  print_hex(core_memory(core) + text + head_len, tail_len);
  putchar('\n');
}

static char* read_all(FILE* in) {
  size_t size = 0, cap = 1 << 16;
  char* text = malloc(cap);
  for (size_t got; text && (got = fread(text + size, 1, cap - size - 1, in)) > 0;) {
    size += got;
    if (size + 1 == cap) text = realloc(text, cap *= 2);
  }
  if (!text) die(1, "out of memory", 0);
  text[size] = '\0';
  return text;
}

/* Runs the commands of a vector; the instance is made by the `geometry` line. */
static void run(w2c_core* core, char* text) {
  int initialised = 0;
  uint32_t h = 0;
  long number = 0;
  for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    number++;
    if (line[0] == '#') continue;
    char* op = line;
    char* arg = strchr(line, ' ');
    if (arg) *arg++ = '\0';
    if (strcmp(op, "geometry") == 0) {
      unsigned g[5];
      if (initialised || !arg || sscanf(arg, "%u %u %u %u %u", &g[0], &g[1], &g[2], &g[3], &g[4]) != 5)
        die(1, "bad geometry line", number);
      check("init", (int32_t)w2c_core_init(core, 1, g[0], g[1], g[2], g[3], g[4]));
      h = (uint32_t)check("capture_open", (int32_t)w2c_core_capture_open(core));
      initialised = 1;
    } else if (!initialised) {
      die(1, "geometry must come first, line", number);
    } else if (strcmp(op, "write") == 0 && arg) {
      long n = unhex(arg);
      if (n < 0) die(1, "bad hex on line", number);
      write_bytes(core, h, (const uint8_t*)arg, (size_t)n);
    } else if (arg) {
      die(1, "unexpected argument on line", number);
    } else if (strcmp(op, "flush") == 0) {
      drain(core, h, check("flush", (int32_t)w2c_core_flush(core, h, 0)));
    } else if (strcmp(op, "end") == 0) {
      drain(core, h, check("flush", (int32_t)w2c_core_flush(core, h, 1)));
    } else if (strcmp(op, "snapshot") == 0) {
      snapshot(core, h);
    } else if (strcmp(op, "stats") == 0) {
      printf("stats %llu %llu\n", (unsigned long long)w2c_core_bytes_seen(core, h),
             (unsigned long long)w2c_core_bytes_dropped(core, h));
    } else {
      die(1, "unknown command on line", number);
    }
  }
  if (!initialised) die(1, "no geometry line", 0);
}

int main(int argc, char** argv) {
  FILE* in = stdin;
  if (argc > 2) die(1, "usage: vector-host [FILE.vec]", argc);
  if (argc == 2 && strcmp(argv[1], "-") != 0 && !(in = fopen(argv[1], "rb"))) die(1, "cannot open the vector", 0);
  char* text = read_all(in);
  static char out_buffer[1 << 16];
  setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);

  wasm_rt_init();
  static w2c_core core;
  wasm2c_core_instantiate(&core);
  /* A trap unwinds to here: the core promises none, so it is an error like any other. */
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) die(3, wasm_rt_strerror(trap), (long)trap);
  run(&core, text);

  wasm2c_core_free(&core);
  wasm_rt_free();
  free(text);
  return fflush(stdout) == 0 ? 0 : 2;
}
