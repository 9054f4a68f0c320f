/* A failed run handed to the Node command, which explains it (host/cli/handover.ts reads this):
 * the remote shell's argv and how it ended, and the capture (the snapshot's head and tail, what
 * was omitted, the segments a lone CR overwrote, the bytes not forwarded). Written to a file that
 * has no name (memfd, or a temporary file unlinked at once), so nothing is left behind. */
#ifndef RSH_LAUNCHER_HANDOVER_H
#define RSH_LAUNCHER_HANDOVER_H

#include <stdbool.h>

#include "pump.h"

/* The variable that gives the Node command the file's fd. */
#define HANDOVER_VARIABLE "RSH_TRANSPORT_HANDOVER_FD"

struct ending {
  int code;               /* -1 when a signal ended it */
  int signal;             /* 0 when it exited */
  bool stopped_by_caller; /* a signal from the caller came while it ran: no last line */
};

/* The fd (at least 10, which no sh redirection touches; not close-on-exec), or -1. */
int write_handover(char* const* argv, int argc, struct ending ending, struct pump* pump, uint64_t not_forwarded);

#endif
