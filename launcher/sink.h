/* The caller's stderr as the forwarded lines' sink. The drain never waits for it, as in the Node
 * host (host/stderr/writable-forwarder.ts): lines wait in a bounded buffer and go out as the
 * sink takes them; what does not fit is skipped, counted, and said in one marker line once
 * lines get through again. A sink that failed (EPIPE) takes nothing more; the run goes on. */
#ifndef RSH_LAUNCHER_SINK_H
#define RSH_LAUNCHER_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink {
  int fd;
  uint8_t* buffer;
  size_t start, end, capacity;
  uint64_t skipped;       /* since the last line that got through */
  uint64_t not_forwarded; /* in all */
  bool broken;
};

bool sink_open(struct sink* sink, int fd);
/* Whether `size` bytes may be added now; when not, they are counted as not forwarded. */
bool sink_admit(struct sink* sink, size_t size);
/* Adds bytes admitted before; what would not fit the buffer is counted as not forwarded. */
void sink_add(struct sink* sink, const void* bytes, size_t size);
bool sink_pending(const struct sink* sink);
/* Writes what the sink takes without blocking (called when poll says it is writable). */
void sink_write_some(struct sink* sink);
/* Writes everything, waiting for the sink: at the end of the run. Returns false as soon as
 * `stop()` says so (a caller's signal, read from `watched` becoming readable). */
bool sink_finish(struct sink* sink, int watched, bool (*stop)(void));

#endif
