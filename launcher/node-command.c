#include "node-command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "signals.h"

/* Tells the script, run again by this program, to run Node this time (it unsets it). */
#define FROM_LAUNCHER_VARIABLE "RSH_TRANSPORT_FROM_LAUNCHER"

int become_node(const char* script, int argc, char** argv, int handover) {
  int pending = pending_caller_signal();
  if (pending != 0) return pending;
  default_signals();
  release_signals();
  setenv(FROM_LAUNCHER_VARIABLE, "1", 1);
  unsetenv(HANDOVER_VARIABLE);
  if (handover >= 0) {
    char fd[16];
    snprintf(fd, sizeof fd, "%d", handover);
    setenv(HANDOVER_VARIABLE, fd, 1);
  }
  char** args = calloc((size_t)argc + 3, sizeof *args);
  if (args) {
    args[0] = "sh";
    args[1] = (char*)script;
    for (int i = 0; i < argc; i++) args[2 + i] = argv[i];
    execv("/bin/sh", args);
  }
  fprintf(stderr, "rsh-transport: could not run the Node command (%s): %s\n", script, strerror(errno));
  return 0;
}
