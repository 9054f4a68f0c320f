/* Starting the remote shell as the Node command's libuv would (default signal dispositions, an
 * empty signal mask, the caller's environment but the command's own variables), with the stderr
 * pipe as its fd 2; and the keeper of the caller's stdout. */
#ifndef RSH_LAUNCHER_SPAWN_H
#define RSH_LAUNCHER_SPAWN_H

#include <sys/types.h>

/* The remote shell's pid, with *stderr_fd the read end of its stderr; 0 when it could not be
 * started (not found, not executable, no fork: the Node command then starts it again and names
 * why). Call with the signals held. */
pid_t start_remote_shell(char** argv, const char* chain_entry, int* stderr_fd);

/* Starts the keeper of stdout (see spawn.c); Linux only. Call first, with fds 0 to 2 open. */
void keep_stdout_past_exit(void);

#endif
