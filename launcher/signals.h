/* Signals as the Node command takes them (host/cli/main.ts): the caller's (SIGINT, SIGTERM,
 * SIGHUP, SIGUSR1, SIGUSR2) and the remote shell's end (SIGCHLD) arrive through a pipe the main
 * loop polls, so that nothing runs in a handler but a write. */
#ifndef RSH_LAUNCHER_SIGNALS_H
#define RSH_LAUNCHER_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* The pipe's read end, or -1 when it could not be made. Installs the handlers with the signals
 * held (release_signals() lets them in, once the remote shell's pid is known). No other signal
 * stays held: a caller may start this with some blocked (pdsh blocks SIGCHLD), which Node
 * unblocks as it starts, and libuv for its children. */
int catch_signals(void);
void release_signals(void);
/* Holds the caller's signals again, and says whether one came that was not read yet. */
bool hold_signals_and_check(void);
/* A caller's signal held and not yet delivered, or 0. */
int pending_caller_signal(void);
/* The handlers undone, and SIGPIPE's default back: before this process becomes another. */
void default_signals(void);
/* Whether a caller's signal is among those waiting in the pipe (SIGCHLD is passed over). */
bool caller_signal_waiting(void);

/* The next signal from the pipe, 0 when none waits. */
int next_signal(void);
/* A signal of the caller's, passed on to the remote shell: USR1 and USR2 as TERM, which mean
 * the same to ssh (rsync ends its remote shell with SIGUSR1). */
int signal_to_pass_on(int signo);

#endif
