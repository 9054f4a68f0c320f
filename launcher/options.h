/* The command line of rsh-transport, as host/cli/args.ts reads it: the launcher runs the remote
 * shell itself only for what it knows exactly; anything else (--help, --version, a watchdog, a
 * usage error) goes to the Node command, which says it in the one place that words it. */
#ifndef RSH_LAUNCHER_OPTIONS_H
#define RSH_LAUNCHER_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum sanitize_when { SANITIZE_AUTO, SANITIZE_ALWAYS, SANITIZE_NEVER };

struct options {
  const char* rsh; /* NULL: not given */
  bool quiet_stderr;
  enum sanitize_when sanitize;
  uint32_t drain_timeout_ms;
  char** args; /* for the remote shell, NULL-terminated (argv's own tail) */
  int arg_count;
};

/* true when the launcher can run the command itself; false: hand it to the Node command. */
bool read_options(int argc, char** argv, struct options* out);

#endif
