#define _GNU_SOURCE /* memfd_create */
#include "handover.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An unnamed file: memfd on Linux, else a temporary file unlinked at once. */
static int unnamed_file(void) {
#ifdef __linux__
  int memfd = memfd_create("rsh-transport-handover", 0);
  if (memfd >= 0) return memfd;
#endif
  const char* dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/rsh-transport-handover-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path);
  return fd;
}

static void field(FILE* out, const char* name, unsigned long long value) { fprintf(out, "%s %llu\n", name, value); }

static void bytes(FILE* out, const void* data, size_t len) {
  fprintf(out, "%zu\n", len);
  fwrite(data, 1, len, out);
  fputc('\n', out);
}

int write_handover(char* const* argv, int argc, struct ending ending, struct pump* pump, uint64_t not_forwarded) {
  int fd = unnamed_file();
  if (fd < 0) return -1;
  int high = fcntl(fd, F_DUPFD, 10);
  close(fd);
  if (high < 0) return -1;
  FILE* out = fdopen(dup(high), "w");
  if (!out) {
    close(high);
    return -1;
  }
  struct pump_snapshot snapshot;
  pump_snapshot(pump, &snapshot);
  fprintf(out, "rsh-transport-handover 1\n");
  fprintf(out, "status %d %d\n", ending.code, ending.signal);
  field(out, "stopped", ending.stopped_by_caller ? 1 : 0);
  field(out, "not-forwarded", not_forwarded);
  field(out, "omitted", snapshot.omitted);
  field(out, "seen", snapshot.seen);
  field(out, "argv", (unsigned long long)argc);
  for (int i = 0; i < argc; i++) bytes(out, argv[i], strlen(argv[i]));
  fprintf(out, "head ");
  bytes(out, snapshot.head, snapshot.head_len);
  fprintf(out, "tail ");
  bytes(out, snapshot.tail, snapshot.tail_len);
  const struct overwritten* kept = &pump->overwritten;
  field(out, "overwritten", (unsigned long long)kept->count);
  for (int k = kept->count; k > 0; k--) {
    int slot = (kept->next - k + KEPT_SEGMENTS) % KEPT_SEGMENTS;
    bytes(out, kept->slots[slot], kept->lengths[slot]);
  }
  if (fclose(out) != 0 || lseek(high, 0, SEEK_SET) != 0) {
    close(high);
    return -1;
  }
  return high;
}
