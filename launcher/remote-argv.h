/* The remote shell's argv, as the Node command builds it (host/cli/main.ts): the words of --rsh,
 * else $RSH_TRANSPORT_RSH, else ssh, split the way rsync splits -e (host/rsh/parse-rsh.ts), then
 * the command's arguments. And the two checks that keep the command from running itself
 * (host/cli/self.ts): where one would refuse, the Node command runs, and says why. */
#ifndef RSH_LAUNCHER_REMOTE_ARGV_H
#define RSH_LAUNCHER_REMOTE_ARGV_H

#include <stdbool.h>

#include "options.h"

struct remote_argv {
  char** argv; /* NULL-terminated, malloc'd */
  int count;
  char* chain_entry; /* "RSH_TRANSPORT_CHAIN=...", for the remote shell's environment */
};

/* false when the Node command must decide: an unclosed quote, no program, a word naming this
 * command, or a loop in the chain of rsh-transports. `script` is bin/rsh-transport.js. */
bool build_remote_argv(const struct options* options, const char* script, struct remote_argv* out);

/* The chain hash of an argv: FNV-1a over its words' bytes, each ended by a NUL, twice (two
 * offsets), as 16 hex digits. host/cli/self.ts computes the same. */
void chain_hash(char* const* argv, int count, char out[17]);

#endif
