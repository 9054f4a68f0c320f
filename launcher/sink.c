#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the sink may hold unwritten before lines are skipped: the Node host's bound. */
#define MAX_BUFFERED (1024u * 1024u)
/* A pipe that poll() calls writable takes this much without blocking (POSIX PIPE_BUF >= 512;
 * 4096 on Linux, 512 on macOS and FreeBSD take it too: a write blocks at worst briefly). */
#define WRITE_PIECE 4096u

bool sink_open(struct sink* sink, int fd) {
  memset(sink, 0, sizeof *sink);
  sink->fd = fd;
  sink->capacity = MAX_BUFFERED + 256;
  sink->buffer = malloc(sink->capacity);
  return sink->buffer != NULL;
}

bool sink_pending(const struct sink* sink) { return !sink->broken && sink->end > sink->start; }

static void append(struct sink* sink, const void* bytes, size_t size) {
  if (sink->end + size > sink->capacity) {
    memmove(sink->buffer, sink->buffer + sink->start, sink->end - sink->start);
    sink->end -= sink->start;
    sink->start = 0;
  }
  if (sink->end + size > sink->capacity) {
    sink->not_forwarded += size; /* admitted by an estimate that fell short: never past the end */
    return;
  }
  memcpy(sink->buffer + sink->end, bytes, size);
  sink->end += size;
}

bool sink_admit(struct sink* sink, size_t size) {
  if (sink->broken) {
    sink->not_forwarded += size;
    return false;
  }
  if (sink->end - sink->start + size > MAX_BUFFERED) {
    sink->skipped += size;
    sink->not_forwarded += size;
    return false;
  }
  if (sink->skipped > 0) {
    char marker[128];
    int n = snprintf(marker, sizeof marker,
                     "[rsh-transport: %llu bytes of stderr not forwarded: the output was too slow]\n",
                     (unsigned long long)sink->skipped);
    append(sink, marker, (size_t)n);
    sink->skipped = 0;
  }
  return true;
}

void sink_add(struct sink* sink, const void* bytes, size_t size) { append(sink, bytes, size); }

static bool write_piece(struct sink* sink, size_t most) {
  size_t size = sink->end - sink->start;
  if (size > most) size = most;
  ssize_t n = write(sink->fd, sink->buffer + sink->start, size);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return true;
    sink->broken = true; /* EPIPE, EBADF: forwarding ends here, not the run */
    sink->not_forwarded += sink->end - sink->start;
    sink->start = sink->end = 0;
    return false;
  }
  sink->start += (size_t)n;
  if (sink->start == sink->end) sink->start = sink->end = 0;
  return true;
}

void sink_write_some(struct sink* sink) {
  if (sink_pending(sink)) write_piece(sink, WRITE_PIECE);
}

bool sink_finish(struct sink* sink, int watched, bool (*stop)(void)) {
  if (!sink->broken && sink->skipped > 0) sink_admit(sink, 0);
  while (sink_pending(sink)) {
    /* The fd may be non-blocking (its flags belong to whoever shares it): wait, then write. */
    struct pollfd fds[2] = {{.fd = sink->fd, .events = POLLOUT}, {.fd = watched, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents && stop()) return false;
    if (fds[0].revents && !write_piece(sink, WRITE_PIECE)) break;
  }
  return true;
}
