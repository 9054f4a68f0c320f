#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const int CALLER_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
#define CALLER_SIGNAL_COUNT (sizeof CALLER_SIGNALS / sizeof CALLER_SIGNALS[0])

static int signal_pipe[2] = {-1, -1};
static sigset_t held;

static void on_signal(int signo) {
  int saved = errno;
  unsigned char byte = (unsigned char)signo;
  ssize_t ignored = write(signal_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

int catch_signals(void) {
  if (pipe(signal_pipe) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
    fcntl(signal_pipe[i], F_SETFL, fcntl(signal_pipe[i], F_GETFL) | O_NONBLOCK);
  }
  sigemptyset(&held);
  for (size_t i = 0; i < CALLER_SIGNAL_COUNT; i++) sigaddset(&held, CALLER_SIGNALS[i]);
  sigaddset(&held, SIGCHLD);
  sigprocmask(SIG_SETMASK, &held, NULL);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < CALLER_SIGNAL_COUNT; i++) sigaction(CALLER_SIGNALS[i], &action, NULL);
  action.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &action, NULL);
  signal(SIGPIPE, SIG_IGN); /* a closed stderr is EPIPE, which ends forwarding, not the run */
  return signal_pipe[0];
}

void release_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

int next_signal(void) {
  unsigned char byte;
  return read(signal_pipe[0], &byte, 1) == 1 ? byte : 0;
}

bool caller_signal_waiting(void) {
  for (int signo; (signo = next_signal()) != 0;) {
    if (signo != SIGCHLD) return true;
  }
  return false;
}

bool hold_signals_and_check(void) {
  sigprocmask(SIG_BLOCK, &held, NULL);
  return caller_signal_waiting();
}

int pending_caller_signal(void) {
  sigset_t pending;
  if (sigpending(&pending) != 0) return 0;
  for (size_t i = 0; i < CALLER_SIGNAL_COUNT; i++) {
    if (sigismember(&pending, CALLER_SIGNALS[i]) == 1) return CALLER_SIGNALS[i];
  }
  return 0;
}

void default_signals(void) {
  for (size_t i = 0; i < CALLER_SIGNAL_COUNT; i++) signal(CALLER_SIGNALS[i], SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
}

int signal_to_pass_on(int signo) { return signo == SIGUSR1 || signo == SIGUSR2 ? SIGTERM : signo; }
